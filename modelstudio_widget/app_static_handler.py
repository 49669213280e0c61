"""Serving the app's bundle (``app_static``) from ``modelstudio serve``'s tornado app.

Public code and no user data, so no token: the page that uses it still needs one off
loopback (Voilà's handlers check it). Only file names of the build's kind, directly in the
folder, are served; anything else is a 404, as is any method but GET and HEAD (405).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import tornado.web

from modelstudio_widget.app_static import (
    APP_DIR,
    FILE_NAME_RE,
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
        await super().get(path, include_body)

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        if not os.path.isfile(absolute_path):  # a folder named like a file, a missing file
            raise tornado.web.HTTPError(404)
        return super().validate_absolute_path(root, absolute_path)

    def get_cache_time(self, path: str, modified: Any, mime_type: str) -> int:
        return 0  # set_extra_headers says it (tornado's own is only for ?v= URLs)

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Cache-Control", cache_control(path))
        self.set_header("X-Content-Type-Options", "nosniff")

    def get_content_type(self) -> str:
        return content_type(self.path)


def app_static_route(server_url: str, folder: Path = APP_DIR) -> tuple[str, type, dict[str, Any]]:
    """The tornado rule that serves ``folder`` under the server's URL prefix."""
    prefix = server_url.rstrip("/")
    return (f"{prefix}/{ROUTE}(.*)", AppStaticHandler, {"path": str(folder)})
