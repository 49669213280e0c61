"""A tornado application served on a free loopback port from a thread, for HTTP tests of
handlers without a browser or a subprocess; plus a fake ``static/app/`` build."""

from __future__ import annotations

import asyncio
import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import tornado.httpserver
import tornado.testing
import tornado.web


@contextmanager
def serving(app: tornado.web.Application) -> Iterator[int]:
    """Serve ``app`` until the block ends; yields the port."""
    sock, port = tornado.testing.bind_unused_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        server = tornado.httpserver.HTTPServer(app)
        server.add_sockets([sock])
        loop.call_soon(ready.set)
        loop.run_forever()
        server.stop()
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield port
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def request(port: int, path: str, method: str = "GET",
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """(status, headers with lower-case names, body) of one request, sent as is."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def fake_build(folder: Path) -> dict[str, str]:
    """What ``npm run build`` writes into ``static/app/``, in miniature: an entry that
    imports a chunk (to preload), a stylesheet and the manifest naming them. Returns the manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"js": "app-AB12cd34.js", "css": "app-EF56gh78.css",
                "preload": ["chunk-XY90zz00.js"]}
    (folder / "chunk-XY90zz00.js").write_text("export const chunk = 1;\n")
    (folder / manifest["js"]).write_text(
        'import { chunk } from "./chunk-XY90zz00.js";\n'
        "export default { render: () => () => chunk };\n")
    (folder / manifest["css"]).write_text(".ms-root { color: red; }\n")
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return manifest
