"""Evaluate and watch a run on a phone, through the real UI against ``modelstudio serve``:
train a short run, open it from the runs sheet, evaluate 100 games (the numbers shown),
cancel a 1000-game evaluation (nothing stored), then watch the agent play (the board
changes, ``data-moves`` grows, pause stops it, step and restart work)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Phone, phone_on  # type: ignore[import-not-found]
from test_definition_of_done import FAST_TRAINING, studio  # type: ignore[import-not-found]

from modelstudio_widget.store import Store

pytestmark = pytest.mark.e2e

SHOTS = Path("/work/wt/shots")


@pytest.fixture(scope="module")
def app() -> Iterator[tuple[str, Path]]:
    with studio(FAST_TRAINING) as served:  # (url, workspace)
        yield served


@pytest.fixture
def phone(browser: Any, app: tuple[str, Path]) -> Iterator[Phone]:
    with phone_on(browser, app[0]) as p:
        yield p


def shot(phone: Phone, name: str, dark: bool = False) -> None:
    """A screenshot (in the dark theme too, with ``dark``), looked at by a person."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    phone.page.wait_for_timeout(300)  # the sheet's slide-in is over
    phone.page.screenshot(path=str(SHOTS / f"evaluate-{name}.png"))
    if dark:
        phone.page.emulate_media(color_scheme="dark")
        phone.page.screenshot(path=str(SHOTS / f"evaluate-{name}-dark.png"))
        phone.page.emulate_media(color_scheme="light")


def wait_state(phone: Phone, state: str, timeout: float = 60.0) -> None:
    phone.page.wait_for_selector(f"[data-testid=status][data-state={state}]",
                                 timeout=timeout * 1000)


def train_a_short_run(phone: Phone) -> str:
    page = phone.page
    phone.new_design("Evaluate me", template="tiny")
    page.get_by_test_id("btn-train").tap()
    wait_state(phone, "training")
    run_id = phone.state("s.metrics && s.metrics.run_id")
    page.wait_for_function("() => { const s = document.querySelector('.ms-root').__studio"
                           ".store.getState(); return s.metrics && s.metrics.update >= 2; }",
                           timeout=60_000)
    page.get_by_test_id("btn-stop").tap()  # stopping writes the checkpoint
    wait_state(phone, "idle")
    assert isinstance(run_id, str) and run_id.startswith("r-")
    return run_id


def open_run(phone: Phone, run_id: str) -> None:
    page = phone.page
    page.get_by_test_id("btn-runs").tap()
    page.locator(f"[data-testid=run-{run_id}] .ms-run-main").tap()
    page.get_by_test_id("run-sheet").wait_for()


def board(phone: Phone) -> tuple[int, list[str]]:
    el = phone.page.get_by_test_id("watch-board")
    cells = el.locator("[data-exp]").evaluate_all("cells => cells.map(c => c.dataset.exp)")
    return int(el.get_attribute("data-moves")), cells


def test_evaluate_and_watch_a_run(phone: Phone, app: tuple[str, Path]) -> None:
    page = phone.open().page
    run_id = train_a_short_run(phone)
    open_run(phone, run_id)

    # Evaluate 100 games: progress, then the numbers, stored with the run.
    page.get_by_test_id("btn-evaluate").tap()
    sheet = page.get_by_test_id("evaluate-sheet")
    sheet.wait_for()
    assert page.get_by_test_id("eval-games-200").get_attribute("aria-checked") == "true"
    shot(phone, "1-sheet")
    page.get_by_test_id("eval-games-100").tap()
    page.get_by_test_id("btn-eval-start").tap()
    page.get_by_test_id("eval-progress").wait_for()
    shot(phone, "2-progress")
    result = page.get_by_test_id("eval-result")
    result.wait_for(timeout=120_000)
    assert result.get_attribute("data-games") == "100"
    mean, se = float(result.get_attribute("data-mean")), float(result.get_attribute("data-se"))
    assert mean > 0 and se > 0
    assert "±" in page.get_by_test_id("eval-mean").inner_text()
    assert result.locator("[data-tile]").count() >= 3  # max-tile rates
    shot(phone, "3-result", dark=True)
    with Store.in_workspace(app[1]) as store:
        stored = store.latest_evaluation(run_id)
        assert stored is not None and stored.games == 100
        assert stored.mean_score == pytest.approx(mean)

    # A 1000-game evaluation cancelled mid-way says so and stores nothing.
    page.get_by_test_id("eval-games-1000").tap()
    page.get_by_test_id("btn-eval-start").tap()
    page.get_by_test_id("btn-eval-cancel").tap()
    error = page.get_by_test_id("eval-error")
    error.wait_for(timeout=60_000)
    assert "cancelled" in error.inner_text().lower()
    assert result.get_attribute("data-games") == "100"  # the last result stays shown
    with Store.in_workspace(app[1]) as store:
        assert len(store.evaluations(run_id)) == 1

    # The run sheet shows the evaluation too (RunSummary.evaluation).
    sheet.get_by_label("Close").tap()
    page.get_by_test_id("run-sheet").wait_for()
    page.get_by_test_id("run-evaluation").wait_for(timeout=15_000)

    # Watch: the board changes and data-moves grows; pause stops it; step and restart.
    page.get_by_test_id("btn-watch").tap()
    page.get_by_test_id("watch-board").wait_for(timeout=120_000)
    first_moves, first_cells = board(phone)
    page.wait_for_function("() => +document.querySelector('[data-testid=watch-board]')"
                           ".dataset.moves >= 3", timeout=20_000)
    moves, cells = board(phone)
    assert moves > first_moves and cells != first_cells
    probs = [float(page.get_by_test_id(f"watch-prob-{m}").get_attribute("data-p"))
             for m in ("up", "right", "down", "left")]
    assert sum(probs) == pytest.approx(1.0, abs=0.01)
    shot(phone, "4-watch")
    page.get_by_test_id("btn-watch-pause").tap()
    shot(phone, "4-watch-paused", dark=True)
    paused, _ = board(phone)
    time.sleep(1.0)
    assert board(phone)[0] == paused  # paused: nothing moves
    page.get_by_test_id("btn-watch-step").tap()
    page.wait_for_function("() => +document.querySelector('[data-testid=watch-board]')"
                           f".dataset.moves === {paused + 1}", timeout=5_000)
    page.get_by_test_id("btn-watch-restart").tap()
    page.get_by_test_id("watch-speed").get_by_text("Fast").tap()
    page.get_by_test_id("watch-final").wait_for(timeout=120_000)
    final_text = page.get_by_test_id("watch-final").inner_text()
    assert "Final score" in final_text and "max tile" in final_text
    shot(phone, "5-watch-final", dark=True)
    page.set_viewport_size({"width": 1100, "height": 800})  # as wide as a JupyterLab cell
    shot(phone, "7-watch-wide")


def test_a_missing_checkpoint_is_said_in_one_line(phone: Phone, app: tuple[str, Path]) -> None:
    page = phone.open().page
    with Store.in_workspace(app[1]) as store:
        runs = [r for r in store.list_runs() if store.latest_checkpoint(r.id)]
        assert runs, "the first test trains a run"
        run = runs[0]
        for ckpt in (app[1] / "checkpoints" / run.id).glob("*.pt"):
            ckpt.unlink()
    assert phone.state("s.doc.design_id") == run.design_id  # the last design saved opens
    open_run(phone, run.id)
    page.get_by_test_id("btn-watch").tap()
    error = page.get_by_test_id("watch-error")
    error.wait_for(timeout=60_000)
    assert "missing" in error.inner_text() and "\n" not in error.inner_text().strip()
    shot(phone, "6-watch-missing")
    page.get_by_test_id("watch-sheet").get_by_label("Close").tap()
    page.get_by_test_id("btn-evaluate").tap()
    page.get_by_test_id("btn-eval-start").tap()
    page.get_by_test_id("eval-error").wait_for(timeout=60_000)
    assert "missing" in page.get_by_test_id("eval-error").inner_text()
