"""Serving the app's bundle (``app_static``) from ``modelstudio serve``'s tornado app.

Public code and no user data, so no token: the page that uses it still needs one off
loopback (Voilà's handlers check it). Only file names of the build's kind, directly in the
folder, are served; anything else is a 404, as is any method but GET and HEAD (405).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
from pathlib import Path
from typing import Any

import tornado.web

from modelstudio_widget.app_static import (
    APP_DIR,
    FILE_NAME_RE,
    MANIFEST,
    ROUTE,
    cache_control,
    content_type,
)


class AppStaticHandler(tornado.web.StaticFileHandler):
    """The app's folder: content-hashed files cached for good, the manifest revalidated."""

    SUPPORTED_METHODS = ("GET", "HEAD")  # type: ignore[assignment]

    async def get(self, path: str, include_body: bool = True) -> None:
        if not FILE_NAME_RE.match(path):
            raise tornado.web.HTTPError(404)
        if path != MANIFEST and self._accepts_gzip():
            self._send_gzipped(path, include_body)
            return
        await super().get(path, include_body)

    def _accepts_gzip(self) -> bool:
        accepted = self.request.headers.get("Accept-Encoding", "")
        return "gzip" in {part.split(";")[0].strip() for part in accepted.split(",")}

    def _send_gzipped(self, path: str, include_body: bool) -> None:
        self.path = path
        absolute = self.validate_absolute_path(self.root, self.get_absolute_path(self.root, path))
        assert absolute is not None  # it raises for what it does not serve
        stat = os.stat(absolute)
        body, etag = gzipped(absolute, stat.st_mtime_ns, stat.st_size)
        self.set_header("Content-Type", self.get_content_type())
        self.set_header("Content-Encoding", "gzip")
        self.set_header("ETag", etag)
        self.set_extra_headers(path)
        if etag in self.request.headers.get("If-None-Match", ""):
            self.set_status(304)
            return
        self.set_header("Content-Length", len(body))
        if include_body:
            self.write(body)

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        if not os.path.isfile(absolute_path):  # a folder named like a file, a missing file
            raise tornado.web.HTTPError(404)
        return super().validate_absolute_path(root, absolute_path)

    def get_cache_time(self, path: str, modified: Any, mime_type: str) -> int:
        return 0  # set_extra_headers says it (tornado's own is only for ?v= URLs)

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", cache_control(path))
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Vary", "Accept-Encoding")

    def get_content_type(self) -> str:
        return content_type(self.path)


@functools.lru_cache(maxsize=64)
def gzipped(absolute_path: str, mtime_ns: int, size: int) -> tuple[bytes, str]:
    """The file's gzip bytes and their ETag, for one version of the file (mtime, size)."""
    with open(absolute_path, "rb") as f:
        body = gzip.compress(f.read(), compresslevel=6, mtime=0)
    return body, f'"{hashlib.sha1(body).hexdigest()}-gz"'


def app_static_route(server_url: str, folder: Path = APP_DIR) -> tuple[str, type, dict[str, Any]]:
    """The tornado rule that serves ``folder`` under the server's URL prefix."""
    prefix = server_url.rstrip("/")
    return (f"{prefix}/{ROUTE}(.*)", AppStaticHandler, {"path": str(folder)})
