"""What the store hands back: frozen records of designs, revisions, runs, checkpoints and
events, and the store's own exceptions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class StoreError(Exception):
    """Base class of the store's own errors."""


class NotFound(StoreError):
    """No such design (or revision, run): unknown, or deleted and not asked for."""


class AlreadyExists(StoreError):
    """``create_design`` was given an explicit id that is taken (deleted designs included)."""


class StoreBusy(StoreError):
    """Another writer held the database for longer than the store's ``timeout``."""


class RevisionConflict(StoreError):
    """A save started from ``base_revision`` but the design is now at ``current_revision``.

    ``current`` is the design as it is now, so the caller can show it, merge, or retry on
    the new base. Nothing was written.
    """

    def __init__(self, design_id: str, base_revision: int, current: DesignRecord) -> None:
        self.design_id = design_id
        self.base_revision = base_revision
        self.current_revision = current.revision
        self.current = current
        super().__init__(
            f"design {design_id!r} was edited elsewhere: this save started from revision "
            f"{base_revision} but the current revision is {current.revision}"
        )


@dataclass(frozen=True)
class DesignRecord:
    """One revision of a design. ``design`` is a fresh dict whose ``id`` and ``name`` match
    the record's; ``updated_at`` is when this revision was saved (unix seconds)."""

    id: str
    name: str
    revision: int
    design: dict[str, Any]
    created_at: float
    updated_at: float
    deleted_at: float | None = None


@dataclass(frozen=True)
class DesignMeta:
    id: str
    name: str
    revision: int
    updated_at: float


@dataclass(frozen=True)
class RevisionMeta:
    revision: int
    name: str
    saved_at: float
    base_revision: int | None  # None for the first revision
    note: str


@dataclass(frozen=True)
class RunControl:
    """Cross-process control of a run: unix times, None when never."""

    watched_at: float | None
    stop_requested_at: float | None


@dataclass(frozen=True)
class RunRecord:
    """A training run. ``design`` is the exact design JSON it trained (a copy, so later
    edits to the design never change what a checkpoint means)."""

    id: str
    design_id: str | None
    design_revision: int | None
    design: dict[str, Any]
    config: dict[str, Any]
    status: str
    summary: dict[str, Any] | None
    created_at: float
    updated_at: float
    owner_pid: int
    owner_host: str


@dataclass(frozen=True)
class CheckpointRecord:
    id: int
    run_id: str
    path: str
    step: int
    metrics: dict[str, Any] | None
    created_at: float


@dataclass(frozen=True)
class EventRecord:
    id: int
    kind: str
    at: float
    request_id: str | None
    design_id: str | None
    data: dict[str, Any] | None
