"""The design diff against the shared vectors (tests/vectors/diff): js/test/diff.test.ts runs
the same files against the page's twin, so both give one answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelstudio_widget.design.diff import diff_designs, is_empty, same

VECTORS = sorted((Path(__file__).parent / "vectors" / "diff").glob("*.json"))


def canonical(value: object) -> str:
    # Python's == takes True for 1 and 1 for 1.0; the JSON text tells them apart.
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def test_there_are_diff_vectors() -> None:
    assert len(VECTORS) >= 10


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.stem)
def test_vector(path: Path) -> None:
    vector = json.loads(path.read_text(encoding="utf-8"))
    got = diff_designs(vector["old"], vector["new"])
    assert canonical(got) == canonical(vector["expect"])
    assert is_empty(got) == (vector["name"] in ("identical", "not_designs"))


def test_the_diff_back_is_the_mirror_image() -> None:
    vector = json.loads((VECTORS[0].parent / "block_added.json").read_text())
    forth, back = diff_designs(vector["old"], vector["new"]), diff_designs(vector["new"], vector["old"])
    assert forth["added"] == back["removed"] and forth["removed"] == back["added"]
    assert forth["edges_added"] == back["edges_removed"]


def test_the_inputs_are_not_changed() -> None:
    vector = json.loads((VECTORS[0].parent / "props_changed.json").read_text())
    before = canonical(vector)
    diff_designs(vector["old"], vector["new"])
    assert canonical(vector) == before


@pytest.mark.parametrize(("a", "b", "equal"), [
    (1, 1.0, True), (True, 1, False), (0, False, False), (None, None, True),
    ([1, {"a": 2}], [1.0, {"a": 2.0}], True), ({"a": None}, {}, False), ("x", "x", True),
])
def test_same_compares_as_json(a: object, b: object, equal: bool) -> None:
    assert same(a, b) is equal
