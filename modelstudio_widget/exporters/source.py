"""What to export: any of the things a user holds, resolved to a design and its weights.

Accepted: a training ``Run``, a ``PPOTrainer``, a ``GameTransformer`` (with ``design=``),
a run id (``r-...``), a stored design id, a path to a design JSON file, a ``.pt`` file (an
export or a training checkpoint), or a design dict.
Ids and design dicts are looked up in the workspace's store; a design resolves to the
newest checkpoint of any of its runs (``weights="latest"``) or to freshly initialised
weights (``weights="fresh"``).

The model that gets exported is always rebuilt from the design and loaded with the
weights (strictly): the design written into the file is then known to rebuild this very
model, and exporting never touches (or switches to eval mode) a model being trained.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from modelstudio_widget.build.base import GameTransformer
from modelstudio_widget.build.codegen import build_model
from modelstudio_widget.build.valid import DesignError
from modelstudio_widget.exporters.contract import FORMAT_VERSION, PT_FORMAT, ExportError, LoadError
from modelstudio_widget.store import CheckpointRecord, NotFound, Store
from modelstudio_widget.workspace import resolve_workspace

WEIGHTS = ("latest", "fresh")
#: Training-summary keys copied into exports (the rest of a snapshot is UI state).
SUMMARY_KEYS = ("global_step", "episodes", "mean_score", "best_score", "max_tile_rates",
                "elapsed_s", "update")


@dataclass
class Exportable:
    """A design, a model with its weights, and where they came from."""
    model: GameTransformer  # eval mode, rebuilt from ``design``
    design: dict[str, Any]
    design_id: str | None
    weights: str  # "trained" or "fresh"
    run_id: str | None = None
    step: int | None = None
    config: dict[str, Any] | None = None  # the training config, if trained
    metrics: dict[str, Any] | None = None  # the training summary, if trained
    workspace: Path | None = None  # set when a store was involved

    @property
    def name(self) -> str:
        name = self.design.get("name")
        return name if isinstance(name, str) else ""

    @property
    def params(self) -> int:
        return self.model.num_params()


def resolve(obj: Any, *, design: dict[str, Any] | None = None,
            workspace: str | os.PathLike[str] | None = None,
            weights: str = "latest") -> Exportable:
    """Resolve anything ``ms.export`` accepts; raises ``ExportError`` with what to do."""
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {', '.join(WEIGHTS)}; got {weights!r}")
    from modelstudio_widget.training.api import Run
    from modelstudio_widget.training.ppo import PPOTrainer

    if isinstance(obj, Run):
        ws = _maybe(workspace) or obj.workspace
        return _from_model(obj.trainer.model, obj.design, weights, ws, run_id=obj.run_id,
                           step=obj.trainer.global_step, config=obj.trainer.config.to_dict(),
                           metrics=summary(obj.metrics))
    if isinstance(obj, PPOTrainer):
        if obj.design is None and design is None:
            raise ExportError("this trainer was built from a model, not a design: pass "
                              "design=... as well")
        return _from_model(obj.model, design or obj.design or {}, weights,
                           _maybe(workspace), step=obj.global_step,
                           config=obj.config.to_dict(), metrics=summary(obj.metrics()))
    if isinstance(obj, torch.nn.Module):
        if design is None:
            raise ExportError("a model alone does not say how to rebuild it: pass its "
                              "design too, e.g. ms.export(model, 'onnx', design=design)")
        return _from_model(obj, design, weights, _maybe(workspace))
    if isinstance(obj, dict):
        return _from_design(obj, weights, workspace)
    if isinstance(obj, (str, os.PathLike)):
        return _from_reference(os.fspath(obj), weights, workspace)
    raise TypeError(f"cannot export a {type(obj).__name__}: give a Run, a PPOTrainer, a "
                    "model (with design=...), a run id, a design id, a design JSON file or "
                    "a design dict")


def summary(metrics: dict[str, Any] | None) -> dict[str, Any] | None:
    if not metrics:
        return None
    return {k: metrics[k] for k in SUMMARY_KEYS if k in metrics}


def _maybe(workspace: str | os.PathLike[str] | None) -> Path | None:
    return None if workspace is None else resolve_workspace(workspace)


def rebuild(design: dict[str, Any], state_dict: dict[str, torch.Tensor] | None
            ) -> GameTransformer:
    """The design's model (in memory, no generated file) with these weights, eval mode."""
    try:
        model = build_model(design)
    except DesignError as e:
        raise ExportError(str(e)) from None
    if state_dict is not None:
        try:
            model.load_state_dict(state_dict)
        except RuntimeError as e:
            raise ExportError("the weights do not fit the design (was the design edited "
                              f"after training?): {str(e).splitlines()[0]}") from None
    return model.eval()


def _from_model(model: torch.nn.Module, design: dict[str, Any], weights: str,
                workspace: Path | None, **where: Any) -> Exportable:
    if weights == "fresh":
        return _fresh(design, workspace)
    return Exportable(rebuild(design, model.state_dict()), design, _design_id(design),
                      "trained", workspace=workspace, **where)


def _fresh(design: dict[str, Any], workspace: Path | None) -> Exportable:
    return Exportable(rebuild(design, None), design, _design_id(design), "fresh",
                      workspace=workspace)


def _design_id(design: dict[str, Any]) -> str | None:
    value = design.get("id")
    return value if isinstance(value, str) and value else None


def _from_design(design: dict[str, Any], weights: str,
                 workspace: str | os.PathLike[str] | None) -> Exportable:
    if weights == "fresh":
        return _fresh(design, _maybe(workspace))
    design_id = _design_id(design)
    if design_id is None:
        raise ExportError("this design has no id, so it has no trained weights: train it "
                          "first (ms.train) and export the run, or pass weights='fresh'")
    return _from_design_id(design_id, resolve_workspace(workspace), design.get("name"))


def _from_reference(ref: str, weights: str,
                    workspace: str | os.PathLike[str] | None) -> Exportable:
    path = Path(ref).expanduser()
    if path.suffix.lower() in (".pt", ".pth"):
        return _from_pt_file(path, weights, workspace)
    if path.suffix.lower() in (".pt2", ".onnx"):
        raise ExportError(f"{path.name} is itself an export and cannot be converted: export "
                          "from the run, the design or a .pt file instead")
    if ref.endswith(".json") or path.is_file():
        return _from_design(_read_design_file(path), weights, workspace)
    ws = resolve_workspace(workspace)
    with Store.in_workspace(ws) as store:
        try:
            run = store.get_run(ref)
        except NotFound:
            run = None
        if run is not None:
            if weights == "fresh":
                return _fresh(run.design, ws)
            record = store.latest_checkpoint(ref)
            if record is None:
                raise ExportError(f"run {ref} has no checkpoint yet: let it train longer "
                                  "(checkpoints are written every 30 s and on stop)")
            return _from_checkpoint(record, run.design, run.design_id, ws)
        try:
            stored = store.get_design(ref)
        except NotFound:
            stored = None
    if stored is not None:
        if weights == "fresh":
            return _fresh(stored.design, ws)
        return _from_design_id(ref, ws, stored.name)
    raise ExportError(f"{ref!r} is neither a design JSON file nor a run or design id in the "
                      f"workspace {ws}")


def _read_design_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ExportError(f"cannot read the design file {path}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise ExportError(f"{path} is not a design JSON file (not UTF-8 text)") from None

    def no_constants(token: str) -> Any:  # FINDINGS: json accepts NaN/Infinity
        raise ValueError(f"{token} is not valid JSON")

    try:
        design = json.loads(text, parse_constant=no_constants)
    except ValueError as e:
        raise ExportError(f"{path} is not valid JSON: {e}") from None
    if not isinstance(design, dict):
        raise ExportError(f"{path} does not hold a design (a JSON object)")
    return design


def latest_checkpoint(store: Store, design_id: str) -> CheckpointRecord | None:
    """The newest checkpoint of any run of the design: runs recorded under the design's id
    and runs whose design JSON carries that id (``ms.train(design)`` records no id)."""
    candidates = []
    with contextlib.suppress(NotFound):  # not a stored design: runs may still carry its id
        candidates.append(store.latest_checkpoint_for_design(design_id))
    for run in store.list_runs():
        if run.design_id is None and run.design.get("id") == design_id:
            candidates.append(store.latest_checkpoint(run.id))
    found = [c for c in candidates if c is not None]
    return max(found, key=lambda c: c.id) if found else None  # ids only grow


def _from_design_id(design_id: str, ws: Path, name: Any = None) -> Exportable:
    with Store.in_workspace(ws) as store:
        record = latest_checkpoint(store, design_id)
        if record is None:
            label = f"{design_id} ({name})" if isinstance(name, str) and name else design_id
            raise ExportError(f"no trained weights for design {label}; train it first or "
                              "pass weights='fresh'")
        run = store.get_run(record.run_id)
    return _from_checkpoint(record, run.design, design_id, ws, run_summary=run.summary)


def _from_checkpoint(record: CheckpointRecord, run_design: dict[str, Any],
                     design_id: str | None, ws: Path,
                     run_summary: dict[str, Any] | None = None) -> Exportable:
    path = Path(record.path)
    if not path.is_file():
        raise ExportError(f"the checkpoint file {path} of run {record.run_id} is missing "
                          "(deleted or moved?)")
    # The checkpoint's own design is what its weights fit (the stored design may have been
    # edited since); the run's copy is the fallback for trainers built from a model.
    saved = read_pt(path, fallback_design=run_design)
    return Exportable(rebuild(saved["design"], saved["state_dict"]), saved["design"],
                      design_id or saved["design_id"], "trained", run_id=record.run_id,
                      step=record.step, config=saved["config"],
                      metrics=summary(record.metrics or run_summary), workspace=ws)


def _from_pt_file(path: Path, weights: str, workspace: str | os.PathLike[str] | None
                  ) -> Exportable:
    saved = read_pt(path)
    if weights == "fresh":
        return _fresh(saved["design"], _maybe(workspace))
    model = rebuild(saved["design"], saved["state_dict"])
    return Exportable(model, saved["design"], saved["design_id"], "trained",
                      run_id=saved["run_id"], step=saved["step"], config=saved["config"],
                      metrics=summary(saved["metrics"]), workspace=_maybe(workspace))


def torch_load_reason(exc: Exception) -> str:
    """Why a safe ``torch.load`` refused a file, in one line. Torch's own message advises
    ``weights_only=False``, which would run whatever code the file holds: never repeated."""
    text = str(exc)
    if "Weights only load failed" in text:
        detail = text.partition("WeightsUnpickler error:")[2].strip().split("\n")[0].strip()
        return (f"a safe load refused it{f' ({detail})' if detail else ''}: only tensors "
                "and plain data load")
    return first_line(exc).split(". ")[0].rstrip(".")


def read_pt(path: Path, fallback_design: dict[str, Any] | None = None) -> dict[str, Any]:
    """Design, weights and provenance of a ``.pt`` export or a training checkpoint
    (``torch.load(weights_only=True)``: no code runs). ``LoadError`` otherwise."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise LoadError(f"no such file: {path}") from None
    except Exception as e:  # not a zip, a torn file, a pickle with classes, ...
        raise LoadError(f"{path} is not a Model Studio .pt file ({torch_load_reason(e)})"
                        ) from None
    if not isinstance(payload, dict):
        raise LoadError(f"{path} holds a {type(payload).__name__}, not a Model Studio export")
    if payload.get("format") == PT_FORMAT:
        if payload.get("version") != FORMAT_VERSION:
            raise LoadError(f"{path} is format version {payload.get('version')}; this "
                            f"Model Studio reads version {FORMAT_VERSION}: upgrade it")
        design, state = payload.get("design"), payload.get("state_dict")
    elif "model" in payload and "design" in payload:  # a training checkpoint
        design, state = payload["design"] or fallback_design, payload["model"]
    else:
        raise LoadError(f"{path} has no design and weights: expected a .pt from ms.export "
                        "or a training checkpoint")
    if not isinstance(design, dict) or not design or not isinstance(state, dict):
        raise LoadError(f"{path} has no design and weights")
    return {"design": design, "state_dict": state,
            "design_id": payload.get("design_id") or _design_id(design),
            "run_id": payload.get("run_id"),
            "step": payload.get("step", payload.get("global_step")),
            "config": payload.get("config"), "metrics": payload.get("metrics")}


def first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
