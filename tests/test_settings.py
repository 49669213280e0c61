"""Training settings: the one table (training/settings.py), the kernel's check of record,
the precedence of defaults, and the app's Train refusing bad settings."""

from __future__ import annotations

import json
import math
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

import modelstudio_widget as ms
from modelstudio_widget.design.schema import lint
from modelstudio_widget.store import Store
from modelstudio_widget.studio import ActionError, StudioSession, status_after_snapshot
from modelstudio_widget.training.ppo import PPOConfig
from modelstudio_widget.training.settings import (
    BUDGET,
    BY_NAME,
    SETTINGS,
    TRAIN_CONFIG_ENV,
    SettingsError,
    check_settings,
    ppo_fields,
    run_config,
    server_config,
    training_catalog,
)
from modelstudio_widget.widget import ModelStudio

FAST = {"num_envs": 32, "num_steps": 16, "minibatch_size": 128, "update_epochs": 1}
ANNOTATION_TYPES = {"int": int, "float": float, "enum": str}


@pytest.fixture(autouse=True)
def no_server_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TRAIN_CONFIG_ENV, raising=False)


def rows() -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in training_catalog()["settings"]}


# --- the table ---------------------------------------------------------------------------

def test_every_ppo_row_takes_its_type_default_and_doc_from_ppoconfig() -> None:
    defaults = PPOConfig()
    annotations = {f.name: f.type for f in fields(PPOConfig)}
    for name, row in rows().items():
        if name in BUDGET:
            continue
        assert row["default"] == getattr(defaults, name), name
        assert annotations[name] == ANNOTATION_TYPES[row["type"]].__name__, name
        assert row["doc"] and "\n" not in row["doc"], name


def test_the_source_reader_sees_every_literal_default_of_ppoconfig() -> None:
    read = ppo_fields()
    for f in fields(PPOConfig):
        if f.name in read:
            assert read[f.name].default == f.default, f.name
    assert {"seed", "learning_rate", "num_envs", "num_steps", "gamma", "ent_coef"} <= set(read)


def test_each_number_row_has_bounds_a_step_and_a_default_inside_them() -> None:
    for row in rows().values():
        if row["type"] == "enum":
            assert row["default"] in row["choices"]
            continue
        assert row["min"] < row["max"] and row["step"] > 0, row["name"]
        assert row["scale"] in ("linear", "log")
        if row["default"] is not None:
            assert row["min"] <= row["default"] <= row["max"], row["name"]


def test_the_page_gets_the_table_presets_and_groups_as_plain_json() -> None:
    table = training_catalog()
    assert json.loads(json.dumps(table, allow_nan=False)) == table
    groups = {g["name"] for g in table["groups"]}
    assert {r["group"] for r in table["settings"]} <= groups
    names = {s.name for s in SETTINGS}
    for preset in table["budget_presets"]:
        assert set(preset["values"]) <= names
    assert {"Quick look 30 s", "5 min", "30 min", "Until I stop"} == {
        p["label"] for p in table["budget_presets"]}


def test_the_widget_sends_the_table_in_its_catalog(tmp_path: Path) -> None:
    w = ModelStudio(workspace=tmp_path / "ws")
    try:
        assert w.catalog["training"] == training_catalog()
        assert w.catalog["blocks"] == ms.catalog()["blocks"]
    finally:
        w.close()


# --- the check of record -----------------------------------------------------------------

def test_good_settings_become_the_config_and_the_budget() -> None:
    got = check_settings({"seconds": 15, "learning_rate": 5e-4, "num_envs": 64, "seed": 7,
                          "reward_transform": "raw", "gamma": None})
    assert (got.seconds, got.steps) == (15, None)
    assert (got.config.learning_rate, got.config.num_envs, got.config.seed) == (5e-4, 64, 7)
    assert got.config.reward_transform == "raw"
    assert got.config.gamma == PPOConfig().gamma  # null: the default
    assert check_settings(None).config == PPOConfig() and check_settings({}).budget == {}


def test_a_float_setting_takes_a_whole_number() -> None:
    assert check_settings({"gamma": 1 - 1e-3, "vf_coef": 1}).config.vf_coef == 1


@pytest.mark.parametrize(("raw", "name", "words"), [
    ({"num_envs": True}, "num_envs", "must be a whole number"),  # a bool is an int in Python
    ({"gamma": False}, "gamma", "must be a number"),
    ({"num_envs": 64.0}, "num_envs", "must be a whole number"),
    ({"num_envs": "64"}, "num_envs", "must be a whole number"),
    ({"learning_rate": math.nan}, "learning_rate", "must be a finite number"),
    ({"learning_rate": math.inf}, "learning_rate", "must be a finite number"),
    ({"seconds": 0}, "seconds", "is 0; it must be between 1 and 86400"),
    ({"seconds": -5}, "seconds", "must be between"),
    ({"num_envs": 10**30}, "num_envs", "must be between 1 and 4096"),
    ({"gamma": 1.5}, "gamma", "must be between"),
    ({"reward_transform": "sqrt"}, "reward_transform", "choose one of log, raw"),
    ({"reward_transform": ["log"]}, "reward_transform", "must be one of"),
    ({"bogus": 1}, "bogus", "not a training setting"),
    ({"minibatch_size": 64}, "minibatch_size", "not a training setting"),  # not a knob here
])
def test_a_bad_value_is_refused_with_its_name(raw: dict, name: str, words: str) -> None:
    with pytest.raises(SettingsError) as err:
        check_settings(raw)
    assert err.value.problems[0][0] == name and words in err.value.problems[0][1]
    label = BY_NAME[name].label if name in BY_NAME else name
    assert str(err.value).startswith(label) or str(err.value).startswith(f"'{name}'")


def test_every_problem_is_listed_and_the_message_counts_the_rest() -> None:
    with pytest.raises(SettingsError) as err:
        check_settings({"seconds": 0, "gamma": 7, "nope": 1})
    assert sorted(n for n, _ in err.value.problems) == ["gamma", "nope", "seconds"]
    assert "(and 2 more)" in str(err.value)


@pytest.mark.parametrize("raw", [[1], "fast", 3])
def test_settings_that_are_not_an_object_are_refused(raw: Any) -> None:
    with pytest.raises(SettingsError):
        check_settings(raw)


# --- precedence: PPOConfig < the server's environment < the design -----------------------

def test_the_server_default_is_between_ppoconfig_and_the_design(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TRAIN_CONFIG_ENV, json.dumps({"num_envs": 48, "gamma": 0.95}))
    assert rows()["num_envs"]["default"] == 48  # what the page shows when unset
    assert rows()["learning_rate"]["default"] == PPOConfig().learning_rate
    cfg = check_settings({"gamma": 0.97}).config
    assert (cfg.num_envs, cfg.gamma, cfg.learning_rate) == (48, 0.97, PPOConfig().learning_rate)


def test_a_bad_server_value_is_ignored_and_the_rest_kept(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TRAIN_CONFIG_ENV, json.dumps(
        {"num_envs": 0, "num_steps": 16, "seconds": 5, "torch_threads": 2}))
    cfg = server_config()
    assert (cfg.num_envs, cfg.num_steps, cfg.torch_threads) == (256, 16, 2)
    assert rows()["num_envs"]["default"] == 256 and rows()["seconds"]["default"] is None
    assert check_settings({}).seconds is None  # the budget is the design's alone


def test_a_run_records_its_settings_and_budget() -> None:
    cfg = PPOConfig(num_envs=8)
    assert run_config(cfg, 15, None) == {**cfg.to_dict(), "budget": {"seconds": 15}}
    assert run_config(cfg, None, 5000)["budget"] == {"steps": 5000}
    assert "budget" not in run_config(cfg, None, None)


# --- kept with the design ----------------------------------------------------------------

def test_the_schema_accepts_settings_and_refuses_bad_ones() -> None:
    design = {**ms.default_design(), "training": {"seconds": 30, "learning_rate": 1e-3}}
    assert lint(design) == []
    problems = lint({**design, "training": {"seconds": 0, "num_envs": True, "x": 1}})
    assert {p.split(":")[1].strip() for p in problems} == {
        "training.seconds", "training.num_envs", "training.x"}


def test_settings_are_kept_with_the_design_as_a_new_revision(tmp_path: Path) -> None:
    w = ModelStudio(workspace=tmp_path / "ws")
    try:
        before = w.doc["revision"]
        edited = {**w.current_design, "training": {"seconds": 15, "seed": 4}}
        w.set_state({"design": edited, "design_seq": w.design_seq + 1})
        assert w.doc["revision"] == before + 1 and w.validation["valid"]
        stored = Store.in_workspace(w.workspace).get_design(w.design_id)
        assert stored.design["training"] == {"seconds": 15, "seed": 4}
    finally:
        w.close()


# --- the app's Train ---------------------------------------------------------------------

@pytest.fixture
def session(workspace: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(TRAIN_CONFIG_ENV, json.dumps(FAST))
    snaps: list[dict] = []
    s = StudioSession(workspace, ms.Store.in_workspace(workspace), snaps.append,
                      checkpoint_every_s=3600)
    yield s
    s.close()


def test_train_refuses_bad_settings_and_starts_nothing(session: StudioSession) -> None:
    record = session.store.create_design(
        {**ms.templates()["tiny"], "training": {"learning_rate": 5.0}})
    with pytest.raises(ActionError) as err:
        session.train(record.design, record.id, "req-1")
    assert err.value.code == "BAD_SETTINGS" and "Learning rate" in err.value.message
    assert session.store.list_runs(record.id) == [] and not session.training
    assert session.store.events("train_started") == []


def test_a_budget_ends_the_run_by_itself_with_a_final_checkpoint(
        session: StudioSession) -> None:
    # 512 moves an iteration: a 1000-move budget is two iterations.
    record = session.store.create_design(
        {**ms.templates()["tiny"], "training": {"steps": 1000, "seed": 5}})
    run_id = session.train(record.design, record.id, "req-1")["run_id"]
    assert session.manager.wait(timeout=120)  # idle: the final checkpoint is written
    run = session.store.get_run(run_id)
    assert run.status == "finished"
    assert run.config["seed"] == 5 and run.config["num_envs"] == FAST["num_envs"]
    checkpoint = session.store.latest_checkpoint(run_id)
    assert checkpoint is not None and checkpoint.step >= 1000
    assert run.design["training"] == {"steps": 1000, "seed": 5}
    (event,) = session.store.events("train_started")
    assert event.data["budget"] == {"steps": 1000}
    final = session.snapshot()
    assert final is not None and final["status"] == "finished"
    moved = status_after_snapshot({"state": "training"}, final)
    assert moved is not None and moved[0] == "idle" and moved[1].startswith("Finished")


def test_the_train_command_replies_bad_settings(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TRAIN_CONFIG_ENV, json.dumps(FAST))
    w = ModelStudio(workspace=tmp_path / "ws")
    replies: list[dict] = []
    w.send = lambda content, buffers=None: replies.append(content)  # type: ignore[method-assign]
    try:
        edited = {**w.current_design, "training": {"num_envs": 0}}
        w.set_state({"design": edited, "design_seq": w.design_seq + 1})
        w.handle_message({"kind": "command", "id": "r1", "name": "train", "args": {}})
        (reply,) = replies
        assert not reply["ok"] and reply["error"]["code"] == "BAD_SETTINGS"
        assert "Parallel games" in reply["error"]["message"]
        assert w.status["state"] == "idle" and w.status["error"]["code"] == "BAD_SETTINGS"
        assert Store.in_workspace(w.workspace).list_runs(w.design_id) == []
    finally:
        w.close()


def test_the_run_records_its_budget_in_its_config(session: StudioSession) -> None:
    record = session.store.create_design(
        {**ms.templates()["tiny"], "training": {"steps": 1000}})
    run_id = session.train(record.design, record.id, "req-1")["run_id"]
    assert session.manager.wait(timeout=120)
    assert session.store.get_run(run_id).config["budget"] == {"steps": 1000}
