"""Comparing training runs: their score curves, final numbers and what differs between them.

Jupyter-free and torch-free: the compare sheet (through the ``compare_runs`` command) and
``ms.compare`` (a matplotlib figure) both read a ``Comparison`` built here from the store.
Runs may come from one design or several; the first run is the one the others are measured
against ("what differs" is always first run -> other run).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from modelstudio_widget.design.diff import changed_keys, diff_designs
from modelstudio_widget.store import NotFound, RunRecord, Store

MIN_RUNS = 2
MAX_RUNS = 6
#: Points per curve sent to the page or plotted (the chart is a few hundred pixels wide).
COMPARE_CURVE_POINTS = 400
#: The final numbers each run reports, in the order the table shows them.
METRIC_KEYS = ("moves", "duration_s", "mean_score", "best_score", "tile_rates")
#: The max-tile rates the table shows (a run records more; these tell runs apart).
SHOWN_TILES = ("512", "1024", "2048")

Curve = list[list[float]]  # [[moves, mean score, seconds of training], ...]


class CompareError(ValueError):
    """Runs that cannot be compared; ``code`` says why (the message names the run)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ComparedRun:
    """One run of a comparison: who it is, its curve and its final numbers."""

    id: str
    label: str
    design_id: str | None
    design_name: str
    revision: int | None
    status: str
    curve: Curve
    metrics: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "design_id": self.design_id,
                "design_name": self.design_name, "revision": self.revision,
                "status": self.status, "curve": self.curve, "metrics": self.metrics}


@dataclass(frozen=True)
class Difference:
    """What differs from the first run to one other: its design (``diff_designs``'s
    answer) and its settings ({name: [first's, other's]}, nested names dotted)."""

    run_id: str
    base_run_id: str
    design: dict[str, Any]
    settings: dict[str, list[Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "base_run_id": self.base_run_id,
                "design": self.design,
                "settings": self.settings}


@dataclass(frozen=True)
class Comparison:
    runs: list[ComparedRun]
    differences: list[Difference]

    def to_dict(self) -> dict[str, Any]:
        return {"runs": [r.to_dict() for r in self.runs],
                "differences": [d.to_dict() for d in self.differences]}


def compare_runs(store: Store, run_ids: Sequence[str]) -> Comparison:
    """Compare 2 to 6 runs of the store, in the order given. ``CompareError`` when the
    count is wrong, a run is named twice, or a run is no longer in the store."""
    check_run_ids(run_ids)
    records = []
    for run_id in run_ids:
        try:
            records.append(store.get_run(run_id))
        except NotFound:
            raise CompareError("RUN_NOT_FOUND", f"Run {run_id} is no longer in the store "
                               "(deleted?): untick it to compare the others.") from None
    runs = [_compared(store, record) for record in records]
    base = records[0]
    differences = [Difference(other.id, base.id, diff_designs(base.design, other.design),
                              settings_diff(base.config, other.config))
                   for other in records[1:]]
    return Comparison(runs, differences)


def check_run_ids(run_ids: Sequence[str]) -> None:
    if not MIN_RUNS <= len(run_ids) <= MAX_RUNS:
        raise CompareError("BAD_SELECTION", f"Compare takes {MIN_RUNS} to {MAX_RUNS} runs; "
                           f"{len(run_ids)} were given.")
    seen: set[str] = set()
    for run_id in run_ids:
        if run_id in seen:
            raise CompareError("BAD_SELECTION", f"Run {run_id} is selected twice.")
        seen.add(run_id)


def run_curve(store: Store, run_id: str, limit: int = COMPARE_CURVE_POINTS) -> Curve:
    """The run's score curve from its recorded metrics: ``[[moves, mean score, seconds],
    ...]`` in move order, at most ``limit`` points. Seconds count training time and go on
    across a resume (each segment's clock restarts at 0)."""
    curve: Curve = []
    offset = 0.0
    previous: float | None = None
    for step, metrics in store.metrics(run_id):
        score = metrics.get("mean_score")
        if not _finite(score):
            continue
        elapsed = metrics.get("elapsed_s")
        seconds = float(elapsed) if _finite(elapsed) else (previous or 0.0)
        if previous is not None and seconds < previous:  # a resumed segment
            offset += previous
        previous = seconds
        curve.append([float(step), float(score), round(seconds + offset, 3)])
    if len(curve) <= limit:
        return curve
    # Deferred: the manager imports torch; only a run of more than ``limit`` rows (one a
    # second) needs thinning.
    from modelstudio_widget.training.manager import downsample

    return downsample(curve, limit)


def final_metrics(record: RunRecord, curve: Curve) -> dict[str, Any]:
    """The run's final numbers: from its summary (written when it ends), else (a run still
    training, or one a crash ended) from its curve."""
    summary = record.summary or {}
    rates = summary.get("max_tile_rates") or {}
    last = curve[-1] if curve else None
    moves = summary.get("global_step")
    duration = summary.get("elapsed_s")
    return {
        "moves": int(moves) if _finite(moves) else (int(last[0]) if last else 0),
        "duration_s": float(duration) if _finite(duration) else (last[2] if last else 0.0),
        "mean_score": summary.get("mean_score", last[1] if last else None),
        "best_score": summary.get("best_score"),
        "tile_rates": {t: rates.get(t) for t in SHOWN_TILES},
    }


def settings_diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """``{name: [old value, new value]}`` for every setting that differs (a setting only
    one side has is None on the other); nested dicts (the budget) by dotted names."""
    return changed_keys(_flatten(old), _flatten(new))


def _flatten(settings: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in settings.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _compared(store: Store, record: RunRecord) -> ComparedRun:
    curve = run_curve(store, record.id)
    name = _design_name(store, record)
    revision = f" rev {record.design_revision}" if record.design_revision is not None else ""
    return ComparedRun(record.id, f"{name}{revision} · {record.id[-4:]}", record.design_id,
                       name, record.design_revision, record.status, curve,
                       final_metrics(record, curve))


def _design_name(store: Store, record: RunRecord) -> str:
    """The design's name now (a deleted design's too); else the one the run trained."""
    if record.design_id is not None:
        try:
            return store.get_design(record.design_id, include_deleted=True).name
        except NotFound:
            pass
    return str(record.design.get("name") or "Unsaved design")


def _finite(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)
