"""The driver's view of a running sweep: a Ray Tune callback that follows every trial.

Tune calls it in the driver process, in the thread that runs the sweep. It keeps each
trial's metric history (from the reports that arrive through Ray) and hands every trial
that has ended, and only then, to ``on_end``: the driver records it in the store in one
go, so a run row never exists half-written; ``on_update``, when given, hears of every
trial that starts or reports as it trains (the app's progress rows). ``StopWhenSet`` ends
the whole sweep once an event is set (the app's Stop: the same path as Ctrl+C). Imported
only once Ray is known to be there.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from threading import Event
from typing import Any

from ray.tune import Callback, Stopper
from ray.tune.experiment import Trial

from modelstudio_widget.sweeps.record import TrialEnd
from modelstudio_widget.sweeps.trial import BUDGET_DONE, INVALID, SNAPSHOT

STOPPED_EARLY = "stopped early by the scheduler"
TRACEBACK_LINES = 20  # of a failed trial's error, kept in its run's summary


@dataclass
class _Followed:
    index: int
    history: list[dict[str, Any]] = field(default_factory=list)
    last: dict[str, Any] = field(default_factory=dict)


class TrialTracker(Callback):
    """Follows the trials of one sweep; see the module docstring."""

    def __init__(self, labels: list[str], on_end: Callable[[TrialEnd], None],
                 on_update: Callable[[TrialEnd], None] | None = None) -> None:
        self.labels = labels
        self.on_end = on_end
        self.on_update = on_update
        self._followed: dict[str, _Followed] = {}
        self._ended: set[str] = set()
        self._trials: list[Trial] = []  # every trial Tune has made so far

    def __getstate__(self) -> dict[str, Any]:
        # Tune pickles its callbacks with the experiment's state; the driver's recording
        # hook (which holds the store) stays in this process.
        return {**self.__dict__, "on_end": None, "on_update": None, "_trials": []}

    def on_step_end(self, iteration: int, trials: list[Trial], **info: Any) -> None:
        self._trials = trials

    def _follow(self, trial: Trial) -> _Followed:
        if trial.trial_id not in self._followed:
            self._followed[trial.trial_id] = _Followed(len(self._followed))
        return self._followed[trial.trial_id]

    def on_trial_start(self, iteration: int, trials: list[Trial], trial: Trial,
                       **info: Any) -> None:
        self._update(trial, self._follow(trial))

    def on_trial_result(self, iteration: int, trials: list[Trial], trial: Trial,
                        result: dict[str, Any], **info: Any) -> None:
        followed = self._follow(trial)
        followed.last = result
        snapshot = result.get(SNAPSHOT)
        if snapshot is None:
            return
        step = snapshot["global_step"]
        # A retried trial starts again from its checkpoint (or from scratch): what the
        # failed attempt reported beyond that point is not part of the run.
        while followed.history and followed.history[-1]["global_step"] >= step:
            followed.history.pop()
        followed.history.append(snapshot)
        self._update(trial, followed)

    def _update(self, trial: Trial, followed: _Followed) -> None:
        """A trial that trains, as far as it got (its latest snapshot only)."""
        if self.on_update is not None and trial.trial_id not in self._ended:
            self.on_update(TrialEnd(followed.index, trial.trial_id, self._values(trial),
                                    "running", history=followed.history[-1:]))

    def _values(self, trial: Trial) -> dict[str, Any]:
        return {label: trial.config.get(label) for label in self.labels}

    def on_trial_complete(self, iteration: int, trials: list[Trial], trial: Trial,
                          **info: Any) -> None:
        last = self._follow(trial).last
        if last.get(INVALID):
            self._end(trial, "invalid", reason="the sampled design is invalid: "
                      + "; ".join(last.get("errors", [])),
                      error_codes=list(last.get("error_codes", [])))
        elif last.get(BUDGET_DONE):
            self._end(trial, "finished")
        else:
            self._end(trial, "stopped", reason=STOPPED_EARLY)

    def on_trial_error(self, iteration: int, trials: list[Trial], trial: Trial,
                       **info: Any) -> None:
        lines = [line for line in _error_text(trial).splitlines() if line.strip()]
        self._end(trial, "failed", reason=lines[-1].strip() if lines else "the trial failed",
                  traceback="\n".join(lines[-TRACEBACK_LINES:]) or None)

    @property
    def ended(self) -> int:
        """How many trials have ended so far."""
        return len(self._ended)

    def end_the_rest(self, reason: str) -> bool:
        """Hand over every trial that has not ended (the sweep was stopped): those that
        trained as "stopped", the others as "not started". True if there was any."""
        rest = [t for t in self._trials if t.trial_id not in self._ended]
        for trial in rest:
            followed = self._followed.get(trial.trial_id)
            self._end(trial, "stopped" if followed and followed.history else "not started",
                      reason=reason)
        return bool(rest)

    def _end(self, trial: Trial, status: str, **details: Any) -> None:
        if trial.trial_id in self._ended:
            return
        self._ended.add(trial.trial_id)
        followed = self._follow(trial)
        self.on_end(TrialEnd(followed.index, trial.trial_id, self._values(trial), status,
                             history=followed.history,
                             checkpoint=trial.checkpoint if status != "invalid" else None,
                             attempts=trial.num_failures + (status != "failed"), **details))


class StopWhenSet(Stopper):
    """Stops the whole sweep once ``event`` is set (checked by Tune between its steps)."""

    def __init__(self, event: Event) -> None:
        self.event: Event | None = event

    def __getstate__(self) -> dict[str, Any]:
        return {"event": None}  # Tune pickles its run config; an Event does not pickle

    def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
        return False

    def stop_all(self) -> bool:
        return self.event is not None and self.event.is_set()


def _error_text(trial: Trial) -> str:
    """The trial's error trace. Ray writes it into the trial's local folder before it calls
    back, but ``get_error()`` reads the copy in the run's storage, which can lag behind
    (seen on a fresh clone: no error yet, so the reason said only "the trial failed")."""
    local = getattr(trial, "error_file", None)
    if local and os.path.exists(local):
        return Path(local).read_text(encoding="utf-8", errors="replace")
    return str(trial.get_error() or "")
