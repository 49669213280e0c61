"""Commands of the Sweep sheet (the work: ``sweeps.request`` checks, ``sweeps.job`` runs).

- ``start_sweep {axes: [{block_id, prop, values} | {setting, values}] (1-2),
  seconds_per_trial, name?}`` -> the job's state at once; the sweep of the open design
  then runs in a background thread and pushes ``{"kind": "sweep", "id": <request id>,
  "state": "running"|"finished"|"stopped"|"failed", "trials": [{trial, values, status,
  moves, mean_score, run_id}], ...}`` as its trials move. Its trials are runs of the
  design, tagged with the sweep (the runs and compare sheets list them).
- ``stop_sweep {}`` -> ``{"stopping": bool}`` (the job then ends "stopped").
- ``sweep_status {}`` -> ``{"sweep": the job's state or null}`` (a page that reopens).
"""

from __future__ import annotations

import weakref
from typing import Any

from modelstudio_widget.ids import MAX_NAME_CHARS
from modelstudio_widget.training.settings import SettingsError, check_settings
from modelstudio_widget.widget_commands import COMMANDS
from modelstudio_widget.widget_protocol import Arg, ProtocolError

_WATCHED: weakref.WeakSet[Any] = weakref.WeakSet()  # widgets whose closing stops the sweep


def _runner() -> Any:
    # Deferred: the sweeps package imports torch, which the widget starts without.
    from modelstudio_widget.sweeps.job import RUNNER

    return RUNNER


@COMMANDS.command("start_sweep", Arg("axes", list), Arg("seconds_per_trial", float),
                  Arg("name", str, required=False, max_len=MAX_NAME_CHARS))
def start_sweep(widget: Any, request_id: str, axes: list[Any], seconds_per_trial: float,
                name: str | None = None) -> dict[str, Any]:
    from modelstudio_widget.sweeps.job import SweepBusy  # deferred: imports torch
    from modelstudio_widget.sweeps.request import SweepRequestError, check_request

    design = widget.current_design
    if not widget.document.validation.get("valid", False):
        raise ProtocolError("INVALID_DESIGN", "Fix the design first: a sweep trains it.")
    if widget.session.training:
        raise ProtocolError("BUSY", "Training is running: stop it before a sweep.")
    try:
        request = check_request(design, axes, seconds_per_trial)
        config = check_settings(design.get("training")).config
    except (SweepRequestError, SettingsError) as exc:
        raise ProtocolError(exc.code, str(exc)) from None

    def on_change(state: dict[str, Any]) -> None:
        widget.send({"kind": "sweep", "id": request_id, **state})

    try:
        job = _runner().start(request_id, design, request, config=config,
                              workspace=widget.workspace, name=name or None,
                              on_change=on_change)
    except ImportError as exc:
        raise ProtocolError("NO_RAY", str(exc)) from None
    except SweepBusy as exc:
        raise ProtocolError(exc.code, str(exc)) from None
    widget.session.record_event("sweep_started", request_id, widget.design_id,
                                {"labels": list(request.labels), "trials": len(job.rows),
                                 "seconds_per_trial": request.seconds})
    if widget not in _WATCHED:  # a closed widget leaves nobody to show the sweep to
        _WATCHED.add(widget)
        widget.observe(lambda change: change["new"] is None and _runner().stop(),
                       names="comm")
    return job.state()


@COMMANDS.command("stop_sweep")
def stop_sweep(widget: Any, request_id: str) -> dict[str, Any]:
    stopping = _runner().stop()
    if stopping:
        widget.session.record_event("sweep_stopped", request_id, widget.design_id, {})
    return {"stopping": stopping}


@COMMANDS.command("sweep_status")
def sweep_status(widget: Any, request_id: str) -> dict[str, Any]:
    job = _runner().job
    return {"sweep": job.state() if job is not None else None}
