"""The app's sweep: ``sweep(...)`` in a background thread of the kernel, with a stop button
and a progress row per trial.

At most one sweep runs in a process (a sweep that started Ray shuts it down at its end,
which would pull it from under a second one). The job keeps one row per planned trial (the
grid's combinations, in order), updated from the sweep's ``on_update`` hook, and hands its
whole state, a snapshot, to ``on_change`` at most every ``PUSH_EVERY_S`` while trials only
report numbers, at once when a trial or the sweep changes state. Stop sets the sweep's
``stop`` event: the trials end, every trial that ended is recorded, the thread finishes.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelstudio_widget.sweeps.driver import RAY_MISSING, sweep
from modelstudio_widget.sweeps.request import SweepRequest
from modelstudio_widget.sweeps.result import TrialResult

log = logging.getLogger(__name__)

PUSH_EVERY_S = 0.5
RUNNING, FINISHED, STOPPED, FAILED = "running", "finished", "stopped", "failed"


class SweepBusy(RuntimeError):
    """Another sweep runs in this process."""

    code = "BUSY"


def ray_available() -> bool:
    """Whether Ray is installed, without importing it (seconds of the widget's time; a
    Ray without Tune fails the sweep's thread with the same words)."""
    try:
        return importlib.util.find_spec("ray") is not None
    except (ImportError, ValueError):
        return False


@dataclass
class SweepJob:
    """One sweep the app started, as the page sees it (``state()``)."""

    id: str  # the request id of the start_sweep command
    request: SweepRequest
    name: str | None
    rows: list[dict[str, Any]] = field(default_factory=list)
    status: str = RUNNING
    error: str | None = None
    sweep_id: str | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        self.rows = [{"trial": i, "values": values, "status": "pending", "moves": 0,
                      "mean_score": None, "run_id": None}
                     for i, values in enumerate(self.request.points)]

    def state(self) -> dict[str, Any]:
        """The job as plain JSON: its trials in planned order and the sweep's state."""
        return {"job": self.id, "sweep_id": self.sweep_id, "name": self.name,
                "state": self.status, "error": self.error,
                "seconds_per_trial": self.request.seconds,
                "labels": list(self.request.labels), "trials": [dict(r) for r in self.rows]}

    def update(self, result: TrialResult) -> bool:
        """Take a trial's news; True if its status changed (worth telling at once)."""
        row = next((r for r in self.rows if r["values"] == result.values), None)
        if row is None:  # not one of the planned points: not ours to show
            return False
        changed = row["status"] != result.status
        row.update(status=result.status, moves=result.global_step,
                   mean_score=result.metric, run_id=result.run_id or row["run_id"])
        return changed


class SweepRunner:
    """Runs the app's sweeps, one at a time, in a background thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._job: SweepJob | None = None

    @property
    def job(self) -> SweepJob | None:
        """The running sweep, else the last one (None before the first)."""
        return self._job

    def start(self, job_id: str, design: dict[str, Any], request: SweepRequest, *,
              config: Any, workspace: str | Path, name: str | None,
              on_change: Callable[[dict[str, Any]], None]) -> SweepJob:
        """Start the sweep of ``design`` (trained with ``config``, a ``PPOConfig``);
        ``on_change`` gets the job's state as it moves. Raises ``SweepBusy``, or
        ``ImportError`` naming the install when Ray is missing."""
        if not ray_available():
            raise ImportError(RAY_MISSING)
        with self._lock:
            if self._job is not None and self._job.status == RUNNING:
                raise SweepBusy("A sweep is already running: stop it first.")
            job = self._job = SweepJob(job_id, request, name)
        job.thread = threading.Thread(
            target=self._run, args=(job, design, config, workspace, on_change),
            name="modelstudio-sweep", daemon=True)
        job.thread.start()
        return job

    def stop(self) -> bool:
        """Ask the running sweep to stop; False if none runs."""
        job = self._job
        if job is None or job.status != RUNNING:
            return False
        job.stop_event.set()
        return True

    def _run(self, job: SweepJob, design: dict[str, Any], config: Any,
             workspace: str | Path, on_change: Callable[[dict[str, Any]], None]) -> None:
        last_push = 0.0

        def push(now: bool) -> None:
            nonlocal last_push
            if not now and time.monotonic() - last_push < PUSH_EVERY_S:
                return
            last_push = time.monotonic()
            try:
                on_change(job.state())
            except Exception:  # the page went away: the sweep goes on, recorded
                log.warning("could not send the sweep's progress", exc_info=True)

        def on_update(result: TrialResult) -> None:
            push(job.update(result))

        push(True)
        try:
            done = sweep(design, job.request.space, seconds=job.request.seconds,
                         config=config, workspace=workspace, name=job.name, progress=False,
                         stop=job.stop_event, on_update=on_update)
            job.sweep_id, job.name = done.id, done.name
            for result in done.results:
                job.update(result)
            for row in job.rows:  # trials Tune never made (the sweep was stopped first)
                if row["status"] == "pending":
                    row["status"] = "not started"
            job.status = STOPPED if done.interrupted else FINISHED
        except Exception as exc:  # the kernel keeps running; the page says why in a line
            log.exception("the sweep failed")
            job.error = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
            job.status = FAILED
        push(True)


#: The process's sweeps (one at a time).
RUNNER = SweepRunner()
