"""Evaluations of a run: N full games played with one of its checkpoints, summarised as
mean score +- standard error, best score and max-tile rates. A run keeps every evaluation;
runs and compare show the latest."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from typing import Any

from modelstudio_widget.store.checks import check_int, dumps
from modelstudio_widget.store.connection import DatabasePart
from modelstudio_widget.store.records import NotFound

_SELECT = ("SELECT id, run_id, step, games, seed, mean_score, se, best_score, "
           "max_tile_rates_json, created_at FROM evaluations ")


@dataclass(frozen=True)
class EvaluationRecord:
    """One stored evaluation. ``max_tile_rates``: {"128": share of games, ...} (JSON keys);
    ``step``: the training step of the checkpoint played (None if unknown)."""

    id: int
    run_id: str
    step: int | None
    games: int
    seed: int
    mean_score: float
    se: float
    best_score: int
    max_tile_rates: dict[str, float]
    created_at: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON, as the page and ``RunSummary.evaluation`` carry it."""
        return {"id": self.id, "run_id": self.run_id, "step": self.step, "games": self.games,
                "seed": self.seed, "mean_score": self.mean_score, "se": self.se,
                "best_score": self.best_score, "max_tile_rates": dict(self.max_tile_rates),
                "created_at": self.created_at}


def _record(row: tuple[Any, ...]) -> EvaluationRecord:
    return EvaluationRecord(*row[:8], json.loads(row[8]), row[9])


def _check_number(value: object, what: str) -> float:
    if type(value) not in (int, float) or not math.isfinite(value):  # type: ignore[arg-type]
        raise ValueError(f"{what} must be a finite number; got {value!r:.80}")
    return float(value)  # type: ignore[arg-type]


class Evaluations(DatabasePart):
    """Evaluations of runs (a run's rows go when the run is deleted)."""

    def add_evaluation(self, run_id: str, *, games: int, seed: int, mean_score: float,
                       se: float, best_score: int, max_tile_rates: dict[Any, float],
                       step: int | None = None) -> EvaluationRecord:
        """Store one evaluation of ``run_id`` and return it. ``max_tile_rates``: tile ->
        share of games in [0, 1] (int or str keys: stored as JSON, so read back as str)."""
        check_int(games, "games", minimum=1)
        check_int(seed, "seed", minimum=0)
        check_int(best_score, "best_score", minimum=0)
        if step is not None:
            check_int(step, "step", minimum=0)
        mean, error = _check_number(mean_score, "mean_score"), _check_number(se, "se")
        if not isinstance(max_tile_rates, dict) or not all(
                0.0 <= _check_number(p, "a max-tile rate") <= 1.0
                for p in max_tile_rates.values()):
            raise ValueError("max_tile_rates must map tiles to shares in [0, 1]")
        rates = dumps({str(k): float(v) for k, v in max_tile_rates.items()}, "max_tile_rates")
        with self.database.write() as conn:
            if conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
                raise NotFound(f"no run {run_id!r}")
            cursor = conn.execute(
                "INSERT INTO evaluations (run_id, step, games, seed, mean_score, se, "
                "best_score, max_tile_rates_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, step, games, seed, mean, error, best_score, rates, time.time()))
            row = conn.execute(_SELECT + "WHERE id = ?", (cursor.lastrowid,)).fetchone()
        return _record(row)

    def evaluations(self, run_id: str) -> list[EvaluationRecord]:
        """The run's evaluations, newest first (none for an unknown run)."""
        rows = self.database.connection().execute(
            _SELECT + "WHERE run_id = ? ORDER BY id DESC", (run_id,)).fetchall()
        return [_record(row) for row in rows]

    def latest_evaluation(self, run_id: str) -> EvaluationRecord | None:
        """The run's most recent evaluation, or None."""
        row = self.database.connection().execute(
            _SELECT + "WHERE run_id = ? ORDER BY id DESC LIMIT 1", (run_id,)).fetchone()
        return None if row is None else _record(row)
