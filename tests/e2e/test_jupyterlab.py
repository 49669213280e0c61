"""The studio in a JupyterLab 4 notebook cell, desktop viewport (1280x800) and a mouse:
a real ``jupyter lab`` server, a notebook whose cell makes ``ms.ModelStudio(...)``, run
with Shift+Enter. The widget must render and edit as in the app, keep its keystrokes
from JupyterLab's shortcuts while it has the focus (and leave them alone when it does
not), leave the notebook's scrolling to the notebook, and follow the Lab's theme."""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CHROMIUM, SHOTS  # type: ignore[import-not-found]
from lab_server import Lab, launch, notebook  # type: ignore[import-not-found]

pytestmark = pytest.mark.e2e

DESKTOP = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1}
STUDIO = ".jp-OutputArea-output .ms-root"


def studio_lab(base: Path, theme: str = "JupyterLab Light") -> Lab:
    """A Lab server whose root holds studio.ipynb: the studio on the transformer template."""
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium at /usr/bin/chromium")
    server = launch(base, theme=theme)
    workspace = base / "workspace"
    source = ("import modelstudio_widget as ms\n"
              f"studio = ms.ModelStudio(design=ms.templates()['transformer'], "
              f"workspace={str(workspace)!r})\n"
              "studio")
    (server.root / "studio.ipynb").write_text(json.dumps(notebook(source, "1 + 1")))
    return server


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    server = studio_lab(tmp_path_factory.mktemp("jlab"), "JupyterLab Light")
    try:
        yield server
    finally:
        server.stop()


class Notebook:
    """The notebook page, with probes into the studio in its output."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open_and_run(self, url: str) -> None:
        page = self.page
        page.goto(url)
        page.locator(".jp-Notebook-ExecutionIndicator[data-status=idle]").wait_for(timeout=60_000)
        cell = page.locator(".jp-Cell").first
        for _ in range(5):
            self.dismiss_dialogs()
            # a Shift+Enter while the session is still connecting is dropped: try again
            cell.locator(".cm-content").click()
            page.keyboard.press("Shift+Enter")
            try:
                page.wait_for_function(
                    "() => !/\\[ \\]/.test(document.querySelector('.jp-Cell .jp-InputPrompt')"
                    ".textContent)", timeout=5_000)
                break
            except Exception:
                continue
        try:
            page.locator(f"{STUDIO} [data-testid=canvas] .react-flow__node").first.wait_for(
                timeout=60_000)
        except Exception:
            self.shot("jupyterlab-failed-to-render")
            raise
        self.wait_synced()

    def dismiss_dialogs(self) -> None:
        """Accept any dialog the Lab put up (e.g. a kernel choice on a slow start)."""
        dialog = self.page.locator(".jp-Dialog")
        if dialog.count():
            self.dialogs.append(dialog.first.inner_text())
            self.page.locator(".jp-Dialog .jp-mod-accept").first.click()
            dialog.first.wait_for(state="detached")

    def state(self, expr: str) -> Any:
        return self.page.evaluate(
            f"() => {{ const s = document.querySelector('{STUDIO}').__studio.store.getState();"
            f" return {expr}; }}")

    def wait_synced(self) -> None:
        self.page.wait_for_function(
            f"() => {{ const r = document.querySelector('{STUDIO}');"
            " const s = r && r.__studio && r.__studio.store.getState();"
            " return s && s.kernel && s.kernel.seq === s.seq; }", timeout=15_000)

    def by(self, testid: str) -> Any:
        return self.page.locator(STUDIO).get_by_test_id(testid)

    def cells(self) -> int:
        return self.page.locator(".jp-Notebook .jp-Cell").count()

    def zoom(self) -> float:
        return float(self.by("canvas").get_attribute("data-zoom"))

    def scroller_top(self) -> float:
        return self.page.evaluate(
            "() => document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer').scrollTop")

    def scroll_notebook_to(self, top: float) -> None:
        self.page.evaluate(
            "top => { document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer')"
            ".scrollTop = top; }", top)
        self.page.wait_for_timeout(100)

    def wait_block_state(self, bid: str, state: str) -> None:
        self.page.wait_for_function(
            f"() => document.querySelector('{STUDIO} [data-testid=block-{bid}]')"
            f"?.dataset.state === '{state}'")

    def settle(self) -> None:
        self.page.wait_for_function(
            "() => document.getAnimations().every(a => a.playState !== 'running')")

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.settle()
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@pytest.fixture(scope="module")
def nb(lab: Lab, browser: Any) -> Iterator[Notebook]:
    ctx = browser.new_context(**DESKTOP)
    page = ctx.new_page()
    n = Notebook(page)
    n.open_and_run(lab.url("lab/tree/studio.ipynb"))
    yield n
    ctx.close()
    if n.dialogs:
        warnings.warn(f"JupyterLab showed dialogs: {n.dialogs}", stacklevel=1)
    assert not n.errors, f"page errors: {n.errors}"


def test_renders_in_the_cell_output_and_validates_through_the_kernel(nb: Notebook):
    page = nb.page
    ids = nb.state("s.history.present.components.map(c => c.id)")
    assert len(ids) == 5
    for bid in ids:
        assert nb.by(f"block-{bid}").is_visible(), bid
    for t in nb.state("s.catalog.blocks.map(b => b.type)"):
        assert nb.by(f"palette-item-{t}").count() == 1, t
    # the widget sits inside the output area: no overflow, no page scroll
    out = page.locator(".jp-Cell").first.locator(".jp-OutputArea-output").bounding_box()
    app = page.locator(f"{STUDIO} .ms-app").bounding_box()
    assert out and app
    assert app["x"] >= out["x"] - 1 and app["x"] + app["width"] <= out["x"] + out["width"] + 1
    assert page.evaluate("() => [scrollX, scrollY, document.scrollingElement.scrollTop]") \
        == [0, 0, 0]
    nb.shot("jupyterlab-light")

    # a d_model the neighbours do not share: the kernel's answer turns blocks red
    nb.by("block-attn1").click()
    nb.by("inspector").wait_for()
    nb.by("prop-d_model-inc").click()
    page.wait_for_function(
        f"() => [...document.querySelectorAll('{STUDIO} [data-state=error]')].length > 0")
    nb.wait_synced()
    assert "D_MODEL_MISMATCH" in nb.state("s.kernel.errors.map(e => e.code)")
    nb.shot("jupyterlab-invalid")
    nb.by("btn-undo").click()
    for bid in ids:
        nb.wait_block_state(bid, "ok")
    nb.wait_synced()
    assert nb.state("s.kernel.valid") is True
    nb.by("inspector").get_by_label("Close").click()


def test_keyboard_shortcuts_stay_in_the_canvas_and_lab_keeps_its_own(nb: Notebook):
    page = nb.page
    cells = nb.cells()
    nb.by("block-attn2").click()
    assert nb.state("s.selectedNodes") == ["attn2"]
    page.keyboard.press("Delete")
    nb.by("block-attn2").wait_for(state="detached")
    page.keyboard.press("Control+z")
    nb.by("block-attn2").wait_for()
    page.keyboard.press("Control+Shift+z")
    nb.by("block-attn2").wait_for(state="detached")
    page.keyboard.press("Control+z")
    nb.by("block-attn2").wait_for()
    # command-mode shortcuts (A: insert above, D D: delete the cell, Shift+Enter: run it
    # again) must not reach the notebook while the canvas has the focus
    executions = page.locator(".jp-Cell").first.locator(".jp-InputPrompt").text_content()
    for key in ["a", "b", "d", "d", "x", "m", "Shift+Enter", "Escape", "Enter"]:
        page.keyboard.press(key)
    time.sleep(0.5)
    assert nb.cells() == cells
    assert page.locator(".jp-Cell").first.locator(".jp-InputPrompt").text_content() == executions
    assert nb.state("s.history.present.components.length") == 5  # D did not delete blocks
    # the same with the focus on the bare canvas (a click on an empty spot)
    box = nb.by("canvas").bounding_box()
    assert box
    page.mouse.click(box["x"] + 30, box["y"] + box["height"] - 30)
    assert page.evaluate(f"() => document.querySelector('{STUDIO}')"
                         ".contains(document.activeElement)")
    for key in ["a", "b", "d", "d"]:
        page.keyboard.press(key)
    time.sleep(0.3)
    assert nb.cells() == cells
    nb.wait_synced()
    # Lab's application chords still work from inside the studio: Ctrl+S saves the notebook
    assert page.locator(".lm-TabBar-tab.jp-mod-dirty").count() >= 1
    page.keyboard.press("Control+s")
    page.locator(".lm-TabBar-tab.jp-mod-dirty").wait_for(state="detached")
    # ...and Lab's shortcuts work once the focus is elsewhere: B inserts a cell below
    page.locator(".jp-Cell").nth(1).locator(".jp-InputPrompt").click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    page.wait_for_function(f"() => document.querySelectorAll('.jp-Notebook .jp-Cell').length"
                           f" === {cells + 1}")
    page.keyboard.press("d")
    page.keyboard.press("d")
    page.wait_for_function(f"() => document.querySelectorAll('.jp-Notebook .jp-Cell').length"
                           f" === {cells}")


def test_the_wheel_scrolls_the_notebook_and_ctrl_wheel_zooms_the_canvas(nb: Notebook):
    page = nb.page

    def over_the_canvas() -> None:
        nb.scroll_notebook_to(0)
        box = nb.by("canvas").bounding_box()
        assert box
        page.mouse.move(box["x"] + 40, box["y"] + box["height"] / 2)

    over_the_canvas()
    z0 = nb.zoom()
    page.mouse.wheel(0, 240)
    page.wait_for_function(
        "() => document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer').scrollTop > 0")
    assert nb.zoom() == pytest.approx(z0)
    over_the_canvas()
    page.keyboard.down("Control")
    page.mouse.wheel(0, -200)
    page.keyboard.up("Control")
    page.wait_for_function(f"() => Number(document.querySelector('{STUDIO} [data-testid=canvas]')"
                           f".dataset.zoom) > {z0 + 0.05}")
    assert nb.scroller_top() == 0
    assert page.evaluate("() => visualViewport.scale") == 1


def test_a_block_dragged_out_of_the_palette_lands_under_the_mouse(nb: Notebook):
    page = nb.page
    nb.by("btn-fit").click()
    nb.by("palette").scroll_into_view_if_needed()
    time.sleep(0.3)
    before = nb.state("s.history.present.components.length")
    chip = nb.by("palette-item-moe_layer").bounding_box()
    canvas = nb.by("canvas").bounding_box()
    assert chip and canvas
    start = (chip["x"] + chip["width"] / 2, chip["y"] + chip["height"] / 2)
    end = (canvas["x"] + 120, canvas["y"] + canvas["height"] - 90)  # left of the blocks
    vx, vy, z = page.evaluate(
        f"() => {{ const m = new DOMMatrixReadOnly(getComputedStyle(document.querySelector("
        f"'{STUDIO} .react-flow__viewport')).transform); return [m.e, m.f, m.a]; }}")
    page.mouse.move(*start)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(start[0] + (end[0] - start[0]) * i / 10,
                        start[1] + (end[1] - start[1]) * i / 10)
    # the ghost card follows the mouse (no offset from the notebook's own layout)
    ghost = page.locator(f"{STUDIO} .ms-ghost").bounding_box()
    assert ghost
    assert abs(ghost["x"] + ghost["width"] / 2 - end[0]) <= 2
    assert abs(ghost["y"] + ghost["height"] / 2 - end[1]) <= 2
    page.mouse.up()
    page.wait_for_function(f"() => document.querySelector('{STUDIO}').__studio.store.getState()"
                           f".history.present.components.length === {before + 1}")
    comp = nb.state("s.history.present.components.at(-1)")
    assert comp["type"] == "moe_layer"
    block = nb.by(f"block-{comp['id']}").bounding_box()
    assert block
    fx, fy = (end[0] - canvas["x"] - vx) / z, (end[1] - canvas["y"] - vy) / z
    cx = comp["position"]["x"] + block["width"] / z / 2
    cy = comp["position"]["y"] + block["height"] / z / 2
    assert abs(cx - fx) <= 32 and abs(cy - fy) <= 32, (comp["position"], fx, fy)
    page.keyboard.press("Control+z")
    nb.by(f"block-{comp['id']}").wait_for(state="detached")


def dark_sum(page: Any, selector: str) -> int:
    """The sum of the RGB channels of an element's background (0..765)."""
    return page.locator(selector).first.evaluate(
        "el => getComputedStyle(el).backgroundColor.match(/\\d+/g).slice(0, 3)"
        ".reduce((a, b) => a + Number(b), 0)")


def test_the_studio_follows_a_live_switch_to_the_dark_theme(nb: Notebook):
    """Last on this page: it leaves the Lab dark."""
    page = nb.page
    assert dark_sum(page, f"{STUDIO} .ms-app") > 600
    page.locator(".lm-MenuBar-itemLabel", has_text="Settings").click()
    page.locator(".lm-Menu-itemLabel", has_text="Theme").first.hover()
    page.locator(".lm-Menu-itemLabel", has_text="JupyterLab Dark").first.click()
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
    page.wait_for_function(  # at once, no reload
        f"() => {{ const c = getComputedStyle(document.querySelector('{STUDIO} .ms-app'))"
        ".backgroundColor.match(/\\d+/g);"
        " return c.slice(0, 3).reduce((a, b) => a + Number(b), 0) < 150; }")
    assert dark_sum(page, f"{STUDIO} [data-testid=block-attn1]") < 200
    assert dark_sum(page, ".lm-MenuBar") < 200  # the Lab's own chrome went dark too
    nb.scroll_notebook_to(0)
    nb.by("block-attn1").click()
    nb.by("inspector").wait_for()
    assert nb.scroller_top() == 0  # selecting a block does not jump the notebook
    nb.shot("jupyterlab-dark")
