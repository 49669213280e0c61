"""The studio session behind the app's buttons: compile, train, stop, export, attach."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from waiting import wait_for

import modelstudio_widget as ms
from modelstudio_widget.studio import ActionError, StudioSession, status_after_snapshot
from modelstudio_widget.training.ppo import PPOConfig

FAST = PPOConfig(num_envs=32, num_steps=16, minibatch_size=128, update_epochs=1)



@pytest.fixture
def session(workspace: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MODELSTUDIO_TRAIN_CONFIG", json.dumps(FAST.to_dict()))
    snaps: list[dict] = []
    store = ms.Store.in_workspace(workspace)
    s = StudioSession(workspace, store, snaps.append, checkpoint_every_s=3600)
    s.snaps = snaps  # type: ignore[attr-defined]
    yield s
    s.close()


def saved(session: StudioSession, name: str = "tiny") -> tuple[dict, str]:
    record = session.store.create_design(ms.templates()[name])
    return record.design, record.id


def events(session: StudioSession, kind: str) -> list:
    return session.store.events(kind)


def test_compile_writes_the_module_and_records_telemetry(session: StudioSession) -> None:
    design, design_id = saved(session, "moe")
    info = session.compile(design, design_id, "req-1")
    assert Path(info["path"]).is_file() and info["params"] == ms.validate(design).params
    assert info["time_ms"] >= 0 and info["file"].endswith(".py")
    (event,) = events(session, "compile_success")
    assert event.request_id == "req-1" and event.design_id == design_id
    assert event.data["paramCount"] == info["paramCount"]

    bad = {**design, "components": design["components"][1:],  # no board input
           "edges": [e for e in design["edges"] if "board" not in e]}
    with pytest.raises(ActionError) as err:
        session.compile(bad, design_id, "req-2")
    assert err.value.code == "INVALID_DESIGN" and "Board input" in err.value.message
    (failed,) = events(session, "compile_failed")
    assert failed.request_id == "req-2"
    assert [e["code"] for e in failed.data["errors"]] == ["MISSING_INPUT"]


def test_train_publishes_snapshots_and_stop_records_it(session: StudioSession) -> None:
    design, design_id = saved(session)
    run_id = session.train(design, design_id, "req-t")["run_id"]
    with pytest.raises(ActionError, match="already running"):
        session.train(design, design_id, "req-again")
    wait_for(lambda: any(s["update"] >= 2 for s in session.snaps))
    assert session.stop(design_id, "req-s") == {"run_id": run_id, "requested": False}
    assert session.snaps[-1]["state"] == "idle"
    assert events(session, "train_started")[0].request_id == "req-t"
    stopped = events(session, "train_stopped")[0]
    assert stopped.request_id == "req-s" and stopped.data["run_id"] == run_id
    with pytest.raises(ActionError) as err:
        session.stop(design_id, "req-s2")
    assert err.value.code == "NOT_TRAINING"


def test_export_sends_fresh_weights_before_training_and_trained_after(
        session: StudioSession) -> None:
    design, design_id = saved(session)
    fresh = session.export("onnx", design, design_id, "req-e1")
    assert fresh.filename.endswith(".onnx") and "fresh" in fresh.filename
    assert fresh.path.read_bytes() == fresh.data
    sess = ort.InferenceSession(fresh.data, providers=["CPUExecutionProvider"])
    out = sess.run(["value"], {"board": np.zeros((2, 16), np.int64),
                               "action_mask": np.ones((2, 4), bool)})
    assert out[0].shape == (2,)

    session.train(design, design_id, "req-t")
    wait_for(lambda: any(s["update"] >= 1 for s in session.snaps))
    session.stop(design_id, "req-s")
    trained = session.export("pt", design, design_id, "req-e2")
    assert "fresh" not in trained.filename
    blob = torch.load(io.BytesIO(trained.data), weights_only=True)
    assert blob["run_id"] == session.snaps[-1]["run_id"]
    kinds = [(e.kind, e.request_id) for e in session.store.events()]
    assert ("export", "req-e1") in kinds and ("export", "req-e2") in kinds

    with pytest.raises(ActionError):
        session.export("zip", design, design_id, "req-e3")


def test_export_by_run_id_takes_that_runs_checkpoint(session: StudioSession) -> None:
    design, design_id = saved(session)
    run_id = session.train(design, design_id, "req-t")["run_id"]
    wait_for(lambda: any(s["update"] >= 1 for s in session.snaps))
    session.stop(design_id, "req-s")
    newer = session.train(design, design_id, "req-t2")["run_id"]  # the design's latest
    wait_for(lambda: any(s["run_id"] == newer and s["update"] >= 1 for s in session.snaps))
    session.stop(design_id, "req-s2")
    blob = torch.load(io.BytesIO(session.export("pt", run_id, request_id="req-e").data),
                      weights_only=True)
    assert blob["run_id"] == run_id
    assert blob["step"] == session.store.latest_checkpoint(run_id).step
    bare = session.store.create_run(design_id, design=design, config={})
    for source, code in ((bare, "NO_CHECKPOINT"), ("r-000000000000", "NOT_FOUND")):
        with pytest.raises(ActionError) as err:
            session.export("onnx", source)
        assert err.value.code == code


def test_a_reloaded_page_attaches_to_the_run_and_can_stop_it(
        session: StudioSession, workspace: Path) -> None:
    design, design_id = saved(session)
    run_id = session.train(design, design_id, "req-t")["run_id"]
    wait_for(lambda: any(s["update"] >= 1 for s in session.snaps))
    # The reloaded page: another kernel with its own store connection.
    seen: list[dict] = []
    other = StudioSession(workspace, ms.Store.in_workspace(workspace), seen.append)
    try:
        assert other.attach(design_id) == run_id and other.training
        with pytest.raises(ActionError, match="another window"):
            other.train(design, design_id, "req-t2")
        wait_for(lambda: any(s.get("attached") and s["update"] >= 2 for s in seen))
        assert seen[-1]["run_id"] == run_id and seen[-1]["score_curve"] is not None
        other.heartbeat()
        assert other.stop(design_id, "req-stop")["requested"] is True
        wait_for(lambda: seen and seen[-1]["state"] == "idle")
        # The closing snapshot is complete, not just a state (a page renders it as is).
        assert seen[-1]["update"] >= 2 and seen[-1]["global_step"] > 0
        assert session.store.get_run(run_id).status == "stopped"
        assert not other.training
    finally:
        other.close()


@pytest.mark.parametrize(("state", "message", "snap", "moved"), [
    pytest.param("training", "Training", {"state": "idle", "update": 3},
                 ("idle", "Stopped after 3 updates"), id="run-ended"),
    pytest.param("stopping", "Stopping", {"state": "idle", "error": "watchdog: no page"},
                 ("idle", "watchdog: no page"), id="run-ended-with-a-reason"),
    pytest.param("idle", "", {"state": "training"}, ("training", "Training"),
                 id="run-started-elsewhere"),
    pytest.param("training", "Training", {"state": "training", "error": "checkpoint failed"},
                 ("training", "checkpoint failed"), id="message-changed"),
    pytest.param("training", "Training", {"state": "training"}, None, id="no-news"),
    pytest.param("idle", "Compiled", {"state": "idle"}, None, id="idle-stays"),
    pytest.param("exporting", "Exporting .pt", {"state": "training"}, None,
                 id="another-action-keeps-its-line"),
])
def test_a_snapshot_moves_the_status_line_only_when_it_has_news(
        state: str, message: str, snap: dict, moved: tuple[str, str] | None) -> None:
    assert status_after_snapshot({"state": state, "message": message}, snap) == moved
