"""What the store refuses (bad designs, names, ids and arguments; unknown ids) and what it
takes: any JSON object round-trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from store_testing import DESIGN, fresh_store  # noqa: F401 (the store fixture)

from modelstudio_widget.store import NotFound, Store


@pytest.mark.parametrize("design", [
    [1, 2], "{}", None,
    {"x": float("nan")}, {"meta": {"lr": float("inf")}}, {"l": [1, -float("inf")]},
    {"x": object()}, {"x": {1, 2}}, {"s": "\ud800"},
])
def test_bad_designs_are_refused(store: Store, design: object) -> None:
    with pytest.raises(ValueError):
        store.create_design(design)  # type: ignore[arg-type]
    rec = store.create_design(DESIGN)
    with pytest.raises(ValueError):
        store.save_design(rec.id, design, base_revision=1)  # type: ignore[arg-type]
    assert store.get_design(rec.id).revision == 1


def test_nan_error_says_where(store: Store) -> None:
    with pytest.raises(ValueError, match=r"design\['meta'\]\['lr'\] is nan"):
        store.create_design({"meta": {"lr": float("nan")}})
    circular: dict = {}
    circular["self"] = circular
    with pytest.raises(ValueError, match="circular"):
        store.create_design(circular)


@pytest.mark.parametrize("name", ["", "   ", "x" * 121, "two\nlines", "nul\x00", "tab\there",
                                  "\u202eevil", 42, None])
def test_absurd_names_are_refused(store: Store, name: object) -> None:
    rec = store.create_design(DESIGN)
    with pytest.raises(ValueError, match="name"):
        store.rename_design(rec.id, name)  # type: ignore[arg-type]
    if name is not None:
        with pytest.raises(ValueError, match="name"):
            store.create_design(DESIGN, name=name)  # type: ignore[arg-type]
    assert store.create_design(DESIGN, name="Émoji 🧠 ok").name == "Émoji 🧠 ok"


@pytest.mark.parametrize("design_id", ["", "../x", "a/b", ".hidden", "x" * 65, "sp ace", 7])
def test_bad_explicit_ids_are_refused(store: Store, design_id: object) -> None:
    with pytest.raises(ValueError, match="design id"):
        store.create_design(DESIGN, design_id=design_id)  # type: ignore[arg-type]


def test_bad_arguments_and_unknown_ids(store: Store) -> None:
    rec = store.create_design(DESIGN)
    for base in (True, "1", 0, None):
        with pytest.raises(ValueError, match="base_revision"):
            store.save_design(rec.id, DESIGN, base_revision=base)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="note"):
        store.save_design(rec.id, DESIGN, base_revision=1, note="n" * 5000)
    for call in (lambda: store.get_design("d-nope"),
                 lambda: store.save_design("d-nope", DESIGN, base_revision=1),
                 lambda: store.rename_design("d-nope", "x"),
                 lambda: store.delete_design("d-nope"),
                 lambda: store.history("d-nope"),
                 lambda: store.create_run("d-nope", design=DESIGN, config={}),
                 lambda: store.create_run(rec.id, design=DESIGN, config={}, design_revision=5),
                 lambda: store.get_run("r-nope"),
                 lambda: store.update_run("r-nope", status="failed"),
                 lambda: store.add_metrics("r-nope", 0, {}),
                 lambda: store.metrics("r-nope"),
                 lambda: store.add_checkpoint("r-nope", path="x.pt", step=0),
                 lambda: store.latest_checkpoint("r-nope"),
                 lambda: store.latest_checkpoint_for_design("d-nope")):
        with pytest.raises(NotFound):
            call()
    run = store.create_run(rec.id, design=DESIGN, config={})
    with pytest.raises(ValueError, match="status"):
        store.update_run(run, status="exploded")
    with pytest.raises(ValueError, match="step"):
        store.add_metrics(run, -1, {})
    with pytest.raises(ValueError, match="NaN"):
        store.add_metrics(run, 1, {"loss": float("nan")})
    with pytest.raises(ValueError, match="config"):
        store.create_run(None, design=DESIGN, config=[])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kind"):
        store.record_event("bad kind\n")
    with pytest.raises(ValueError, match="request_id"):
        store.record_event("ok", request_id="x\ny")

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=20)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=6))
def test_any_json_object_round_trips(tmp_path_factory: pytest.TempPathFactory,
                                     doc: dict) -> None:
    with Store(tmp_path_factory.getbasetemp() / "roundtrip.sqlite3") as s:
        rec = s.create_design(doc, name="rt")
        assert s.get_design(rec.id).design == {**doc, "id": rec.id, "name": "rt"}
        run = s.create_run(None, design=doc, config=doc)
        assert s.get_run(run).config == doc
