"""The difference between two designs: blocks and edges added, removed and changed.

``js/src/state/diff.ts`` is the page's twin; both are held to the shared vectors in
``tests/vectors/diff``. The input is read tolerantly (a revision may be invalid): components
that are not objects with a string id, and edges that are not pairs of strings, are skipped;
of two components with one id the first counts. Values are compared as JSON: ``1`` equals
``1.0`` (the page cannot tell them apart) but ``true`` is not ``1``, and a missing value
equals ``null`` (both mean "the default"); a missing value is reported as ``None``.
"""

from __future__ import annotations

from typing import Any

Diff = dict[str, Any]


def same(a: Any, b: Any) -> bool:
    """Whether two JSON values are equal as the page sees them."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if type(a) in (int, float) and type(b) in (int, float):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def changed_keys(old: Any, new: Any) -> dict[str, list[Any]]:
    """name -> [old, new] for each key of two objects whose values differ, names sorted."""
    old, new = _mapping(old), _mapping(new)
    return {k: [old.get(k), new.get(k)] for k in sorted(old.keys() | new.keys())
            if not same(old.get(k), new.get(k))}


def _components(design: Any) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    components = _mapping(design).get("components")
    for c in components if isinstance(components, list) else []:
        if isinstance(c, dict) and isinstance(c.get("id"), str):
            found.setdefault(c["id"], c)
    return found


def _edges(design: Any) -> set[tuple[str, str]]:
    edges = _mapping(design).get("edges")
    return {(e[0], e[1]) for e in (edges if isinstance(edges, list) else [])
            if isinstance(e, list) and len(e) == 2 and all(isinstance(x, str) for x in e)}


def _component_change(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any] | None:
    change: dict[str, Any] = {}
    if not same(old.get("type"), new.get("type")):
        change["type"] = [old.get("type"), new.get("type")]
    change["props"] = changed_keys(old.get("props"), new.get("props"))
    change["moved"] = not same(old.get("position"), new.get("position"))
    return change if "type" in change or change["props"] or change["moved"] else None


def diff_designs(old: Any, new: Any) -> Diff:
    """What changed from ``old`` to ``new`` (ids and edges sorted; "moved": the position
    changed, which is no change of meaning)."""
    before, after = _components(old), _components(new)
    changed = {}
    for cid in sorted(before.keys() & after.keys()):
        change = _component_change(before[cid], after[cid])
        if change is not None:
            changed[cid] = change
    old_edges, new_edges = _edges(old), _edges(new)
    return {
        "added": sorted(after.keys() - before.keys()),
        "removed": sorted(before.keys() - after.keys()),
        "changed": changed,
        "edges_added": [list(e) for e in sorted(new_edges - old_edges)],
        "edges_removed": [list(e) for e in sorted(old_edges - new_edges)],
        "meta": changed_keys(_mapping(old).get("meta"), _mapping(new).get("meta")),
        "training": changed_keys(_mapping(old).get("training"), _mapping(new).get("training")),
    }


def is_empty(diff: Diff) -> bool:
    """Whether the diff records no change at all (moves included)."""
    return not any(diff[k] for k in ("added", "removed", "changed", "edges_added",
                                     "edges_removed", "meta", "training"))
