"""The three file formats: how each is written, checked and read back.

``.pt``   ``torch.save`` of a plain dict (loads with ``torch.load(p, weights_only=True)``)::

              {"format": "modelstudio.pt", "version": 1,
               "design": {...validated design JSON...}, "state_dict": {name: tensor},
               "config": {...training config...} | None, "metrics": {...summary...} | None,
               "params": int, "design_id", "design_name", "run_id", "step", "weights",
               "torch_version", "created_at"}

          No pickled classes (FINDINGS: pickles of generated classes fail in a fresh
          process): ``ms.load`` rebuilds the model from the design, in memory.
``.pt2``  ``torch.export`` program of the model, ``boards int64 [batch, 16] ->
          (logits [batch, 4], value [batch])`` with a dynamic batch; runs with torch alone:
          ``torch.export.load(p).module()(boards)``. The archive also holds
          ``modelstudio.json`` (the design and the metadata), readable with
          ``torch.export.load(p, extra_files={"modelstudio.json": ""})``.
``.onnx`` one self-contained file (no ``.data`` sidecar): see ``onnx_graph``.

Every writer checks what it wrote: the file is read back (or, for ONNX, the exact bytes
run in onnxruntime) and compared with the torch model at ``contract.PARITY_BATCHES``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import torch

from modelstudio_widget.build.base import GameTransformer
from modelstudio_widget.exporters.contract import (
    FORMAT_VERSION,
    PARITY_BATCHES,
    PT2_EXTRA_FILE,
    PT_FORMAT,
    ExportError,
    LoadError,
)
from modelstudio_widget.exporters.onnx_graph import (
    DEFAULT_EXPORTER,
    EXAMPLE_BATCH,
    EXPORTERS,
    annotate,
    check_graph,
    compare,
    random_inputs,
    to_onnx,
    torch_outputs,
    traceable,
)
from modelstudio_widget.exporters.source import Exportable, first_line, read_pt, rebuild


def metadata(exp: Exportable, fmt: str, exporter: str | None = None) -> dict[str, Any]:
    """What every format records about the export (JSON-clean)."""
    from modelstudio_widget import __version__

    return json.loads(json.dumps({
        "design_id": exp.design_id, "design_name": exp.name, "param_count": exp.params,
        "weights": exp.weights, "run_id": exp.run_id, "step": exp.step, "format": fmt,
        "exporter": exporter, "torch_version": torch.__version__.split("+")[0],
        "modelstudio_version": __version__, "created_at": round(time.time(), 3),
    }))


def _json_clean(value: Any) -> Any:
    """A plain-JSON copy (``weights_only`` loading accepts only plain containers)."""
    return None if value is None else json.loads(json.dumps(value))


def check_torch(fmt: str, model: Any, reference: torch.nn.Module) -> float:
    """Outputs of a reloaded model vs the reference at the parity batch sizes."""
    worst = 0.0
    for seed, batch in enumerate(PARITY_BATCHES):
        boards, mask = random_inputs(batch, seed=200 + seed)
        with torch.no_grad():
            logits, value = model(torch.from_numpy(boards))
        want = torch_outputs(reference, boards, mask)
        got = {"logits": logits.numpy(), "value": value.numpy()}
        worst = max(worst, compare(fmt, got, {k: want[k] for k in got}, batch))
    return worst


# --- .pt --------------------------------------------------------------------------------

def write_pt(exp: Exportable, tmp: Path, exporter: str) -> tuple[float, str | None]:
    payload = {**metadata(exp, "pt"), "format": PT_FORMAT, "version": FORMAT_VERSION,
               "design": _json_clean(exp.design),
               "state_dict": {k: v.detach().clone() for k, v in exp.model.state_dict().items()},
               "config": _json_clean(exp.config), "metrics": _json_clean(exp.metrics),
               "params": exp.params}
    torch.save(payload, tmp)
    return check_torch("pt", load_pt(tmp), exp.model), None


def load_pt(path: Path) -> GameTransformer:
    """A ``.pt`` export (or a training checkpoint) -> the model, eval mode."""
    saved = read_pt(path)
    try:
        return rebuild(saved["design"], saved["state_dict"])
    except ExportError as e:
        raise LoadError(f"cannot rebuild the model stored in {path}: {e}") from None


# --- .pt2 -------------------------------------------------------------------------------

def write_pt2(exp: Exportable, tmp: Path, exporter: str) -> tuple[float, str | None]:
    boards, _ = random_inputs(EXAMPLE_BATCH, seed=1)
    try:
        program = torch.export.export(traceable(exp.model), (torch.from_numpy(boards),),
                                      dynamic_shapes=({0: torch.export.Dim("batch")},))
    except Exception as e:
        raise ExportError(f"torch.export could not capture this model: {first_line(e)}"
                          ) from None
    extra = {**metadata(exp, "pt2"), "design": _json_clean(exp.design),
             "config": _json_clean(exp.config), "metrics": _json_clean(exp.metrics)}
    torch.export.save(program, tmp, extra_files={PT2_EXTRA_FILE: json.dumps(extra)})
    return check_torch("pt2", load_pt2(tmp), exp.model), None


def load_pt2(path: Path) -> Any:
    """The program's module (callable like the model). Needs only torch."""
    try:
        return torch.export.load(path).module()
    except FileNotFoundError:
        raise LoadError(f"no such file: {path}") from None
    except Exception as e:
        raise LoadError(f"{path} is not a torch.export program: {first_line(e)}") from None


# --- .onnx ------------------------------------------------------------------------------

def write_onnx(exp: Exportable, tmp: Path, exporter: str) -> tuple[float, str | None]:
    proto, used = _trace(exp.model, exporter)
    annotate(proto, {**metadata(exp, "onnx", used), "design": exp.design,
                     "config": exp.config, "metrics": exp.metrics})
    data, worst = check_graph(proto, exp.model)
    tmp.write_bytes(data)
    return worst, used


def _trace(model: torch.nn.Module, exporter: str) -> tuple[Any, str]:
    """Trace with ``exporter``; "auto" is the measured default, falling back to the other
    exporter if it cannot trace (the legacy one is deprecated and may disappear)."""
    order = [exporter] if exporter != "auto" else \
        [DEFAULT_EXPORTER, *(e for e in EXPORTERS if e != DEFAULT_EXPORTER)]
    failures = []
    for name in order:
        try:
            return to_onnx(model, name), name
        except ValueError:
            raise
        except Exception as e:
            failures.append(f"{name}: {first_line(e)}")
    raise ExportError("the ONNX exporter could not trace this model (" + "; ".join(failures)
                      + ")")


WRITERS = {"pt": write_pt, "pt2": write_pt2, "onnx": write_onnx}


def load(path: str | os.PathLike[str]) -> Any:
    """Read an export back by its suffix: ``.pt`` -> ``GameTransformer`` (eval mode),
    ``.pt2`` -> the exported program's module, ``.onnx`` -> ``OnnxAgent``."""
    p = Path(path).expanduser()
    suffix = p.suffix.lower()
    if suffix == ".onnx":
        from modelstudio_widget.exporters.onnx_agent import OnnxAgent

        return OnnxAgent(p)
    if suffix == ".pt2":
        return load_pt2(p)
    if suffix in (".pt", ".pth"):
        return load_pt(p)
    raise LoadError(f"cannot tell the format of {p.name}: expected a .pt, .pt2 or .onnx file")
