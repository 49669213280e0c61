"""Fixtures for browser tests: a real Voilà server on a free port with a temp workspace,
and system Chromium (never `playwright install`) in phone emulation."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from voila_server import free_port, launch, stop  # type: ignore[import-not-found]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True,
         "device_scale_factor": 3}
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def app_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("studio-ws")


@pytest.fixture(scope="session")
def app_url(app_workspace: Path) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium at /usr/bin/chromium")
    port = free_port()
    proc = launch(port=port, workspace=app_workspace)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except Exception:
            proc.kill()


@contextmanager
def studio_with(prefix: str, train_config: dict[str, Any]) -> Iterator[tuple[str, Path]]:
    """``modelstudio serve`` on a fresh temp workspace, training with ``train_config``:
    (url, workspace). Skips where there is no Chromium to drive it."""
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium at /usr/bin/chromium")
    ws = Path(tempfile.mkdtemp(prefix=prefix))
    port = free_port()
    proc = launch(port=port, workspace=ws,
                  env={"MODELSTUDIO_TRAIN_CONFIG": json.dumps(train_config)})
    try:
        yield f"http://127.0.0.1:{port}/", ws
    finally:
        stop(proc)


def studio_fixture(prefix: str, train_config: dict[str, Any]) -> Any:
    """A module-scoped ``app`` fixture: ``studio_with(prefix, train_config)`` for the
    module's tests, (url, workspace)."""

    @pytest.fixture(scope="module")
    def app() -> Iterator[tuple[str, Path]]:
        with studio_with(prefix, train_config) as served:
            yield served

    return app


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


class Phone:
    """A phone-emulated page on the studio, with touch gestures through CDP."""

    def __init__(self, page: Any, url: str) -> None:
        self.page = page
        self.url = url
        self.cdp = page.context.new_cdp_session(page)
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self) -> Phone:
        self.page.goto(self.url)
        self.page.wait_for_selector("[data-testid=canvas] .react-flow__node", timeout=60_000)
        self.wait_synced()
        # A booted page queued its own resync and heartbeat before the kernel came: their
        # replies are in before a test counts the replies to its own messages.
        self.page.wait_for_function(
            "() => document.querySelector('.ms-root').__studio.bridge.pending.size === 0")
        return self

    def reload(self) -> Phone:
        return self.open()

    def new_design(self, name: str, template: str = "") -> str:
        """Create a design through the designs sheet, as a user would; its id."""
        page = self.page
        page.get_by_test_id("design-name").tap()
        page.get_by_test_id("new-design-name").fill(name)
        if template:
            page.get_by_test_id("new-design-template").select_option(template)
        page.get_by_test_id("new-design").tap()
        page.wait_for_function(
            f"() => document.querySelector('[data-testid=design-name]').textContent === {name!r}")
        self.wait_synced()
        return self.state("s.doc.design_id")

    # -- state probes (the page's controller hangs off the widget element)
    def state(self, expr: str) -> Any:
        return self.page.evaluate(
            f"() => {{ const s = document.querySelector('.ms-root').__studio.store.getState(); "
            f"return {expr}; }}")

    def wait_synced(self, timeout: float = 15.0) -> None:
        """Until the kernel is connected and has validated the page's current edit (a
        booted page's snapshot holds the kernel's validation of the design as it was)."""
        self.page.wait_for_function(
            "() => { const r = document.querySelector('.ms-root');"
            " const s = r && r.__studio && r.__studio.store.getState();"
            " return s && s.connected && s.kernel && s.kernel.seq === s.seq; }", timeout=timeout * 1000)

    def box(self, testid: str) -> dict[str, float]:
        b = self.page.get_by_test_id(testid).bounding_box()
        assert b, testid
        return b

    def centre(self, testid: str) -> tuple[float, float]:
        b = self.box(testid)
        return b["x"] + b["width"] / 2, b["y"] + b["height"] / 2

    def zoom(self) -> float:
        return float(self.page.get_by_test_id("canvas").get_attribute("data-zoom"))

    # -- touch through CDP (the page sees pointerType=touch)
    def _touch(self, kind: str, points: list[tuple[float, float]]) -> None:
        self.cdp.send("Input.dispatchTouchEvent", {
            "type": kind,
            "touchPoints": [{"x": x, "y": y, "id": i, "radiusX": 5, "radiusY": 5, "force": 1}
                            for i, (x, y) in enumerate(points)]})

    def drag(self, start: tuple[float, float], end: tuple[float, float], steps: int = 10,
             rest: bool = False) -> None:
        """A one-finger drag. ``rest``: the finger stops before it lifts. A drag released
        while moving ends in a fling, and Chromium spends the next tap on stopping the
        fling (no click): a tap after a flicked sheet was lost now and then."""
        self._touch("touchStart", [start])
        for i in range(1, steps + 1):
            t = i / steps
            self._touch("touchMove", [(start[0] + (end[0] - start[0]) * t,
                                       start[1] + (end[1] - start[1]) * t)])
            time.sleep(0.02)
        for _ in range(3 if rest else 0):  # at rest: no velocity left
            time.sleep(0.05)
            self._touch("touchMove", [end])
        self._touch("touchEnd", [])

    def pinch(self, centre: tuple[float, float], d0: float, d1: float, steps: int = 10,
              horizontal: bool = True) -> None:
        cx, cy = centre

        def points(d: float) -> list[tuple[float, float]]:
            if horizontal:
                return [(cx - d / 2, cy), (cx + d / 2, cy)]
            return [(cx, cy - d / 2), (cx, cy + d / 2)]

        self._touch("touchStart", points(d0))
        for i in range(1, steps + 1):
            self._touch("touchMove", points(d0 + (d1 - d0) * i / steps))
            time.sleep(0.03)
        self._touch("touchEnd", [])
        time.sleep(0.1)

    def hold(self, point: tuple[float, float], seconds: float = 0.6) -> None:
        self._touch("touchStart", [point])
        time.sleep(seconds)
        self._touch("touchEnd", [])

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@contextmanager
def phone_on(browser: Any, url: str, **context: Any) -> Iterator[Phone]:
    """A fresh phone context on ``url`` (``context``: more Playwright context options);
    the page must raise no errors."""
    ctx = browser.new_context(**PHONE, **context)
    p = Phone(ctx.new_page(), url)
    yield p
    ctx.close()
    assert not p.errors, f"page errors: {p.errors}"


@pytest.fixture
def phone(browser: Any, app_url: str) -> Iterator[Phone]:
    with phone_on(browser, app_url) as p:
        yield p
