"""The runs sheet on a phone against ``modelstudio serve``: a run trained on the page and one
trained from Python (another seed) are listed newest first with their numbers; one opens
to its curve; it is exported (.onnx download), resumed, and deleted (Cancel first). And a
design with 100 runs opens and scrolls its list while rendering only the rows in view."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Phone, phone_on, studio_fixture  # type: ignore[import-not-found]
from waiting import wait_for  # type: ignore[import-not-found]

import modelstudio_widget as ms
from modelstudio_widget.store import Store
from modelstudio_widget.training.runs import RunQueries

pytestmark = pytest.mark.e2e

SMALL = {"num_envs": 16, "num_steps": 16, "minibatch_size": 64, "update_epochs": 1}
SHOTS = Path("/work/wt/shots")


app = studio_fixture("ms-runs-", SMALL)


@pytest.fixture
def phone(browser: Any, app: tuple[str, Path]) -> Iterator[Phone]:
    with phone_on(browser, app[0], accept_downloads=True, color_scheme="dark") as p:
        yield p


def shot(phone: Phone, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    time.sleep(0.4)  # the sheet's slide-up animation
    phone.page.screenshot(path=str(SHOTS / f"runs-{name}.png"))


def wait_state(phone: Phone, state: str, timeout: float = 60.0) -> None:
    phone.page.wait_for_function(
        f"() => document.querySelector('[data-testid=status]')?.dataset.state === {state!r}",
        timeout=timeout * 1000)


def row_ids(phone: Phone) -> list[str]:
    return phone.page.eval_on_selector_all(
        "[data-testid=runs-list] [data-testid^=run-r-]",
        "rows => rows.sort((a, b) => a.offsetTop - b.offsetTop).map(r => r.dataset.testid.slice(4))")


def open_runs(phone: Phone) -> None:
    phone.page.get_by_test_id("btn-runs").tap()
    phone.page.get_by_test_id("runs-list").wait_for()


def test_runs_listed_opened_exported_resumed_and_deleted(phone: Phone, app: tuple[str, Path],
                                                         tmp_path: Path) -> None:
    from playwright.sync_api import expect

    _, ws = app
    page = phone.open().page
    design_id = phone.state("s.doc.design_id")

    # A run on the page (seed 0), stopped once some games have ended...
    page.get_by_test_id("btn-train").tap()
    wait_state(phone, "training")
    store = Store.in_workspace(ws)
    (stopped,) = store.list_runs(design_id)
    # Stopped once its curve has points in the store (metric rows are recorded 1/s).
    wait_for(lambda: len(RunQueries(store).curve(stopped.id)) >= 2, 120)
    page.get_by_test_id("btn-stop").tap()
    wait_state(phone, "idle")
    # ... and one from Python with another seed: newer, so listed first.
    design = store.get_design(design_id).design
    # A few seconds, so its curve has scored rows at least a second apart (a fast machine
    # plays a step budget inside one second: one row, no sparkline).
    trained = ms.train(design, seconds=3, seed=7, design_id=design_id, workspace=ws,
                       config=ms.PPOConfig.from_dict(SMALL), progress=False)

    open_runs(phone)
    expect(page.get_by_test_id("runs-list")).to_have_attribute("data-count", "2")
    assert row_ids(phone) == [trained.run_id, stopped.id]
    newest = page.get_by_test_id(f"run-{trained.run_id}")
    assert newest.get_attribute("data-status") == "finished"
    assert newest.get_by_test_id("run-mean").inner_text() not in ("", "–")
    assert page.get_by_test_id(f"run-{stopped.id}").get_attribute("data-status") == "stopped"
    assert newest.locator("[data-testid=score-sparkline] polyline").count() == 1
    expect(page.get_by_test_id("btn-compare")).to_be_disabled()
    page.get_by_test_id(f"select-{trained.run_id}").tap()
    page.get_by_test_id(f"select-{stopped.id}").tap()
    expect(page.get_by_test_id("btn-compare")).to_be_enabled()
    assert phone.state("s.selectedRuns") == [trained.run_id, stopped.id]
    for box in (phone.box(f"select-{stopped.id}"), phone.box("btn-compare"),
                phone.box("btn-runs")):
        assert box["height"] >= 44 and box["width"] >= 44, box
    shot(phone, "sheet")

    # Open the stopped run: its curve and numbers, and Resume offered.
    page.get_by_test_id(f"run-{stopped.id}").tap()
    page.get_by_test_id("run-sheet").wait_for()
    page.wait_for_function(
        "() => +document.querySelector('[data-testid=run-sheet] [data-testid=score-chart]')"
        "?.dataset.points > 0", timeout=15_000)
    assert page.get_by_test_id("run-stat-moves").inner_text().split()[-1] != "–"
    expect(page.get_by_test_id("btn-resume")).to_be_visible()
    shot(phone, "run")

    # Export this run: a real .onnx download.
    with page.expect_download(timeout=120_000) as info:
        page.get_by_test_id("btn-export-run-onnx").tap()
    download = info.value
    assert download.suggested_filename.endswith(".onnx") and stopped.id in \
        download.suggested_filename
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.stat().st_size > 1000

    # Resume: training again from its checkpoint, the status line says so; stop it again.
    moves = store.get_run(stopped.id).summary["global_step"]
    page.get_by_test_id("btn-resume").tap()
    wait_state(phone, "training")
    assert phone.state("s.metrics.run_id") == stopped.id
    page.wait_for_function(
        f"() => document.querySelector('.ms-root').__studio.store.getState()"
        f".metrics?.global_step > {moves}", timeout=60_000)
    page.get_by_test_id("btn-stop").tap()
    wait_state(phone, "idle")
    assert store.get_run(stopped.id).status == "stopped"

    # Delete it: Cancel first keeps it, then Delete removes it and its checkpoints.
    open_runs(phone)
    page.get_by_test_id(f"run-{stopped.id}").tap()
    page.get_by_test_id("btn-delete-run").tap()
    page.get_by_test_id("confirm-delete-run").wait_for()
    shot(phone, "confirm-delete")
    page.get_by_test_id("confirm-delete-run-cancel").tap()
    expect(page.get_by_test_id("confirm-delete-run")).to_have_count(0)
    expect(page.get_by_test_id("run-sheet")).to_be_visible()
    assert store.get_run(stopped.id).status == "stopped"
    page.get_by_test_id("btn-delete-run").tap()
    page.get_by_test_id("confirm-delete-run-confirm").tap()
    page.get_by_test_id("runs-sheet").wait_for()
    expect(page.get_by_test_id("runs-list")).to_have_attribute("data-count", "1")
    assert row_ids(phone) == [trained.run_id]
    assert not (ws / "checkpoints" / stopped.id).exists()
    assert phone.state("s.selectedRuns") == [trained.run_id]


def test_a_hundred_runs_open_and_scroll_smoothly(phone: Phone, app: tuple[str, Path]) -> None:
    _, ws = app
    store = Store.in_workspace(ws)
    design = store.create_design(ms.templates()["tiny"], name="Hundred runs")
    for i in range(100):
        run_id = store.create_run(design.id, design=design.design, config={"seed": i})
        for step in range(1, 21):
            store.add_metrics(run_id, step * 1000, {"mean_score": float(step * (i + 1)),
                                                    "global_step": step * 1000,
                                                    "elapsed_s": float(step)})
        store.update_run(run_id, status="stopped", summary={
            "global_step": 20_000, "mean_score": 20.0 * (i + 1), "best_score": 512,
            "max_tile_rates": {"512": 0.5}, "elapsed_s": 20.0})
    page = phone.open().page  # a new kernel opens the most recently saved design
    assert phone.state("s.doc.design_id") == design.id

    start = time.perf_counter()
    open_runs(phone)
    page.wait_for_selector("[data-testid=runs-list][data-count='100']")
    opened = time.perf_counter() - start
    rendered = int(page.get_by_test_id("runs-list").get_attribute("data-rendered"))
    assert rendered <= 24, rendered  # the rows in view, not all 100
    assert page.locator("[data-testid=runs-list] [data-testid^=run-r-]").count() == rendered
    # Scroll to the end in frames, as a fling would: each frame stays short.
    frames = page.evaluate("""async () => {
        const list = document.querySelector('[data-testid=runs-list]');
        const times = [];
        for (let i = 1; i <= 40; i++) {
            const t = performance.now();
            list.scrollTop = (list.scrollHeight - list.clientHeight) * i / 40;
            await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
            times.push(performance.now() - t);
        }
        return times;
    }""")
    page.wait_for_function("() => [...document.querySelectorAll("
                           "'[data-testid=runs-list] [data-testid^=run-r-]')].length > 0")
    oldest = store.list_runs(design.id)[-1].id
    page.get_by_test_id(f"run-{oldest}").wait_for()
    frames.sort()
    median, worst = frames[len(frames) // 2], frames[-1]
    print(f"100 runs: opened in {opened:.2f} s, scroll frame median {median:.1f} ms, "
          f"worst {worst:.1f} ms, {rendered} rows rendered")
    assert opened < 5.0 and median < 50, (opened, frames)
    shot(phone, "hundred")
