"""The open design document: what the page is editing, and how it is kept safe in the store.

A typed core that knows nothing of Jupyter (the widget maps its traits and messages onto
it). It holds the open design's state (id, name, revision, when it was saved, the saved
copy, the last good design, a revision conflict, a load counter) and does the document's
work: open a design, accept an edit from the page (refusing what is not a design at all,
keeping the last good one), autosave every accepted change as a new store revision, create
(blank or from a template), rename, delete, and resolve a conflict with another tab.

Autosave saves on the revision it started from. When another tab saved in between, nothing
is written: the document holds a *conflict* (their design, the revision they saved, and
mine, which further edits keep updating) until the user keeps mine or loads theirs. A
design deleted elsewhere while open is kept: the next save stores it as a new design.

Errors the user must see are ``DocumentError`` with a stable ``code``. Not thread-safe:
the widget serialises its calls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from modelstudio_widget.design.rules import Issue, ValidationResult, validate
from modelstudio_widget.design.templates import default_design, templates
from modelstudio_widget.store import DesignRecord, NotFound, RevisionConflict, Store, StoreError
from modelstudio_widget.widget_protocol import MAX_DESIGN_BYTES, ProtocolError, json_size

log = logging.getLogger(__name__)

#: At most this many disagreement reports per document (a buggy page must not flood the log).
MAX_DISAGREEMENT_REPORTS = 20

#: ``record_event(kind, request_id, design_id, data)``: local telemetry that never raises
#: (``StudioSession.record_event``).
EventRecorder = Callable[[str, str | None, str | None, dict[str, Any]], None]


class DocumentError(Exception):
    """A document action that cannot be done; ``code`` is stable (NOT_FOUND, CONFLICT,
    BAD_ARGS, NO_CONFLICT, SAVE_FAILED)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Edit:
    """What became of an edit from the page. ``refused``: it was not a design at all, and
    the last good design stays (the page must get it back). ``save_error``: it was kept but
    autosave failed."""

    refused: bool = False
    save_error: DocumentError | None = None


def blank_design() -> dict[str, Any]:
    return {"schema_version": 1, "meta": {}, "components": [], "edges": []}


class DesignDocument:
    """The design open in one page, on ``store``. ``start()`` opens the first one."""

    def __init__(self, store: Store, record_event: EventRecorder) -> None:
        self.store = store
        self._record_event = record_event
        self._design_id: str | None = None
        self._name = ""
        self._revision = 0
        self._saved_at: float | None = None
        self._saved: dict[str, Any] | None = None
        self._good: dict[str, Any] = blank_design()
        self._validation: dict[str, Any] = validate(self._good).to_dict()
        self._conflict: dict[str, Any] | None = None
        self._load_seq = 0
        self._reports = 0
        self._designs: list[dict[str, Any]] = []
        self._templates = [{"key": key, "name": str(design.get("name", key))}
                           for key, design in templates().items()]

    # ------------------------------------------------------------------ state
    @property
    def design_id(self) -> str | None:
        return self._design_id

    @property
    def design(self) -> dict[str, Any]:
        """The last good design (what autosave stored or will store)."""
        return self._good

    @property
    def saved_revision(self) -> int | None:
        """The stored revision that holds exactly the last good design (what a run of it
        trains), or None while that design is not saved as such (a conflict)."""
        if self._design_id is None or self._good != self._saved:
            return None
        return self._revision

    @property
    def validation(self) -> dict[str, Any]:
        """The result of record for what the page shows: the last load or edit."""
        return self._validation

    @property
    def load_seq(self) -> int:
        """Bumped whenever a design is loaded (the page must replace what it shows)."""
        return self._load_seq

    @property
    def conflict(self) -> dict[str, Any] | None:
        """``{"current_revision", "theirs", "mine"}`` while a save conflicts, else None."""
        return self._conflict

    @property
    def doc(self) -> dict[str, Any]:
        """The open document as the page shows it."""
        return {"design_id": self._design_id, "name": self._name,
                "revision": self._revision, "saved_at": self._saved_at,
                "conflict": self._conflict, "load_seq": self._load_seq,
                "templates": self._templates}

    @property
    def designs(self) -> list[dict[str, Any]]:
        """The saved designs, most recently saved first (as of this document's last
        store write or load)."""
        return self._designs

    # ------------------------------------------------------------------ opening
    def start(self, design: dict[str, Any] | None = None) -> None:
        """Open ``design`` stored as a new design; without one, the most recently saved
        design, or a new default one in an empty store."""
        if design is not None:
            self._load(self._create(design, None))
        else:
            self._open_latest(None)

    def open(self, design_id: str) -> None:
        """Open a saved design's latest revision (an open conflict is dropped)."""
        try:
            record = self.store.get_design(design_id)
        except NotFound as exc:
            raise DocumentError("NOT_FOUND", str(exc)) from None
        self._load(record)

    def create(self, name: str, template: str | None = None,
               request_id: str | None = None) -> str:
        """Store a new design (blank, or a copy of ``template``) named ``name``, open it
        and return its id."""
        if not name.strip():
            raise DocumentError("BAD_ARGS", "A design needs a name.")
        if template:
            shipped = templates()
            if template not in shipped:
                raise DocumentError("BAD_ARGS", f"No template {template!r}.")
            design = shipped[template]
        else:
            design = blank_design()
        design = {k: v for k, v in design.items() if k != "id"}
        try:
            record = self._create(design, request_id, name=name)
        except ValueError as exc:
            raise DocumentError("BAD_ARGS", str(exc)) from None
        self._load(record)
        return record.id

    # ------------------------------------------------------------------ editing
    def edit(self, payload: Any) -> Edit:
        """An edit from the page: validate it; a design (even an invalid one) becomes the
        last good design and is autosaved; anything else is refused."""
        try:
            json_size(payload, "The design", MAX_DESIGN_BYTES)
        except ProtocolError as exc:  # not plain JSON, or too large to read at all
            return self._refuse(ValidationResult(False, 0.0, 0, 0,
                                                 [Issue(exc.code, exc.message)]))
        # The page cannot change the id or the name (rename is its own command).
        design = ({**payload, "id": self._design_id, "name": self._name}
                  if isinstance(payload, dict) else payload)
        result = validate(design)  # BAD_DESIGN for anything that is not a design
        if any(i.code == "BAD_DESIGN" for i in result.errors):
            return self._refuse(result)
        self._good = design
        self._validation = result.to_dict()
        return Edit(save_error=self._autosave(design))

    def rename(self, design_id: str, name: str) -> DesignRecord:
        """Rename a design (a new revision). The open one renames from the revision this
        document holds: ``CONFLICT`` if another tab saved since."""
        current = design_id == self._design_id
        try:
            record = self.store.rename_design(
                design_id, name, base_revision=self._revision if current else None)
        except RevisionConflict:
            raise DocumentError("CONFLICT", "The design was saved elsewhere; resolve that "
                                "first.") from None
        except NotFound as exc:
            raise DocumentError("NOT_FOUND", str(exc)) from None
        except ValueError as exc:
            raise DocumentError("BAD_ARGS", str(exc)) from None
        if current:
            self._name = record.name
            self._good = {**self._good, "name": record.name}
            self._saved_as(record)
        self._refresh_designs()
        return record

    def delete(self, design_id: str, request_id: str | None = None) -> None:
        """Delete a design; deleting the open one opens the most recent other (or a new
        default design when none is left)."""
        try:
            self.store.delete_design(design_id)
        except NotFound as exc:
            raise DocumentError("NOT_FOUND", str(exc)) from None
        if design_id == self._design_id:
            self._open_latest(request_id)
        else:
            self._refresh_designs()

    def resolve_conflict(self, choice: str) -> int:
        """Keep ``"mine"`` (saved over theirs) or load ``"theirs"``; the revision open
        afterwards. ``CONFLICT`` again if yet another save came in meanwhile."""
        conflict = self._conflict
        if conflict is None or self._design_id is None:
            raise DocumentError("NO_CONFLICT", "There is no conflict to resolve.")
        if choice == "theirs":
            self.open(self._design_id)
            return self._revision
        if choice != "mine":
            raise DocumentError("BAD_ARGS", f"Choose 'mine' or 'theirs', not {choice!r}.")
        try:
            record = self._save(self._design_id, conflict["mine"],
                                conflict["current_revision"])
        except RevisionConflict as exc:  # yet another save came in: ask again
            self._conflict = _conflict(exc, conflict["mine"])
            raise DocumentError("CONFLICT", "Saved elsewhere again; choose once more.") from None
        self._conflict = None
        self._saved_as(record)
        self._refresh_designs()
        return record.revision

    def report_disagreement(self, request_id: str | None, seq: int, kernel: dict[str, Any],
                            local: dict[str, Any]) -> bool:
        """The page's validator disagrees with the kernel's on edit ``seq`` (a bug in one
        of them): log it and record it with the design. False once the cap is reached."""
        self._reports += 1
        if self._reports > MAX_DISAGREEMENT_REPORTS:
            return False
        log.warning("Model Studio: the page's validator disagrees with the kernel's (a bug) "
                    "on design %s seq %d: kernel=%s page=%s", self._design_id, seq,
                    str(kernel)[:500], str(local)[:500])
        self._record_event("validation_disagreement", request_id, self._design_id,
                           {"seq": seq, "kernel": kernel, "local": local,
                            "design": self._good})
        return True

    # ------------------------------------------------------------------ internals
    def _load(self, record: DesignRecord) -> None:
        self._design_id = record.id
        self._name = record.name
        self._good = record.design
        self._validation = validate(record.design).to_dict()
        self._conflict = None
        self._saved_as(record)
        self._load_seq += 1
        self._refresh_designs()

    def _open_latest(self, request_id: str | None) -> None:
        metas = self.store.list_designs()
        self._load(self.store.get_design(metas[0].id) if metas
                   else self._create(default_design(), request_id))

    def _create(self, design: dict[str, Any], request_id: str | None,
                name: str | None = None) -> DesignRecord:
        record = self.store.create_design(design, name=name)
        self._record_event("design_created", request_id, record.id,
                           {"name": record.name,
                            "components": len(design.get("components") or [])})
        return record

    def _refuse(self, result: ValidationResult) -> Edit:
        self._validation = result.to_dict()
        log.warning("Model Studio: refused a design from the page: %s",
                    "; ".join(i.message for i in result.errors)[:300])
        return Edit(refused=True)

    def _autosave(self, design: dict[str, Any]) -> DocumentError | None:
        if self._conflict is not None:  # saved only once the user has chosen
            self._conflict = {**self._conflict, "mine": design}
            return None
        if design == self._saved or self._design_id is None:
            return None
        try:
            record = self._save(self._design_id, design, self._revision)
        except RevisionConflict as exc:
            self._conflict = _conflict(exc, design)
            return None
        except (StoreError, ValueError) as exc:
            log.warning("Model Studio: autosave failed: %s", exc)
            return DocumentError("SAVE_FAILED", str(exc))
        self._saved_as(record)
        self._refresh_designs()
        return None

    def _save(self, design_id: str, design: dict[str, Any], base_revision: int
              ) -> DesignRecord:
        """Save on ``base_revision``; a design deleted elsewhere is kept as a new design."""
        try:
            return self.store.save_design(design_id, design, base_revision=base_revision)
        except NotFound:
            record = self._create(design, None, name=self._name)
            self._design_id = record.id
            self._good = record.design
            return record

    def _saved_as(self, record: DesignRecord) -> None:
        self._revision = record.revision
        self._saved = record.design
        self._saved_at = record.updated_at

    def _refresh_designs(self) -> None:
        self._designs = [{"id": m.id, "name": m.name, "revision": m.revision,
                          "updated_at": m.updated_at} for m in self.store.list_designs()]


def _conflict(exc: RevisionConflict, mine: dict[str, Any]) -> dict[str, Any]:
    return {"current_revision": exc.current_revision, "theirs": exc.current.design,
            "mine": mine}
