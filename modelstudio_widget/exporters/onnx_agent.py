"""Run an exported ``.onnx`` policy with onnxruntime and numpy alone (no torch import).

``modelstudio play`` uses this; so does ``ms.load(path.onnx)``. The graph's contract is in
``contract.py``: ``board`` int64 [batch, 16] and ``action_mask`` bool [batch, 4] in,
``logits``, ``masked_logits`` [batch, 4] and ``value`` [batch] out. The mask is optional
(every move legal when absent) in files written since it became so; older files require it,
and this agent passes an all-true one to them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from modelstudio_widget.exporters.contract import ONNX_INPUTS, ONNX_OUTPUTS, LoadError


def make_session(model: str | os.PathLike[str] | bytes, threads: int = 1) -> Any:
    """A CPU onnxruntime session; one thread by default (FINDINGS: on a 2-core box,
    spinning worker threads slow everything else down)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Errors only: onnxruntime warns on every load that an input with a default (the
    # optional mask) cannot be constant-folded, which is the point of a default.
    options.log_severity_level = 3
    source = model if isinstance(model, bytes) else os.fspath(model)
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


class OnnxAgent:
    """An exported policy: ``agent(boards, mask)`` gives the outputs, ``agent.policy`` is a
    greedy ``policy(obs, legal) -> actions`` for ``evaluate.play_games``."""

    def __init__(self, path: str | os.PathLike[str], threads: int = 1):
        self.path = Path(path)
        if not self.path.is_file():
            raise LoadError(f"no such file: {self.path}")
        try:
            self.session = make_session(self.path, threads)
        except Exception as e:  # onnxruntime raises its own exception types
            raise LoadError(f"{self.path} is not a loadable ONNX model: "
                            f"{str(e).splitlines()[0] if str(e) else type(e).__name__}"
                            ) from None
        required = tuple(i.name for i in self.session.get_inputs())
        optional = tuple(i.name for i in self.session.get_overridable_initializers())
        names = required + optional
        outputs = tuple(o.name for o in self.session.get_outputs())
        if names != ONNX_INPUTS or outputs != ONNX_OUTPUTS:
            raise LoadError(f"{self.path} is not a Model Studio policy: inputs {names}, "
                            f"outputs {outputs}; expected {ONNX_INPUTS} -> {ONNX_OUTPUTS}")
        self.metadata: dict[str, str] = dict(
            self.session.get_modelmeta().custom_metadata_map)
        #: Whether the board alone is enough (the mask has a default in the file).
        self.mask_optional = "action_mask" in optional

    def __call__(self, boards: np.ndarray, mask: np.ndarray | None = None
                 ) -> dict[str, np.ndarray]:
        """Outputs for ``boards``; without ``mask`` every move counts as legal."""
        feed = {"board": np.asarray(boards).reshape(-1, 16).astype(np.int64)}
        if mask is not None:
            feed["action_mask"] = np.asarray(mask, bool)
        elif not self.mask_optional:
            feed["action_mask"] = np.ones((feed["board"].shape[0], 4), dtype=bool)
        return dict(zip(ONNX_OUTPUTS, self.session.run(list(ONNX_OUTPUTS), feed)))

    def policy(self, obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
        """The best legal move: argmax of the masked logits (first index on ties, as
        ``torch.argmax``)."""
        return self(obs, legal)["masked_logits"].argmax(axis=1)

    def metadata_summary(self) -> dict[str, Any]:
        """Design id/name, parameter count, run and step from the file's metadata."""
        meta = self.metadata
        params, step = meta.get("param_count"), meta.get("step")
        return {"design_id": meta.get("design_id"), "design_name": meta.get("design_name"),
                "param_count": int(params) if params else None, "run_id": meta.get("run_id"),
                "step": int(step) if step else None}

    def describe(self) -> str:
        meta = self.metadata
        name = meta.get("design_name") or "unnamed design"
        ident = meta.get("design_id")
        params = meta.get("param_count")
        parts = [f'"{name}"' + (f" ({ident})" if ident else "")]
        if params:
            parts.append(f"{int(params):,} params")
        if meta.get("run_id"):
            parts.append(f"run {meta['run_id']} step {meta.get('step', '?')}")
        return ", ".join(parts)


def format_stats(stats: dict[str, Any]) -> str:
    """The statistics of ``play_games`` / ``ms.evaluate`` as a few readable lines."""
    rates = "  ".join(f"{tile}: {rate:.1%}" for tile, rate in stats["max_tile_rates"].items())
    return "\n".join([
        f"games       {stats['games']} (seed {stats['seed']})",
        f"mean score  {stats['mean_score']:.1f} ± {stats['se']:.1f} (standard error)",
        f"median      {stats['median_score']:.1f}",
        f"best        {stats['best_score']}",
        f"mean moves  {stats['mean_moves']:.1f}",
        f"max tile    {rates}",
    ])
