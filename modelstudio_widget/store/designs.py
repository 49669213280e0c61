"""Designs and their revision history: every save is a new revision, checked against the
revision the caller started from (``RevisionConflict`` when someone saved in between)."""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from typing import Any

from modelstudio_widget.ids import ID_RE
from modelstudio_widget.store.checks import check_id, check_int, check_name, check_note, dumps
from modelstudio_widget.store.connection import DatabasePart
from modelstudio_widget.store.records import (
    AlreadyExists,
    DesignMeta,
    DesignRecord,
    NotFound,
    RevisionConflict,
    RevisionMeta,
)

DEFAULT_DESIGN_NAME = "Untitled design"

_DESIGN_SELECT = (
    "SELECT d.id, r.name, r.revision, r.design_json, d.created_at, r.saved_at, "
    "d.deleted_at FROM designs d JOIN design_revisions r ON r.design_id = d.id "
)


def fetch_design(conn: sqlite3.Connection, design_id: object, revision: int | None,
                 include_deleted: bool) -> DesignRecord:
    """A design's latest revision (or the given one) as seen by ``conn``, which may be
    inside a write transaction; ``NotFound`` as ``Designs.get_design`` says."""
    if not isinstance(design_id, str):
        raise ValueError(f"design id must be a string, not {type(design_id).__name__}")
    if revision is not None:
        check_int(revision, "revision", minimum=1)
    row = conn.execute(_DESIGN_SELECT + "AND r.revision = COALESCE(?, d.revision) "
                       "WHERE d.id = ?", (revision, design_id)).fetchone()
    if row is None:
        visible = conn.execute("SELECT 1 FROM designs WHERE id = ? AND (deleted_at IS "
                               "NULL OR ?)", (design_id, include_deleted)).fetchone()
        if visible and revision is not None:
            raise NotFound(f"design {design_id!r} has no revision {revision}")
        raise NotFound(f"no design {design_id!r}")
    if row[6] is not None and not include_deleted:
        raise NotFound(f"design {design_id!r} was deleted")
    return DesignRecord(row[0], row[1], row[2], json.loads(row[3]), row[4], row[5], row[6])


def _current(conn: sqlite3.Connection, design_id: object) -> tuple[int, str]:
    """(revision, name) of a visible design, inside a write transaction."""
    if not isinstance(design_id, str):
        raise ValueError(f"design id must be a string, not {type(design_id).__name__}")
    row = conn.execute("SELECT revision, name FROM designs WHERE id = ? "
                       "AND deleted_at IS NULL", (design_id,)).fetchone()
    if row is None:
        raise NotFound(f"no design {design_id!r}")
    return row


def _append_revision(conn: sqlite3.Connection, design_id: str, revision: int, name: str,
                     doc: dict[str, Any], base_revision: int, note: str) -> DesignRecord:
    doc = {**doc, "id": design_id, "name": name}
    text = dumps(doc, "design")
    now = time.time()
    conn.execute("INSERT INTO design_revisions (design_id, revision, name, design_json, "
                 "saved_at, base_revision, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (design_id, revision, name, text, now, base_revision, note))
    conn.execute("UPDATE designs SET revision = ?, name = ?, updated_at = ? WHERE id = ?",
                 (revision, name, now, design_id))
    created_at = conn.execute("SELECT created_at FROM designs WHERE id = ?",
                              (design_id,)).fetchone()[0]
    return DesignRecord(design_id, name, revision, json.loads(text), created_at, now)


class Designs(DatabasePart):
    """Designs with their full revision history; deleting one only hides it."""

    def create_design(self, design: dict[str, Any], *, name: str | None = None,
                      design_id: str | None = None) -> DesignRecord:
        """Store a new design as revision 1.

        Id: ``design_id`` if given (``AlreadyExists`` if taken, deleted designs included),
        else ``design["id"]`` if it is a valid id that is free, else a fresh ``d-xxxxxxxx``.
        Name: ``name``, else ``design["name"]`` if it is a string, else "Untitled design".
        The stored JSON's ``id`` and ``name`` are set to the record's.
        """
        if not isinstance(design, dict):
            raise ValueError(f"design must be a JSON object (dict), not {type(design).__name__}")
        if name is None:
            name = design["name"] if isinstance(design.get("name"), str) else DEFAULT_DESIGN_NAME
        name = check_name(name)
        if design_id is not None:
            check_id(design_id)
        suggested = design.get("id")
        with self.database.write() as conn:
            def taken(candidate: str) -> bool:
                return conn.execute("SELECT 1 FROM designs WHERE id = ?",
                                    (candidate,)).fetchone() is not None

            if design_id is not None:
                if taken(design_id):
                    raise AlreadyExists(f"a design with id {design_id!r} already exists")
            elif isinstance(suggested, str) and ID_RE.fullmatch(suggested) \
                    and not taken(suggested):
                design_id = suggested
            else:
                design_id = "d-" + secrets.token_hex(4)
                while taken(design_id):
                    design_id = "d-" + secrets.token_hex(4)
            doc = {**design, "id": design_id, "name": name}
            text = dumps(doc, "design")
            now = time.time()
            conn.execute("INSERT INTO designs (id, name, revision, created_at, updated_at) "
                         "VALUES (?, ?, 1, ?, ?)", (design_id, name, now, now))
            conn.execute("INSERT INTO design_revisions (design_id, revision, name, design_json,"
                         " saved_at) VALUES (?, 1, ?, ?, ?)", (design_id, name, text, now))
        return DesignRecord(design_id, name, 1, json.loads(text), now, now)

    def get_design(self, design_id: str, revision: int | None = None, *,
                   include_deleted: bool = False) -> DesignRecord:
        """The latest revision (or the given one). ``NotFound`` if unknown or deleted
        (unless ``include_deleted``) or if the revision does not exist."""
        return fetch_design(self.database.connection(), design_id, revision, include_deleted)

    def list_designs(self, *, include_deleted: bool = False) -> list[DesignMeta]:
        """Designs, most recently saved first."""
        rows = self.database.connection().execute(
            "SELECT id, name, revision, updated_at FROM designs "
            + ("" if include_deleted else "WHERE deleted_at IS NULL ")
            + "ORDER BY updated_at DESC, id").fetchall()
        return [DesignMeta(*row) for row in rows]

    def save_design(self, design_id: str, design: dict[str, Any], *, base_revision: int,
                    note: str = "") -> DesignRecord:
        """Save ``design`` as the next revision, provided the design is still at
        ``base_revision`` (the revision the caller loaded); else ``RevisionConflict`` and
        nothing is written. The stored JSON's ``id`` is set to ``design_id``; the name comes
        from ``design["name"]`` if it is a string, else the current name is kept.
        ``NotFound`` if the design is unknown or deleted."""
        if not isinstance(design, dict):
            raise ValueError(f"design must be a JSON object (dict), not {type(design).__name__}")
        check_int(base_revision, "base_revision", minimum=1)
        note = check_note(note)
        with self.database.write() as conn:
            current, current_name = _current(conn, design_id)
            if base_revision != current:
                raise RevisionConflict(design_id, base_revision,
                                       fetch_design(conn, design_id, None, False))
            name = check_name(design["name"]) if isinstance(design.get("name"), str) \
                else current_name
            return _append_revision(conn, design_id, current + 1, name, design,
                                    base_revision, note)

    def rename_design(self, design_id: str, name: str, *, base_revision: int | None = None
                      ) -> DesignRecord:
        """Rename as a new revision (same design JSON, new name). With ``base_revision``,
        ``RevisionConflict`` if the design moved on. Renaming to the current name is a
        no-op that returns the current record."""
        name = check_name(name)
        if base_revision is not None:
            check_int(base_revision, "base_revision", minimum=1)
        with self.database.write() as conn:
            current, current_name = _current(conn, design_id)
            record = fetch_design(conn, design_id, None, False)
            if base_revision is not None and base_revision != current:
                raise RevisionConflict(design_id, base_revision, record)
            if name == current_name:
                return record
            return _append_revision(conn, design_id, current + 1, name, record.design,
                                    current, f"renamed from {current_name!r}")

    def delete_design(self, design_id: str) -> None:
        """Soft delete: hidden from list/get, history and runs kept. Deleting a deleted
        design does nothing; ``NotFound`` if the id is unknown."""
        with self.database.write() as conn:
            done = conn.execute("UPDATE designs SET deleted_at = ? WHERE id = ? "
                                "AND deleted_at IS NULL", (time.time(), design_id)).rowcount
            if not done and not conn.execute("SELECT 1 FROM designs WHERE id = ?",
                                             (design_id,)).fetchone():
                raise NotFound(f"no design {design_id!r}")

    def history(self, design_id: str, *, include_deleted: bool = False) -> list[RevisionMeta]:
        """Every revision, oldest first."""
        conn = self.database.connection()
        fetch_design(conn, design_id, None, include_deleted)  # NotFound check
        rows = conn.execute("SELECT revision, name, saved_at, base_revision, note FROM "
                            "design_revisions WHERE design_id = ? ORDER BY revision",
                            (design_id,)).fetchall()
        return [RevisionMeta(*row) for row in rows]
