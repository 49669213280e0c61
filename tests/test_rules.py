"""Validation never raises, answers anything, and points at the block at fault."""

from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import JUNK, mutated_designs, valid_designs

import modelstudio_widget as ms
from modelstudio_widget.design.catalog import ERROR_CODES


def chain(*middle: dict) -> dict:
    comps = [{"id": "in", "type": "board_input", "props": {}}, *middle,
             {"id": "out", "type": "action_output", "props": {}}]
    ids = [c["id"] for c in comps]
    return {"components": comps, "edges": [list(e) for e in zip(ids, ids[1:])]}


def codes(design: object) -> list[str]:
    return ms.validate(design).codes


def test_result_shape_matches_the_contract() -> None:
    result = ms.validate(ms.default_design()).to_dict()
    assert set(result) == {"valid", "paramCount", "params", "estimatedMemory", "errors"}
    assert result["valid"] is True and result["errors"] == []
    assert result["paramCount"] == result["params"] / 1e6
    assert isinstance(result["estimatedMemory"], int) and result["estimatedMemory"] > 0
    json.dumps(result)  # plain data


def test_errors_point_at_the_component_and_prop() -> None:
    result = ms.validate(chain({"id": "t1", "type": "transformer_layer",
                                "props": {"d_model": 100, "n_heads": 4}}))
    (issue,) = result.errors
    assert (issue.code, issue.component_id, issue.prop) == ("D_MODEL_MULTIPLE_OF_8", "t1",
                                                            "d_model")
    assert "96" in issue.message and "104" in issue.message  # says how to fix it


def test_edge_errors_carry_the_edge() -> None:
    d = chain()
    d["edges"].append(["in", "nowhere"])
    (issue,) = ms.validate(d).errors
    assert issue.code == "DANGLING_EDGE" and issue.edge == ("in", "nowhere")


def test_nan_and_infinity_are_type_errors() -> None:
    for bad in (math.nan, math.inf, -math.inf):
        d = chain({"id": "r", "type": "load_balance_router", "props": {"coef": bad}},
                  {"id": "m", "type": "moe_layer", "props": {}})
        assert codes(d) == ["PROP_TYPE"]


def test_true_is_not_an_int_and_huge_numbers_are_bounded() -> None:
    assert codes(chain({"id": "t", "type": "transformer_layer", "props": {"n_heads": True}})) \
        == ["PROP_TYPE"]
    assert codes(chain({"id": "t", "type": "transformer_layer",
                        "props": {"d_model": 10**30}})) == ["PROP_RANGE"]
    assert codes(chain({"id": "t", "type": "transformer_layer", "props": {"ff_mult": 4.0}})) \
        == ["PROP_TYPE"]


def test_ten_thousand_blocks_give_a_result() -> None:
    comps = [{"id": f"t{i}", "type": "transformer_layer", "props": {}} for i in range(10_000)]
    d = chain(*comps)
    result = ms.validate(d)
    assert not result.valid and "TOO_LARGE" in result.codes


def test_a_hundred_thousand_junk_edges_give_a_result() -> None:
    d = chain()
    d["edges"] = [["in", "out"]] * 200_000
    assert "TOO_LARGE" in codes(d)


def test_every_error_code_is_documented() -> None:
    seen = set()
    for v in (ms.validate(x) for x in ([], chain(), {"components": []})):
        seen.update(v.codes)
    assert seen <= set(ERROR_CODES)


@settings(max_examples=300, deadline=None)
@given(JUNK)
def test_junk_never_raises(junk: object) -> None:
    result = ms.validate(junk)
    assert isinstance(result.valid, bool)
    assert all(i.code in ERROR_CODES for i in result.errors)


@settings(max_examples=300, deadline=None)
@given(mutated_designs())
def test_mutated_designs_never_raise(design: object) -> None:
    result = ms.validate(design)
    assert all(i.code in ERROR_CODES for i in result.errors)
    json.dumps(result.to_dict(), allow_nan=False)


@settings(max_examples=100, deadline=None)
@given(valid_designs())
def test_generated_designs_are_valid(design: dict) -> None:
    assert ms.validate(design).valid


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=64))
def test_any_id_text_is_accepted_as_data(cid: str) -> None:
    d = chain()
    d["components"][0]["id"] = cid
    d["edges"][0][0] = cid
    result = ms.validate(d)
    if cid.strip() and cid != "out":
        assert result.valid
