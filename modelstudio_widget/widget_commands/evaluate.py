"""Commands of the run sheet's Evaluate and Watch (the work: ``training.evaluation_job``).

- ``evaluate_run {run_id, games: 100|200|1000, seed?}`` -> ``{"job", "run_id", "games"}``
  at once; the job then pushes ``{"kind": "progress", "id": <request id>, "done", "total"}``
  and ends with ``{"kind": "evaluation", "id": <request id>, "result": {...}}`` (the stored
  evaluation) or ``{"kind": "evaluation", "id": ..., "error": {"code", "message"}}``.
- ``cancel_evaluation {}`` -> ``{"cancelled": bool}`` (the job then ends with CANCELLED).
- ``list_evaluations {run_id}`` -> ``{"evaluations": [...], "running": job or null}``.
- ``watch_run {run_id, seed?}`` -> one whole greedy game (``evaluation_job.watch_game``).
"""

from __future__ import annotations

import secrets
import weakref
from typing import Any

from modelstudio_widget.store import EvaluationRecord
from modelstudio_widget.training.evaluation_job import (
    DEFAULT_SEED,
    GAME_CHOICES,
    MAX_SEED,
    EvaluationError,
    Evaluator,
    load_policy,
    require_run,
    watch_game,
)
from modelstudio_widget.widget_commands import COMMANDS
from modelstudio_widget.widget_commands.runs import RUN_ID
from modelstudio_widget.widget_protocol import Arg, ProtocolError

SEED = Arg("seed", int, required=False, minimum=0, maximum=MAX_SEED)

# One evaluator per widget (at most one evaluation at a time per page). Weak keys: a
# closed widget takes its evaluator with it; an evaluator holds no reference to it.
_EVALUATORS: weakref.WeakKeyDictionary[Any, Evaluator] = weakref.WeakKeyDictionary()


def evaluator(widget: Any) -> Evaluator:
    """The widget's evaluator (created on first use; a closed widget cancels its job)."""
    found = _EVALUATORS.get(widget)
    if found is None:
        found = _EVALUATORS[widget] = Evaluator(widget.store, widget.workspace)
        # ipywidgets' close() drops the comm: nobody is left to show the result.
        widget.observe(lambda change: change["new"] is None and found.cancel(), names="comm")
    return found


def _refused(exc: EvaluationError) -> ProtocolError:
    return ProtocolError(exc.code, exc.message)


@COMMANDS.command("evaluate_run", RUN_ID, Arg("games", int, minimum=min(GAME_CHOICES),
                                               maximum=max(GAME_CHOICES)), SEED)
def evaluate_run(widget: Any, request_id: str, run_id: str, games: int,
                 seed: int = DEFAULT_SEED) -> dict[str, Any]:
    def on_progress(done: int, total: int) -> None:
        widget.send({"kind": "progress", "id": request_id, "done": done, "total": total})

    def on_result(record: EvaluationRecord) -> None:
        widget.session.record_event("evaluation_finished", request_id, widget.design_id,
                                    {"run_id": run_id, "games": games,
                                     "mean_score": record.mean_score})
        widget.send({"kind": "evaluation", "id": request_id, "result": record.to_dict()})

    def on_error(error: EvaluationError) -> None:
        widget.send({"kind": "evaluation", "id": request_id,
                     "error": {"code": error.code, "message": error.message}})

    try:
        evaluator(widget).start(run_id, games, seed, on_progress=on_progress,
                                on_result=on_result, on_error=on_error, job_id=request_id)
    except EvaluationError as exc:
        raise _refused(exc) from None
    return {"job": request_id, "run_id": run_id, "games": games}


@COMMANDS.command("cancel_evaluation")
def cancel_evaluation(widget: Any, request_id: str) -> dict[str, Any]:
    return {"cancelled": evaluator(widget).cancel()}


@COMMANDS.command("list_evaluations", RUN_ID)
def list_evaluations(widget: Any, request_id: str, run_id: str) -> dict[str, Any]:
    try:
        require_run(widget.store, run_id)
    except EvaluationError as exc:
        raise _refused(exc) from None
    return {"evaluations": [e.to_dict() for e in widget.store.evaluations(run_id)[:20]],
            "running": evaluator(widget).running}


@COMMANDS.command("watch_run", RUN_ID, SEED)
def watch_run(widget: Any, request_id: str, run_id: str, seed: int | None = None
              ) -> dict[str, Any]:
    try:
        policy = load_policy(widget.store, widget.workspace, run_id)
    except EvaluationError as exc:
        raise _refused(exc) from None
    # Without a seed every watch is a new game; the seed returned replays it.
    return watch_game(policy, secrets.randbelow(MAX_SEED + 1) if seed is None else seed)
