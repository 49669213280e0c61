"""The Sweep sheet's commands: a request is checked before anything runs; a real sweep (a
local Ray instance, the tiny template, two trials of a few seconds) runs in the kernel's
background, pushes a progress row per trial, and records its trials as tagged runs that
the runs sheet lists; Stop ends it cleanly with the kernel still answering."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

from test_evaluation import Page  # noqa: E402
from waiting import wait_for  # noqa: E402

import modelstudio_widget as ms  # noqa: E402
from modelstudio_widget.sweeps.job import RUNNER  # noqa: E402
from modelstudio_widget.sweeps.request import (  # noqa: E402
    MAX_TRIALS,
    SweepRequestError,
    check_request,
)
from modelstudio_widget.training.settings import TRAIN_CONFIG_ENV  # noqa: E402
from modelstudio_widget.widget import ModelStudio  # noqa: E402

HIDDEN = {"block_id": "policy", "prop": "hidden", "values": [32, 64]}


def tiny() -> dict[str, Any]:
    return ms.templates()["tiny"]


@pytest.fixture
def page(workspace: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(TRAIN_CONFIG_ENV, '{"num_envs": 64, "num_steps": 32}')
    w = ModelStudio(design=tiny(), workspace=workspace)
    yield Page(w)
    RUNNER.stop()
    job = RUNNER.job
    if job is not None and job.thread is not None:
        job.thread.join(120)
    w.close()


# --------------------------------------------------------------- checks, no Ray started
def test_a_request_is_a_grid_of_the_designs_props_and_settings() -> None:
    request = check_request(tiny(), [HIDDEN, {"setting": "learning_rate",
                                              "values": [1e-3, 3e-3]}], 5)
    assert request.labels == ("policy.hidden", "learning_rate")
    assert request.space == {("policy", "hidden"): [32, 64], "learning_rate": [1e-3, 3e-3]}
    assert request.points == [
        {"policy.hidden": 32, "learning_rate": 1e-3}, {"policy.hidden": 32, "learning_rate": 3e-3},
        {"policy.hidden": 64, "learning_rate": 1e-3}, {"policy.hidden": 64, "learning_rate": 3e-3}]
    assert request.seconds == 5.0


@pytest.mark.parametrize("axes, seconds, message", [
    ([], 5, "varies 1 or 2"),
    ([HIDDEN] * 3, 5, "varies 1 or 2"),
    ([{"block_id": "nope", "prop": "hidden", "values": [32, 64]}], 5, "no block 'nope'"),
    ([{"block_id": "policy", "prop": "colour", "values": [1, 2]}], 5, "no prop 'colour'"),
    ([{"block_id": "policy", "prop": "hidden", "values": [32, 5000]}], 5, "between 0 and 1024"),
    ([{"block_id": "embed", "prop": "d_model", "values": [32, 30]}], 5, "multiple of 8"),
    ([{"block_id": "policy", "prop": "hidden", "values": [32, "64"]}], 5, "whole number"),
    ([{"block_id": "policy", "prop": "hidden", "values": [32, 32]}], 5, "32 twice"),
    ([{"block_id": "policy", "prop": "hidden", "values": [32]}], 5, "1 trial;"),
    ([{"block_id": "policy", "prop": "hidden", "values": [8, 16, 32, 64, 128]}], 5, "1 to 4"),
    ([{"block_id": "policy", "prop": "hidden", "values": [8, 16, 32]},
      {"block_id": "embed", "prop": "d_model", "values": [8, 16, 32]}], 5, f"to {MAX_TRIALS}"),
    ([HIDDEN, HIDDEN], 5, "varied twice"),
    ([{"setting": "seconds", "values": [5, 10]}], 5, "not a training setting"),
    ([{"setting": "learning_rat", "values": [1e-3, 2e-3]}], 5, "not a training setting"),
    ([{"setting": "learning_rate", "values": [1e-3, 1.0]}], 5, "between 1e-06 and 0.1"),
    ([{"setting": "learning_rate", "block_id": "policy", "values": [1e-3, 2e-3]}], 5,
     "not both"),
    ([{"block_id": "policy", "prop": "hidden", "values": [32, 64], "x": 1}], 5, "Each axis"),
    ([HIDDEN], 0.5, "Seconds per trial"),
    ([HIDDEN], 7200, "Seconds per trial"),
])
def test_a_bad_request_is_one_clear_error(axes: Any, seconds: Any, message: str) -> None:
    with pytest.raises(SweepRequestError, match=message):
        check_request(tiny(), axes, seconds)


@pytest.mark.parametrize("args, code", [
    ({"axes": [HIDDEN], "seconds_per_trial": "5"}, "BAD_ARGS"),
    ({"axes": {"x": 1}, "seconds_per_trial": 5}, "BAD_ARGS"),
    ({"axes": [HIDDEN]}, "BAD_ARGS"),
    ({"axes": [HIDDEN], "seconds_per_trial": 5, "name": "a\x00b"}, "BAD_ARGS"),
    ({"axes": [HIDDEN] * 3, "seconds_per_trial": 5}, "BAD_SWEEP"),
    ({"axes": [{"setting": "gamma", "values": [0.5, 0.99]}], "seconds_per_trial": 5},
     "BAD_SWEEP"),
])
def test_start_sweep_refuses_a_bad_request_and_starts_nothing(page: Page, args: dict,
                                                              code: str) -> None:
    _, reply = page.command("start_sweep", **args)
    assert not reply["ok"] and reply["error"]["code"] == code
    assert RUNNER.job is None or RUNNER.job.status != "running"


def test_without_ray_start_sweep_says_how_to_install_it(page: Page,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    _, reply = page.command("start_sweep", axes=[HIDDEN], seconds_per_trial=3)
    assert reply["error"]["code"] == "NO_RAY"
    assert "pip install 'modelstudio_widget[ray]'" in reply["error"]["message"]


def test_an_invalid_design_is_not_swept(page: Page) -> None:
    bad = tiny()
    bad["edges"] = []
    page.w.design = bad
    page.w.design_seq = 1
    assert not page.w.document.validation["valid"]
    _, reply = page.command("start_sweep", axes=[HIDDEN], seconds_per_trial=3)
    assert reply["error"]["code"] == "INVALID_DESIGN"


def test_stop_and_status_without_a_sweep(page: Page) -> None:
    if RUNNER.job is None:
        assert page.command("sweep_status")[1]["result"] == {"sweep": None}
    assert page.command("stop_sweep")[1]["result"] == {"stopping": False}


# ------------------------------------------------------------------------ real sweeps
def final(page: Page, rid: str, timeout: float = 240) -> dict[str, Any]:
    done = ("finished", "stopped", "failed")
    wait_for(lambda: any(m["state"] in done for m in page.pushed("sweep", rid)), timeout)
    return page.pushed("sweep", rid)[-1]


def test_a_sweep_runs_in_the_background_pushes_progress_and_records_tagged_runs(
        page: Page) -> None:
    rid, reply = page.command("start_sweep", axes=[HIDDEN], seconds_per_trial=3, name="widths")
    assert reply["ok"]
    state = reply["result"]
    assert state["state"] == "running" and state["labels"] == ["policy.hidden"]
    assert [(t["trial"], t["values"], t["status"]) for t in state["trials"]] == [
        (0, {"policy.hidden": 32}, "pending"), (1, {"policy.hidden": 64}, "pending")]
    beat = page.command("heartbeat")[1]  # the widget answers while the sweep runs
    assert beat["ok"] and RUNNER.job.status == "running"
    last = final(page, rid)
    assert last["state"] == "finished" and last["error"] is None, last
    assert [t["status"] for t in last["trials"]] == ["finished", "finished"]
    assert all(t["moves"] > 0 and t["mean_score"] is not None and t["run_id"]
               for t in last["trials"])
    pushed = page.pushed("sweep", rid)
    assert any(t["status"] == "running" and t["moves"] > 0
               for m in pushed for t in m["trials"]), "progress while trials train"
    assert page.command("sweep_status")[1]["result"]["sweep"] == {
        k: v for k, v in last.items() if k not in ("kind", "id")}
    runs = page.command("list_runs")[1]["result"]["runs"]
    tagged = {r["id"]: r for r in runs if r["sweep"]}
    assert set(tagged) == {t["run_id"] for t in last["trials"]}
    for t in last["trials"]:
        run = tagged[t["run_id"]]
        assert run["status"] == "finished" and run["sweep"]["name"] == "widths"
        assert run["sweep"]["id"] == last["sweep_id"] and run["sweep"]["values"] == t["values"]
        assert run["design_id"] == page.w.design_id
        assert run["settings"]["num_envs"] == 64, "trained with the app's settings"


def test_stop_ends_the_sweep_cleanly_and_the_kernel_keeps_answering(page: Page) -> None:
    rid, reply = page.command("start_sweep", axes=[HIDDEN], seconds_per_trial=120)
    assert reply["ok"]
    again = page.command("start_sweep", axes=[HIDDEN], seconds_per_trial=3)[1]
    assert again["error"]["code"] == "BUSY"
    wait_for(lambda: any(t["status"] == "running" and t["moves"] > 0
                         for m in page.pushed("sweep", rid) for t in m["trials"]), 180)
    stopping = time.monotonic()
    assert page.command("stop_sweep")[1]["result"] == {"stopping": True}
    last = final(page, rid, 120)
    assert last["state"] == "stopped" and time.monotonic() - stopping < 60
    statuses = [t["status"] for t in last["trials"]]
    assert "finished" not in statuses and "running" not in statuses, statuses
    runs = page.command("list_runs")[1]["result"]["runs"]
    recorded = [r for r in runs if r["sweep"] and r["sweep"]["id"] == last["sweep_id"]]
    assert {r["id"] for r in recorded} == {t["run_id"] for t in last["trials"] if t["run_id"]}
    assert recorded and all(r["status"] == "stopped" for r in recorded), "nothing half-written"
    assert page.command("heartbeat")[1]["ok"]
