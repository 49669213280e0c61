"""Opening the app fast: preheated kernels (voila.json) that still read the store at the
visit, the design drawn from the page's HTML before any script runs, and a page's kernel
freed when the page goes away (a reload)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from conftest import CHROMIUM, PHONE, Phone  # type: ignore[import-not-found]
from voila_server import free_port, launch, stop  # type: ignore[import-not-found]

import modelstudio_widget as ms
from modelstudio_widget.store import Store


class Server:
    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace
        self.port = free_port()
        self.proc = launch(port=self.port, workspace=workspace)
        self.url = f"http://127.0.0.1:{self.port}/"

    def kernels(self) -> list[str]:
        """Command lines of the server's running kernels (each names its kernel id)."""
        return [" ".join(c.cmdline()) for c in psutil.Process(self.proc.pid).children()
                if "ipykernel" in " ".join(c.cmdline())]

    def wait_kernels(self, test: Any, timeout: float = 90.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            kernels = self.kernels()
            if test(kernels):
                return kernels
            time.sleep(0.25)
        raise AssertionError(f"kernels never as expected: {self.kernels()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium at /usr/bin/chromium")
    workspace = tmp_path_factory.mktemp("open-ws")
    Store.in_workspace(workspace).create_design(ms.templates()["moe"])
    s = Server(workspace)
    yield s
    stop(s.proc)


def kernel_of(page: Any, opened: list[str]) -> None:
    page.on("websocket", lambda ws: opened.extend(
        [ws.url.split("/api/kernels/")[1].split("/")[0]] if "/api/kernels/" in ws.url else []))


def test_the_design_is_drawn_from_the_html_before_any_script(server: Server,
                                                             browser: Any) -> None:
    design = Store.in_workspace(server.workspace).list_designs()[0]
    record = Store.in_workspace(server.workspace).get_design(design.id)
    ctx = browser.new_context(**PHONE)
    page = ctx.new_page()
    page.route("**/*.js*", lambda route: route.abort())  # no Voila, no widget: HTML alone
    page.goto(server.url)
    preview = page.get_by_test_id("open-preview")
    preview.wait_for(timeout=90_000)
    for c in record.design["components"]:
        assert page.get_by_test_id(f"preview-block-{c['id']}").is_visible()
    assert preview.locator("header").inner_text() == record.name
    ctx.close()


def test_a_preheated_page_reads_the_store_at_the_visit(server: Server, browser: Any) -> None:
    store = Store.in_workspace(server.workspace)
    meta = store.list_designs()[0]
    # A kernel is preheated (imports done) and waits; the design changes meanwhile.
    server.wait_kernels(lambda k: len(k) >= 1)
    time.sleep(3)
    store.rename_design(meta.id, "Renamed after preheat")
    ctx = browser.new_context(**PHONE)
    phone = Phone(ctx.new_page(), server.url).open()
    assert phone.page.get_by_test_id("design-name").inner_text() == "Renamed after preheat"
    phone.page.get_by_test_id("open-preview").wait_for(state="detached")  # the studio's now
    assert not phone.errors
    ctx.close()


def test_a_reload_frees_the_kernel_of_the_page_before(server: Server, browser: Any) -> None:
    ctx = browser.new_context(**PHONE)
    page = ctx.new_page()
    opened: list[str] = []
    kernel_of(page, opened)
    phone = Phone(page, server.url).open()
    first = opened[0]
    assert any(first in k for k in server.kernels())
    phone.reload()
    assert opened[-1] != first
    server.wait_kernels(lambda ks: not any(first in k for k in ks), timeout=30)
    assert any(opened[-1] in k for k in server.kernels())  # the new page's kernel lives
    ctx.close()
