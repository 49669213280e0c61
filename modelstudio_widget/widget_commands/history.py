"""The history sheet's commands: the open design's revisions, and one revision with its
diff to the current design (the work is in ``modelstudio_widget.history``)."""

from __future__ import annotations

from typing import Any

from modelstudio_widget import history
from modelstudio_widget.ids import MAX_ID_CHARS
from modelstudio_widget.store import NotFound
from modelstudio_widget.widget_commands import COMMANDS
from modelstudio_widget.widget_protocol import DESIGN_ID_RE, Arg, ProtocolError

DESIGN_ID = Arg("design_id", str, required=False, pattern=DESIGN_ID_RE, max_len=MAX_ID_CHARS)
#: Far beyond any real history; bounds what the network may send.
MAX_REVISION = 10**9


def _design_id(widget: Any, design_id: str | None) -> str:
    chosen = design_id or widget.document.design_id
    if chosen is None:
        raise ProtocolError("NOT_FOUND", "No design is open.")
    return chosen


@COMMANDS.command("list_revisions", DESIGN_ID)
def list_revisions(widget: Any, request_id: str, design_id: str | None = None) -> Any:
    chosen = _design_id(widget, design_id)
    try:
        rows = history.revision_rows(widget.store, chosen)
    except NotFound as exc:
        raise ProtocolError("NOT_FOUND", str(exc)) from None
    return {"design_id": chosen, "revisions": rows}


@COMMANDS.command("get_revision", Arg("revision", int, minimum=1, maximum=MAX_REVISION),
                  DESIGN_ID)
def get_revision(widget: Any, request_id: str, revision: int,
                 design_id: str | None = None) -> Any:
    chosen = _design_id(widget, design_id)
    try:
        # The open design as the kernel holds it (autosave may still be on its way).
        current = (widget.document.design if chosen == widget.document.design_id
                   else widget.store.get_design(chosen).design)
        view = history.revision_view(widget.store, chosen, revision, current)
    except NotFound as exc:
        raise ProtocolError("NOT_FOUND", str(exc)) from None
    return {"design_id": chosen, **view}
