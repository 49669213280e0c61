"""A sweep from a phone, through the real UI against ``modelstudio serve``: open the Sweep
sheet from the runs sheet, vary the policy's hidden width over two values, 5 s a trial,
start; a row per trial follows the kernel's progress until both trials finish; the runs
sheet then lists the two runs, tagged with the sweep."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Phone  # type: ignore[import-not-found]
from test_definition_of_done import FAST_TRAINING, studio  # type: ignore[import-not-found]
from test_evaluate_phone import phone  # type: ignore[import-not-found]  # noqa: F401 - fixture on app

from modelstudio_widget.store import Store

pytestmark = pytest.mark.e2e

SHOTS = Path("/work/wt/shots")
RAY_AND_TRIALS_S = 240  # Ray's start alone can take a minute on a loaded machine


@pytest.fixture(scope="module")
def app() -> Iterator[tuple[str, Path]]:
    with studio({**FAST_TRAINING, "RAY_USAGE_STATS_ENABLED": "0"}) as served:
        yield served


def shot(on: Phone, name: str) -> None:
    """A screenshot in the light and the dark theme, looked at by a person."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    on.page.wait_for_timeout(300)  # the sheet's slide-in is over
    on.page.screenshot(path=str(SHOTS / f"sweep-{name}.png"))
    on.page.emulate_media(color_scheme="dark")
    on.page.screenshot(path=str(SHOTS / f"sweep-{name}-dark.png"))
    on.page.emulate_media(color_scheme="light")


def test_a_sweep_of_two_widths_from_the_phone_lands_in_the_runs_sheet(
        phone: Phone, app: tuple[str, Path]) -> None:  # noqa: F811 - the fixture
    page = phone.page
    phone.open()
    design_id = phone.new_design("Sweep me", template="tiny")
    page.get_by_test_id("btn-runs").tap()
    box = page.get_by_test_id("btn-sweep").bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44
    page.get_by_test_id("btn-sweep").tap()
    page.get_by_test_id("sweep-sheet").wait_for()
    page.get_by_test_id("sweep-axis-0-key").select_option("policy.hidden")
    values = page.locator("[data-testid^=sweep-value-0-]")
    assert values.evaluate_all("els => els.map(e => e.dataset.testid)") == [
        "sweep-value-0-256", "sweep-value-0-288"]
    page.get_by_test_id("sweep-value-0-288").tap()  # drop it, take the one below instead
    page.get_by_test_id("sweep-lower-0").tap()
    assert values.evaluate_all("els => els.map(e => e.dataset.testid)") == [
        "sweep-value-0-224", "sweep-value-0-256"]
    page.get_by_test_id("sweep-seconds-5").tap()
    assert "2 trials × 5 s" in page.get_by_test_id("sweep-plan").inner_text()
    shot(phone, "picked")
    page.get_by_test_id("sweep-add-axis").tap()  # a second axis: a training setting
    assert "4 trials" in page.get_by_test_id("sweep-plan").inner_text()
    shot(phone, "two-axes")
    page.get_by_test_id("sweep-axis-1-remove").tap()
    assert "2 trials" in page.get_by_test_id("sweep-plan").inner_text()

    page.get_by_test_id("btn-sweep-start").tap()
    page.get_by_test_id("btn-sweep-stop").wait_for()
    page.get_by_test_id("sweep-trial-1").wait_for(timeout=60_000)
    page.wait_for_selector("[data-testid^=sweep-trial-][data-status=running]",
                           timeout=RAY_AND_TRIALS_S * 1000)
    shot(phone, "running")
    page.wait_for_selector("[data-testid=sweep-progress][data-state=finished]",
                           timeout=RAY_AND_TRIALS_S * 1000)
    for n in (0, 1):
        trial = page.get_by_test_id(f"sweep-trial-{n}")
        assert trial.get_attribute("data-status") == "finished"
        assert "moves" in trial.inner_text()
    assert "hidden 224" in page.get_by_test_id("sweep-trial-0").inner_text()
    shot(phone, "finished")

    page.get_by_test_id("btn-sweep-runs").tap()
    page.get_by_test_id("runs-sheet").wait_for()
    tags = page.get_by_test_id("run-sweep")
    tags.first.wait_for()
    assert tags.count() == 2
    assert sorted(tags.all_inner_texts()) == ["hidden 224", "hidden 256"]
    shot(phone, "runs")
    with Store.in_workspace(app[1]) as store:
        runs = [r for r in store.list_runs(design_id) if r.config.get("sweep")]
    assert len(runs) == 2 and {r.status for r in runs} == {"finished"}
    assert len({r.config["sweep"]["id"] for r in runs}) == 1
    assert {tags.nth(i).get_attribute("data-sweep") for i in range(2)} == {
        runs[0].config["sweep"]["id"]}
