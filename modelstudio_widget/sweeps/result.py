"""What ``ms.sweep`` returns: one row per trial, the best run, and the results table."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelstudio_widget.sweeps.trial import trainer_from_checkpoint
from modelstudio_widget.training.api import Run
from modelstudio_widget.training.manager import downsample

COLUMNS = ("trial", "status", "metric", "global_step", "elapsed_s", "env_steps_per_second",
           "run_id", "note")


@dataclass(frozen=True)
class TrialResult:
    """One trial of a sweep, as recorded."""
    index: int
    trial_id: str
    status: str  # finished | stopped | failed | invalid | not started (running: progress)
    values: dict[str, Any]  # what it sampled, {label: value}
    metric: float | None  # the sweep's metric at the trial's end
    global_step: int
    elapsed_s: float
    env_steps_per_second: float | None  # moves per second of training, all games together
    run_id: str | None = None  # its run in the store (None if it never ran)
    checkpoint: Path | None = None  # its final checkpoint, in the workspace
    reason: str | None = None
    error_codes: list[str] = field(default_factory=list)
    attempts: int = 1
    history: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @classmethod
    def of(cls, end: Any, metric: str) -> TrialResult:
        """The row of a ``tracking.TrialEnd`` (before it is recorded)."""
        last = end.history[-1] if end.history else {}
        value = last.get(metric)
        step = int(last.get("global_step") or 0)
        elapsed = float(last.get("elapsed_s") or 0.0)
        return cls(end.index, end.trial_id, end.status, dict(end.values),
                   float(value) if isinstance(value, (int, float)) and math.isfinite(value)
                   else None, step, elapsed, step / elapsed if elapsed > 0 else None,
                   reason=end.reason, error_codes=list(end.error_codes),
                   attempts=end.attempts, history=list(end.history))

    def row(self) -> dict[str, Any]:
        """The trial as one row of the results table (its sampled values as columns)."""
        note = self.reason or ""
        if self.error_codes:
            note = f"{', '.join(self.error_codes)}: {note}"
        if self.attempts > 1:
            note = f"{note} ({self.attempts} attempts)".strip()
        return {"trial": self.index, **self.values, "status": self.status,
                "metric": self.metric, "global_step": self.global_step,
                "elapsed_s": round(self.elapsed_s, 1),
                "env_steps_per_second": None if self.env_steps_per_second is None
                else round(self.env_steps_per_second),
                "run_id": self.run_id, "note": note}


@dataclass
class Sweep:
    """A finished (or stopped) sweep: ``results`` holds one ``TrialResult`` per trial."""
    id: str
    name: str
    metric: str
    mode: str  # "max" or "min"
    results: list[TrialResult]
    workspace: Path
    design_id: str
    seconds: float  # wall clock of the whole sweep
    planned: int  # trials asked for (fewer ran if the sweep was interrupted)
    interrupted: bool = False  # stopped by Ctrl+C / the kernel's stop button

    @property
    def trials_per_minute(self) -> float:
        ran = sum(1 for r in self.results if r.status != "not started")
        return 60.0 * ran / self.seconds if self.seconds > 0 else 0.0

    @property
    def env_steps_per_second(self) -> float:
        """Moves played by all trials together, per second of the sweep's wall clock."""
        return sum(r.global_step for r in self.results) / self.seconds if self.seconds else 0.0

    def ranked(self) -> list[TrialResult]:
        """Trials with a checkpoint and a metric value, best first."""
        scored = [r for r in self.results if r.metric is not None and r.checkpoint is not None]
        return sorted(scored, key=lambda r: r.metric, reverse=self.mode == "max")

    def best_result(self) -> TrialResult:
        ranked = self.ranked()
        if not ranked:
            raise ValueError(f"no trial of sweep {self.name} has a {self.metric} and a "
                             "checkpoint: see .results for what happened")
        return ranked[0]

    def best(self) -> Run:
        """The best trial as a training ``Run`` (``ms.evaluate``, ``ms.export`` and the app,
        by its ``run_id``, accept it), rebuilt from its final checkpoint."""
        best = self.best_result()
        assert best.checkpoint is not None
        trainer = trainer_from_checkpoint(best.checkpoint)
        curve = [[h["global_step"], h["mean_score"]] for h in best.history
                 if h.get("mean_score") is not None]
        metrics = {**(best.history[-1] if best.history else {}), "run_id": best.run_id,
                   "score_curve": downsample(curve)}
        return Run(best.run_id or best.trial_id, trainer.design or {}, trainer, metrics,
                   best.checkpoint, self.workspace)

    def table(self) -> list[dict[str, Any]]:
        """The results table as rows of plain data (trial order)."""
        return [r.row() for r in sorted(self.results, key=lambda r: r.index)]

    def to_frame(self) -> Any:
        """The results table as a pandas DataFrame (needs pandas)."""
        import pandas as pd  # optional: only this method needs it

        return pd.DataFrame(self.table()).set_index("trial")

    def _columns(self) -> list[str]:
        labels = list(self.results[0].values) if self.results else []
        return ["trial", *labels, *COLUMNS[1:]]

    def __str__(self) -> str:
        rows = self.table()
        columns = self._columns()
        cells = [[_cell(row.get(c)) for c in columns] for row in rows]
        widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
        lines = [self._title(), "  ".join(c.ljust(w) for c, w in zip(columns, widths))]
        lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in cells]
        return "\n".join(line.rstrip() for line in lines)

    def _title(self) -> str:
        done = sum(1 for r in self.results if r.run_id)
        stopped = " (interrupted)" if self.interrupted else ""
        return (f"sweep {self.name} ({self.id}){stopped}: {done} of {self.planned} trials "
                f"recorded, metric {self.metric} ({self.mode}), {self.seconds:.0f} s")

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        columns = self._columns()
        head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(row.get(c)))}</td>"
                                        for c in columns) + "</tr>" for row in self.table())
        return (f"<p>{html.escape(self._title())}</p><table><thead><tr>{head}</tr></thead>"
                f"<tbody>{body}</tbody></table>")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.0f}"
    return str(value)
