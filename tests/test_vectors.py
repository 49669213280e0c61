"""The shared validation vectors (tests/vectors/*.json): the JS worker runs the same files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelstudio_widget.design.catalog import ERROR_CODES
from modelstudio_widget.design.rules import validate

VECTORS = sorted((Path(__file__).parent / "vectors").glob("*.json"))


def test_there_are_enough_vectors_and_every_code_is_covered() -> None:
    assert len(VECTORS) >= 40
    covered = {code for v in VECTORS for code in json.loads(v.read_text())["expect"]["codes"]}
    assert set(ERROR_CODES) - covered == set()


@pytest.mark.parametrize("path", VECTORS, ids=lambda p: p.stem)
def test_vector(path: Path) -> None:
    vector = json.loads(path.read_text())
    expect = vector["expect"]
    result = validate(vector["design"])
    assert result.valid == expect["valid"]
    assert result.codes == expect["codes"]
    got = sorted(([i.code, i.component_id] for i in result.errors),
                 key=lambda x: (x[0], x[1] or ""))
    assert got == expect["issues"]
    if "params" in expect:
        assert result.params == expect["params"]
        assert result.estimatedMemory == expect["estimatedMemory"]
    for issue in result.errors:
        assert issue.message and issue.severity in ("error", "warning")
