"""The open design document, without Jupyter: autosave, refusals, conflicts between tabs,
rename, delete, create. Every document works on a real store in a temporary workspace;
two documents on one workspace are two tabs (or two kernels)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from modelstudio_widget.design.templates import default_design, templates
from modelstudio_widget.document import DesignDocument, DocumentError
from modelstudio_widget.ids import MAX_NAME_CHARS
from modelstudio_widget.store import Store
from modelstudio_widget.studio import StudioSession


def open_document(workspace: Path, design: dict[str, Any] | None = None) -> DesignDocument:
    """A document as a page's kernel opens it: its own store connection and session."""
    store = Store.in_workspace(workspace)
    session = StudioSession(workspace, store, lambda _snapshot: None)
    document = DesignDocument(store, session.record_event)
    document.start(design)
    return document


def with_d_model(document: DesignDocument, value: int) -> dict[str, Any]:
    """The open design with every ``d_model`` prop set to ``value``."""
    design = copy.deepcopy(document.design)
    changed = [c for c in design["components"] if "d_model" in c.get("props", {})]
    assert changed, "the design has no block with d_model"
    for component in changed:
        component["props"]["d_model"] = value
    return design


def stored(workspace: Path, design_id: str) -> Any:
    return Store.in_workspace(workspace).get_design(design_id)


def error_code(action: Any) -> str:
    with pytest.raises(DocumentError) as err:
        action()
    return err.value.code


@pytest.fixture
def doc(workspace: Path) -> DesignDocument:
    """A document open on the tiny template: a design with stream widths to edit (the
    default design, an n-tuple value, has none)."""
    return open_document(workspace, templates()["tiny"])


# --------------------------------------------------------------------------- opening
def test_an_empty_workspace_opens_the_default_design_saved_as_revision_1(
        workspace: Path) -> None:
    doc = open_document(workspace)
    assert doc.design_id is not None and doc.doc["revision"] == 1
    assert doc.design["components"] == default_design()["components"]
    assert doc.validation["valid"] is True
    assert [d["id"] for d in doc.designs] == [doc.design_id]
    assert {t["key"] for t in doc.doc["templates"]} == set(templates())
    (event,) = Store.in_workspace(workspace).events("design_created")
    assert event.design_id == doc.design_id


def test_a_workspace_reopens_its_most_recently_saved_design(
        doc: DesignDocument, workspace: Path) -> None:
    doc.create("Older")
    older = doc.design_id
    doc.create("Newest")
    assert open_document(workspace).design_id == doc.design_id != older


def test_a_given_design_is_stored_as_a_new_design_and_opened(workspace: Path) -> None:
    doc = open_document(workspace, {"schema_version": 1, "name": "Mine", "components": [],
                                    "edges": []})
    assert doc.doc["name"] == "Mine" and doc.design["name"] == "Mine"
    assert doc.validation["valid"] is False  # no input, no output
    assert stored(workspace, doc.design_id).name == "Mine"


def test_opening_an_unknown_design_is_not_found(doc: DesignDocument) -> None:
    load_seq = doc.load_seq
    assert error_code(lambda: doc.open("nope")) == "NOT_FOUND"
    assert doc.load_seq == load_seq


# --------------------------------------------------------------------------- edits
def test_an_edit_is_validated_and_autosaved_as_a_new_revision(
        doc: DesignDocument, workspace: Path) -> None:
    design = with_d_model(doc, 64)
    edit = doc.edit(design)
    assert not edit.refused and edit.save_error is None
    assert doc.doc["revision"] == 2 and doc.designs[0]["revision"] == 2
    record = stored(workspace, doc.design_id)
    assert record.revision == 2 and record.design["components"] == design["components"]
    assert doc.doc["saved_at"] == record.updated_at


def test_an_unchanged_design_is_not_saved_again(doc: DesignDocument) -> None:
    doc.edit(copy.deepcopy(doc.design))
    assert doc.doc["revision"] == 1


def test_an_invalid_but_well_formed_design_is_kept_and_saved(
        doc: DesignDocument, workspace: Path) -> None:
    design = with_d_model(doc, 100)
    assert not doc.edit(design).refused
    assert "D_MODEL_MULTIPLE_OF_8" in {e["code"] for e in doc.validation["errors"]}
    assert doc.design["components"] == design["components"]
    assert stored(workspace, doc.design_id).revision == 2


def test_the_page_cannot_change_the_id_or_the_name(doc: DesignDocument) -> None:
    doc.edit({**with_d_model(doc, 64), "id": "../../etc/passwd", "name": "evil\nname"})
    assert doc.design["id"] == doc.design_id and doc.design["name"] == doc.doc["name"]


@pytest.mark.parametrize(("payload", "code"), [
    pytest.param([1, 2, 3], "BAD_DESIGN", id="list"),
    pytest.param(None, "BAD_DESIGN", id="null"),
    pytest.param({"components": "nope"}, "BAD_DESIGN", id="components-not-list"),
    pytest.param({"components": [], "edges": [], "schema_version": 99}, "BAD_DESIGN",
                 id="future-version"),
    pytest.param({"components": [], "meta": {"x": float("nan")}}, "BAD_JSON", id="nan"),
    pytest.param({"components": [], "pad": "x" * (3 * 1024 * 1024)}, "TOO_LARGE", id="huge"),
])
def test_a_payload_that_is_not_a_design_is_refused_and_the_last_good_kept(
        doc: DesignDocument, workspace: Path, payload: Any, code: str) -> None:
    good = with_d_model(doc, 64)
    doc.edit(good)
    kept = copy.deepcopy(doc.design)
    edit = doc.edit(payload)
    assert edit.refused and edit.save_error is None
    assert doc.validation["valid"] is False and doc.validation["errors"][0]["code"] == code
    assert doc.design == kept
    assert stored(workspace, doc.design_id).revision == 2


def test_a_design_the_store_cannot_hold_is_kept_and_reported_as_save_failed(
        doc: DesignDocument, workspace: Path) -> None:
    design = {**with_d_model(doc, 64), "note": "\ud800"}  # a lone surrogate: not UTF-8
    edit = doc.edit(design)
    assert not edit.refused
    assert edit.save_error is not None and edit.save_error.code == "SAVE_FAILED"
    assert doc.design["note"] == "\ud800", "the work is kept in the kernel"
    assert doc.doc["revision"] == 1 and stored(workspace, doc.design_id).revision == 1


# --------------------------------------------------------------------------- conflicts
def test_a_save_over_another_tabs_save_is_a_conflict_that_can_keep_mine(
        doc: DesignDocument, workspace: Path) -> None:
    other = open_document(workspace)
    assert other.design_id == doc.design_id
    theirs = with_d_model(other, 64)
    other.edit(theirs)
    mine = with_d_model(doc, 256)
    assert doc.edit(mine).save_error is None
    conflict = doc.doc["conflict"]
    assert conflict["current_revision"] == 2
    assert conflict["theirs"]["components"] == theirs["components"]
    assert conflict["mine"]["components"] == mine["components"]
    # more edits while the user decides update "mine" and save nothing
    mine2 = with_d_model(doc, 512)
    doc.edit(mine2)
    assert doc.conflict["mine"]["components"] == mine2["components"]
    assert stored(workspace, doc.design_id).revision == 2

    assert doc.resolve_conflict("mine") == 3
    assert doc.conflict is None and doc.doc["revision"] == 3
    assert stored(workspace, doc.design_id).design["components"] == mine2["components"]
    doc.edit(with_d_model(doc, 128))  # editing goes on from the kept revision
    assert doc.conflict is None and doc.doc["revision"] == 4


def test_a_conflict_can_load_theirs(doc: DesignDocument, workspace: Path) -> None:
    other = open_document(workspace)
    theirs = with_d_model(other, 64)
    other.edit(theirs)
    doc.edit(with_d_model(doc, 256))
    load_seq = doc.load_seq
    assert doc.resolve_conflict("theirs") == 2
    assert doc.conflict is None and doc.load_seq == load_seq + 1
    assert doc.design["components"] == theirs["components"]
    doc.edit(with_d_model(doc, 128))
    assert doc.conflict is None and doc.doc["revision"] == 3


def test_keeping_mine_after_yet_another_save_asks_again(
        doc: DesignDocument, workspace: Path) -> None:
    other = open_document(workspace)
    other.edit(with_d_model(other, 64))
    doc.edit(with_d_model(doc, 256))
    other.edit(with_d_model(other, 32))  # revision 3 lands while the user decides
    assert error_code(lambda: doc.resolve_conflict("mine")) == "CONFLICT"
    assert doc.conflict["current_revision"] == 3
    assert doc.resolve_conflict("mine") == 4


def test_without_a_conflict_there_is_nothing_to_resolve(doc: DesignDocument) -> None:
    assert error_code(lambda: doc.resolve_conflict("mine")) == "NO_CONFLICT"
    assert error_code(lambda: doc.resolve_conflict("theirs")) == "NO_CONFLICT"


# --------------------------------------------------------------------------- rename
def test_renaming_the_open_design_is_a_revision_the_next_autosave_builds_on(
        doc: DesignDocument, workspace: Path) -> None:
    record = doc.rename(doc.design_id, "  Renamed  ")
    assert record.name == "Renamed" and record.revision == 2
    assert doc.doc["name"] == "Renamed" and doc.design["name"] == "Renamed"
    assert doc.designs[0]["name"] == "Renamed"
    doc.edit(with_d_model(doc, 64))
    assert doc.conflict is None and doc.doc["revision"] == 3
    assert stored(workspace, doc.design_id).name == "Renamed"


def test_renaming_another_design_leaves_the_open_one_alone(doc: DesignDocument) -> None:
    first = doc.design_id
    doc.create("Second")
    doc.rename(first, "First")
    assert doc.doc["name"] == "Second" and doc.doc["revision"] == 1
    assert {d["name"] for d in doc.designs} == {"First", "Second"}


def test_renaming_after_another_tab_saved_is_a_conflict(
        doc: DesignDocument, workspace: Path) -> None:
    other = open_document(workspace)
    other.edit(with_d_model(other, 64))
    assert error_code(lambda: doc.rename(doc.design_id, "Late")) == "CONFLICT"
    assert stored(workspace, doc.design_id).name != "Late"


@pytest.mark.parametrize("name", ["", "   ", "a\nb", "bidi\u202e", "x" * (MAX_NAME_CHARS + 1)])
def test_bad_names_are_refused(doc: DesignDocument, name: str) -> None:
    before = doc.doc
    assert error_code(lambda: doc.rename(doc.design_id, name)) == "BAD_ARGS"
    assert error_code(lambda: doc.create(name)) == "BAD_ARGS"
    assert doc.doc == before and len(doc.designs) == 1


def test_renaming_an_unknown_design_is_not_found(doc: DesignDocument) -> None:
    assert error_code(lambda: doc.rename("nope", "Name")) == "NOT_FOUND"


# --------------------------------------------------------------------------- create
def test_a_new_design_is_blank_or_a_copy_of_a_template(doc: DesignDocument) -> None:
    blank = doc.create("Blank")
    assert doc.design_id == blank and doc.design["components"] == []
    key, template = next(iter(templates().items()))
    copied = doc.create("From template", key)
    assert doc.design_id == copied != template.get("id")
    assert doc.design["components"] == template["components"]
    assert doc.doc["name"] == "From template" and len(doc.designs) == 3
    assert error_code(lambda: doc.create("Nope", "no-such")) == "BAD_ARGS"


# --------------------------------------------------------------------------- delete
def test_deleting_the_open_design_opens_the_most_recent_other(
        doc: DesignDocument, workspace: Path) -> None:
    first = doc.design_id
    second = doc.create("Second")
    load_seq = doc.load_seq
    doc.delete(second)
    assert doc.design_id == first and doc.load_seq == load_seq + 1
    assert [d["id"] for d in doc.designs] == [first]


def test_deleting_the_last_design_opens_a_new_default_one(doc: DesignDocument) -> None:
    only = doc.design_id
    doc.delete(only, "req-1")
    assert doc.design_id not in (None, only)
    assert doc.design["components"] == default_design()["components"]
    assert [d["id"] for d in doc.designs] == [doc.design_id]


def test_deleting_another_design_keeps_the_open_one(doc: DesignDocument) -> None:
    first = doc.design_id
    second = doc.create("Second")
    doc.open(first)
    load_seq = doc.load_seq
    doc.delete(second)
    assert doc.design_id == first and doc.load_seq == load_seq
    assert [d["id"] for d in doc.designs] == [first]


def test_deleting_an_unknown_design_is_not_found(doc: DesignDocument) -> None:
    assert error_code(lambda: doc.delete("nope")) == "NOT_FOUND"


def test_a_design_deleted_elsewhere_is_kept_as_a_new_design(
        doc: DesignDocument, workspace: Path) -> None:
    gone = doc.design_id
    Store.in_workspace(workspace).delete_design(gone)  # another tab deleted it
    design = with_d_model(doc, 64)
    assert doc.edit(design).save_error is None
    assert doc.design_id != gone and doc.design["id"] == doc.design_id
    record = stored(workspace, doc.design_id)
    assert record.design["components"] == design["components"]
    assert record.name == doc.doc["name"] and doc.doc["revision"] == 1
    assert [d["id"] for d in doc.designs] == [doc.design_id]
    doc.edit(with_d_model(doc, 128))  # and autosave goes on on the new design
    assert doc.doc["revision"] == 2 and doc.conflict is None


# --------------------------------------------------------------------------- telemetry
def test_a_disagreement_is_recorded_with_the_design_up_to_a_cap(
        doc: DesignDocument, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("modelstudio_widget.document.MAX_DISAGREEMENT_REPORTS", 2)
    kernel, local = {"valid": True, "codes": []}, {"valid": False, "codes": ["CYCLE"]}
    assert doc.report_disagreement("r1", 3, kernel, local) is True
    assert doc.report_disagreement("r2", 4, kernel, local) is True
    assert doc.report_disagreement("r3", 5, kernel, local) is False
    events = Store.in_workspace(workspace).events("validation_disagreement")
    assert [e.request_id for e in events] == ["r2", "r1"]
    assert events[0].design_id == doc.design_id
    assert events[0].data["design"] == doc.design and events[0].data["local"] == local
