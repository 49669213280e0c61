"""The runs sheet's commands: list the open design's runs, open one, resume, export or
delete it. They translate; the queries live in ``training.runs``, deletion in the store,
resuming in the session's training manager, exporting in ``StudioSession.export`` (by run
id) and ``ModelStudio.send_download``."""

from __future__ import annotations

from typing import Any

from modelstudio_widget.exporters.contract import FORMATS
from modelstudio_widget.ids import MAX_ID_CHARS, RUN_ID_RE
from modelstudio_widget.store import NotFound, RunRecord
from modelstudio_widget.store.runs import RunIsTraining
from modelstudio_widget.studio import RUN_GONE, ActionError
from modelstudio_widget.training.runs import NotResumable, RunQueries, check_resumable
from modelstudio_widget.widget_commands import COMMANDS
from modelstudio_widget.widget_protocol import DESIGN_ID_RE, Arg, ProtocolError

RUN_ID = Arg("run_id", str, pattern=RUN_ID_RE, max_len=MAX_ID_CHARS)
#: Longest budget a page may ask a resume for: a week (seconds) / a billion moves.
MAX_RESUME_SECONDS = 7 * 24 * 3600.0
MAX_RESUME_STEPS = 10**9


def _run(widget: Any, run_id: str) -> RunRecord:
    try:
        return widget.store.get_run(run_id)
    except NotFound:
        raise ProtocolError("NOT_FOUND", RUN_GONE) from None


@COMMANDS.command("list_runs", Arg("design_id", str, required=False, pattern=DESIGN_ID_RE,
                                   max_len=MAX_ID_CHARS))
def list_runs(widget: Any, request_id: str, design_id: str | None = None) -> Any:
    design_id = design_id or widget.document.design_id
    if design_id is None:
        return {"runs": []}
    return {"runs": [s.to_dict() for s in RunQueries(widget.store).summaries(design_id)]}


@COMMANDS.command("get_run", RUN_ID)
def get_run(widget: Any, request_id: str, run_id: str) -> Any:
    _run(widget, run_id)
    queries = RunQueries(widget.store)
    return {"run": queries.summary(run_id).to_dict(), "curve": queries.curve(run_id),
            "metrics": queries.latest_metrics(run_id)}


@COMMANDS.command("delete_run", RUN_ID)
def delete_run(widget: Any, request_id: str, run_id: str) -> Any:
    run = _run(widget, run_id)
    try:
        widget.store.delete_run(run_id)
    except RunIsTraining:
        raise ProtocolError("BUSY", "This run is training: stop it before deleting it.") \
            from None
    except NotFound:  # deleted meanwhile: what was asked is done
        pass
    widget.session.record_event("run_deleted", request_id, run.design_id, {"run_id": run_id})
    return {"run_id": run_id}


@COMMANDS.command("resume_run", RUN_ID,
                  Arg("seconds", float, required=False, minimum=1, maximum=MAX_RESUME_SECONDS),
                  Arg("steps", int, required=False, minimum=1, maximum=MAX_RESUME_STEPS))
def resume_run(widget: Any, request_id: str, run_id: str, seconds: float | None = None,
               steps: int | None = None) -> Any:
    _run(widget, run_id)
    try:
        check_resumable(RunQueries(widget.store).summary(run_id))
    except NotResumable as exc:
        raise ProtocolError("NOT_RESUMABLE", f"{exc}.") from None
    if widget.session.training:
        raise ProtocolError("BUSY", "Training is already running: stop it first.")
    try:
        # The manager publishes the resumed run's snapshots: the status line and the
        # training panel follow them as for a new run.
        widget.session.manager.resume(run_id, seconds=seconds, steps=steps)
    except Exception as exc:  # no checkpoint, a missing or corrupt file
        raise ProtocolError("CHECKPOINT", f"Cannot resume {run_id}: {exc}"[:300]) from None
    widget.session.record_event("train_resumed", request_id, widget.document.design_id,
                                {"run_id": run_id, "seconds": seconds, "steps": steps})
    return {"run_id": run_id}


@COMMANDS.command("export_run", RUN_ID, Arg("format", str, choices=tuple(FORMATS)))
def export_run(widget: Any, request_id: str, run_id: str, format: str) -> Any:  # noqa: A002
    try:
        file = widget.session.export(format, run_id, request_id=request_id)
    except ActionError as exc:
        raise ProtocolError(exc.code, exc.message) from None
    return widget.send_download(request_id, file)
