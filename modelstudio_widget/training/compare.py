"""Comparing training runs: their score curves, final numbers and what differs between them.

Jupyter-free and torch-free: the compare sheet (through the ``compare_runs`` command) and
``ms.compare`` (a matplotlib figure) both read a ``Comparison`` built here from the store.
Runs may come from one design or several; the first run is the one the others are measured
against ("what differs" is always first run -> other run).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from modelstudio_widget.design.diff import changed_keys, diff_designs
from modelstudio_widget.store import NotFound, Store
from modelstudio_widget.training.runs import CurvePoint, RunQueries, RunSummary

MIN_RUNS = 2
MAX_RUNS = 6
#: Points per curve sent to the page or plotted (the chart is a few hundred pixels wide).
COMPARE_CURVE_POINTS = 400
#: The final numbers of each run (``RunSummary`` fields) the table shows.
METRIC_FIELDS = ("moves", "duration_s", "mean_score", "best_score", "tile_rates",
                 "evaluation")


class CompareError(ValueError):
    """Runs that cannot be compared; ``code`` says why (the message names the run)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ComparedRun:
    """One run of a comparison: its summary (as the runs sheet lists it), its tag (see
    ``run_tag``) and its curve ``[[moves, mean score, seconds], ...]``."""

    summary: RunSummary
    tag: str
    curve: list[CurvePoint]

    @property
    def id(self) -> str:
        return self.summary.id

    @property
    def label(self) -> str:
        """The run in a legend: its design's name and its tag."""
        return f"{self.summary.design_name or 'Unsaved design'} · {self.tag}"

    def to_dict(self) -> dict[str, Any]:
        s = self.summary
        return {"id": s.id, "label": self.label, "tag": self.tag, "design_id": s.design_id,
                "design_name": s.design_name, "revision": s.revision, "status": s.status,
                "curve": self.curve,
                "metrics": {name: getattr(s, name) for name in METRIC_FIELDS}}


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
    store.mark_interrupted_runs()
    queries = RunQueries(store)
    summaries = queries.summarise(records)
    runs = [ComparedRun(s, run_tag(s), queries.curve(s.id, COMPARE_CURVE_POINTS))
            for s in summaries]
    base = records[0]
    differences = [Difference(other.id, base.id, diff_designs(base.design, other.design),
                              settings_diff(base.config, other.config))
                   for other in records[1:]]
    return Comparison(runs, differences)


def run_tag(summary: RunSummary) -> str:
    """What tells runs of one design apart: "rev 3 · 8b59" (the revision it trained and
    its id's end)."""
    revision = f"rev {summary.revision} · " if summary.revision is not None else ""
    return f"{revision}{summary.id[-4:]}"


def check_run_ids(run_ids: Sequence[str]) -> None:
    if not MIN_RUNS <= len(run_ids) <= MAX_RUNS:
        raise CompareError("BAD_SELECTION", f"Compare takes {MIN_RUNS} to {MAX_RUNS} runs; "
                           f"{len(run_ids)} were given.")
    seen: set[str] = set()
    for run_id in run_ids:
        if run_id in seen:
            raise CompareError("BAD_SELECTION", f"Run {run_id} is selected twice.")
        seen.add(run_id)


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
