"""Compare in a JupyterLab 4 notebook (desktop viewport, a mouse, the dark theme): two runs
trained from Python (``ms.train`` with two seeds) show in the studio's runs sheet; ticked and
compared, they are two curves with the seed as what differs; and ``ms.compare(runs)`` in the
next cell draws the same overlay as a matplotlib figure in the cell's output."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CHROMIUM, SHOTS  # type: ignore[import-not-found]
from lab_server import Lab, launch, notebook  # type: ignore[import-not-found]
from playwright.sync_api import expect
from test_jupyterlab import DESKTOP, Notebook  # type: ignore[import-not-found]

from modelstudio_widget.store import Store

pytestmark = pytest.mark.e2e

FAST = "ms.PPOConfig(num_envs=64, num_steps=32)"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Lab, Path]]:
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium at /usr/bin/chromium")
    base = tmp_path_factory.mktemp("jlab-compare")
    server = launch(base, theme="JupyterLab Dark")
    workspace = base / "workspace"
    studio = ("import modelstudio_widget as ms\n"
              f"ws = {str(workspace)!r}\n"
              "studio = ms.ModelStudio(design=ms.templates()['tiny'], workspace=ws)\n"
              f"runs = [ms.train(studio.current_design, seconds=5, seed=seed, config={FAST},\n"
              "                  workspace=ws, design_id=studio.design_id, progress=False)\n"
              "        for seed in (0, 1)]\n"
              "studio")
    (server.root / "compare.ipynb").write_text(
        json.dumps(notebook(studio, "ms.compare(runs, x='minutes')")))
    try:
        yield server, workspace
    finally:
        server.stop()


@pytest.fixture
def nb(lab: tuple[Lab, Path], browser: Any) -> Iterator[Notebook]:
    ctx = browser.new_context(**DESKTOP)
    n = Notebook(ctx.new_page())
    n.open_and_run(lab[0].url("lab/tree/compare.ipynb"))
    yield n
    ctx.close()
    assert not n.errors, f"page errors: {n.errors}"


def test_runs_from_python_compare_in_the_cell_and_as_a_figure(nb: Notebook,
                                                              lab: tuple[Lab, Path]):
    page = nb.page
    with Store.in_workspace(lab[1]) as store:
        runs = [r.id for r in store.list_runs()]
    assert len(runs) == 2

    nb.by("btn-runs").click()
    nb.by("runs-sheet").wait_for()
    for run_id in runs:
        nb.by(f"select-{run_id}").click()
        expect(nb.by(f"select-{run_id}")).to_have_attribute("aria-pressed", "true")
    nb.by("btn-compare").click()

    chart = nb.by("compare-chart")
    expect(chart).to_have_attribute("data-series", "2", timeout=30_000)
    expect(nb.by("compare-table").locator("tbody tr")).to_have_count(2)
    expect(nb.by(f"compare-diff-{runs[1]}")).to_contain_text("seed: 1 → 0")
    # as wide as the cell, inside it
    out = page.locator(".jp-Cell").first.locator(".jp-OutputArea-output").bounding_box()
    canvas = chart.locator("canvas").bounding_box()
    assert out and canvas and canvas["width"] > 600
    assert out["x"] <= canvas["x"] and canvas["x"] + canvas["width"] <= out["x"] + out["width"]
    # the mouse over the chart: the legend reads both runs' scores
    over = chart.locator(".u-over")
    over.hover()
    values = chart.locator(".u-legend .u-series .u-value").all_inner_texts()
    assert len(values) == 3 and all(v != "–" for v in values), values
    nb.by("compare-x-minutes").click()
    expect(chart).to_have_attribute("data-axis", "minutes")
    expect(chart).to_have_attribute("data-series", "2")
    nb.shot("compare-jupyterlab")

    # the next cell: ms.compare draws the same runs as a matplotlib figure
    second = page.locator(".jp-Cell").nth(1)
    second.locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")
    figure = second.locator(".jp-OutputArea-output img")
    figure.wait_for(timeout=60_000)
    assert (figure.bounding_box() or {}).get("width", 0) > 300
    figure.scroll_into_view_if_needed()
    # (not nb.shot: the Lab may keep an animation running after a cell ran)
    page.screenshot(path=str(SHOTS / "compare-jupyterlab-figure.png"))
