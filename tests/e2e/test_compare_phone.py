"""Compare on a phone against ``modelstudio serve``: train two runs, tick both in the runs
sheet, compare: two curves in the uPlot chart (moves, then minutes), the values under a
finger in the legend, a row of final numbers per run, and what differs. A run deleted
while ticked makes the sheet say which one, in one line.

Runs train with small rollouts (``$MODELSTUDIO_TRAIN_CONFIG``) so each has a curve within
seconds."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import PHONE, Phone  # type: ignore[import-not-found]
from playwright.sync_api import expect
from test_definition_of_done import FAST_TRAINING, studio  # type: ignore[import-not-found]

from modelstudio_widget.store import Store

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def app() -> Iterator[tuple[str, Path]]:
    with studio(FAST_TRAINING) as served:  # a fresh workspace, runs of a second or two
        yield served


@pytest.fixture
def phone(browser: Any, app: tuple[str, Path]) -> Iterator[Phone]:
    ctx = browser.new_context(**PHONE, color_scheme="dark")  # the chart follows the theme
    p = Phone(ctx.new_page(), app[0])
    yield p
    ctx.close()
    assert not p.errors, f"page errors: {p.errors}"


def train_a_run(phone: Phone, workspace: Path, points: int = 3) -> None:
    """Train until the new run has ``points`` scored metrics rows in the store (what its
    curve is drawn from: at most a row a second), then stop."""
    page = phone.page
    before = phone.state("s.metrics?.run_id ?? null")
    page.get_by_test_id("btn-train").tap()
    page.wait_for_function(
        "before => { const m = document.querySelector('.ms-root').__studio.store.getState()"
        ".metrics; return m && m.run_id && m.run_id !== before; }", arg=before,
        timeout=90_000)
    run_id = phone.state("s.metrics.run_id")
    deadline = time.monotonic() + 90
    with Store.in_workspace(workspace) as store:
        while len(store.score_points([run_id]).get(run_id, [])) < points:
            assert time.monotonic() < deadline, "the run recorded no curve"
            time.sleep(0.5)
    page.get_by_test_id("btn-stop").tap()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=status]')?.dataset.state === 'idle'",
        timeout=60_000)
    expect(page.get_by_test_id("btn-train")).to_be_enabled(timeout=10_000)


def shot(phone: Phone, name: str) -> None:
    phone.page.wait_for_timeout(300)  # the sheet's slide-up
    phone.shot(f"compare-{name}")


def test_two_runs_ticked_in_the_runs_sheet_compare_as_two_curves(phone: Phone,
                                                                 app: tuple[str, Path]):
    page = phone.page
    phone.open()
    design_id = phone.new_design("Compare me", template="tiny")
    train_a_run(phone, app[1])
    train_a_run(phone, app[1], points=6)  # the same seed: the same start, then it goes on
    with Store.in_workspace(app[1]) as store:
        runs = [r.id for r in store.list_runs(design_id)]
    assert len(runs) == 2

    page.get_by_test_id("btn-runs").tap()
    page.get_by_test_id("runs-sheet").wait_for()
    expect(page.get_by_test_id("btn-compare")).to_be_disabled()
    for run_id in runs:
        tick = page.get_by_test_id(f"select-{run_id}")
        tick.tap()
        expect(tick).to_have_attribute("aria-pressed", "true")
    page.get_by_test_id("btn-compare").tap()

    sheet = page.get_by_test_id("compare-sheet")
    chart = page.get_by_test_id("compare-chart")
    expect(chart).to_have_attribute("data-series", "2", timeout=30_000)
    assert chart.locator("canvas").count() == 1
    table = page.get_by_test_id("compare-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    for run_id in runs:
        expect(page.get_by_test_id(f"compare-row-{run_id}")).to_be_visible()
    # the same design and the same settings: nothing differs but the seed of chance
    expect(page.get_by_test_id(f"compare-diff-{runs[1]}")).to_contain_text(
        "Same design and settings")
    box = sheet.bounding_box()
    assert box and box["width"] <= 390 and box["y"] >= 0
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390

    # a finger on the chart: the legend shows the scores under it
    over = chart.locator(".u-over").bounding_box()
    assert over
    y = over["y"] + over["height"] / 2
    phone.drag((over["x"] + 10, y), (over["x"] + over["width"] * 0.9, y), rest=True)
    values = chart.locator(".u-legend .u-series .u-value").all_inner_texts()
    assert len(values) == 3, values  # the x value and one per run
    assert any(v.replace(",", "").isdigit() for v in values[1:]), values
    heights = chart.locator(".u-legend .u-series th").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().height)")
    assert len(heights) == 3 and min(heights) >= 44, heights  # tap a run to hide its curve
    shot(phone, "phone-moves")

    page.get_by_test_id("compare-x-minutes").tap()
    expect(chart).to_have_attribute("data-axis", "minutes")
    expect(chart).to_have_attribute("data-series", "2")
    expect(chart.locator(".u-legend")).to_contain_text("Time")
    phone.drag((over["x"] + 10, y), (over["x"] + over["width"] * 0.5, y), rest=True)
    at = chart.locator(".u-legend .u-series .u-value").first.inner_text()
    assert re.fullmatch(r"\d+ s|\d+:\d\d", at), at  # training time on a clock
    shot(phone, "phone-table")

    # wide (a tablet, or a desktop window): the same sheet, the chart as wide as it is
    page.set_viewport_size({"width": 1100, "height": 800})
    page.wait_for_function(
        "() => document.querySelector('[data-testid=compare-chart] canvas')"
        ".getBoundingClientRect().width > 600")
    shot(phone, "wide")
    page.set_viewport_size(PHONE["viewport"])

    # back to the runs (both still ticked); a ticked run is deleted in another window
    # before Compare is tapped: the sheet says which, in one line
    sheet.get_by_label("Close").tap()
    expect(page.get_by_test_id(f"run-{runs[1]}")).to_be_visible()
    expect(page.get_by_test_id("btn-compare")).to_be_enabled()
    with Store.in_workspace(app[1]) as store:
        store.delete_run(runs[1])
    page.get_by_test_id("btn-compare").tap()
    error = page.get_by_test_id("compare-error")
    expect(error).to_contain_text(runs[1])
    assert error.evaluate("e => e.getBoundingClientRect().height") < 70  # a line or two
    shot(phone, "phone-deleted-run")


def test_runs_of_two_designs_compare_and_each_opens_its_revision(phone: Phone,
                                                                  app: tuple[str, Path]):
    """Tick a run of design A, open design B, tick one of its runs: both compare; a run's
    button opens the revision it trained (design A's opens design A first)."""
    page = phone.page
    phone.open()
    first = phone.new_design("Design A", template="tiny")
    train_a_run(phone, app[1])
    page.get_by_test_id("btn-runs").tap()
    page.get_by_test_id("runs-sheet").wait_for()
    with Store.in_workspace(app[1]) as store:
        (run_a,) = store.list_runs(first)
    page.get_by_test_id(f"select-{run_a.id}").tap()
    page.get_by_test_id("runs-sheet").get_by_label("Close").tap()

    second = phone.new_design("Design B", template="tiny")
    train_a_run(phone, app[1])
    with Store.in_workspace(app[1]) as store:
        (run_b,) = store.list_runs(second)
    page.get_by_test_id("btn-runs").tap()
    expect(page.get_by_test_id("runs-list")).to_have_attribute("data-count", "1")
    hint = page.get_by_test_id("compare-hint")
    expect(hint).to_have_text("1 ticked (1 in another design)")  # the tick of A's run stays
    expect(page.get_by_test_id("btn-compare")).to_be_disabled()
    page.get_by_test_id(f"select-{run_b.id}").tap()
    expect(hint).to_have_text("2 ticked (1 in another design)")
    shot(phone, "phone-two-designs-ticked")
    page.get_by_test_id("btn-compare").tap()

    chart = page.get_by_test_id("compare-chart")
    expect(chart).to_have_attribute("data-series", "2", timeout=30_000)
    expect(page.get_by_test_id(f"compare-row-{run_a.id}")).to_contain_text("Design A")
    expect(page.get_by_test_id(f"compare-row-{run_b.id}")).to_contain_text("Design B")
    button = page.get_by_test_id(f"btn-open-revision-{run_a.id}")
    button.scroll_into_view_if_needed()
    box = button.bounding_box()
    assert box and box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 390
    shot(phone, "phone-two-designs")

    # Design A's run: design A opens, its revision shows read-only on the canvas.
    button.tap()
    page.get_by_test_id("revision-bar").wait_for(timeout=30_000)
    assert phone.state("s.doc.design_id") == first
    assert phone.state("s.viewedRevision") == run_a.design_revision
    assert phone.state("s.sheet") is None
    expect(page.get_by_test_id("design-name")).to_have_text("Design A")
    shot(phone, "phone-revision-of-a-run")
    # ... and both runs are still ticked: back to compare, the other design's revision.
    page.get_by_test_id("btn-close-revision").tap()
    page.get_by_test_id("btn-runs").tap()
    expect(page.get_by_test_id("compare-hint")).to_have_text("2 ticked (1 in another design)")
    page.get_by_test_id("btn-compare").tap()
    page.get_by_test_id(f"btn-open-revision-{run_b.id}").tap()
    page.get_by_test_id("revision-bar").wait_for(timeout=30_000)
    assert phone.state("s.doc.design_id") == second
    assert phone.state("s.viewedRevision") == run_b.design_revision
