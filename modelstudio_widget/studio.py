"""The studio session: what the app's Compile, Train, Stop and Export buttons do.

A typed core that knows nothing of Jupyter (the widget only translates messages into these
calls): it compiles, starts and stops training, exports, records local telemetry with the
request id of the action that caused it, and publishes complete training snapshots.

Under Voilà every page load is a new kernel. A page that reloads while its design is
training elsewhere *attaches* to that run: it follows the run's snapshots through the
store, keeps it alive with heartbeats (the owner's watchdog counts watchers in any kernel)
and can stop it. A run started in this kernel is followed directly.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelstudio_widget.build.valid import DesignError
from modelstudio_widget.exporters.contract import FORMATS, MIME_TYPES, ExportError
from modelstudio_widget.store import NotFound, Store
from modelstudio_widget.training.settings import (
    TRAIN_CONFIG_ENV,  # noqa: F401 - still importable from here (tests/test_train_config.py)
    SettingsError,
    check_settings,
)
from modelstudio_widget.training.settings import server_config as train_config  # noqa: F401

log = logging.getLogger(__name__)

Snapshot = dict[str, Any]
RUN_GONE = "This run no longer exists (deleted in another window?)."
WATCH_POLL_S = 0.5  # how often an attached page reads the owner's snapshots
#: Training stops when no page has sent a heartbeat for this long (phones rarely say
#: goodbye; a closed tab's kernel would otherwise train forever).
WATCHDOG_TIMEOUT_S = float(os.environ.get("MODELSTUDIO_WATCHDOG_S", 90.0))


class ActionError(Exception):
    """An action the user asked for that cannot be done; ``code`` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class ExportFile:
    filename: str
    data: bytes
    path: Path
    mime: str


class StudioSession:
    """One page's actions on one workspace. ``publish(snapshot)`` receives training
    snapshots (from the training thread, or from the watcher thread when attached)."""

    def __init__(self, workspace: Path, store: Store, publish: Callable[[Snapshot], None], *,
                 watchdog_timeout_s: float | None = WATCHDOG_TIMEOUT_S,
                 checkpoint_every_s: float = 30.0) -> None:
        self.workspace, self.store, self.publish = workspace, store, publish
        self.watchdog_timeout_s = watchdog_timeout_s
        self.checkpoint_every_s = checkpoint_every_s
        self._manager: Any = None
        self._unsubscribe: Callable[[], None] | None = None
        self._watched: str | None = None  # run id followed through the store
        self._watcher: threading.Thread | None = None
        self._watch_stop = threading.Event()
        self.last_compile: dict[str, Any] | None = None

    # --- compile -------------------------------------------------------------------------
    def compile(self, design: dict[str, Any], design_id: str | None,
                request_id: str | None) -> dict[str, Any]:
        # Deferred: codegen imports torch, and the widget must start without it.
        from modelstudio_widget.build.codegen import compile_design

        start = time.perf_counter()
        try:
            result = compile_design(design, self.workspace)
        except DesignError as exc:
            errors = [i.to_dict() for i in exc.result.errors if i.severity == "error"]
            self.record_event("compile_failed", request_id, design_id,
                              {"errors": errors[:20], "time_ms": _ms(start)})
            first = errors[0]["message"] if errors else "the design is not valid"
            raise ActionError("INVALID_DESIGN", f"Fix the design first: {first}") from None
        info = {**result.to_dict(), "time_ms": _ms(start),
                "file": Path(result.path).name}
        self.record_event("compile_success", request_id, design_id,
                          {"paramCount": result.paramCount, "params": result.params,
                           "time_ms": info["time_ms"], "source_hash": result.source_hash})
        log.info("Writing %s (%d params, %.0f ms) [%s]", result.path, result.params,
                 info["time_ms"], request_id)
        self.last_compile = info
        return info

    # --- training ------------------------------------------------------------------------
    @property
    def manager(self) -> Any:
        """The training manager of this kernel (its thread starts on first use)."""
        if self._manager is None:
            # Deferred: the manager imports torch, and the widget must start without it.
            from modelstudio_widget.training.manager import TrainingManager

            self._manager = TrainingManager(
                self.workspace, store=self.store, checkpoint_every_s=self.checkpoint_every_s,
                watchdog_timeout_s=self.watchdog_timeout_s)
            self._unsubscribe = self._manager.subscribe(self.publish)
        return self._manager

    @property
    def training(self) -> bool:
        return self._watched is not None or (self._manager is not None
                                             and self._manager.state == "training")

    def train(self, design: dict[str, Any], design_id: str | None,
              request_id: str | None, *, design_revision: int | None = None
              ) -> dict[str, Any]:
        """Start a run of the design with its ``"training"`` settings (over the server's
        defaults): bad settings are ``BAD_SETTINGS`` and nothing starts. The run records
        ``design_revision``, the stored revision it trains, when given."""
        try:
            settings = check_settings(design.get("training"))
        except SettingsError as exc:
            raise ActionError(exc.code, str(exc)) from None
        if self._watched is not None or (design_id is not None
                                         and self.store.active_run(design_id) is not None
                                         and not self.training):
            raise ActionError("BUSY", "This design is training in another window: it is "
                              "shown here; stop it first.")
        if self.training:
            raise ActionError("BUSY", "Training is already running: stop it first.")
        try:
            run_id = self.manager.start(design, design_id=design_id, config=settings.config,
                                        seconds=settings.seconds, steps=settings.steps,
                                        design_revision=design_revision)
        except DesignError as exc:
            errors = [i.message for i in exc.result.errors if i.severity == "error"]
            raise ActionError("INVALID_DESIGN", "Fix the design first: "
                              + (errors[0] if errors else "it is not valid")) from None
        self.record_event("train_started", request_id, design_id,
                          {"run_id": run_id, "budget": settings.budget})
        log.info("Training run %s [%s]", run_id, request_id)
        return {"run_id": run_id}

    def stop(self, design_id: str | None, request_id: str | None) -> dict[str, Any]:
        if self._watched is not None:
            run_id = self._watched
            self.store.request_stop(run_id)
            self.record_event("train_stopped", request_id, design_id,
                              {"run_id": run_id, "from": "another kernel"})
            log.info("Asked the kernel training run %s to stop [%s]", run_id, request_id)
            return {"run_id": run_id, "requested": True}
        if self._manager is None or self._manager.state != "training":
            raise ActionError("NOT_TRAINING", "Nothing is training.")
        snap = self._manager.stop()
        self.record_event("train_stopped", request_id, design_id,
                          {"run_id": snap.get("run_id"), "update": snap.get("update"),
                           "mean_score": snap.get("mean_score")})
        log.info("Stopped run %s [%s]", snap.get("run_id"), request_id)
        return {"run_id": snap.get("run_id"), "requested": False}

    def heartbeat(self) -> None:
        """The page is alive: feeds this kernel's watchdog and the owner's, if attached."""
        if self._manager is not None:
            self._manager.heartbeat()
        if self._watched is not None:
            try:
                self.store.watch_run(self._watched)
            except Exception:
                log.debug("could not record a watch", exc_info=True)

    def snapshot(self) -> Snapshot | None:
        if self._manager is not None:
            return self._manager.snapshot()
        return None

    # --- following a run owned by another kernel ----------------------------------------
    def attach(self, design_id: str | None) -> str | None:
        """Follow the design's run if one is training in another process; its run id."""
        self.detach()
        if design_id is None or (self._manager is not None
                                 and self._manager.state == "training"):
            return None
        run = self.store.active_run(design_id)
        if run is None:
            return None
        self._watched = run.id
        self._watch_stop.clear()
        self.store.watch_run(run.id)
        self._watcher = threading.Thread(target=self._follow, args=(run.id,),
                                         name="modelstudio-watch", daemon=True)
        self._watcher.start()
        return run.id

    def detach(self) -> None:
        self._watch_stop.set()
        if self._watcher is not None and self._watcher is not threading.current_thread():
            self._watcher.join(timeout=5)
        self._watcher = None
        self._watched = None

    def _follow(self, run_id: str) -> None:
        curve: list[list[float]] = []
        last_step: int | None = None
        # The latest row, kept: the run's last poll may bring no new row, and the closing
        # snapshot must still be complete (counters, scores, usage), not just a state.
        latest: dict[str, Any] = {}
        while not self._watch_stop.is_set():
            try:
                rows = self.store.metrics(run_id, since_step=None if last_step is None
                                          else last_step + 1)
                run = self.store.get_run(run_id)
            except Exception:
                log.warning("lost the run %s", run_id, exc_info=True)
                break
            for step, m in rows:
                last_step = step
                latest = m
                if m.get("mean_score") is not None:
                    curve.append([step, m["mean_score"]])
            if rows or run.status != "running":
                from modelstudio_widget.training.manager import downsample  # deferred: torch

                state = "training" if run.status == "running" else "idle"
                self.publish({**latest, "state": state, "run_id": run_id, "attached": True,
                              "score_curve": downsample(curve),
                              **({} if run.status == "running" else {"status": run.status})})
            if run.status != "running":
                break
            self._watch_stop.wait(WATCH_POLL_S)
        self._watched = None

    # --- export --------------------------------------------------------------------------
    def export(self, fmt: str, source: dict[str, Any] | str, design_id: str | None = None,
               request_id: str | None = None) -> ExportFile:
        """Export ``source``: a design (its design's latest trained weights, or fresh ones
        if never trained) or a run id (that run's latest checkpoint: ``NOT_FOUND`` /
        ``NO_CHECKPOINT`` when there is no such run or it has none yet)."""
        from modelstudio_widget.exporters import write_export  # deferred: imports torch

        if fmt not in FORMATS:
            raise ActionError("BAD_ARGS", f"Unknown format {fmt!r}.")
        if isinstance(source, str):
            self._check_exportable_run(source)
            weights = "latest"
        else:
            # The latest checkpoint of the design's runs (with the design it trained), or
            # the freshly initialised model when the design was never trained.
            trained = design_id is not None and \
                self.store.latest_checkpoint_for_design(design_id) is not None
            weights = "latest" if trained else "fresh"
        try:
            report = write_export(source, fmt, workspace=self.workspace, weights=weights,
                                  request_id=request_id)
        except ExportError as exc:
            raise ActionError("EXPORT_FAILED", str(exc)) from None
        log.info("Exported %s [%s]", report.path, request_id)
        return ExportFile(report.path.name, report.path.read_bytes(), report.path,
                          MIME_TYPES[fmt])

    def _check_exportable_run(self, run_id: str) -> None:
        try:
            self.store.get_run(run_id)
        except NotFound:
            raise ActionError("NOT_FOUND", RUN_GONE) from None
        if self.store.latest_checkpoint(run_id) is None:
            raise ActionError("NO_CHECKPOINT", f"Run {run_id} has no checkpoint to export "
                              "yet (one is written every 30 s and on stop).")

    # --- housekeeping --------------------------------------------------------------------
    def record_event(self, kind: str, request_id: str | None, design_id: str | None,
                     data: dict[str, Any]) -> None:
        """Record a local telemetry event; a failure is logged, never raised."""
        try:
            self.store.record_event(kind, request_id=request_id, design_id=design_id,
                                    data=data)
        except Exception:  # telemetry must never break an action
            log.warning("could not record %s", kind, exc_info=True)

    def close(self) -> None:
        self.detach()
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._manager is not None:
            self._manager.shutdown()
            self._manager = None


def status_after_snapshot(status: dict[str, Any], snap: Snapshot) -> tuple[str, str] | None:
    """The ``(state, message)`` the app's status line moves to on a training snapshot, or
    None when it stays: a run that ended says so, a run that started (here or in another
    window) or whose message changed (a checkpoint that failed) says that."""
    state, current = snap.get("state"), status.get("state")
    if state == "idle" and current in ("training", "stopping"):
        ended = "Finished (budget reached)" if snap.get("status") == "finished" else "Stopped"
        return "idle", snap.get("error") or f"{ended} after {snap.get('update', 0)} updates"
    if current == "idle" and state in ("training", "stopping") or current == state == "training":
        message = snap.get("error") or "Training"  # e.g. a checkpoint that failed
        if current == "idle" or status.get("message") != message:
            return state, message
    return None


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)
