"""Comparing runs: curves from the recorded metrics, final numbers, what differs (design and
settings), the errors a selection can meet, the ``compare_runs`` command and ``ms.compare``.

Runs are written to the store as the training manager writes them (a metrics row per
second with ``global_step``, ``mean_score`` and ``elapsed_s``; a summary when a run ends),
so these tests need no training."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import modelstudio_widget as ms
from modelstudio_widget.store import Store
from modelstudio_widget.training.compare import (
    COMPARE_CURVE_POINTS,
    CompareError,
    compare_runs,
    settings_diff,
)
from modelstudio_widget.widget import ModelStudio

CONFIG = {"seed": 0, "learning_rate": 0.001, "num_envs": 256, "budget": {"seconds": 30}}


@pytest.fixture
def store(workspace):
    with Store.in_workspace(workspace) as s:
        yield s


def add_run(store: Store, design: dict[str, Any], config: dict[str, Any],
            rows: list[tuple[int, float | None, float]], *, design_id: str | None = None,
            summary: dict[str, Any] | None = None, status: str = "finished") -> str:
    run_id = store.create_run(design_id, design=design, config=config)
    for step, score, elapsed in rows:
        store.add_metrics(run_id, step, {"global_step": step, "mean_score": score,
                                         "elapsed_s": elapsed})
    store.update_run(run_id, status=status, summary=summary)
    return run_id


def edited_design() -> dict[str, Any]:
    """The tiny template with one prop changed, one block added and one moved."""
    design = ms.templates()["tiny"]
    first = next(c for c in design["components"] if c.get("props"))
    prop, value = next(iter(first["props"].items()))
    first["props"][prop] = value * 2 if type(value) is int else value
    design["components"][0]["position"] = {"x": 999, "y": 999}
    design["components"].append({"id": "extra", "type": "embedding", "props": {},
                                 "position": {"x": 0, "y": 0}})
    return design


def curves(store: Store, *run_ids: str) -> list[list[list[float]]]:
    return [r.curve for r in compare_runs(store, run_ids).runs]


def test_curves_follow_the_recorded_metrics_and_keep_counting_time_across_a_resume(store):
    rows = [(0, None, 0.5), (1000, 800.0, 1.0), (2000, 950.0, 2.0),
            # resumed: the manager's clock starts again at 0
            (3000, 1000.0, 0.4), (4000, 1100.0, 1.4)]
    run_id = add_run(store, ms.default_design(), CONFIG, rows)
    other = add_run(store, ms.default_design(), CONFIG, [(500, 10.0, 0.5)])
    assert curves(store, run_id, other) == [
        [[1000, 800.0, 1.0], [2000, 950.0, 2.0], [3000, 1000.0, 2.4], [4000, 1100.0, 3.4]],
        [[500, 10.0, 0.5]]]


def test_a_long_curve_is_thinned_to_the_limit_keeping_its_span_and_last_point(store):
    rows = [(i * 100, float(i), float(i)) for i in range(1, 1001)]
    run_id = add_run(store, ms.default_design(), CONFIG, rows)
    other = add_run(store, ms.default_design(), CONFIG, rows[:10])
    long, short = curves(store, run_id, other)
    assert len(long) == COMPARE_CURVE_POINTS and len(short) == 10
    assert long[0][0] < 500 and long[-1] == [100000, 1000.0, 1000.0]
    assert [p[0] for p in long] == sorted(p[0] for p in long)


def test_comparison_has_runs_in_order_with_final_numbers_and_differences(store):
    design = store.create_design(ms.templates()["tiny"], name="Baseline")
    other = store.create_design(edited_design(), name="Wider")
    summary = {"global_step": 8192, "mean_score": 1234.5, "best_score": 4096,
               "elapsed_s": 31.0, "max_tile_rates": {"256": 0.5, "512": 0.25, "1024": 0.0}}
    a = add_run(store, design.design, CONFIG, [(4096, 900.0, 15.0), (8192, 1200.0, 30.0)],
                design_id=design.id, summary=summary)
    b = add_run(store, design.design, {**CONFIG, "seed": 1, "budget": {"seconds": 60}},
                [(4096, 700.0, 16.0)], design_id=design.id, status="interrupted")
    c = add_run(store, other.design, {**CONFIG, "learning_rate": 0.0003},
                [(2048, 500.0, 9.0)], design_id=other.id)

    result = compare_runs(store, [a, b, c]).to_dict()

    assert [r["id"] for r in result["runs"]] == [a, b, c]
    first, second, third = result["runs"]
    assert first["design_name"] == "Baseline" and third["design_name"] == "Wider"
    assert first["label"] != second["label"]
    assert first["metrics"] == {"moves": 8192, "duration_s": 31.0, "mean_score": 1234.5,
                                "best_score": 4096, "evaluation": None,
                                "tile_rates": {"512": 0.25, "1024": 0.0, "2048": 0.0}}
    # no summary (the run was interrupted): the numbers its curve ends on
    assert second["metrics"]["moves"] == 4096 and second["metrics"]["mean_score"] == 700.0
    assert second["status"] == "interrupted"
    assert [len(r["curve"]) for r in result["runs"]] == [2, 1, 1]

    to_b, to_c = result["differences"]
    assert (to_b["run_id"], to_b["base_run_id"]) == (b, a)
    assert to_b["settings"] == {"budget.seconds": [30, 60], "seed": [0, 1]}
    assert not to_b["design"]["added"] and not to_b["design"]["changed"]
    assert to_c["settings"] == {"learning_rate": [0.001, 0.0003]}
    assert to_c["design"]["added"] == ["extra"]
    changed = to_c["design"]["changed"]
    assert any(ch["props"] for ch in changed.values())
    assert any(ch["moved"] for ch in changed.values())


def test_settings_only_one_side_has_show_as_none():
    assert settings_diff({"seed": 0}, {"seed": 0, "budget": {"steps": 100}}) == {
        "budget.steps": [None, 100]}
    assert settings_diff(CONFIG, copy.deepcopy(CONFIG)) == {}


@pytest.mark.parametrize("count", [0, 1, 7])
def test_compare_takes_two_to_six_runs(store, count):
    ids = [add_run(store, ms.default_design(), CONFIG, []) for _ in range(count)]
    with pytest.raises(CompareError, match="2 to 6") as err:
        compare_runs(store, ids)
    assert err.value.code == "BAD_SELECTION"


def test_a_run_named_twice_or_gone_is_named_in_the_error(store):
    a = add_run(store, ms.default_design(), CONFIG, [])
    with pytest.raises(CompareError, match=f"{a} is selected twice"):
        compare_runs(store, [a, a])
    with pytest.raises(CompareError, match="r-000000000000 is no longer in the store") as err:
        compare_runs(store, [a, "r-000000000000"])
    assert err.value.code == "RUN_NOT_FOUND"


class Page:
    def __init__(self, widget: ModelStudio) -> None:
        self.w = widget
        self.replies: list[dict[str, Any]] = []
        widget.send = lambda content, buffers=None: self.replies.append(content)  # type: ignore[method-assign]

    def command(self, name: str, **args: Any) -> dict[str, Any]:
        self.w.handle_message({"kind": "command", "id": f"q{len(self.replies)}", "name": name,
                               "args": args})
        return self.replies[-1]


def test_the_compare_runs_command_answers_the_comparison_or_a_clear_error(workspace):
    page = Page(ModelStudio(workspace=workspace))
    store = page.w.store
    a = add_run(store, page.w.current_design, CONFIG, [(100, 10.0, 1.0)])
    b = add_run(store, page.w.current_design, {**CONFIG, "seed": 3}, [(100, 20.0, 1.0)])

    reply = page.command("compare_runs", run_ids=[a, b])
    assert reply["ok"], reply
    assert [r["id"] for r in reply["result"]["runs"]] == [a, b]
    assert reply["result"]["differences"][0]["settings"] == {"seed": [0, 3]}

    gone = page.command("compare_runs", run_ids=[a, "r-0123456789ab"])
    assert not gone["ok"] and gone["error"]["code"] == "RUN_NOT_FOUND"
    assert "r-0123456789ab" in gone["error"]["message"]
    for bad in ([a], [a, 5], [a, "../x"], [a] * 50, "r-1"):
        refused = page.command("compare_runs", run_ids=bad)
        assert not refused["ok"] and refused["error"]["code"] in ("BAD_ARGS", "BAD_SELECTION")
    page.w.close()


def test_ms_compare_draws_one_line_per_run_on_moves_or_minutes(store, workspace):
    ids = [add_run(store, ms.default_design(), {**CONFIG, "seed": s},
                   [(1000, 100.0 * s, 60.0), (2000, 150.0 * s, 120.0)]) for s in (1, 2, 3)]
    fig = ms.compare(ids, workspace=workspace)
    ax = fig.axes[0]
    assert len(ax.lines) == 3
    assert list(ax.lines[1].get_xdata()) == [1000.0, 2000.0]
    assert list(ax.lines[1].get_ydata()) == [200.0, 300.0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        r.label for r in fig.comparison.runs]
    minutes = ms.compare(ids[:2], x="minutes", workspace=workspace).axes[0]
    assert len(minutes.lines) == 2 and list(minutes.lines[0].get_xdata()) == [1.0, 2.0]
    stored = ms.runs(workspace=workspace)  # newest first
    assert len(ms.compare(stored[:2]).axes[0].lines) == 2  # their workspace
    with pytest.raises(ValueError, match="moves, minutes"):
        ms.compare(ids, x="hours", workspace=workspace)
