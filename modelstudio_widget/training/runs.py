"""What the runs sheet and ``ms.runs()`` show: one summary per run, and one run's curve.

Torch-free (the widget lists runs without importing torch). Every number comes from the
store: the run's final summary when it ended, else its latest metrics row (a run training
now, or one whose kernel died). A design's runs are summarised with two queries over all
of them (``Store.score_points`` / ``Store.latest_metrics``), so 100 runs list quickly.
"""

from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass
from typing import Any

from modelstudio_widget.store import NotFound, RunRecord, Store

#: The store's "running" is what the page calls "training".
SHOWN_STATUS = {"running": "training"}
#: The runs that can continue from their checkpoint.
RESUMABLE = ("stopped", "interrupted")
#: The max-tile rates a summary carries (the page's columns).
SUMMARY_TILES = ("512", "1024", "2048")
SPARKLINE_POINTS = 32
#: The most points of a run's curve sent to the page (1 row/s: ~2.5 h of training).
CURVE_POINTS = 10_000

CurvePoint = list[float]  # [moves, mean score, training seconds]


@dataclass(frozen=True)
class RunSummary:
    """One run as the runs sheet lists it (see the loop contract for each field)."""
    id: str
    design_id: str | None
    design_name: str
    revision: int | None
    status: str  # training / finished / stopped / interrupted / failed
    started_at: float  # unix seconds
    duration_s: float  # seconds of training (pauses between a stop and a resume excluded)
    moves: int
    mean_score: float | None
    best_score: int | None
    tile_rates: dict[str, float]
    sparkline: list[list[float]]  # [[moves, mean score], ...], at most SPARKLINE_POINTS
    settings: dict[str, Any]
    sweep: dict[str, Any] | None
    evaluation: dict[str, Any] | None
    error: str | None = None  # a failed run's last lines of traceback

    @property
    def resumable(self) -> bool:
        return self.status in RESUMABLE

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "resumable": self.resumable}


class NotResumable(Exception):
    """The run cannot continue (it trains now, finished or failed)."""


def check_resumable(summary: RunSummary) -> None:
    """``NotResumable`` saying why, unless the run is stopped or interrupted."""
    if summary.status == "training":
        raise NotResumable(f"run {summary.id} is training: nothing to resume")
    if not summary.resumable:
        raise NotResumable(f"run {summary.id} is {summary.status}: only a stopped or "
                           "interrupted run can be resumed")


def thin(points: list[list[float]], limit: int) -> list[list[float]]:
    """At most ``limit`` points: consecutive buckets averaged, the last point kept exact
    (a sparkline ends on the run's latest score)."""
    if len(points) <= limit:
        return [list(p) for p in points]
    if limit < 2:
        return [list(points[-1])][:limit]
    body, size = points[:-1], (len(points) - 1) / (limit - 1)
    out = []
    for b in range(limit - 1):
        bucket = body[int(b * size):max(int((b + 1) * size), int(b * size) + 1)]
        out.append([sum(p[i] for p in bucket) / len(bucket) for i in range(len(bucket[0]))])
    return out + [list(points[-1])]


def training_curve(points: list[tuple[int, float, float | None]]) -> list[CurvePoint]:
    """``[[moves, mean score, seconds], ...]`` with seconds counted across resumes: each
    resume restarts the recorded ``elapsed_s`` at 0, so it is added to the time before."""
    curve: list[CurvePoint] = []
    offset = last = 0.0
    for step, score, elapsed in points:
        if elapsed is None:
            elapsed = last
        elif elapsed < last:  # a new segment (a resume)
            offset += last
        last = elapsed
        curve.append([step, score, round(offset + elapsed, 3)])
    return curve


class RunQueries:
    """Summaries and curves of the runs in one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def summaries(self, design_id: str | None = None) -> list[RunSummary]:
        """The design's runs (all runs without one), newest first. A "running" run whose
        process died is marked interrupted first (it can be resumed)."""
        self.store.mark_interrupted_runs()
        return self.summarise(self.store.list_runs(design_id))

    def summary(self, run_id: str) -> RunSummary:
        """One run's summary; ``NotFound`` if there is no such run."""
        self.store.mark_interrupted_runs()
        return self.summarise([self.store.get_run(run_id)])[0]

    def curve(self, run_id: str, limit: int = CURVE_POINTS) -> list[CurvePoint]:
        """The run's mean-score curve ``[[moves, score, seconds], ...]`` (thinned to
        ``limit`` points only for very long runs)."""
        self.store.get_run(run_id)  # NotFound check
        points = self.store.score_points([run_id]).get(run_id, [])
        return thin(training_curve(points), limit)

    def latest_metrics(self, run_id: str) -> dict[str, Any] | None:
        """The run's latest metrics row (a complete snapshot but the curve), or None."""
        row = self.store.latest_metrics([run_id]).get(run_id)
        return None if row is None else row[1]

    def summarise(self, runs: list[RunRecord]) -> list[RunSummary]:
        """Summaries of these runs, in their order."""
        ids = [r.id for r in runs]
        points = self.store.score_points(ids)
        latest = self.store.latest_metrics(ids)
        designs = _DesignIndex(self.store)
        return [self._one(run, training_curve(points.get(run.id, [])),
                          latest.get(run.id, (0, {}))[1], designs) for run in runs]

    def _one(self, run: RunRecord, curve: list[CurvePoint], row: dict[str, Any],
             designs: _DesignIndex) -> RunSummary:
        # An ended run's summary is final; a training run's latest row is newer than the
        # summary of its last stop (a resumed run), and a run whose kernel died has only rows.
        final = {k: v for k, v in (run.summary or {}).items() if v is not None}
        numbers = {**final, **row} if run.status == "running" else {**row, **final}
        rates = numbers.get("max_tile_rates") or {}
        trained = curve[-1][2] if curve else 0.0
        duration = max(trained, _number(numbers.get("elapsed_s")) or 0.0)
        if not duration and run.status != "running":
            duration = max(0.0, run.updated_at - run.created_at)
        config = run.config if isinstance(run.config, dict) else {}
        sweep = config.get("sweep")
        error = (run.summary or {}).get("error")
        return RunSummary(
            id=run.id, design_id=run.design_id,
            design_name=designs.name(run),
            revision=run.design_revision or designs.revision_at(run),
            status=SHOWN_STATUS.get(run.status, run.status),
            started_at=run.created_at, duration_s=round(duration, 3),
            moves=int(_number(numbers.get("global_step")) or (curve[-1][0] if curve else 0)),
            mean_score=_number(numbers.get("mean_score")),
            best_score=_int(numbers.get("best_score")),
            tile_rates={t: float(_number(rates.get(t)) or 0.0) for t in SUMMARY_TILES},
            sparkline=[p[:2] for p in thin(curve, SPARKLINE_POINTS)],
            settings=config, sweep=sweep if isinstance(sweep, dict) else None,
            evaluation=self._evaluation(run.id),
            error=error if isinstance(error, str) else None)

    def _evaluation(self, run_id: str) -> dict[str, Any] | None:
        found = self.store.latest_evaluation(run_id)
        return None if found is None else found.to_dict()


class _DesignIndex:
    """Design names and revision times, read once per design for a whole listing."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._names: dict[str, str | None] = {}
        self._saved: dict[str, list[float]] = {}

    def name(self, run: RunRecord) -> str:
        if run.design_id is not None and run.design_id not in self._names:
            try:
                self._names[run.design_id] = self.store.get_design(
                    run.design_id, include_deleted=True).name
            except NotFound:
                self._names[run.design_id] = None
        stored = self._names.get(run.design_id) if run.design_id else None
        fallback = run.design.get("name") if isinstance(run.design, dict) else None
        return stored or (fallback if isinstance(fallback, str) else "")

    def revision_at(self, run: RunRecord) -> int | None:
        """The revision that was current when the run started (what the app trains: an
        edit is saved before Train runs). For runs stored without their revision."""
        if run.design_id is None:
            return None
        if run.design_id not in self._saved:
            try:
                history = self.store.history(run.design_id, include_deleted=True)
            except NotFound:
                history = []
            self._saved[run.design_id] = [h.saved_at for h in history]
        saved = self._saved[run.design_id]
        at = bisect.bisect_right(saved, run.created_at)
        return at or (1 if saved else None)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else None


def _int(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)
