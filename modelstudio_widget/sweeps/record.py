"""Recording a sweep's trials in the workspace store: the driver is its only writer.

Every trial that ran becomes a run of the sweep's design: the exact design it trained,
its settings (with the sweep's id, name and the values it sampled under ``config["sweep"]``),
its metric history, its final checkpoint (copied into ``<workspace>/checkpoints/<run id>/``,
beside those of the app's runs) and its status: "finished", "stopped" (by the scheduler or
because the sweep was stopped; ``summary["reason"]`` says which) or "failed" (the error in
``summary["error"]``). A sampled design that does not validate is a "failed" run too, with
``summary["invalid"]`` and its ``error_codes``: every trial of a sweep then shows in the runs
and compare sheets, and a missing combination says why it is missing.

A trial is written only once it has ended, in one go with Ctrl+C held back (the rows of one
run are several transactions): the store never holds a half-written trial.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from modelstudio_widget.exporters.source import summary
from modelstudio_widget.store import NotFound, Store
from modelstudio_widget.sweeps.result import TrialResult
from modelstudio_widget.sweeps.trial import CHECKPOINT_FILE, TrialPlan
from modelstudio_widget.training.manager import RECORD_EVERY_S
from modelstudio_widget.workspace import subdir

log = logging.getLogger(__name__)

@dataclass
class TrialEnd:
    """How a trial ended, with everything the driver records about it."""
    index: int  # the order in which Tune started the trials
    trial_id: str
    values: dict[str, Any]  # the point it sampled, {label: value}
    status: str  # finished | stopped | failed | invalid | not started (running: progress)
    history: list[dict[str, Any]] = field(default_factory=list)  # snapshots, step order
    checkpoint: Any = None  # the Ray Checkpoint of its latest checkpoint, if any
    reason: str | None = None  # why it stopped or failed
    error_codes: list[str] = field(default_factory=list)  # an invalid design's
    traceback: str | None = None
    attempts: int = 1  # a trial whose worker died is retried (FailureConfig)


RUN_STATUS = {"finished": "finished", "stopped": "stopped", "failed": "failed",
              "invalid": "failed"}


@contextmanager
def interrupts_held() -> Iterator[None]:
    """Hold back Ctrl+C (SIGINT) until the block is done, then deliver it. Only the main
    thread receives signals; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[tuple[int, Any]] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append((signum, frame)))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught and callable(previous):
            previous(*caught[0])


def design_home(store: Store, design: dict[str, Any]) -> tuple[str, int | None]:
    """The stored design the sweep's runs belong to, and the revision they start from.

    A design already in the store (by id) is used as it is: its runs name its current
    revision when the sweep's design is that revision, no revision otherwise (each run
    still keeps the exact design it trained). Any other design is stored first.
    """
    design_id = design.get("id")
    if isinstance(design_id, str):
        try:
            stored = store.get_design(design_id)
        except (NotFound, ValueError):
            stored = None
        if stored is not None:
            same = _content(stored.design) == _content(design)
            return stored.id, stored.revision if same else None
    created = store.create_design(design)
    return created.id, created.revision


def _content(design: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in design.items() if k not in ("id", "name")}


@dataclass(frozen=True)
class SweepTag:
    """What every run of a sweep carries in ``config["sweep"]``."""
    id: str
    name: str
    metric: str

    def entry(self, end: TrialEnd, plan: TrialPlan) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "trial": end.index, "trial_id": end.trial_id,
                "values": end.values, "metric": self.metric, "seconds": plan.seconds,
                "steps": plan.steps}


class Recorder:
    """Writes ended trials into the store as runs of ``design_id``."""

    def __init__(self, store: Store, workspace: Path, plan: TrialPlan, tag: SweepTag,
                 design_id: str, design_revision: int | None) -> None:
        self.store = store
        self.workspace = workspace
        self.plan = plan
        self.tag = tag
        self.design_id = design_id
        self.design_revision = design_revision

    def record(self, end: TrialEnd) -> TrialResult:
        """The trial's row of the sweep's results, its run written (unless it never ran)."""
        result = TrialResult.of(end, self.tag.metric)
        if end.status == "not started":
            return result
        with interrupts_held():
            staged = None
            try:
                staged = self._stage(end.checkpoint)
                run_id, checkpoint = self._write(end, staged)
            except Exception as e:  # a full disk must not lose the trials still running
                log.exception("could not record trial %s", end.trial_id)
                return replace(result, reason=f"not recorded: {type(e).__name__}: {e}")
            finally:
                if staged is not None:
                    staged.unlink(missing_ok=True)
        return replace(result, run_id=run_id, checkpoint=checkpoint)

    def _stage(self, checkpoint: Any) -> Path | None:
        """Copy the trial's checkpoint out of Ray's storage, next to where it will live."""
        if checkpoint is None:
            return None
        staged = subdir(self.workspace, "checkpoints") / f".sweep-{secrets.token_hex(6)}.tmp"
        with checkpoint.as_directory() as folder:
            shutil.copyfile(Path(folder) / CHECKPOINT_FILE, staged)
        return staged

    def _write(self, end: TrialEnd, staged: Path | None) -> tuple[str, Path | None]:
        design, config = self.plan.point(end.values)
        design["id"] = self.design_id
        run_id = self.store.create_run(
            self.design_id, design=design, design_revision=self.design_revision,
            config={**config.to_dict(), "sweep": self.tag.entry(end, self.plan)})
        try:
            for row in thin(end.history):
                self.store.add_metrics(run_id, row["global_step"], row)
            final = summary(end.history[-1] if end.history else None) or {}
            path = None
            if staged is not None:
                step = int(final.get("global_step") or 0)
                folder = subdir(self.workspace, "checkpoints") / run_id
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"step_{step:012d}.pt"
                os.replace(staged, path)
                self.store.add_checkpoint(run_id, path=str(path), step=step, metrics=final)
            self.store.update_run(run_id, status=RUN_STATUS[end.status],
                                  summary={**final, **_details(end)})
        except BaseException:
            self.store.update_run(run_id, status="failed",
                                  summary={"error": "the sweep could not record this trial"})
            raise
        return run_id, path


def thin(history: list[dict[str, Any]], every_s: float = RECORD_EVERY_S
         ) -> list[dict[str, Any]]:
    """The metric-history rows a run keeps: one per ``every_s`` of training at most (as
    the app's runs record them), and always the last."""
    kept: list[dict[str, Any]] = []
    for row in history[:-1]:
        if not kept or row["elapsed_s"] - kept[-1]["elapsed_s"] >= every_s:
            kept.append(row)
    return kept + history[-1:]


def _details(end: TrialEnd) -> dict[str, Any]:
    details: dict[str, Any] = {"attempts": end.attempts}
    if end.status == "stopped":
        details["reason"] = end.reason
    elif end.status == "failed":
        details.update(error=end.reason, traceback=end.traceback)
    elif end.status == "invalid":
        details.update(error=end.reason, invalid=True, error_codes=end.error_codes)
    return details
