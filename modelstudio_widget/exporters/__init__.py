"""Export center: ``.pt``, ``.pt2`` and ``.onnx`` files that load elsewhere and play the same.

    ms.export(run_or_design, "onnx" | "pt" | "pt2", path=None, *, workspace=None,
              weights="latest") -> Path
    ms.load(path) -> model (.pt), program module (.pt2) or OnnxAgent (.onnx)
    modelstudio export RUN_OR_DESIGN --format pt|pt2|onnx --out PATH [--fresh]
    modelstudio play MODEL.onnx --games N [--seed S] [--json]   # onnxruntime, no torch

File formats (details in ``formats`` and ``onnx_graph``):

- ``.pt``: ``torch.save`` of a plain dict ``{format, version, design, state_dict, config,
  metrics, params, ...}``; ``torch.load(p, weights_only=True)`` reads it, ``ms.load``
  rebuilds the model from the design (no generated source file needed).
- ``.pt2``: a ``torch.export`` program, ``boards int64 [batch, 16] -> (logits [batch, 4],
  value [batch])``, dynamic batch; runs with torch alone.
- ``.onnx``: one self-contained file, ONNX opset 18, dynamic batch; inputs ``board`` (int64
  [batch, 16] tile exponents) and ``action_mask`` (bool [batch, 4], true = legal; optional:
  every move legal when absent, so a board alone runs), outputs
  ``logits``, ``masked_logits`` (illegal moves at -1e9) and ``value`` [batch]; the design
  id/name, parameter count, run and step are in the model's ``metadata_props``.

Every export is checked before it appears at its destination (ONNX: ``onnx.checker`` and
onnxruntime vs torch at batch 1 and 64, with and without the mask); a failed check raises
``ExportParityError`` and leaves no file. Importing this package does not import torch
(``modelstudio play`` relies on that); the torch side loads on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from modelstudio_widget.exporters.contract import ExportError, ExportParityError, LoadError

_LAZY = {"export": "api", "load": "api", "write_export": "api", "ExportReport": "api",
         "OnnxAgent": "onnx_agent"}

__all__ = ["export", "load", "write_export", "ExportReport", "ExportError",
           "ExportParityError", "LoadError", "OnnxAgent"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
