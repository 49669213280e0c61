"""Export center: .pt, .pt2 and .onnx files that load elsewhere and play the same."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
import torch

import modelstudio_widget as ms
from modelstudio_widget import cli
from modelstudio_widget.exporters import (
    ExportError,
    ExportParityError,
    LoadError,
    OnnxAgent,
    formats,
    onnx_graph,
    write_export,
)
from modelstudio_widget.exporters.contract import ATOL, MASKED, OPSET
from modelstudio_widget.exporters.onnx_graph import random_inputs
from modelstudio_widget.store import Store
from modelstudio_widget.training.api import train
from modelstudio_widget.training.evaluate import play_games, torch_policy
from modelstudio_widget.training.ppo import PPOConfig, PPOTrainer

torch.set_num_threads(1)


def component(cid: str, ctype: str, **props: Any) -> dict[str, Any]:
    return {"id": cid, "type": ctype, "props": props, "position": {"x": 0, "y": 0}}


def sparse_moe() -> dict[str, Any]:
    design = copy.deepcopy(ms.templates()["moe"])
    design["id"], design["name"] = "moe-sparse", "Sparse MoE"
    for c in design["components"]:
        if c["type"] == "moe_layer":
            c["props"]["routing"] = "sparse"
    return design


def aux_design() -> dict[str, Any]:
    """Aux head (future score), top-1 sparse MoE with 3 experts, one-hot tiles, mean pool."""
    return {"schema_version": 1, "id": "aux-sparse", "name": "Aux + sparse MoE",
            "meta": {"d_model": 32, "n_heads": 2},
            "components": [
                component("in", "board_input"),
                component("emb", "embedding", d_model=32, encoding="onehot"),
                component("t", "transformer_layer", d_model=32, n_heads=2, activation="relu"),
                component("lb", "load_balance_router"),
                component("m", "moe_layer", d_model=32, n_experts=3, top_k=1,
                          routing="sparse"),
                component("aux", "aux_loss_head", target="future_score", horizon=8),
                component("out", "action_output", pool="mean")],
            "edges": [["in", "emb"], ["emb", "t"], ["t", "lb"], ["lb", "m"], ["m", "aux"],
                      ["aux", "out"]]}


DESIGNS = {**ms.templates(), "moe_sparse": sparse_moe(), "aux_sparse": aux_design()}


def outputs(model: torch.nn.Module, boards: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with torch.no_grad():
        logits, value = model(torch.from_numpy(boards))
    return logits.numpy(), value.numpy()


def run_python(code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run code in a fresh interpreter (no state, modules or generated classes carried)."""
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", **env}
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd,
                          env=full_env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- formats and arguments -------------------------------------------------------------

def test_unknown_format_is_a_value_error_listing_the_formats(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="pt, pt2, onnx"):
        ms.export(ms.templates()["tiny"], "tflite", tmp_path / "m.tflite", weights="fresh")
    assert files_in(tmp_path) == []


def test_ms_export_is_callable_even_after_the_package_was_imported_directly(
        tmp_path: Path) -> None:
    # This module imported modelstudio_widget.exporters before touching ms.export, which binds
    # the package (not the function) to ms.export: calling it must still export.
    path = ms.export(ms.templates()["tiny"], "pt", tmp_path / "m.pt", weights="fresh")
    assert path == tmp_path / "m.pt" and path.is_file()


# --- parity ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(DESIGNS))
def test_onnx_matches_torch_at_batch_1_and_64(name: str, tmp_path: Path) -> None:
    design = DESIGNS[name]
    torch.manual_seed(0)
    model = ms.build_model(design).train()  # training mode: checkpointing would be active
    path = ms.export(model, "onnx", tmp_path / "m.onnx", design=design)
    assert model.training  # the caller's model is never switched to eval
    agent = OnnxAgent(path)
    for batch in (1, 64):
        boards, mask = random_inputs(batch, seed=batch)
        got = agent(boards, mask)
        logits, value = outputs(model.eval(), boards)
        model.train()
        assert got["logits"].shape == (batch, 4) and got["value"].shape == (batch,)
        np.testing.assert_allclose(got["logits"], logits, atol=ATOL, rtol=0)
        np.testing.assert_allclose(got["value"], value, atol=ATOL, rtol=0)
        np.testing.assert_array_equal(got["masked_logits"] == np.float32(MASKED), ~mask)
        np.testing.assert_allclose(got["masked_logits"][mask], logits[mask], atol=ATOL)
        alone = agent(boards)  # no mask: every move legal, the same logits and value
        for key in ("logits", "value"):
            np.testing.assert_array_equal(alone[key], got[key])
        np.testing.assert_array_equal(alone["masked_logits"], got["logits"])
    meta = agent.metadata
    assert meta["design_id"] == design["id"] and meta["design_name"] == design["name"]
    assert int(meta["param_count"]) == model.num_params()
    assert int(meta["opset"]) == OPSET
    assert json.loads(meta["design"]) == design
    assert files_in(tmp_path) == ["m.onnx"]  # one file: no .data sidecar, no temp left


@pytest.mark.parametrize("name", ["transformer", "moe_sparse"])
def test_the_dynamo_exporter_passes_the_same_parity_gate(name: str, tmp_path: Path) -> None:
    report = write_export(DESIGNS[name], "onnx", tmp_path / "m.onnx",
                                    weights="fresh", exporter="dynamo")
    assert report.exporter == "dynamo" and report.max_abs_diff < ATOL
    assert OnnxAgent(report.path)(np.zeros((3, 16)))["logits"].shape == (3, 4)


def test_sparse_and_dense_routing_compute_the_same_function() -> None:
    torch.manual_seed(0)
    sparse = ms.build_model(aux_design()).eval()
    dense = onnx_graph.traceable(sparse)  # what the graphs are traced from
    assert not any(m.sparse for m in dense.moe_layers())
    assert all(m.sparse for m in sparse.moe_layers())
    boards, _ = random_inputs(256, seed=3)
    for a, b in zip(outputs(sparse, boards), outputs(dense, boards)):
        np.testing.assert_allclose(a, b, atol=1e-6, rtol=0)


@pytest.mark.parametrize("name", ["moe_sparse", "checkpointed"])
def test_pt2_export_is_checked_and_runs_any_batch(name: str, tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = ms.build_model(DESIGNS[name])
    path = ms.export(model, "pt2", tmp_path / "m.pt2", design=DESIGNS[name])
    program = torch.export.load(path).module()
    for batch in (1, 5):
        boards, _ = random_inputs(batch, seed=batch)
        for a, b in zip(outputs(program, boards), outputs(model.eval(), boards)):
            np.testing.assert_allclose(a, b, atol=ATOL, rtol=0)
    extra = {"modelstudio.json": ""}
    torch.export.load(path, extra_files=extra)
    assert json.loads(extra["modelstudio.json"])["design"] == DESIGNS[name]


def test_a_graph_that_disagrees_with_torch_raises_and_leaves_no_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = onnx_graph.torch_outputs

    def perturbed(model: Any, boards: np.ndarray, mask: np.ndarray) -> dict[str, np.ndarray]:
        out = real(model, boards, mask)
        out["value"] = out["value"] + 0.01  # as if the graph had lost a bias
        return out

    monkeypatch.setattr(onnx_graph, "torch_outputs", perturbed)
    with pytest.raises(ExportParityError) as info:
        ms.export(ms.templates()["tiny"], "onnx", tmp_path / "m.onnx", weights="fresh")
    err = info.value
    assert err.output == "value" and err.batch == 1
    assert 0.009 < err.max_abs_diff < 0.011
    assert "0.01" in str(err)
    assert files_in(tmp_path) == []


def test_the_parity_gate_also_runs_the_graph_without_a_mask(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A default that marks every move illegal changes nothing when a mask is passed, so
    # only the board-alone run can catch it.
    monkeypatch.setitem(onnx_graph.INPUT_DEFAULTS, "action_mask", np.zeros((1, 4), bool))
    with pytest.raises(ExportParityError) as info:
        ms.export(ms.templates()["tiny"], "onnx", tmp_path / "m.onnx", weights="fresh")
    assert info.value.output == "masked_logits" and info.value.batch == 1
    assert files_in(tmp_path) == []


def test_a_pt2_program_that_disagrees_raises_and_leaves_no_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = formats.load_pt2

    def broken(path: Path) -> Any:
        module = real(path)
        return lambda boards: tuple(t * 1.5 for t in module(boards))

    monkeypatch.setattr(formats, "load_pt2", broken)
    with pytest.raises(ExportParityError, match="pt2 export failed its parity check"):
        ms.export(ms.templates()["tiny"], "pt2", tmp_path / "m.pt2", weights="fresh")
    assert files_in(tmp_path) == []


# --- round trips in fresh processes ------------------------------------------------------

@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One sparse-MoE model (never compiled to a file) in all three formats."""
    folder = tmp_path_factory.mktemp("exported")
    design = sparse_moe()
    torch.manual_seed(1)
    model = ms.build_model(design).eval()  # in memory: no generated source file anywhere
    boards, mask = random_inputs(7, seed=11)
    np.save(folder / "boards.npy", boards)
    np.save(folder / "mask.npy", mask)
    paths = {fmt: ms.export(model, fmt, folder / f"model.{fmt}", design=design)
             for fmt in ("pt", "pt2", "onnx")}
    return {"folder": folder, "paths": paths, "expected": outputs(model, boards),
            "mask": mask}


def test_pt_loads_in_a_fresh_process_without_the_generated_file(
        exported: dict[str, Any], tmp_path: Path) -> None:
    workspace = tmp_path / "fresh-workspace"
    run_python(f"""
        import numpy as np, torch
        import modelstudio_widget as ms
        payload = torch.load({str(exported['paths']['pt'])!r}, weights_only=True)
        assert payload["format"] == "modelstudio.pt" and payload["params"] > 0
        model = ms.load({str(exported['paths']['pt'])!r})
        assert not model.training
        with torch.no_grad():
            logits, value = model(torch.from_numpy(np.load("boards.npy")))
        np.savez("pt_out.npz", logits=logits.numpy(), value=value.numpy())
    """, cwd=exported["folder"], MODELSTUDIO_WORKSPACE=str(workspace))
    assert not (workspace / "generated").exists()
    out = np.load(exported["folder"] / "pt_out.npz")
    np.testing.assert_array_equal(out["logits"], exported["expected"][0])
    np.testing.assert_array_equal(out["value"], exported["expected"][1])


def test_pt2_runs_in_a_fresh_process_with_only_torch(exported: dict[str, Any]) -> None:
    run_python(f"""
        import sys, numpy as np, torch
        program = torch.export.load({str(exported['paths']['pt2'])!r}).module()
        with torch.no_grad():
            logits, value = program(torch.from_numpy(np.load("boards.npy")))
        assert not any(m.startswith("modelstudio") for m in sys.modules), "imported"
        np.savez("pt2_out.npz", logits=logits.numpy(), value=value.numpy())
    """, cwd=exported["folder"])
    out = np.load(exported["folder"] / "pt2_out.npz")
    np.testing.assert_allclose(out["logits"], exported["expected"][0], atol=ATOL, rtol=0)
    np.testing.assert_allclose(out["value"], exported["expected"][1], atol=ATOL, rtol=0)


def test_onnx_runs_in_a_fresh_process_with_only_onnxruntime(exported: dict[str, Any]) -> None:
    run_python(f"""
        import sys, numpy as np, onnxruntime as ort
        session = ort.InferenceSession({str(exported['paths']['onnx'])!r},
                                       providers=["CPUExecutionProvider"])
        assert [i.name for i in session.get_inputs()] == ["board"]
        assert [i.name for i in session.get_overridable_initializers()] == ["action_mask"]
        boards = np.load("boards.npy")
        logits, masked, value = session.run(None, {{"board": boards,
                                                    "action_mask": np.load("mask.npy")}})
        alone = session.run(None, {{"board": boards}})  # the mask is optional
        assert "torch" not in sys.modules and not any(
            m.startswith("modelstudio") for m in sys.modules)
        np.savez("onnx_out.npz", logits=logits, masked=masked, value=value,
                 alone_logits=alone[0], alone_masked=alone[1], alone_value=alone[2])
    """, cwd=exported["folder"])
    out = np.load(exported["folder"] / "onnx_out.npz")
    logits, value = exported["expected"]
    for prefix in ("", "alone_"):
        np.testing.assert_allclose(out[prefix + "logits"], logits, atol=ATOL, rtol=0)
        np.testing.assert_allclose(out[prefix + "value"], value, atol=ATOL, rtol=0)
    np.testing.assert_allclose(np.where(exported["mask"], out["masked"], 0),
                               np.where(exported["mask"], logits, 0), atol=ATOL, rtol=0)
    np.testing.assert_array_equal(out["masked"] == np.float32(MASKED), ~exported["mask"])
    np.testing.assert_array_equal(out["alone_masked"], out["alone_logits"])


def without_mask_default(path: Path, out: Path) -> Path:
    """A copy of an export as files were before the mask became optional."""
    proto = onnx.load(path)
    kept = [t for t in proto.graph.initializer if t.name != "action_mask"]
    del proto.graph.initializer[:]
    proto.graph.initializer.extend(kept)
    onnx.save(proto, out)
    return out


# --- the exported agent plays the same games ---------------------------------------------

def test_onnx_agent_plays_the_same_games_as_the_torch_agent(tmp_path: Path) -> None:
    """Greedy play is deterministic for a given seed, so equal actions mean equal games.

    The ONNX graph's logits differ from torch's by ~1e-7, which could flip an argmax only
    where two legal moves' logits are that close. The test records every decision the
    torch agent made and replays it through the ONNX agent: a differing action is allowed
    only at such a near-tie (and then the game statistics may legitimately differ)."""
    trainer = PPOTrainer(ms.templates()["tiny"],
                         PPOConfig(num_envs=32, num_steps=16, minibatch_size=128,
                                   update_epochs=1, seed=3))
    for _ in range(2):
        trainer.train_iteration()
    agent = OnnxAgent(ms.export(trainer, "onnx", tmp_path / "agent.onnx"))
    model = trainer.model.eval()
    decisions: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    greedy = torch_policy(model)

    def recorded(obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
        actions = greedy(obs, legal)
        decisions.append((obs.copy(), legal.copy(), actions))
        return actions

    torch_stats = play_games(recorded, games=40, seed=5)
    assert torch_stats == ms.evaluate(model, games=40, seed=5)
    near_ties = 0
    for obs, legal, actions in decisions:
        differ = agent.policy(obs, legal) != actions
        if differ.any():
            logits = outputs(model, obs[differ].astype(np.int64))[0]
            top2 = np.sort(np.where(legal[differ], logits, -np.inf), axis=1)[:, -2:]
            assert (top2[:, 1] - top2[:, 0] < 1e-5).all(), "ONNX chose differently"
            near_ties += int(differ.sum())
    if near_ties == 0:
        assert play_games(agent.policy, games=40, seed=5) == torch_stats
    assert sum(len(a) for _, _, a in decisions) > 1000  # many decisions were compared


# --- what gets exported: runs, designs, checkpoints --------------------------------------

def _checkpoint(ws: Path, store: Store, run_id: str, design: dict[str, Any], seed: int,
                step: int) -> dict[str, torch.Tensor]:
    torch.manual_seed(seed)
    state = ms.build_model(design).state_dict()
    path = ws / "checkpoints" / run_id / f"step_{step:012d}.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": state, "design": design, "config": {"seed": seed}}, path)
    store.add_checkpoint(run_id, path=str(path), step=step, metrics={"mean_score": seed * 1.0})
    return state


def test_a_training_run_exports_into_the_workspace_and_is_recorded(workspace: Path) -> None:
    config = PPOConfig(num_envs=32, num_steps=16, minibatch_size=128, update_epochs=1)
    # ms.train is shadowed by the modelstudio_widget.training package once that is imported.
    run = train(ms.templates()["tiny"], steps=512, config=config, progress=False,
                workspace=workspace)
    path = ms.export(run, "onnx")
    assert path.parent == workspace / "exports"
    assert path.name == f"tpl-tiny-{run.run_id}-step{run.trainer.global_step}.onnx"
    meta = OnnxAgent(path).metadata
    assert meta["run_id"] == run.run_id and meta["weights"] == "trained"
    boards, mask = random_inputs(9, seed=0)
    np.testing.assert_allclose(OnnxAgent(path)(boards, mask)["logits"],
                               outputs(run.model.eval(), boards)[0], atol=ATOL, rtol=0)
    with Store.in_workspace(workspace) as store:
        (event,) = store.events("export")
    assert event.data["format"] == "onnx" and event.data["path"] == str(path)
    assert event.data["run_id"] == run.run_id and event.data["max_abs_diff"] < ATOL


def test_a_design_id_exports_the_latest_checkpoint_across_its_runs(
        workspace: Path, tmp_path: Path) -> None:
    design = ms.templates()["tiny"]
    with Store.in_workspace(workspace) as store:
        design_id = store.create_design(design, design_id="my-design").id
        run_a = store.create_run(design_id, design=design, config={})
        run_b = store.create_run(design_id, design=design, config={})
        _checkpoint(workspace, store, run_b, design, seed=1, step=500)
        latest = _checkpoint(workspace, store, run_a, design, seed=2, step=100)
    path = ms.export(design_id, "pt", tmp_path / "m.pt")
    payload = torch.load(path, weights_only=True)
    assert payload["run_id"] == run_a and payload["step"] == 100
    assert payload["design_id"] == design_id and payload["config"] == {"seed": 2}
    assert payload["metrics"] == {"mean_score": 2.0}
    assert all(torch.equal(payload["state_dict"][k], v) for k, v in latest.items())
    # The run id resolves to that run's own checkpoint.
    other = torch.load(ms.export(run_b, "pt", tmp_path / "b.pt"), weights_only=True)
    assert other["run_id"] == run_b and other["step"] == 500
    # A .pt export converts to ONNX with its provenance.
    meta = OnnxAgent(ms.export(path, "onnx", tmp_path / "m.onnx")).metadata
    assert meta["run_id"] == run_a and meta["step"] == "100"
    with Store.in_workspace(workspace) as store:
        events = store.events("export")
    assert [e.data["format"] for e in events] == ["pt", "pt"]  # the store was not involved
    assert events[-1].design_id == design_id and events[-1].data["run_id"] == run_a


def test_a_design_dict_finds_runs_trained_without_a_stored_design(
        workspace: Path) -> None:
    design = ms.templates()["tiny"]  # ms.train(design) records runs with no design id
    with Store.in_workspace(workspace) as store:
        run_id = store.create_run(None, design=design, config={})
        state = _checkpoint(workspace, store, run_id, design, seed=4, step=64)
    path = ms.export(design, "pt")  # path=None: into the workspace's exports folder
    assert path.parent == workspace / "exports"
    assert path.name == f"tpl-tiny-{run_id}-step64.pt"
    loaded = ms.load(path)
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in state.items())


def test_no_trained_weights_is_a_clear_error(workspace: Path, tmp_path: Path) -> None:
    design = {**ms.templates()["tiny"], "id": "never-trained", "name": "Fresh"}
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ExportError, match="no trained weights for design never-trained "
                       r"\(Fresh\); train it first or pass weights='fresh'"):
        ms.export(design, "onnx", out / "m.onnx")
    with Store.in_workspace(workspace) as store:
        store.create_design(design)
    with pytest.raises(ExportError, match="no trained weights for design never-trained"):
        ms.export("never-trained", "onnx", out / "m.onnx")
    with pytest.raises(ExportError, match="neither a design JSON file nor a run or design"):
        ms.export("r-000000000000", "onnx", out / "m.onnx")
    assert files_in(out) == []
    assert ms.export("never-trained", "onnx", out / "m.onnx", weights="fresh").is_file()


def test_default_names_are_safe_whatever_the_design_id(workspace: Path) -> None:
    design = {**ms.templates()["tiny"], "id": "../../evil id\u202e"}
    path = ms.export(design, "onnx", weights="fresh")
    assert path.parent == workspace / "exports" and path.suffix == ".onnx"
    assert "/" not in path.name and ".." not in path.name.split("-")[0]


# --- destinations -----------------------------------------------------------------------

def test_unusable_destinations_raise_export_errors_that_say_what_to_fix(
        tmp_path: Path) -> None:
    design = ms.templates()["tiny"]
    with pytest.raises(ExportError, match="is a folder: give a file path"):
        ms.export(design, "onnx", tmp_path, weights="fresh")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(ExportError, match="a file is in the way"):
        ms.export(design, "onnx", blocker / "sub" / "m.onnx", weights="fresh")
    with pytest.raises(ExportError, match=r"ends in \.pt but the format is onnx"):
        ms.export(design, "onnx", tmp_path / "m.pt", weights="fresh")
    assert files_in(tmp_path) == ["a-file"]
    # A missing parent that can be created is created.
    assert ms.export(design, "pt", tmp_path / "new" / "dir" / "m.pt", weights="fresh").is_file()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs permissions that apply (root writes anywhere)")
def test_a_read_only_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ExportError, match="choose a location you can write to"):
            ms.export(ms.templates()["tiny"], "onnx", folder / "m.onnx", weights="fresh")
    finally:
        folder.chmod(0o700)


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs Linux sysfs")
def test_a_place_nobody_can_write_to_is_refused(tmp_path: Path) -> None:
    # sysfs refuses new files even to root (the chmod test above cannot run as root).
    with pytest.raises(ExportError, match="choose a location you can write to"):
        ms.export(ms.templates()["tiny"], "onnx", "/sys/kernel/m.onnx", weights="fresh")
    assert not Path("/sys/kernel/m.onnx").exists()


def test_a_write_that_fails_midway_leaves_nothing(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(src: Any, dst: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)  # e.g. a read-only or full file system
    with pytest.raises(ExportError, match="Permission denied.*write to"):
        ms.export(ms.templates()["tiny"], "onnx", tmp_path / "m.onnx", weights="fresh")
    assert files_in(tmp_path) == []


# --- ms.load ----------------------------------------------------------------------------

class Pickled:
    """Not plain data: a safe load must refuse it."""


def test_load_explains_files_it_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no such file"):
        ms.load(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a zip")
    with pytest.raises(LoadError, match="not a Model Studio .pt file"):
        ms.load(tmp_path / "junk.pt")
    torch.save({"design": Pickled()}, tmp_path / "code.pt")  # a class: code on unpickling
    with pytest.raises(LoadError, match="a safe load refused it") as refused:
        ms.load(tmp_path / "code.pt")
    assert "weights_only" not in str(refused.value)  # never the advice to load it unsafely
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(LoadError, match="has no design and weights"):
        ms.load(tmp_path / "other.pt")
    (tmp_path / "junk.onnx").write_bytes(b"\x00\x01")
    with pytest.raises(LoadError, match="not a loadable ONNX model"):
        ms.load(tmp_path / "junk.onnx")
    with pytest.raises(LoadError, match="expected a .pt, .pt2 or .onnx"):
        ms.load(tmp_path / "model.bin")


def test_load_refuses_weights_that_do_not_fit_their_design(tmp_path: Path) -> None:
    path = ms.export(ms.templates()["tiny"], "pt", tmp_path / "m.pt", weights="fresh")
    payload = torch.load(path, weights_only=True)
    payload["design"] = ms.templates()["transformer"]
    torch.save(payload, path)
    with pytest.raises(LoadError, match="weights do not fit the design"):
        ms.load(path)


# --- command line -----------------------------------------------------------------------

def test_cli_export_writes_a_checked_file(tmp_path: Path, workspace: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    design_file = tmp_path / "design.json"
    design_file.write_text(json.dumps(aux_design()))
    out = tmp_path / "out" / "agent.onnx"
    assert cli.main(["export", str(design_file), "--format", "onnx", "--out", str(out),
                     "--fresh"]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out}" in printed and "parity max |diff|" in printed
    assert OnnxAgent(out).metadata["design_id"] == "aux-sparse"
    assert cli.main(["export", str(design_file), "--format", "onnx", "--out",
                     str(tmp_path / "x.onnx")]) == 1
    err = capsys.readouterr().err
    assert "no trained weights for design aux-sparse" in err and "--fresh" in err
    assert not (tmp_path / "x.onnx").exists()


def test_cli_play_uses_onnxruntime_without_importing_torch(tmp_path: Path) -> None:
    model = ms.export(ms.templates()["tiny"], "onnx", tmp_path / "tiny.onnx", weights="fresh")
    code = f"""
        import sys
        from modelstudio_widget.cli import main
        rc = main(["play", {str(model)!r}, "--games", "12", "--seed", "3"{{extra}}])
        assert "torch" not in sys.modules, "play imported torch"
        sys.exit(rc)
    """
    text = run_python(code.replace("{extra}", ""), cwd=tmp_path).stdout
    assert '"Tiny MLP" (tpl-tiny)' in text
    for label in ("mean score", "median", "best", "mean moves", "max tile", "2048:"):
        assert label in text
    stats = json.loads(run_python(code.replace("{extra}", ', "--json"'), cwd=tmp_path).stdout)
    expected = play_games(OnnxAgent(model).policy, games=12, seed=3)
    assert stats["games"] == 12 and stats["mean_score"] == expected["mean_score"]
    assert stats["design_id"] == "tpl-tiny"
    assert set(expected) <= set(stats)


def test_cli_play_runs_files_with_and_without_a_mask_default(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    optional = ms.export(ms.templates()["tiny"], "onnx", tmp_path / "new.onnx",
                         weights="fresh")
    required = without_mask_default(optional, tmp_path / "old.onnx")
    boards, mask = random_inputs(5, seed=2)
    old, new = OnnxAgent(required), OnnxAgent(optional)
    assert (old.mask_optional, new.mask_optional) == (False, True)
    with pytest.raises(Exception, match="action_mask"):  # what the old files refuse
        old.session.run(None, {"board": boards})
    for key, want in new(boards).items():
        np.testing.assert_array_equal(old(boards)[key], want)
    np.testing.assert_array_equal(old(boards, mask)["masked_logits"],
                                  new(boards, mask)["masked_logits"])
    stats = []
    for path in (required, optional):
        assert cli.main(["play", str(path), "--games", "6", "--seed", "4", "--json"]) == 0
        stats.append(json.loads(capsys.readouterr().out))
    assert stats[0]["mean_score"] == stats[1]["mean_score"] and stats[0]["games"] == 6


def test_cli_play_reports_a_bad_model_file(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["play", str(tmp_path / "missing.onnx")]) == 1
    assert "no such file" in capsys.readouterr().err
