"""Local telemetry: short labelled events that never leave the workspace's file, pruned
to the newest ``EVENT_RETENTION``."""

from __future__ import annotations

import re
import time
from typing import Any

from modelstudio_widget.store.checks import check_int, check_tag, dumps, loads
from modelstudio_widget.store.connection import DatabasePart
from modelstudio_widget.store.records import EventRecord

#: Telemetry is local and bounded: older events are pruned beyond this many.
EVENT_RETENTION = 100_000

_KIND_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.:/-]{0,63}")


class Events(DatabasePart):
    """The telemetry log (never leaves this file)."""

    def record_event(self, kind: str, *, request_id: str | None = None,
                     design_id: str | None = None, data: dict[str, Any] | None = None) -> None:
        """Append an event. ``kind``: a short dotted label such as "validate" or
        "compile.error". Keeps the newest ``EVENT_RETENTION`` events."""
        if not isinstance(kind, str) or not _KIND_RE.fullmatch(kind):
            raise ValueError("event kind must be 1-64 characters: a letter, then letters, "
                             f"digits or '_.:/-'; got {kind!r:.80}")
        request_id = check_tag(request_id, "request_id")
        design_id = check_tag(design_id, "design_id")
        text = None if data is None else dumps(data, "event data")
        with self.database.write() as conn:
            event_id = conn.execute(
                "INSERT INTO events (kind, at, request_id, design_id, data_json) "
                "VALUES (?, ?, ?, ?, ?)", (kind, time.time(), request_id, design_id, text)
            ).lastrowid or 0
            if event_id % 1000 == 0:  # prune now and then, not on every insert
                conn.execute("DELETE FROM events WHERE id <= ?", (event_id - EVENT_RETENTION,))

    def events(self, kind: str | None = None, *, limit: int = 1000) -> list[EventRecord]:
        """The newest ``limit`` events (of one kind, if given), newest first."""
        check_int(limit, "limit", minimum=0)
        rows = self.database.connection().execute(
            "SELECT id, kind, at, request_id, design_id, data_json FROM events "
            + ("WHERE kind = ? " if kind is not None else "") + "ORDER BY id DESC LIMIT ?",
            ((kind,) if kind is not None else ()) + (limit,)).fetchall()
        return [EventRecord(*row[:5], loads(row[5])) for row in rows]
