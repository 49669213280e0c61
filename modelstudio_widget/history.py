"""A design's revision history as the history sheet shows it: each revision with its time,
parameters, validity and the runs trained on it; one revision with its diff to the current
design. Jupyter-free: the widget's ``history`` commands only translate.

A revision never changes once saved, so its validation is computed once per process and
kept in a small LRU cache keyed by (store file, design id, revision): a 300-revision list
validates each revision only the first time it is shown.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Any

from modelstudio_widget.design.diff import Diff, diff_designs
from modelstudio_widget.design.rules import validate
from modelstudio_widget.store import Store

#: Revision facts kept in memory (a few hundred bytes each).
CACHE_SIZE = 4096


@dataclass(frozen=True)
class RevisionFacts:
    """What validating one revision found."""

    valid: bool
    params: int
    errors: int  # issues of severity "error"
    warnings: int


class FactsCache:
    """An LRU map of (store path, design id, revision) -> RevisionFacts, thread-safe (the
    widget's commands and a notebook may ask at once)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, str, int], RevisionFacts] = OrderedDict()
        self._lock = threading.Lock()
        self.misses = 0

    def get(self, key: tuple[str, str, int]) -> RevisionFacts | None:
        with self._lock:
            facts = self._items.get(key)
            if facts is not None:
                self._items.move_to_end(key)
            return facts

    def put(self, key: tuple[str, str, int], facts: RevisionFacts) -> None:
        with self._lock:
            self.misses += 1
            self._items[key] = facts
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.misses = 0


FACTS = FactsCache(CACHE_SIZE)


def facts_of(design: Any) -> RevisionFacts:
    """Validity, parameter count and issue counts of a design."""
    result = validate(design)
    errors = sum(1 for i in result.errors if i.severity == "error")
    return RevisionFacts(result.valid, result.params, errors, len(result.errors) - errors)


def revision_facts(store: Store, design_id: str, revision: int) -> RevisionFacts:
    """The facts of one stored revision, validated once per process."""
    key = (str(store.path), design_id, revision)
    facts = FACTS.get(key)
    if facts is None:
        facts = facts_of(store.get_design(design_id, revision).design)
        FACTS.put(key, facts)
    return facts


def runs_by_revision(store: Store, design_id: str) -> dict[int, list[str]]:
    """revision -> the ids of the runs trained on it, newest first."""
    found: dict[int, list[str]] = {}
    for run in store.list_runs(design_id):
        if run.design_revision is not None:
            found.setdefault(run.design_revision, []).append(run.id)
    return found


def revision_rows(store: Store, design_id: str) -> list[dict[str, Any]]:
    """Every revision of a design, newest first: ``revision, name, saved_at`` (unix s),
    ``note, valid, params, errors, warnings, runs`` (run ids, newest first).
    ``NotFound`` if the design is unknown or deleted."""
    runs = runs_by_revision(store, design_id)
    return [{"revision": meta.revision, "name": meta.name, "saved_at": meta.saved_at,
             "note": meta.note, **asdict(revision_facts(store, design_id, meta.revision)),
             "runs": runs.get(meta.revision, [])}
            for meta in reversed(store.history(design_id))]


def revision_view(store: Store, design_id: str, revision: int,
                  current: dict[str, Any]) -> dict[str, Any]:
    """One revision and what restoring it would change in ``current``: ``revision``,
    ``design`` (its JSON), ``diff`` = ``diff_designs(current, design)`` (so "added" is
    only in the revision and "removed" only in the current design), and its facts.
    ``NotFound`` if the design or the revision does not exist."""
    design = store.get_design(design_id, revision).design
    diff: Diff = diff_designs(current, design)
    return {"revision": revision, "design": design, "diff": diff,
            **asdict(revision_facts(store, design_id, revision))}
