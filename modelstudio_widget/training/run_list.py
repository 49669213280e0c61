"""``ms.runs()``: the stored runs as Python objects, the same ones the runs sheet shows.

Each item is a ``StoredRun``: a training ``Run`` (so ``ms.evaluate`` and ``ms.export`` take
it) whose trainer is loaded from the run's latest checkpoint on first use, with the run's
``summary`` and ``resume(seconds=..., steps=...)``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from modelstudio_widget.store import Store
from modelstudio_widget.training.api import Run
from modelstudio_widget.training.manager import TrainingManager
from modelstudio_widget.training.ppo import PPOConfig, PPOTrainer
from modelstudio_widget.training.runs import RunQueries, RunSummary, check_resumable
from modelstudio_widget.workspace import resolve_workspace


class CheckpointUnusable(RuntimeError):
    """The run has no checkpoint, or its file is missing or unreadable."""


class StoredRun(Run):
    """A run from the workspace's store. ``trainer`` (and so ``model``) is read from the
    run's latest checkpoint the first time it is needed."""

    def __init__(self, summary: RunSummary, design: dict[str, Any], workspace: Path) -> None:
        # Not Run.__init__: the trainer and metrics are loaded on demand.
        self.summary = summary
        self.run_id = summary.id
        self.design = design
        self.workspace = workspace
        self._trainer: PPOTrainer | None = None
        self._metrics: dict[str, Any] | None = None

    def __repr__(self) -> str:
        s = self.summary
        score = "-" if s.mean_score is None else f"{s.mean_score:.0f}"
        return (f"StoredRun({s.id}, {s.design_name or s.design_id!r}, {s.status}, "
                f"{s.moves:,} moves, mean score {score})")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StoredRun) and other.run_id == self.run_id

    __hash__ = None  # type: ignore[assignment] - mutable, like Run

    @property  # type: ignore[override]
    def trainer(self) -> PPOTrainer:
        if self._trainer is None:
            self._trainer = load_trainer(self.checkpoint, self.run_id)
        return self._trainer

    @property  # type: ignore[override]
    def checkpoint(self) -> Path | None:
        """The run's latest checkpoint file (None if it has none)."""
        with Store.in_workspace(self.workspace) as store:
            record = store.latest_checkpoint(self.run_id)
        return None if record is None else Path(record.path)

    @property  # type: ignore[override]
    def metrics(self) -> dict[str, Any]:
        """The run's final (or latest) numbers, with its score curve."""
        if self._metrics is None:
            with Store.in_workspace(self.workspace) as store:
                queries = RunQueries(store)
                row = queries.latest_metrics(self.run_id) or {}
                curve = queries.curve(self.run_id)
            s = self.summary
            self._metrics = {**row, "global_step": s.moves, "mean_score": s.mean_score,
                             "best_score": s.best_score, "elapsed_s": s.duration_s,
                             "score_curve": [p[:2] for p in curve]}
        return self._metrics

    def refresh(self) -> StoredRun:
        """Read the run's summary again from the store (another kernel may train it)."""
        with Store.in_workspace(self.workspace) as store:
            self.summary = RunQueries(store).summary(self.run_id)
        self._metrics = None
        return self

    def resume(self, seconds: float | None = None, steps: int | None = None) -> StoredRun:
        """Continue training from the latest checkpoint for ``seconds`` of wall clock or
        ``steps`` moves (blocking, like ``ms.train``); returns this run, refreshed.
        Only a stopped or interrupted run resumes (``NotResumable`` says why not)."""
        if seconds is None and steps is None:
            raise ValueError("give a budget: seconds=... and/or steps=...")
        check_resumable(self.refresh().summary)
        manager = TrainingManager(self.workspace)
        try:
            manager.resume(self.run_id, seconds=seconds, steps=steps)
            manager.wait()
            snap = manager.snapshot()
            if snap["state"] == "failed":
                raise RuntimeError(f"training failed: {snap.get('error')}")
            self._trainer = manager.trainer
        finally:
            manager.shutdown()
        return self.refresh()


def load_trainer(checkpoint: Path | None, run_id: str) -> PPOTrainer:
    """The trainer saved in a checkpoint file (weights, optimizer, counters, games)."""
    if checkpoint is None:
        raise CheckpointUnusable(f"run {run_id} has no checkpoint yet")
    if not checkpoint.is_file():
        raise CheckpointUnusable(f"run {run_id}'s checkpoint {checkpoint} is missing")
    try:
        state = torch.load(checkpoint, weights_only=True)
        trainer = PPOTrainer(state["design"], PPOConfig.from_dict(state["config"]))
        trainer.load_state_dict(state)
    except Exception as exc:  # a truncated or foreign file: say which run, which file
        raise CheckpointUnusable(f"run {run_id}'s checkpoint {checkpoint.name} cannot be "
                                 f"read ({type(exc).__name__}: {exc})") from None
    return trainer


class RunList(list[StoredRun]):
    """Runs, newest first. ``to_frame()``: one row per run (needs pandas)."""

    def to_frame(self) -> Any:
        try:
            import pandas as pd  # optional dependency, imported only here
        except ImportError:
            raise ImportError("RunList.to_frame() needs pandas: pip install pandas") from None
        rows = []
        for run in self:
            row = run.summary.to_dict()
            for tile, rate in row.pop("tile_rates").items():
                row[f"rate_{tile}"] = rate
            row["started_at"] = pd.to_datetime(row["started_at"], unit="s")
            del row["sparkline"]
            rows.append(row)
        return pd.DataFrame(rows).set_index("id") if rows else pd.DataFrame()


def runs(design: str | dict[str, Any] | None = None, *,
         workspace: str | os.PathLike[str] | None = None) -> RunList:
    """The workspace's runs, newest first; with ``design`` (an id, or a design dict with
    its ``id``) only that design's. Runs from the app and from ``ms.train`` alike."""
    design_id = design.get("id") if isinstance(design, dict) else design
    if design is not None and not isinstance(design_id, str):
        raise ValueError("design must be a design id or a stored design (a dict with 'id')")
    ws = resolve_workspace(workspace)
    with Store.in_workspace(ws) as store:
        store.mark_interrupted_runs()
        records = store.list_runs(design_id)
        summaries = RunQueries(store).summarise(records)
    return RunList(StoredRun(s, r.design, ws) for s, r in zip(summaries, records, strict=True))
