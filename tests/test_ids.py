"""Ids and names have one home, ``modelstudio_widget.ids``: the store, the catalog (which
the page receives) and the widget's protocol all read it, and follow it."""

from __future__ import annotations

import pytest
from store_testing import DESIGN, fresh_store  # noqa: F401 (the store fixture)

from modelstudio_widget import ids, widget_protocol
from modelstudio_widget import store as store_package
from modelstudio_widget.design.catalog import LIMITS, catalog
from modelstudio_widget.store import Store
from modelstudio_widget.widget_protocol import Arg, ProtocolError


def test_every_reader_holds_the_one_definition() -> None:
    assert widget_protocol.DESIGN_ID_RE is ids.ID_RE
    assert store_package.MAX_NAME_CHARS == ids.MAX_NAME_CHARS
    assert (LIMITS["max_id_length"], LIMITS["max_name_length"]) == (ids.MAX_ID_CHARS,
                                                                    ids.MAX_NAME_CHARS)
    limits = catalog()["limits"]  # what the page is sent
    assert (limits["max_id_length"], limits["max_name_length"]) == (ids.MAX_ID_CHARS,
                                                                    ids.MAX_NAME_CHARS)


def test_the_id_pattern_follows_the_length_limit() -> None:
    longest = "a" * ids.MAX_ID_CHARS
    assert ids.ID_RE.fullmatch(longest) and not ids.ID_RE.fullmatch(longest + "a")
    for bad in (".hidden", "-x", "a/b", "sp ace", ""):
        assert not ids.ID_RE.fullmatch(bad)


def test_the_store_applies_the_limits(store: Store) -> None:
    longest = "a" * ids.MAX_ID_CHARS
    assert store.create_design(DESIGN, design_id=longest).id == longest
    with pytest.raises(ValueError, match="design id"):
        store.create_design(DESIGN, design_id=longest + "a")
    name = "n" * ids.MAX_NAME_CHARS
    assert store.create_design(DESIGN, name=name).name == name
    with pytest.raises(ValueError, match=f"limit is {ids.MAX_NAME_CHARS}"):
        store.create_design(DESIGN, name=name + "n")


@pytest.mark.parametrize("char", ["\n", "\x00", "\x85", "\u2028", "\u202e", "\u2066"])
def test_store_and_protocol_refuse_the_same_characters(store: Store, char: str) -> None:
    assert ids.FORBIDDEN_NAME_CHARS.search(char)
    with pytest.raises(ValueError, match="control character"):
        store.create_design(DESIGN, name=f"a{char}b")
    with pytest.raises(ProtocolError, match="control characters"):
        Arg("name", str).check(f"a{char}b")
