"""The widget's app actions (compile, train, stop, export, resync) driven as the page
drives them, through the kernel side with the dummy comm."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest
from waiting import wait_for

from modelstudio_widget.store import Store
from modelstudio_widget.training.ppo import PPOConfig
from modelstudio_widget.widget import ModelStudio

FAST = PPOConfig(num_envs=32, num_steps=16, minibatch_size=128, update_epochs=1)


class Page:
    def __init__(self, widget: ModelStudio) -> None:
        self.w = widget
        self.messages: list[tuple[dict[str, Any], list[bytes] | None]] = []
        widget.send = lambda content, buffers=None: self.messages.append(  # type: ignore
            (content, buffers))
        self.n = 0

    def command(self, name: str, /, **args: Any) -> dict[str, Any]:
        self.n += 1
        rid = f"req-{self.n}"
        self.w.handle_message({"kind": "command", "id": rid, "name": name, "args": args})
        replies = [m for m, _ in self.messages if m.get("kind") == "reply" and m["id"] == rid]
        assert len(replies) == 1
        return replies[0]



@pytest.fixture
def page(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELSTUDIO_TRAIN_CONFIG", json.dumps(FAST.to_dict()))
    w = ModelStudio(workspace=tmp_path / "ws")
    yield Page(w)
    w.close()


def test_compile_shows_the_exact_parameter_count(page: Page) -> None:
    reply = page.command("compile")
    assert reply["ok"], reply
    assert reply["result"]["params"] == page.w.validation["params"]
    assert page.w.compile_result["request_id"] == reply["id"]
    assert page.w.status["state"] == "idle" and "parameters" in page.w.status["message"]
    events = Store.in_workspace(page.w.workspace).events("compile_success")
    assert events[0].request_id == reply["id"]


def test_compile_of_an_invalid_design_is_an_error_reply_and_status(page: Page) -> None:
    bad = dict(page.w.current_design, components=[])
    page.w.set_state({"design": bad, "design_seq": page.w.design_seq + 1})
    reply = page.command("compile")
    assert not reply["ok"] and reply["error"]["code"] == "INVALID_DESIGN"
    assert page.w.status["error"]["code"] == "INVALID_DESIGN"


def test_train_streams_metrics_then_stop(page: Page) -> None:
    reply = page.command("train")
    assert reply["ok"] and reply["result"]["run_id"]
    assert page.w.status["state"] == "training"
    wait_for(lambda: page.w.metrics.get("update", 0) >= 2)
    assert page.w.metrics["run_id"] == reply["result"]["run_id"]
    busy = page.command("train")
    assert not busy["ok"] and busy["error"]["code"] == "BUSY"
    page.command("heartbeat")
    stop = page.command("stop")
    assert stop["ok"] and page.w.status["state"] == "idle"
    assert page.w.metrics["state"] == "idle"
    kinds = {e.kind for e in Store.in_workspace(page.w.workspace).events()}
    assert {"design_created", "train_started", "train_stopped"} <= kinds


def test_a_checkpoint_that_fails_is_shown_and_training_goes_on(page: Page) -> None:
    (page.w.workspace / "checkpoints").write_text("a file where the folder belongs")
    page.w.session.checkpoint_every_s = 0.0  # try after every update
    assert page.command("train")["ok"]
    wait_for(lambda: page.w.status["message"].startswith("checkpoint failed"), 60)
    assert page.w.status["state"] == "training"
    assert "checkpoints" in page.w.metrics["error"]
    update = page.w.metrics["update"]
    wait_for(lambda: page.w.metrics["update"] >= update + 2)  # the run lives on
    stop = page.command("stop")
    assert stop["ok"] and page.w.status["state"] == "idle"
    runs = Store.in_workspace(page.w.workspace).list_runs()
    assert runs[0].status == "stopped"


@pytest.mark.parametrize("fmt", ["onnx", "pt"])
def test_export_sends_a_download_with_the_file_bytes(page: Page, fmt: str) -> None:
    reply = page.command("export", format=fmt)
    assert reply["ok"], reply
    (download, buffers), = [(m, b) for m, b in page.messages if m.get("kind") == "download"]
    assert download["id"] == reply["id"] and download["filename"].endswith("." + fmt)
    assert len(buffers) == 1 and len(buffers[0]) == download["size"] > 1000
    with open(reply["result"]["path"], "rb") as f:
        assert f.read() == buffers[0]  # the workspace keeps a copy
    if fmt == "onnx":
        sess = ort.InferenceSession(buffers[0], providers=["CPUExecutionProvider"])
        (logits,) = sess.run(["logits"], {"board": np.zeros((1, 16), np.int64),
                                          "action_mask": np.ones((1, 4), bool)})
        assert logits.shape == (1, 4)


@pytest.mark.parametrize("args", [{"format": "zip"}, {"format": 3}, {}, {"format": "onnx",
                                                                           "x": 1}])
def test_bad_export_arguments_are_refused(page: Page, args: dict) -> None:
    reply = page.command("export", **args)
    assert not reply["ok"] and reply["error"]["code"]
    assert not [m for m, _ in page.messages if m.get("kind") == "download"]


def test_stop_with_nothing_training_says_so(page: Page) -> None:
    reply = page.command("stop")
    assert not reply["ok"] and reply["error"]["code"] == "NOT_TRAINING"


def test_watchdog_stops_training_when_the_page_goes_quiet(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MODELSTUDIO_TRAIN_CONFIG", json.dumps(FAST.to_dict()))
    w = ModelStudio(workspace=tmp_path / "ws", watchdog_timeout_s=0.5)
    page = Page(w)
    try:
        assert page.command("train")["ok"]
        wait_for(lambda: w.status["state"] == "idle", 60)
        assert "watchdog" in w.status["message"]
        run = Store.in_workspace(w.workspace).list_runs()[0]
        assert run.status == "stopped"
    finally:
        w.close()


def test_a_reloaded_page_follows_and_stops_a_run_of_another_kernel(tmp_path, monkeypatch
                                                                    ) -> None:
    monkeypatch.setenv("MODELSTUDIO_TRAIN_CONFIG", json.dumps(FAST.to_dict()))
    first = Page(ModelStudio(workspace=tmp_path / "ws"))
    second = None
    try:
        run_id = first.command("train")["result"]["run_id"]
        wait_for(lambda: first.w.metrics.get("update", 0) >= 1)
        second = Page(ModelStudio(workspace=tmp_path / "ws"))  # same design, new kernel
        assert second.w.status["state"] == "training"
        wait_for(lambda: second.w.metrics.get("attached") and second.w.metrics["update"] >= 2)
        assert second.w.metrics["run_id"] == run_id
        assert second.command("stop")["ok"]
        wait_for(lambda: first.w.status["state"] == "idle")
        wait_for(lambda: second.w.status["state"] == "idle")
    finally:
        first.w.close()
        if second is not None:
            second.w.close()


def test_resync_resends_state(page: Page) -> None:
    reply = page.command("resync")
    assert reply["ok"] and reply["result"]["state"] == "idle"
