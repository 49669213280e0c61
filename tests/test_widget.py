"""The widget's kernel side, driven as the page drives it: ``set_state`` for synced traits
(what a comm update does) and ``handle_message`` for commands. Outside a kernel the
widget has a dummy comm, so handlers run synchronously; replies are captured from send()."""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import mutated_designs

from modelstudio_widget.design.templates import DEFAULT_TEMPLATE, templates
from modelstudio_widget.store import Store
from modelstudio_widget.widget import COMMANDS, ModelStudio
from modelstudio_widget.widget_protocol import MAX_DESIGN_BYTES, MAX_MESSAGE_BYTES


class Page:
    """A fake page: sends edits and commands, collects replies."""

    def __init__(self, widget: ModelStudio) -> None:
        self.w = widget
        self.replies: list[dict[str, Any]] = []
        widget.send = lambda content, buffers=None: self.replies.append(content)  # type: ignore[method-assign]
        self.n = 0

    def edit(self, design: Any) -> dict[str, Any]:
        seq = self.w.design_seq + 1
        self.w.set_state({"design": design, "design_seq": seq})
        assert self.w.validation["seq"] == seq
        return self.w.validation

    def command(self, command: str, /, **args: Any) -> dict[str, Any]:
        self.n += 1
        return self.raw({"kind": "command", "id": f"r{self.n}", "name": command, "args": args})

    def raw(self, content: Any) -> dict[str, Any]:
        before = len(self.replies)
        self.w.handle_message(content)
        assert len(self.replies) == before + 1, "exactly one reply per message"
        return self.replies[-1]


@pytest.fixture
def ws(tmp_path):
    return tmp_path / "ws"


@pytest.fixture
def page(ws):
    """A widget open on the tiny template: a design with stream widths to edit (the default
    design, an n-tuple value, has none)."""
    return Page(ModelStudio(templates()["tiny"], workspace=ws))


def edited(w: ModelStudio, **changes: Any) -> dict[str, Any]:
    d = copy.deepcopy(w.current_design)
    d.update(changes)
    return d


def with_prop(w: ModelStudio, prop: str, value: Any) -> tuple[dict[str, Any], str]:
    d = copy.deepcopy(w.current_design)
    for c in d["components"]:
        if prop in c.get("props", {}) or any(p["name"] == prop for b in w.catalog["blocks"]
                                              if b["type"] == c["type"] for p in b["props"]):
            c.setdefault("props", {})[prop] = value
            return d, c["id"]
    raise AssertionError(f"no block with {prop}")


# --------------------------------------------------------------------------- start-up
def test_starts_with_the_default_design_saved_and_validated(ws):
    w = ModelStudio(workspace=ws)
    assert w.design["components"] == templates()[DEFAULT_TEMPLATE]["components"]
    assert w.catalog["blocks"], "the page gets the catalog"
    assert w.doc["design_id"] and w.doc["revision"] == 1 and w.doc["conflict"] is None
    assert w.validation["seq"] == w.design_seq
    assert w.validation["valid"] is True
    assert [d["id"] for d in w.designs] == [w.doc["design_id"]]
    assert w.status["state"] == "idle"


def test_reopening_the_workspace_restores_the_latest_design(page, ws):
    d, cid = with_prop(page.w, "d_model", 64)
    page.edit(d)
    again = ModelStudio(workspace=ws)
    assert again.doc["design_id"] == page.w.doc["design_id"]
    assert again.design == page.w.current_design


def test_a_design_argument_is_stored_and_opened(ws):
    w = ModelStudio(design={"schema_version": 1, "name": "Mine", "components": [], "edges": []},
                    workspace=ws)
    assert w.doc["name"] == "Mine"
    assert w.validation["valid"] is False  # no input, no output


# --------------------------------------------------------------------------- edits
def test_an_edit_is_validated_with_its_seq_and_autosaved(page, ws):
    w = page.w
    d, cid = with_prop(w, "d_model", 64)
    v = page.edit(d)
    assert v["seq"] == w.design_seq
    assert w.doc["revision"] == 2
    stored = Store.in_workspace(ws).get_design(w.doc["design_id"])
    assert stored.revision == 2
    assert stored.design["components"] == d["components"]


def test_an_invalid_but_well_formed_design_is_kept_and_saved(page, ws):
    w = page.w
    d, cid = with_prop(w, "d_model", 100)
    v = page.edit(d)
    assert v["valid"] is False
    codes = {e["code"] for e in v["errors"]}
    assert "D_MODEL_MULTIPLE_OF_8" in codes
    assert any(e.get("component_id") == cid for e in v["errors"])
    assert w.current_design["components"] == d["components"]
    assert Store.in_workspace(ws).get_design(w.doc["design_id"]).design["components"] == \
        d["components"]


def test_the_page_cannot_change_the_id_or_the_name(page):
    w = page.w
    page.edit(edited(w, id="../../etc/passwd", name="evil\nname"))
    assert w.current_design["id"] == w.doc["design_id"]
    assert w.current_design["name"] == w.doc["name"]


def test_an_unchanged_design_is_not_saved_again(page):
    w = page.w
    page.edit(copy.deepcopy(w.current_design))
    assert w.doc["revision"] == 1


def test_a_failed_autosave_is_shown_in_the_status_and_the_work_kept(page):
    w = page.w
    v = page.edit(edited(w, note="\ud800"))  # a lone surrogate: the store cannot hold it
    assert w.status["error"]["code"] == "SAVE_FAILED" and w.status["state"] == "idle"
    assert v["seq"] == w.design_seq and w.doc["revision"] == 1
    assert w.current_design["note"] == "\ud800"


NOT_DESIGNS = [
    pytest.param([1, 2, 3], id="list"),
    pytest.param("design", id="string"),
    pytest.param(None, id="null"),
    pytest.param(42, id="number"),
    pytest.param({"components": "nope"}, id="components-not-list"),
    pytest.param({"components": [], "edges": {}}, id="edges-not-list"),
    pytest.param({"components": [], "edges": [], "schema_version": 99}, id="future-version"),
    pytest.param({"components": [{"id": "a", "type": "board_input",
                                  "position": {"x": float("nan"), "y": 0}}]}, id="nan"),
    pytest.param({"components": [{"id": "a", "type": "board_input",
                                  "props": {"pad": "x" * MAX_DESIGN_BYTES}}]}, id="huge"),
]


@pytest.mark.parametrize("payload", NOT_DESIGNS)
def test_a_payload_that_is_not_a_design_is_refused_and_the_last_good_kept(page, ws, payload):
    w = page.w
    good = copy.deepcopy(w.current_design)
    v = page.edit(payload)
    assert v["valid"] is False
    assert v["errors"] and v["errors"][0]["code"] in {"BAD_DESIGN", "BAD_JSON", "TOO_LARGE"}
    assert w.current_design == good
    assert w.design == good, "the trait goes back to the last good design"
    assert w.doc["revision"] == 1
    assert Store.in_workspace(ws).get_design(w.doc["design_id"]).revision == 1


# --------------------------------------------------------------------------- commands
BAD_MESSAGES = [
    pytest.param([1, 2], "BAD_MESSAGE", id="list"),
    pytest.param("hello", "BAD_MESSAGE", id="string"),
    pytest.param(None, "BAD_MESSAGE", id="null"),
    pytest.param({"kind": "other", "id": "a", "name": "heartbeat"}, "BAD_MESSAGE", id="kind"),
    pytest.param({"kind": "command", "name": "heartbeat"}, "BAD_MESSAGE", id="no-id"),
    pytest.param({"kind": "command", "id": 7, "name": "heartbeat"}, "BAD_MESSAGE", id="int-id"),
    pytest.param({"kind": "command", "id": "a" * 65, "name": "heartbeat"}, "BAD_MESSAGE",
                 id="long-id"),
    pytest.param({"kind": "command", "id": "a", "name": "../x"}, "BAD_MESSAGE", id="bad-name"),
    pytest.param({"kind": "command", "id": "a", "name": "heartbeat", "args": []}, "BAD_ARGS",
                 id="args-list"),
    pytest.param({"kind": "command", "id": "a", "name": "rm_rf"}, "UNKNOWN_COMMAND",
                 id="unknown"),
    pytest.param({"kind": "command", "id": "a", "name": "heartbeat",
                  "args": {"x": "y" * MAX_MESSAGE_BYTES}}, "TOO_LARGE", id="huge"),
    pytest.param({"kind": "command", "id": "a", "name": "heartbeat",
                  "args": {"x": float("nan")}}, "BAD_JSON", id="nan"),
]


@pytest.mark.parametrize(("content", "code"), BAD_MESSAGES)
def test_bad_messages_get_error_replies(page, content, code):
    before = copy.deepcopy(page.w.current_design)
    reply = page.raw(content)
    assert reply["kind"] == "reply" and reply["ok"] is False
    assert reply["error"]["code"] == code
    assert page.w.current_design == before


BAD_ARGS = [
    pytest.param("open_design", {"design_id": 5}, id="id-int"),
    pytest.param("open_design", {"design_id": "../../etc/passwd"}, id="traversal"),
    pytest.param("open_design", {"design_id": "a/b"}, id="slash"),
    pytest.param("open_design", {"design_id": ".."}, id="dotdot"),
    pytest.param("open_design", {"design_id": ""}, id="empty"),
    pytest.param("open_design", {}, id="missing"),
    pytest.param("open_design", {"design_id": "x", "extra": 1}, id="unknown-arg"),
    pytest.param("new_design", {"name": ["a"]}, id="name-list"),
    pytest.param("new_design", {"name": "x" * 121}, id="name-long"),
    pytest.param("new_design", {"name": "a\nb"}, id="name-newline"),
    pytest.param("new_design", {"name": "   "}, id="name-blank"),
    pytest.param("new_design", {"name": "n", "template": "no-such"}, id="template"),
    pytest.param("rename_design", {"design_id": "x", "name": 3}, id="rename-int"),
    pytest.param("resolve_conflict", {"choice": "both"}, id="choice"),
    pytest.param("report_disagreement", {"seq": True, "kernel": {}, "local": {}}, id="bool-int"),
    pytest.param("report_disagreement", {"seq": 1, "kernel": [], "local": {}}, id="list-dict"),
]


@pytest.mark.parametrize(("command", "args"), BAD_ARGS)
def test_wrong_arguments_get_error_replies(page, command, args):
    before = copy.deepcopy(page.w.current_design)
    n_designs = len(page.w.designs)
    reply = page.command(command, **args)
    assert reply["ok"] is False
    assert reply["error"]["code"] in {"BAD_ARGS", "NOT_FOUND"}
    assert page.w.current_design == before
    assert len(page.w.designs) == n_designs


def test_not_found_and_no_conflict_are_errors(page):
    assert page.command("open_design", design_id="nope")["error"]["code"] == "NOT_FOUND"
    assert page.command("delete_design", design_id="nope")["error"]["code"] == "NOT_FOUND"
    assert page.command("resolve_conflict", choice="mine")["error"]["code"] == "NO_CONFLICT"


def test_a_handler_bug_is_an_error_reply_not_a_dead_kernel(page, monkeypatch):
    def boom(*_a, **_k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(page.w.document, "create", boom)
    reply = page.command("new_design", name="x")
    assert reply["ok"] is False and reply["error"]["code"] == "INTERNAL"
    assert page.command("heartbeat")["ok"] is True


def test_new_open_rename_delete(page, ws):
    w = page.w
    first = w.doc["design_id"]
    reply = page.command("new_design", name="Second")
    assert reply["ok"], reply
    second = reply["result"]["design_id"]
    assert w.doc["design_id"] == second and w.doc["name"] == "Second"
    assert w.current_design["components"] == []
    assert {d["id"] for d in w.designs} == {first, second}
    load_seq = w.doc["load_seq"]

    assert page.command("open_design", design_id=first)["ok"]
    assert w.doc["design_id"] == first and w.doc["load_seq"] == load_seq + 1
    assert w.validation["seq"] == w.design_seq

    reply = page.command("rename_design", design_id=first, name="Renamed")
    assert reply["ok"], reply
    assert w.doc["name"] == "Renamed"
    # the rename is a revision: the next autosave must not conflict with it
    d, _ = with_prop(w, "d_model", 64)
    page.edit(d)
    assert w.doc["conflict"] is None
    assert Store.in_workspace(ws).get_design(first).name == "Renamed"

    assert page.command("rename_design", design_id=second, name="Other")["ok"]
    assert {d["name"] for d in w.designs} == {"Renamed", "Other"}

    assert page.command("delete_design", design_id=first)["ok"]
    assert w.doc["design_id"] == second, "deleting the open design opens another"
    assert [d["id"] for d in w.designs] == [second]


def test_new_design_from_a_template(page):
    templates = page.w.doc["templates"]
    if not templates:
        pytest.skip("no templates shipped yet")
    key = templates[0]["key"]
    reply = page.command("new_design", name="From template", template=key)
    assert reply["ok"], reply
    assert page.w.current_design["components"]
    assert page.w.doc["name"] == "From template"


def test_a_conflicting_save_is_shown_and_kept_mine(ws):
    tab1 = Page(ModelStudio(templates()["tiny"], workspace=ws))
    tab2 = Page(ModelStudio(workspace=ws))
    assert tab1.w.doc["design_id"] == tab2.w.doc["design_id"]
    theirs, _ = with_prop(tab1.w, "d_model", 64)
    tab1.edit(theirs)
    mine, _ = with_prop(tab2.w, "d_model", 256)
    tab2.edit(mine)
    conflict = tab2.w.doc["conflict"]
    assert conflict and conflict["current_revision"] == 2
    assert conflict["theirs"]["components"] == theirs["components"]
    assert conflict["mine"]["components"] == mine["components"]
    # more edits while the sheet is open update "mine" and save nothing
    mine2, _ = with_prop(tab2.w, "d_model", 512)
    tab2.edit(mine2)
    assert tab2.w.doc["conflict"]["mine"]["components"] == mine2["components"]
    assert Store.in_workspace(ws).get_design(tab2.w.doc["design_id"]).revision == 2

    assert tab2.command("resolve_conflict", choice="mine")["ok"]
    assert tab2.w.doc["conflict"] is None and tab2.w.doc["revision"] == 3
    assert Store.in_workspace(ws).get_design(tab2.w.doc["design_id"]).design["components"] == \
        mine2["components"]


def test_a_conflicting_save_can_load_theirs(ws):
    tab1 = Page(ModelStudio(templates()["tiny"], workspace=ws))
    tab2 = Page(ModelStudio(workspace=ws))
    theirs, _ = with_prop(tab1.w, "d_model", 64)
    tab1.edit(theirs)
    mine, _ = with_prop(tab2.w, "d_model", 256)
    tab2.edit(mine)
    load_seq = tab2.w.doc["load_seq"]
    assert tab2.command("resolve_conflict", choice="theirs")["ok"]
    assert tab2.w.doc["conflict"] is None and tab2.w.doc["load_seq"] == load_seq + 1
    assert tab2.w.design["components"] == theirs["components"]
    assert tab2.w.doc["revision"] == 2
    # and editing goes on from their revision without a new conflict
    d, _ = with_prop(tab2.w, "d_model", 128)
    tab2.edit(d)
    assert tab2.w.doc["conflict"] is None and tab2.w.doc["revision"] == 3


def test_a_disagreement_is_logged_and_recorded(page, ws, caplog):
    with caplog.at_level(logging.WARNING, logger="modelstudio_widget.document"):
        reply = page.command("report_disagreement", seq=3,
                             kernel={"valid": True, "codes": []},
                             local={"valid": False, "codes": ["CYCLE"]})
    assert reply["ok"] and reply["result"]["logged"]
    assert "disagrees" in caplog.text
    events = Store.in_workspace(ws).events("validation_disagreement")
    assert len(events) == 1 and events[0].data["local"]["codes"] == ["CYCLE"]


def test_heartbeat_is_answered(page):
    reply = page.command("heartbeat")
    assert reply["ok"] and reply["result"]["at"] > 0
    assert page.w.last_heartbeat is not None


def test_the_bundle_exists():
    from modelstudio_widget.widget import STATIC

    assert (STATIC / "widget.js").stat().st_size > 10_000, "npm run build has not run"
    assert (STATIC / "widget.css").exists()


# --------------------------------------------------------------------------- fuzz
# Whatever a page (or anything that reaches the websocket) sends: one reply, and never an
# INTERNAL error (that would be a handler reached with arguments it did not expect).
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(design=mutated_designs())
def test_any_edit_is_validated_and_a_good_design_is_always_kept(page, design):
    before = page.w.current_design
    v = page.edit(design)  # asserts the reply carries the edit's seq
    assert isinstance(v["valid"], bool)
    codes = {e["code"] for e in v["errors"]}
    if codes & {"BAD_DESIGN", "BAD_JSON", "TOO_LARGE"}:
        assert page.w.current_design == before  # not a design: the last good one stays
    else:  # well formed, even if invalid: kept (the page cannot change the id or name)
        assert page.w.current_design == {**design, "id": before["id"], "name": before["name"]}


JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                  max_size=3),
    max_leaves=8)
# "train" starts a thread that outlives an example; it has its own tests.
NAMES = st.sampled_from([n for n in COMMANDS.names() if n != "train"]) | st.text(max_size=12)
ARG_NAMES = st.sampled_from(["name", "design_id", "template", "choice", "seq", "kernel",
                             "local", "format", "weights"]) | st.text(max_size=6)
# Values a handler could take for real (a template, a format, a choice) or anything at all.
PLAUSIBLE = st.sampled_from(["tiny", "moe", "pt", "pt2", "onnx", "mine", "theirs", "fresh",
                             "latest", "d-1", "..", "x" * 200, 0, -1, 2**70, True])
MESSAGES = st.fixed_dictionaries(
    {"kind": st.just("command"), "id": st.from_regex(r"[a-z0-9][a-z0-9.:-]{0,8}",
                                                     fullmatch=True), "name": NAMES},
    optional={"args": st.dictionaries(ARG_NAMES, PLAUSIBLE | JUNK, max_size=3) | JUNK},
) | JUNK


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=MESSAGES)
def test_any_message_gets_one_reply_and_never_an_internal_error(page, content):
    reply = page.raw(content)
    assert reply["kind"] == "reply" and isinstance(reply["ok"], bool)
    if not reply["ok"]:
        assert reply["error"]["code"] != "INTERNAL", (content, reply)
