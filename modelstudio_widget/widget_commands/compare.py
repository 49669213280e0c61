"""The compare sheet's command: ``compare_runs {run_ids: [2..6 run ids]}`` -> the runs'
curves, final numbers and what differs from the first run (``training.compare``)."""

from __future__ import annotations

from typing import Any

from modelstudio_widget.ids import MAX_ID_CHARS, RUN_ID_RE
from modelstudio_widget.training.compare import MAX_RUNS, CompareError, compare_runs
from modelstudio_widget.widget_commands import COMMANDS
from modelstudio_widget.widget_protocol import Arg, ProtocolError

RUN_ID = Arg("run_ids[]", str, pattern=RUN_ID_RE, max_len=MAX_ID_CHARS)


@COMMANDS.command("compare_runs", Arg("run_ids", list))
def compare(widget: Any, request_id: str, run_ids: list[Any]) -> dict[str, Any]:
    if len(run_ids) > MAX_RUNS:  # before each id is checked: the list is the page's
        raise ProtocolError("BAD_SELECTION", f"Compare takes at most {MAX_RUNS} runs.")
    checked = [RUN_ID.check(run_id) for run_id in run_ids]
    try:
        return compare_runs(widget.store, checked).to_dict()
    except CompareError as exc:
        raise ProtocolError(exc.code, exc.message) from None
