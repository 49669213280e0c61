"""``ms.train``: blocking training for notebooks and scripts, on the same manager the app uses."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from modelstudio_widget.training.manager import TrainingManager
from modelstudio_widget.training.ppo import PPOConfig, PPOTrainer


@dataclass
class Run:
    """A finished (or stopped) training run."""
    run_id: str
    design: dict[str, Any]
    trainer: PPOTrainer = field(repr=False)
    metrics: dict[str, Any] = field(repr=False)  # the final snapshot
    checkpoint: Path | None = None
    workspace: Path | None = None

    @property
    def model(self) -> Any:
        return self.trainer.model

    @property
    def score_curve(self) -> list[list[float]]:
        """[[env step, recent mean score], ...] (downsampled)."""
        return self.metrics.get("score_curve", [])


def _progress_bar(total: float, unit: str) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is optional
        return None
    return tqdm(total=total, unit=unit, leave=True, dynamic_ncols=True)


def _score_label(snap: dict[str, Any]) -> str:
    """The recent mean score; until a game has finished, the mean score of the games in play
    (marked "playing": on a large design a short budget may not finish one game)."""
    if snap.get("mean_score") is not None:
        return f"{snap['mean_score']:.0f}"
    playing = snap.get("playing_score")
    return f"{playing:.0f} playing" if playing else "-"


def train(design: dict[str, Any], seconds: float | None = None, steps: int | None = None,
          seed: int = 0, *, config: PPOConfig | None = None,
          workspace: str | os.PathLike[str] | None = None, progress: bool = True,
          design_id: str | None = None) -> Run:
    """Train a design with PPO until ``seconds`` of wall clock or ``steps`` moves (whichever
    comes first) and return the run. Blocking; shows a progress bar when ``progress``.

    The run, its metrics and checkpoints are recorded in the workspace's store, like runs
    started from the app.
    """
    if seconds is None and steps is None:
        raise ValueError("give a budget: seconds=... and/or steps=...")
    config = replace(config or PPOConfig(), seed=seed)
    manager = TrainingManager(workspace)
    bar = _progress_bar(seconds if seconds else float(steps or 0),
                        "s" if seconds else "step") if progress else None
    try:
        run_id = manager.start(design, config=config, seconds=seconds, steps=steps,
                               design_id=design_id)
        start = time.monotonic()
        while not manager.wait(timeout=0.5):
            if bar is not None:
                snap = manager.snapshot()
                done = time.monotonic() - start if seconds else snap["global_step"]
                bar.n = min(done, bar.total)
                bar.set_postfix(score=_score_label(snap), refresh=False)
                bar.refresh()
        if bar is not None:
            bar.n = bar.total
            bar.refresh()
        snap = manager.snapshot()
        if snap["state"] == "failed":
            raise RuntimeError(f"training failed: {snap.get('error')}")
        trainer = manager.trainer
        assert trainer is not None
        ckpt = manager.store.latest_checkpoint(run_id)
        return Run(run_id, design, trainer, snap, Path(ckpt.path) if ckpt else None,
                   manager.workspace)
    finally:
        if bar is not None:
            bar.close()
        manager.shutdown()
