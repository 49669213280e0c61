"""The training manager: PPO in a background thread of the kernel, driven by commands.

Every public method only puts a command on a queue and (optionally) waits for its answer,
so it is safe to call from any thread (widget handlers run on the main thread under Voilà
and on a subshell thread in JupyterLab). One worker thread owns the trainer: it runs
commands between training iterations, so nothing else ever touches the model.

Subscribers receive complete metric snapshots (never deltas: a lost message cannot corrupt
a page) at most ``max_publish_hz`` times per second, plus one on every state change.
Checkpoints are written every ``checkpoint_every_s`` seconds and on stop, to
``<workspace>/checkpoints/<run id>/``, and recorded in the SQLite store with the run and its
metric history; ``resume(run_id)`` continues a run from its last checkpoint after the
kernel died, losing at most one checkpoint interval.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from modelstudio_widget.store import Store
from modelstudio_widget.training.ppo import PPOConfig, PPOTrainer
from modelstudio_widget.training.settings import run_config
from modelstudio_widget.workspace import resolve_workspace

log = logging.getLogger(__name__)

Snapshot = dict[str, Any]
Subscriber = Callable[[Snapshot], None]
CURVE_POINTS = 200  # the score curve is downsampled to at most this many points
KEEP_CHECKPOINT_FILES = 3
RECORD_EVERY_S = 1.0  # metric history rows in the store: at most one per second
CHECKPOINT_FAILED = "checkpoint failed, training goes on"  # a snapshot error's start


@dataclass
class _Command:
    name: str
    args: dict[str, Any] = field(default_factory=dict)
    done: Future = field(default_factory=Future)


@dataclass
class _Budget:
    seconds: float | None = None
    steps: int | None = None
    started: float = 0.0
    start_step: int = 0

    def deadline(self) -> float | None:
        """When a time budget ends (``time.monotonic()`` seconds), if it has one."""
        return self.started + self.seconds if self.seconds else None

    def moves_left(self, step: int) -> int | None:
        return self.steps - (step - self.start_step) if self.steps else None

    def progress(self, step: int) -> float:
        parts = []
        if self.seconds:
            parts.append((time.monotonic() - self.started) / self.seconds)
        if self.steps:
            parts.append((step - self.start_step) / self.steps)
        return max(parts) if parts else 0.0


def downsample(points: list[list[float]], limit: int = CURVE_POINTS) -> list[list[float]]:
    """At most ``limit`` points, evenly spread, always keeping the last one."""
    if len(points) <= limit:
        return list(points)
    stride = len(points) / limit
    picked = [points[int(i * stride)] for i in range(limit - 1)]
    return picked + [points[-1]]


class TrainingManager:
    """Owns one training run at a time; see the module docstring."""

    def __init__(self, workspace: str | os.PathLike[str] | None = None, *,
                 store: Store | None = None, max_publish_hz: float = 5.0,
                 checkpoint_every_s: float = 30.0, watchdog_timeout_s: float | None = None):
        if not 0 < max_publish_hz <= 10:
            raise ValueError("max_publish_hz must be in (0, 10]")
        self.workspace = resolve_workspace(workspace)
        self.store = store or Store.in_workspace(self.workspace)
        self.max_publish_hz = max_publish_hz
        self.checkpoint_every_s = checkpoint_every_s
        self.watchdog_timeout_s = watchdog_timeout_s
        self.trainer: PPOTrainer | None = None
        self.run_id: str | None = None
        self.design_id: str | None = None
        self.state = "idle"  # idle | training | stopping | failed
        self._subscribers: list[Subscriber] = []
        self._sub_lock = threading.Lock()
        self._commands: queue.Queue[_Command] = queue.Queue()
        self._snapshot: Snapshot = self._idle_snapshot()
        self._curve: list[list[float]] = []
        self._budget = _Budget()
        self._last_publish = 0.0
        self._last_recorded = 0.0
        self._last_checkpoint = 0.0
        self._last_heartbeat = self._started_wall = time.time()
        self._seq = 0
        self._sps: float | None = None  # smoothed env-steps/s of the active run
        self._error: str | None = None
        self._thread = threading.Thread(target=self._loop, name="modelstudio-training",
                                        daemon=True)
        self._thread.start()
        self.interrupted_runs = self.store.mark_interrupted_runs()

    # --- public API (any thread) -----------------------------------------------------------
    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(snapshot)`` on every published snapshot; returns an unsubscribe."""
        with self._sub_lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._sub_lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def snapshot(self) -> Snapshot:
        """The latest complete snapshot (a page that reconnects resyncs from it)."""
        return dict(self._snapshot)

    def start(self, design: dict[str, Any] | None = None, *, config: PPOConfig | None = None,
              design_id: str | None = None, seconds: float | None = None,
              steps: int | None = None, design_revision: int | None = None,
              wait: bool = True) -> str | Future:
        """Start training (non-blocking: returns once the run exists, not when it ends).

        With a design, a fresh trainer is built for it; without one, the current trainer
        (adopted or previously started) continues. The run records its budget with its
        config and, when given, the design revision it trains. Returns the run id.
        """
        return self._call("start", wait, design=design, config=config, design_id=design_id,
                          seconds=seconds, steps=steps, design_revision=design_revision)

    def stop(self, *, wait: bool = True, timeout: float = 60.0) -> Any:
        """Stop after the current iteration and write a checkpoint."""
        return self._call("stop", wait, timeout=timeout)

    def resume(self, run_id: str, *, seconds: float | None = None, steps: int | None = None,
               wait: bool = True) -> Any:
        """Continue a run from its latest checkpoint (e.g. after the kernel died)."""
        return self._call("resume", wait, run_id=run_id, seconds=seconds, steps=steps)

    def reset_to_fresh_model(self, *, wait: bool = True) -> Any:
        """Stop if running and re-initialise the trainer's model and optimizer."""
        return self._call("reset", wait)

    def adopt_external_trainer(self, trainer: PPOTrainer, *, wait: bool = True) -> Any:
        """Use a trainer built elsewhere (stops the current run first)."""
        return self._call("adopt", wait, trainer=trainer)

    def heartbeat(self) -> None:
        """The page is alive (see ``watchdog_timeout_s``)."""
        self._last_heartbeat = time.time()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no run is active; True if it ended within ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.state in ("training", "stopping"):
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def shutdown(self) -> None:
        """Stop any run (checkpointing it) and end the worker thread."""
        if self._thread.is_alive():
            self._call("shutdown", True)
            self._thread.join(timeout=30)

    # --- worker thread ---------------------------------------------------------------------
    def _call(self, name: str, wait: bool, timeout: float = 120.0, **args: Any) -> Any:
        cmd = _Command(name, args)
        self._commands.put(cmd)
        return cmd.done.result(timeout=timeout) if wait else cmd.done

    def _loop(self) -> None:
        torch.set_num_threads(1)
        while True:
            try:
                cmd = (self._commands.get_nowait() if self.state == "training"
                       else self._commands.get())
            except queue.Empty:
                cmd = None
            if cmd is not None:
                if cmd.name == "shutdown":
                    self._finish("stopped")
                    cmd.done.set_result(None)
                    return
                self._run_command(cmd)
                continue
            self._train_step()

    def _run_command(self, cmd: _Command) -> None:
        try:
            handler = getattr(self, f"_cmd_{cmd.name}")
            cmd.done.set_result(handler(**cmd.args))
        except Exception as exc:  # the caller gets the error; the thread lives on
            cmd.done.set_exception(exc)

    def _cmd_start(self, design: dict[str, Any] | None, config: PPOConfig | None,
                   design_id: str | None, seconds: float | None, steps: int | None,
                   design_revision: int | None) -> str:
        if self.state == "training":
            self._finish("stopped")
        if design is not None:
            self.trainer = PPOTrainer(design, config or PPOConfig())
            self._curve = []
        elif self.trainer is None:
            raise RuntimeError("nothing to train: give a design or adopt a trainer")
        trainer = self.trainer
        self.design_id = design_id
        self.run_id = self.store.create_run(
            design_id, design=trainer.design or {},
            config=run_config(trainer.config, seconds, steps),
            design_revision=design_revision if design_id is not None else None)
        self._begin(seconds, steps)
        return self.run_id

    def _cmd_resume(self, run_id: str, seconds: float | None, steps: int | None) -> str:
        if self.state == "training":
            self._finish("stopped")
        ckpt = self.store.latest_checkpoint(run_id)
        if ckpt is None or not Path(ckpt.path).is_file():
            raise FileNotFoundError(f"run {run_id} has no checkpoint to resume from")
        state = torch.load(ckpt.path, weights_only=True)
        run = self.store.get_run(run_id)
        self.trainer = PPOTrainer(state["design"], PPOConfig.from_dict(state["config"]))
        self.trainer.load_state_dict(state)
        self.run_id, self.design_id = run_id, run.design_id
        self._curve = [[s, m["mean_score"]] for s, m in self.store.metrics(run_id)
                       if m.get("mean_score") is not None and s <= self.trainer.global_step]
        self._begin(seconds, steps)
        return run_id

    def _cmd_stop(self) -> Snapshot:
        if self.state == "training":
            self._finish("stopped")
        return self.snapshot()

    def _cmd_reset(self) -> None:
        if self.state == "training":
            self._finish("stopped")
        if self.trainer is not None:
            design, config = self.trainer.design, self.trainer.config
            self.trainer = PPOTrainer(design, config) if design is not None else None
        self._curve = []
        self.run_id = None
        self._publish(force=True)

    def _cmd_adopt(self, trainer: PPOTrainer) -> None:
        if self.state == "training":
            self._finish("stopped")
        self.trainer = trainer
        self._curve = []
        self.run_id = None

    def _begin(self, seconds: float | None, steps: int | None) -> None:
        assert self.trainer is not None and self.run_id is not None
        self._budget = _Budget(seconds, steps, time.monotonic(), self.trainer.global_step)
        self._last_checkpoint = time.monotonic()
        self._last_heartbeat = self._started_wall = time.time()
        self._error = None
        self._sps = None
        self.state = "training"
        self.store.update_run(self.run_id, status="running")
        self._publish(force=True)

    def _train_step(self) -> None:
        trainer = self.trainer
        assert trainer is not None
        try:
            if self._budget.seconds or self._budget.steps:
                trainer.set_progress(self._budget.progress(trainer.global_step))
            # The trainer ends its iteration by the budget's end (it cuts the rollout short
            # and stops updating there): a budget ends on time, not an iteration later.
            metrics = trainer.train_iteration(deadline=self._budget.deadline(),
                                              max_moves=self._budget.moves_left(
                                                  trainer.global_step))
            sps = metrics["env_steps_per_second"]
            self._sps = sps if self._sps is None else 0.8 * self._sps + 0.2 * sps
        except Exception as exc:
            log.exception("training failed")
            self._error = f"{type(exc).__name__}: {exc}"
            self._finish("failed", traceback.format_exc(limit=5))
            return
        if metrics["mean_score"] is not None:
            self._curve.append([metrics["global_step"], metrics["mean_score"]])
        now = time.monotonic()
        if now - self._last_checkpoint >= self.checkpoint_every_s:
            self._periodic_checkpoint()
        if self._budget.progress(trainer.global_step) >= 1.0 and (
                self._budget.seconds or self._budget.steps):
            self._finish("finished")
            return
        if self._stop_requested_elsewhere():
            return
        self._publish()

    def _stop_requested_elsewhere(self) -> bool:
        """Stop when a page in another kernel asked to, or when no page anywhere watches.

        A page's heartbeat reaches this manager directly (``heartbeat``) or, from a page in
        another kernel (a reload under Voila), through the store (``watch_run``).
        """
        assert self.run_id is not None
        control = self.store.run_control(self.run_id)
        if control.stop_requested_at and control.stop_requested_at >= self._started_wall:
            self._error = None
            self._finish("stopped")
            return True
        if self.watchdog_timeout_s:
            last = max(self._last_heartbeat, control.watched_at or 0.0)
            if time.time() - last > self.watchdog_timeout_s:
                log.warning("no page has watched run %s for %.0f s: stopping it",
                            self.run_id, time.time() - last)
                self._error = "stopped by the watchdog: no page is watching this run"
                self._finish("stopped")
                return True
        return False

    def _finish(self, status: str, detail: str | None = None) -> None:
        """End the active run: checkpoint, record, publish."""
        if self.state != "training":
            return
        self.state = "stopping"
        self._publish(force=True)
        if status != "failed":
            try:
                self._checkpoint()
            except Exception:  # a full disk must not hide the run's end
                log.exception("final checkpoint failed")
        if self.run_id is not None:
            summary = self._summary()
            if detail:
                summary["error"] = detail
            self.store.update_run(self.run_id, status=status, summary=summary)
        self.state = "failed" if status == "failed" else "idle"
        self._publish(force=True, status=status)

    def _periodic_checkpoint(self) -> None:
        """A checkpoint that may fail (full disk, workspace gone): the run goes on, the page
        says so, and the next interval tries again."""
        try:
            self._checkpoint()
        except Exception as exc:
            log.exception("checkpoint failed")
            self._error = f"{CHECKPOINT_FAILED}: {type(exc).__name__}: {exc}"
            self._last_checkpoint = time.monotonic()
        else:
            if self._error and self._error.startswith(CHECKPOINT_FAILED):
                self._error = None

    def _checkpoint(self) -> None:
        trainer, run_id = self.trainer, self.run_id
        if trainer is None or run_id is None:
            return
        folder = self.workspace / "checkpoints" / run_id
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"step_{trainer.global_step:012d}.pt"
        tmp = path.with_suffix(".tmp")
        torch.save(trainer.state_dict(), tmp)
        os.replace(tmp, path)  # a reader never sees half a checkpoint
        self.store.add_checkpoint(run_id, path=str(path), step=trainer.global_step,
                                  metrics=self._summary())
        self._last_checkpoint = time.monotonic()
        for old in sorted(folder.glob("step_*.pt"))[:-KEEP_CHECKPOINT_FILES]:
            old.unlink(missing_ok=True)

    def _summary(self) -> dict[str, Any]:
        s = self._snapshot
        keys = ("update", "global_step", "episodes", "mean_score", "best_score",
                "max_tile_rates", "elapsed_s")
        return {k: s.get(k) for k in keys}

    # --- snapshots -------------------------------------------------------------------------
    def _idle_snapshot(self) -> Snapshot:
        return {"state": "idle", "run_id": None, "design_id": None, "seq": 0, "update": 0,
                "global_step": 0, "episodes": 0, "mean_score": None, "best_score": 0,
                "max_tile_rates": {}, "score_curve": [], "losses": {},
                "env_steps_per_second": None,
                "moe": {"expert_usage": {}, "lb_loss": 0.0}, "board": None, "error": None}

    def _publish(self, *, force: bool = False, status: str | None = None) -> None:
        now = time.monotonic()
        if not force and now - self._last_publish < 1.0 / self.max_publish_hz:
            return
        self._last_publish = now
        self._seq += 1
        snap = self._idle_snapshot()
        trainer = self.trainer
        if trainer is not None:
            snap.update(trainer.metrics())
            snap["board"] = trainer.game.obs[0].tolist()
            snap["env_steps_per_second"] = self._sps
        snap.update(state=self.state, run_id=self.run_id, design_id=self.design_id,
                    seq=self._seq, score_curve=downsample(self._curve), error=self._error,
                    elapsed_s=(time.monotonic() - self._budget.started)
                    if self._budget.started else 0.0)
        if status:
            snap["status"] = status
        self._snapshot = snap
        # The forced "stopping" snapshot of a run's end is recorded too: its curve then ends
        # where the summary's numbers (taken from that snapshot) do.
        if (self.run_id is not None and trainer is not None
                and self.state in ("training", "stopping")
                and (force or now - self._last_recorded >= RECORD_EVERY_S)):
            self._last_recorded = now
            try:
                # Everything but the curve (rebuilt from these rows): a page in another
                # kernel follows the run from here.
                self.store.add_metrics(self.run_id, trainer.global_step,
                                       {k: v for k, v in snap.items() if k != "score_curve"})
            except Exception:
                log.exception("could not record metrics")
        with self._sub_lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(dict(snap))
            except Exception:  # a broken page must not stop training
                log.exception("metrics subscriber failed")
