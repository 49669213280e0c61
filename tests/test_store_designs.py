"""The store's designs: creation, revisions, renames, soft deletes, conflicts between
two tabs, and dumps to JSON files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from store_testing import DESIGN, fresh_store  # noqa: F401 (the store fixture)

from modelstudio_widget.store import (
    AlreadyExists,
    NotFound,
    RevisionConflict,
    Store,
    dump_designs,
    safe_file_stem,
)


def test_create_get_and_list(store: Store) -> None:
    rec = store.create_design(DESIGN)
    assert rec.revision == 1 and rec.name == "Small MoE" and rec.id.startswith("d-")
    assert rec.design == {**DESIGN, "id": rec.id}  # id synced into the JSON
    assert store.get_design(rec.id) == rec
    other = store.create_design({**DESIGN, "id": "d-mine"}, name="Other")
    assert other.id == "d-mine" and other.design["name"] == "Other"
    assert [m.id for m in store.list_designs()] == ["d-mine", rec.id]  # newest first


def test_create_design_id_rules(store: Store) -> None:
    store.create_design(DESIGN, design_id="d-x")
    # design["id"] taken -> a fresh id; explicit id taken -> AlreadyExists
    assert store.create_design({**DESIGN, "id": "d-x"}).id not in ("d-x", None)
    with pytest.raises(AlreadyExists):
        store.create_design(DESIGN, design_id="d-x")
    # an unusable id inside the JSON is replaced, not trusted
    assert store.create_design({**DESIGN, "id": "../evil"}).id.startswith("d-")
    assert store.create_design({"edges": []}).name == "Untitled design"


def test_save_rename_history_and_get_by_revision(store: Store) -> None:
    rec = store.create_design(DESIGN)
    r2 = store.save_design(rec.id, {**DESIGN, "meta": {"d_model": 64}}, base_revision=1,
                           note="smaller")
    r3 = store.rename_design(rec.id, "  Tiny MoE ", base_revision=2)
    assert (r2.revision, r3.revision) == (2, 3)
    assert r3.name == "Tiny MoE" and r3.design["name"] == "Tiny MoE"
    assert r3.design["meta"] == {"d_model": 64}  # rename keeps the content
    assert store.rename_design(rec.id, "Tiny MoE") == store.get_design(rec.id)  # no-op
    hist = store.history(rec.id)
    assert [h.revision for h in hist] == [1, 2, 3]
    assert [h.base_revision for h in hist] == [None, 1, 2]
    assert hist[1].note == "smaller" and [h.name for h in hist][::2] == ["Small MoE", "Tiny MoE"]
    assert store.get_design(rec.id, 1).design == rec.design
    assert store.get_design(rec.id, 2).design["meta"] == {"d_model": 64}
    assert store.list_designs()[0].revision == 3
    # a name inside the saved JSON renames; without one the name is kept
    assert store.save_design(rec.id, {"x": 1}, base_revision=3).name == "Tiny MoE"
    assert store.save_design(rec.id, {"name": "Big"}, base_revision=4).name == "Big"
    with pytest.raises(NotFound, match="no revision 9"):
        store.get_design(rec.id, 9)


def test_delete_hides_but_keeps_history(store: Store) -> None:
    keep, gone = store.create_design(DESIGN), store.create_design(DESIGN)
    store.save_design(gone.id, DESIGN, base_revision=1)
    store.delete_design(gone.id)
    store.delete_design(gone.id)  # idempotent
    assert [m.id for m in store.list_designs()] == [keep.id]
    assert {m.id for m in store.list_designs(include_deleted=True)} == {keep.id, gone.id}
    for call in (lambda: store.get_design(gone.id),
                 lambda: store.save_design(gone.id, DESIGN, base_revision=2),
                 lambda: store.rename_design(gone.id, "x"),
                 lambda: store.history(gone.id)):
        with pytest.raises(NotFound):
            call()
    assert store.get_design(gone.id, include_deleted=True).deleted_at is not None
    assert len(store.history(gone.id, include_deleted=True)) == 2


def test_revision_conflict_between_two_tabs(store: Store) -> None:
    rec = store.create_design(DESIGN)
    tab_a = store.get_design(rec.id)
    tab_b = store.get_design(rec.id)
    saved_a = store.save_design(rec.id, {**tab_a.design, "edges": [["a", "b"]]},
                                base_revision=tab_a.revision)
    with pytest.raises(RevisionConflict) as info:
        store.save_design(rec.id, {**tab_b.design, "edges": [["b", "a"]]},
                          base_revision=tab_b.revision)
    err = info.value
    assert (err.design_id, err.base_revision, err.current_revision) == (rec.id, 1, 2)
    assert err.current == saved_a  # the caller gets what is there now
    assert store.get_design(rec.id).design["edges"] == [["a", "b"]]  # nothing overwritten
    assert len(store.history(rec.id)) == 2
    merged = store.save_design(rec.id, {**err.current.design, "edges": [["b", "a"]]},
                               base_revision=err.current_revision)
    assert merged.revision == 3
    with pytest.raises(RevisionConflict):
        store.rename_design(rec.id, "late", base_revision=2)


def test_dump_designs_writes_one_safe_file_per_design(store: Store, tmp_path: Path) -> None:
    a = store.create_design(DESIGN, design_id="d-a")
    store.save_design(a.id, {**DESIGN, "edges": [["in", "out"]]}, base_revision=1)
    store.create_design(DESIGN, design_id="CON")  # a Windows device name
    store.delete_design(store.create_design(DESIGN).id)
    # Ids this store refuses can still come from an older version or a hand edit.
    conn = store.database.connection()
    for evil in ("../../etc/x", "/abs/path", "..", "a\\b", "d-a/"):
        conn.execute("INSERT INTO designs (id, name, revision, created_at, updated_at) "
                     "VALUES (?, 'evil', 1, 0, 0)", (evil,))
        conn.execute("INSERT INTO design_revisions (design_id, revision, name, design_json, "
                     "saved_at) VALUES (?, 1, 'evil', ?, 0)", (evil, json.dumps({"id": evil})))
    out = tmp_path / "dump"
    paths = dump_designs(store, out)
    assert len(paths) == 7 and len({p.name.lower() for p in paths}) == 7
    for path in paths:
        assert path.parent == out and path.resolve().parent == out.resolve()
        assert not path.name.startswith(".") and path.suffix == ".json"
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)  # no temps
    assert json.loads((out / "d-a.json").read_text())["edges"] == [["in", "out"]]
    assert not (out / "CON.json").exists()
    ids = {json.loads(p.read_text())["id"] for p in paths}
    assert {"../../etc/x", "..", "d-a", "CON"} <= ids
    assert not (tmp_path / "etc").exists()


@given(st.text(max_size=80))
def test_safe_file_stem_never_escapes(design_id: str) -> None:
    stem = safe_file_stem(design_id)
    assert stem and not stem.startswith(".") and len(stem) <= 80
    assert all(c.isascii() and (c.isalnum() or c in "_.-") for c in stem)
