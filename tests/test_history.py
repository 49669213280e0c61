"""The revision history: rows with time, params, validity and runs per revision; one
revision with its diff to the current design; the widget's commands over them."""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest
from store_testing import fresh_store  # noqa: F401 - the store fixture
from test_widget import Page

from modelstudio_widget import history
from modelstudio_widget.design.templates import templates
from modelstudio_widget.store import NotFound, Store
from modelstudio_widget.widget import ModelStudio


def tiny(hidden: int = 256, d_model: int = 32) -> dict[str, Any]:
    d = copy.deepcopy(templates()["tiny"])
    d.pop("description", None)
    by_id = {c["id"]: c for c in d["components"]}
    by_id["policy"]["props"]["hidden"] = hidden
    by_id["embed"]["props"]["d_model"] = d_model
    d["meta"]["d_model"] = d_model
    return d


def without_output(design: dict[str, Any]) -> dict[str, Any]:
    d = copy.deepcopy(design)
    d["components"] = [c for c in d["components"] if c["id"] != "policy"]
    d["edges"] = [e for e in d["edges"] if "policy" not in e]
    return d


def saved(store: Store, *designs: dict[str, Any]) -> str:
    """A design stored with one revision per given design; its id."""
    record = store.create_design(designs[0])
    for n, d in enumerate(designs[1:], start=1):
        store.save_design(record.id, d, base_revision=n)
    return record.id


@pytest.fixture(autouse=True)
def fresh_cache():
    history.FACTS.clear()
    yield
    history.FACTS.clear()


def test_rows_are_newest_first_with_params_validity_and_issue_counts(store):
    did = saved(store, tiny(hidden=64), tiny(hidden=128), without_output(tiny()))
    rows = history.revision_rows(store, did)
    assert [r["revision"] for r in rows] == [3, 2, 1]
    assert [r["valid"] for r in rows] == [False, True, True]
    assert rows[0]["errors"] >= 1 and rows[1]["errors"] == 0
    # Params follow each revision's own content: a wider policy head has more.
    assert rows[1]["params"] > rows[2]["params"] > 0
    assert rows[1]["params"] == history.facts_of(tiny(hidden=128)).params
    assert rows[0]["saved_at"] >= rows[2]["saved_at"] > 0
    assert all(r["runs"] == [] for r in rows)


def test_rows_list_the_runs_trained_on_each_revision_newest_first(store):
    did = saved(store, tiny(), tiny(hidden=64), tiny(hidden=32))
    first = store.create_run(did, design=tiny(), config={}, design_revision=1)
    on_two_a = store.create_run(did, design=tiny(hidden=64), config={}, design_revision=2)
    time.sleep(0.01)
    on_two_b = store.create_run(did, design=tiny(hidden=64), config={}, design_revision=2)
    store.create_run(None, design=tiny(), config={})  # no design: on no revision
    runs = {r["revision"]: r["runs"] for r in history.revision_rows(store, did)}
    assert runs == {3: [], 2: [on_two_b, on_two_a], 1: [first]}


def test_each_revision_is_validated_once_then_served_from_the_cache(store):
    did = saved(store, tiny(), tiny(hidden=64))
    history.revision_rows(store, did)
    assert history.FACTS.misses == 2
    store.save_design(did, tiny(hidden=32), base_revision=2)
    rows = history.revision_rows(store, did)
    assert history.FACTS.misses == 3, "only the new revision is validated"
    assert rows[0]["params"] == history.facts_of(tiny(hidden=32)).params


def test_the_cache_keeps_stores_apart(tmp_path):
    with Store(tmp_path / "a" / "db.sqlite") as a, Store(tmp_path / "b" / "db.sqlite") as b:
        a.create_design({**tiny(hidden=64), "id": "same"})
        b.create_design({**without_output(tiny()), "id": "same"})
        assert history.revision_rows(a, "same")[0]["valid"] is True
        assert history.revision_rows(b, "same")[0]["valid"] is False


def test_the_cache_forgets_the_least_recently_used():
    cache = history.FactsCache(2)
    facts = history.RevisionFacts(True, 1, 0, 0)
    cache.put(("s", "d", 1), facts)
    cache.put(("s", "d", 2), facts)
    assert cache.get(("s", "d", 1)) is facts  # 1 is now the most recent
    cache.put(("s", "d", 3), facts)
    assert cache.get(("s", "d", 2)) is None and cache.get(("s", "d", 1)) is facts


def test_a_deleted_or_unknown_design_is_not_found(store):
    did = saved(store, tiny())
    store.delete_design(did)
    with pytest.raises(NotFound):
        history.revision_rows(store, did)
    with pytest.raises(NotFound):
        history.revision_rows(store, "nope")


def test_a_revision_comes_with_what_restoring_it_would_change(store):
    did = saved(store, tiny(hidden=64), without_output(tiny(hidden=64)))
    current = store.get_design(did).design
    view = history.revision_view(store, did, 1, current)
    assert view["revision"] == 1 and view["valid"] is True
    assert view["design"] == store.get_design(did, 1).design
    diff = view["diff"]  # current -> revision 1: the output block comes back
    assert diff["added"] == ["policy"] and diff["removed"] == []
    assert diff["edges_added"] == [["embed", "policy"]]
    with pytest.raises(NotFound):
        history.revision_view(store, did, 9, current)


def test_300_revisions_list_quickly(store):
    designs = [tiny(hidden=16 + (n % 50)) for n in range(300)]
    did = saved(store, *designs)
    started = time.perf_counter()
    cold = history.revision_rows(store, did)
    cold_s = time.perf_counter() - started
    started = time.perf_counter()
    warm = history.revision_rows(store, did)
    warm_s = time.perf_counter() - started
    assert warm == cold and len(warm) == 300
    print(f"\n300 revisions: first listing {cold_s * 1000:.0f} ms, cached {warm_s * 1000:.0f} ms")


# --------------------------------------------------------------------------- commands
@pytest.fixture
def page(tmp_path):
    return Page(ModelStudio(workspace=tmp_path / "ws"))


def test_list_revisions_answers_for_the_open_design(page):
    w = page.w
    edited = copy.deepcopy(w.current_design)
    edited["meta"]["n_heads"] = 2 if edited["meta"].get("n_heads") != 2 else 4
    page.edit(edited)
    reply = page.command("list_revisions")
    assert reply["ok"], reply
    rows = reply["result"]["revisions"]
    assert reply["result"]["design_id"] == w.design_id
    assert [r["revision"] for r in rows] == [w.doc["revision"], w.doc["revision"] - 1]


def test_get_revision_diffs_against_the_design_the_kernel_holds(page):
    w = page.w
    before = copy.deepcopy(w.current_design)
    changed = copy.deepcopy(before)
    target = changed["components"][-1]
    target["props"]["probe"] = 1
    page.edit(changed)
    reply = page.command("get_revision", revision=1)
    assert reply["ok"], reply
    result = reply["result"]
    assert result["design"]["components"] == before["components"]
    assert result["diff"]["changed"][target["id"]]["props"] == {"probe": [1, None]}


@pytest.mark.parametrize(("args", "code"), [
    ({"revision": 0}, "BAD_ARGS"), ({"revision": "1"}, "BAD_ARGS"),
    ({"revision": 99}, "NOT_FOUND"), ({"revision": 1, "design_id": "../x"}, "BAD_ARGS"),
    ({"revision": 1, "design_id": "unknown"}, "NOT_FOUND"),
])
def test_get_revision_refuses_bad_input_with_a_clear_code(page, args, code):
    reply = page.command("get_revision", **args)
    assert not reply["ok"] and reply["error"]["code"] == code, reply
    assert page.command("list_revisions")["ok"], "the kernel keeps answering"


def test_list_revisions_of_a_design_deleted_elsewhere_is_not_found(page):
    other = page.w.store.create_design(tiny())
    page.w.store.delete_design(other.id)
    reply = page.command("list_revisions", design_id=other.id)
    assert not reply["ok"] and reply["error"]["code"] == "NOT_FOUND"
