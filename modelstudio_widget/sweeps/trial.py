"""One sweep trial, as Ray Tune runs it on a worker: the project's ``PPOTrainer`` on one
sampled point, for the sweep's budget.

The trial talks to the driver only through Ray: ``tune.report`` carries its metrics after
every iteration (so a scheduler such as ASHA can stop a weak trial at its rung) and, every
``CHECKPOINT_EVERY_S`` and at the end, a Ray ``Checkpoint``: a folder holding
the project's training checkpoint (``PPOTrainer.state_dict()`` saved with ``torch.save``,
the file the training manager writes and ``ms.export`` reads). A worker never opens the
workspace or its SQLite store: it may run on another machine.

A sampled design that fails validation is reported once, as invalid with its error codes,
and the trial ends without training. A retried trial (its worker died) resumes from its
latest checkpoint when it has one.
"""

from __future__ import annotations

import json
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from modelstudio_widget.design.rules import validate
from modelstudio_widget.sweeps.space import Axis, apply_point
from modelstudio_widget.training.ppo import PPOConfig, PPOTrainer

CHECKPOINT_EVERY_S = 30.0
CHECKPOINT_FILE = "checkpoint.pt"
PROGRESS_FILE = "progress.json"  # beside the checkpoint: the training time it holds

# Keys of a trial's reports (beside the metric itself, reported under its own name).
SNAPSHOT = "snapshot"  # the trainer's metrics (plain JSON data): one history row
BUDGET_DONE = "budget_done"  # True in the report of a trial that used its whole budget
INVALID = "invalid"  # True (with "error_codes") for a sampled design that does not validate


@dataclass(frozen=True)
class TrialPlan:
    """What every trial of a sweep shares (Ray hands it to each trial once)."""
    design: dict[str, Any]
    config: dict[str, Any]  # PPOConfig.to_dict(): the settings the space does not vary
    axes: tuple[Axis, ...]
    seconds: float | None
    steps: int | None
    metric: str

    def point(self, values: dict[str, Any]) -> tuple[dict[str, Any], PPOConfig]:
        """The design and the config a trial trains for its sampled ``values``."""
        return apply_point(self.design, PPOConfig.from_dict(self.config), list(self.axes),
                           values)

    def progress(self, elapsed_s: float, steps: int) -> float:
        """How much of the budget is used (0 -> 1), whichever of time and steps is first."""
        parts = [elapsed_s / self.seconds] if self.seconds else []
        if self.steps:
            parts.append(steps / self.steps)
        return max(parts) if parts else 1.0


def run_trial(values: dict[str, Any], plan: TrialPlan) -> None:
    """The Ray Tune function trainable: train ``plan``'s design at ``values``."""
    from ray import tune  # Ray is an optional extra; every worker has it

    design, config = plan.point(values)
    check = validate(design)
    if not check.valid:
        tune.report({INVALID: True, "error_codes": check.error_codes,
                     "errors": [i.message for i in check.errors if i.severity == "error"],
                     plan.metric: math.nan, BUDGET_DONE: True})
        return
    trainer = PPOTrainer(design, config)
    elapsed_before = resume(trainer, tune.get_checkpoint())
    started = time.monotonic() - elapsed_before
    start_step = trainer.global_step
    last_checkpoint = time.monotonic()
    while True:
        elapsed = time.monotonic() - started
        trainer.set_progress(plan.progress(elapsed, trainer.global_step))
        trainer.train_iteration()
        now = time.monotonic()
        elapsed = now - started
        done = plan.progress(elapsed, trainer.global_step) >= 1.0
        rate = (trainer.global_step - start_step) / max(elapsed - elapsed_before, 1e-9)
        result = report_of(trainer, elapsed, rate, plan.metric, done)
        if done or now - last_checkpoint >= CHECKPOINT_EVERY_S:
            with tempfile.TemporaryDirectory(prefix="modelstudio-trial-") as folder:
                save_checkpoint(trainer, Path(folder), elapsed)
                # Ray copies the folder into the sweep's storage before report returns.
                tune.report(result, checkpoint=tune.Checkpoint.from_directory(folder))
            last_checkpoint = time.monotonic()
        else:
            tune.report(result)
        if done:
            return


def report_of(trainer: PPOTrainer, elapsed_s: float, env_steps_per_second: float,
              metric: str, done: bool) -> dict[str, Any]:
    """One report: the trainer's snapshot, and the numbers Tune's schedulers read."""
    snapshot = {**trainer.metrics(steps_per_second=env_steps_per_second),
                "elapsed_s": elapsed_s}
    value = snapshot.get(metric)
    return {SNAPSHOT: snapshot, "global_step": trainer.global_step, "elapsed_s": elapsed_s,
            metric: float(value) if isinstance(value, (int, float)) else math.nan,
            BUDGET_DONE: done}


def save_checkpoint(trainer: PPOTrainer, folder: Path, elapsed_s: float) -> Path:
    """Write the trainer's checkpoint (and the training time it holds) into ``folder``."""
    path = folder / CHECKPOINT_FILE
    torch.save(trainer.state_dict(), path)
    (folder / PROGRESS_FILE).write_text(json.dumps({"elapsed_s": elapsed_s}))
    return path


def load_state(path: str | Path) -> dict[str, Any]:
    """A training checkpoint's contents (a safe load: tensors and plain data only)."""
    return torch.load(path, map_location="cpu", weights_only=True)


def trainer_from_checkpoint(path: str | Path) -> PPOTrainer:
    """A trainer rebuilt from a training checkpoint, as it was when it was written."""
    state = load_state(path)
    trainer = PPOTrainer(state["design"], PPOConfig.from_dict(state["config"]))
    trainer.load_state_dict(state)
    return trainer


def resume(trainer: PPOTrainer, checkpoint: Any) -> float:
    """Load a retried trial's latest Ray checkpoint, if any; the training time it held."""
    if checkpoint is None:
        return 0.0
    with checkpoint.as_directory() as folder:
        trainer.load_state_dict(load_state(Path(folder) / CHECKPOINT_FILE))
        progress = Path(folder) / PROGRESS_FILE
        return float(json.loads(progress.read_text())["elapsed_s"]) if progress.is_file() \
            else 0.0
