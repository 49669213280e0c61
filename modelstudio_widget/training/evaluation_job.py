"""Evaluating a run, and watching it play: the work behind the run sheet's Evaluate and
Watch, Jupyter-free.

- ``Evaluator``: at most one evaluation at a time, in a background thread, so the caller
  (a widget handler) answers at once and the kernel keeps handling messages. A job loads
  the run's latest checkpoint, plays N full games greedily (``evaluate.play_games``),
  reports progress, and stores the result with the run; a cancelled job stores nothing.
- ``watch_game``: one greedy game with the run's checkpoint, returned whole (every board,
  move, the policy's four probabilities and the score), so a page animates it locally.

A missing or unreadable checkpoint is an ``EvaluationError`` whose message is one line.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from modelstudio_widget.game.engine import legal_moves, new_boards, step, to_exponents
from modelstudio_widget.store import EvaluationRecord, NotFound, Store

log = logging.getLogger(__name__)

#: The evaluation sizes a user picks from (the page offers these; the kernel checks).
GAME_CHOICES = (100, 200, 1000)
DEFAULT_GAMES = 200
#: Seed of evaluations that give none: every run then plays the same opening tiles, so
#: two runs' numbers differ by their policies, not by luck of the draw.
DEFAULT_SEED = 0
MAX_SEED = 2**31 - 1
#: Progress reports per second, at most (plus the first and the last).
PROGRESS_HZ = 10.0
#: A watched game stops here. A strong agent plays ~1000 moves to reach 2048; the game is
#: played while the page's command waits, at 2-3 ms a move (templates, one CPU thread).
MAX_WATCH_MOVES = 3000


class EvaluationError(Exception):
    """An evaluation or watch that cannot be done; ``code`` is stable, ``message`` is one
    line for the page."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class _Cancelled(Exception):
    """Raised inside the games to abandon them."""


@dataclass(frozen=True)
class TrainedPolicy:
    """A run's latest checkpoint, loaded: the model (eval mode) and its training step."""

    run_id: str
    model: Any
    step: int | None


def require_run(store: Store, run_id: str) -> None:
    """``EvaluationError`` NOT_FOUND unless the store has the run."""
    try:
        store.get_run(run_id)
    except NotFound:
        raise EvaluationError("NOT_FOUND", f"Run {run_id} no longer exists (deleted in "
                              "another window?).") from None


def load_policy(store: Store, workspace: Path, run_id: str) -> TrainedPolicy:
    """The run's latest checkpoint as a model; ``EvaluationError`` saying why not."""
    # Deferred: the exporters load torch, and the widget starts without it.
    from modelstudio_widget.exporters import ExportError
    from modelstudio_widget.exporters.source import first_line, resolve

    require_run(store, run_id)
    try:
        found = resolve(run_id, workspace=workspace)
    except ExportError as exc:
        text = first_line(exc)
        latest = store.latest_checkpoint(run_id)
        if latest is not None:  # the file's name says enough; its folder is the workspace's
            text = text.replace(latest.path, Path(latest.path).name)
        raise EvaluationError("CHECKPOINT", f"Cannot use this run's checkpoint: {text}"
                              ) from None
    return TrainedPolicy(run_id, found.model, found.step)


Progress = Callable[[int, int], None]
Finished = Callable[[EvaluationRecord], None]
Failed = Callable[[EvaluationError], None]


@dataclass
class _Job:
    id: str
    run_id: str
    games: int
    seed: int
    cancel: threading.Event
    thread: threading.Thread | None = None


class Evaluator:
    """Evaluations of one page (at most one at a time), each in a background thread.

    ``start`` returns at once; the job then calls ``on_progress(done, total)`` (games
    finished) at most ``PROGRESS_HZ`` times a second, and finally exactly one of
    ``on_result(record)`` (stored with the run) or ``on_error(error)`` (code "CANCELLED"
    after ``cancel``: nothing stored). Callbacks run on the job's thread.
    """

    def __init__(self, store: Store, workspace: Path) -> None:
        self.store, self.workspace = store, workspace
        self._lock = threading.Lock()
        self._job: _Job | None = None

    @property
    def running(self) -> dict[str, Any] | None:
        """The job in progress (``{"job", "run_id", "games"}``), or None."""
        job = self._job
        return None if job is None else {"job": job.id, "run_id": job.run_id,
                                         "games": job.games}

    def start(self, run_id: str, games: int = DEFAULT_GAMES, seed: int = DEFAULT_SEED, *,
              on_progress: Progress, on_result: Finished, on_error: Failed,
              job_id: str | None = None) -> str:
        """Start evaluating ``run_id`` over ``games`` games; the job's id. Raises
        ``EvaluationError`` (BAD_ARGS, BUSY, NOT_FOUND) without starting anything."""
        if games not in GAME_CHOICES:
            raise EvaluationError("BAD_ARGS", "games must be one of "
                                  + ", ".join(map(str, GAME_CHOICES)) + ".")
        if type(seed) is not int or not 0 <= seed <= MAX_SEED:
            raise EvaluationError("BAD_ARGS", f"seed must be an int in 0..{MAX_SEED}.")
        require_run(self.store, run_id)
        with self._lock:
            if self._job is not None:
                raise EvaluationError("BUSY", "An evaluation is already running: cancel it "
                                      "or wait for it to finish.")
            job = _Job(job_id or "e-" + secrets.token_hex(6), run_id, games, seed,
                       threading.Event())
            job.thread = threading.Thread(
                target=self._work, args=(job, on_progress, on_result, on_error),
                name="modelstudio-evaluation", daemon=True)
            self._job = job
        job.thread.start()
        return job.id

    def cancel(self) -> bool:
        """Ask the running job to stop (it stops within one move); False if none runs."""
        job = self._job
        if job is None:
            return False
        job.cancel.set()
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no job runs; True if it ended within ``timeout``."""
        job = self._job
        if job is None or job.thread is None:
            return True
        job.thread.join(timeout)
        return not job.thread.is_alive()

    def _work(self, job: _Job, on_progress: Progress, on_result: Finished,
              on_error: Failed) -> None:
        import torch  # deferred: the widget starts without torch

        from modelstudio_widget.training.evaluate import play_games, torch_policy

        torch.set_num_threads(1)  # FINDINGS: more threads crawl on a shared 2-core box
        outcome: EvaluationRecord | EvaluationError
        try:
            policy = load_policy(self.store, self.workspace, job.run_id)
            if job.cancel.is_set():
                raise _Cancelled
            report = _Reporter(job, on_progress)
            report(0)
            stats = play_games(torch_policy(policy.model), games=job.games, seed=job.seed,
                               progress=report)
            report.last(job.games)
            outcome = self.store.add_evaluation(
                job.run_id, games=job.games, seed=job.seed, mean_score=stats["mean_score"],
                se=stats["se"], best_score=stats["best_score"],
                max_tile_rates=stats["max_tile_rates"], step=policy.step)
        except _Cancelled:
            outcome = EvaluationError("CANCELLED", "Evaluation cancelled: nothing was stored.")
        except EvaluationError as exc:
            outcome = exc
        except NotFound:
            outcome = EvaluationError("NOT_FOUND", f"Run {job.run_id} was deleted during "
                                      "the evaluation: nothing was stored.")
        except Exception as exc:  # a bug must end the job, not leave it running forever
            log.exception("evaluation failed")
            outcome = EvaluationError("INTERNAL", f"Evaluation failed: "
                                      f"{type(exc).__name__}: {exc}"[:300])
        finally:
            with self._lock:
                self._job = None
        try:
            if isinstance(outcome, EvaluationError):
                on_error(outcome)
            else:
                on_result(outcome)
        except Exception:  # a page that went away must not take the thread down noisily
            log.warning("could not report evaluation %s", job.id, exc_info=True)


class _Reporter:
    """The games' progress callback: throttled reports, and the cancel check."""

    def __init__(self, job: _Job, on_progress: Progress) -> None:
        self.job, self.on_progress = job, on_progress
        self.sent_at = 0.0
        self.sent: int | None = None

    def __call__(self, done: int) -> None:
        if self.job.cancel.is_set():
            raise _Cancelled
        now = time.monotonic()
        if done != self.sent and now - self.sent_at >= 1.0 / PROGRESS_HZ:
            self.last(done)

    def last(self, done: int) -> None:
        self.sent, self.sent_at = done, time.monotonic()
        try:
            self.on_progress(done, self.job.games)
        except Exception:
            log.debug("progress report failed", exc_info=True)


def watch_game(policy: TrainedPolicy, seed: int, max_moves: int = MAX_WATCH_MOVES
               ) -> dict[str, Any]:
    """One greedy game with ``policy``, whole: ``boards`` (16 exponents each, the opening
    board first, so one more than ``moves``), and per move ``actions`` (0 up, 1 right,
    2 down, 3 left), ``probs`` (the policy's four move probabilities on the board before
    it) and ``scores`` (the score after it); then ``final_score``, ``max_tile`` and
    ``truncated`` (the game was cut at ``max_moves``)."""
    from modelstudio_widget.training.evaluate import move_probabilities  # deferred: torch

    rng = np.random.default_rng(seed)
    board = new_boards(1, rng)
    boards = [to_exponents(board)[0].tolist()]
    actions: list[int] = []
    probs: list[list[float]] = []
    scores: list[int] = []
    score = 0
    for _ in range(max_moves):
        legal = legal_moves(board)
        if not legal.any():
            break
        p = move_probabilities(policy.model, to_exponents(board), legal)[0].numpy()
        action = int(np.argmax(p))
        board, reward, _ = step(board, np.array([action]), rng)
        score += int(reward[0])
        actions.append(action)
        probs.append([round(float(x), 4) for x in p])
        scores.append(score)
        boards.append(to_exponents(board)[0].tolist())
    return {"run_id": policy.run_id, "step": policy.step, "seed": seed,
            "moves": len(actions), "boards": boards, "actions": actions, "probs": probs,
            "scores": scores, "final_score": score, "max_tile": 2 ** max(boards[-1]),
            "truncated": bool(legal_moves(board).any())}
