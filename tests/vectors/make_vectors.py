"""Writes the shared validation vectors (one JSON file per case) into this folder.

Each case states by hand what must come out: ``valid`` and the sorted issue codes (errors
and warnings) with the component each points at. The parameter count and the memory
estimate of the case are taken from ``estimate.py`` (whose parameter counts the tests pin to
``numel`` of built models) so the JS port is held to the same numbers.

The script refuses to write if Python's validator disagrees with a hand-written expectation.
Run: ``python tests/vectors/make_vectors.py`` after changing a rule, then commit the files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parents[1]))

from modelstudio_widget.design.rules import validate  # noqa: E402
from modelstudio_widget.design.templates import templates  # noqa: E402


def comp(cid: str, ctype: str, **props: Any) -> dict[str, Any]:
    return {"id": cid, "type": ctype, "props": props}


def design(*comps: dict[str, Any], edges: list[list[str]] | None = None,
           meta: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"schema_version": 1, "id": "vec", "name": "vector",
                         "meta": meta or {}, "components": list(comps)}
    d["edges"] = edges if edges is not None else [
        [a["id"], b["id"]] for a, b in zip(comps, comps[1:])]
    d.update(extra)
    return d


IN, OUT = comp("in", "board_input"), comp("out", "action_output")


def tf(cid: str, **p: Any) -> dict[str, Any]:
    return comp(cid, "transformer_layer", **p)


def moe(cid: str, **p: Any) -> dict[str, Any]:
    return comp(cid, "moe_layer", **p)


def router(cid: str = "r", **p: Any) -> dict[str, Any]:
    return comp(cid, "load_balance_router", **p)


# name -> (design, valid, [(code, component_id or None), ...])
CASES: dict[str, tuple[Any, bool, list[tuple[str, str | None]]]] = {}


def case(name: str, d: Any, valid: bool, *issues: tuple[str, str | None]) -> None:
    CASES[name] = (d, valid, list(issues))


# --- valid designs ---------------------------------------------------------------------------
case("valid_minimal", design(IN, OUT), True)
case("valid_architecture_example", {
    "schema_version": 1, "id": "d-3f9a", "name": "Small MoE", "meta": {"d_model": 128, "n_heads": 4},
    "components": [
        {"id": "in", "type": "board_input", "props": {}, "position": {"x": 0, "y": 0}},
        {"id": "t1", "type": "transformer_layer", "props": {"d_model": 128, "n_heads": 4},
         "position": {"x": 0, "y": 96}},
        {"id": "m1", "type": "moe_layer", "props": {"d_model": 128, "n_experts": 4},
         "position": {"x": 0, "y": 192}},
        {"id": "out", "type": "action_output", "props": {}, "position": {"x": 0, "y": 288}}],
    "edges": [["in", "t1"], ["t1", "m1"], ["m1", "out"]]},
    True, ("MOE_WITHOUT_LOAD_BALANCING", "m1"))
for tname, tdesign in templates().items():
    case(f"valid_template_{tname}", tdesign, True)
case("valid_implicit_embedding_width_from_layer", design(IN, tf("t", d_model=64), OUT), True)
case("valid_width_through_router", design(IN, router(), moe("m", d_model=32), OUT), True)
case("valid_float_prop_given_whole_number", design(IN, router(coef=1), moe("m"), OUT), True)
case("valid_onehot_sparse_mean_hidden", design(
    IN, comp("e", "embedding", d_model=48, encoding="onehot", positional=False),
    router(coef=0.05, z_coef=0.01), moe("m", d_model=48, n_experts=8, top_k=1,
                                        routing="sparse", ff_mult=3),
    comp("out", "action_output", pool="mean", hidden=96)), True)
case("valid_branches_are_summed", design(
    IN, tf("a", d_model=32, n_heads=2), tf("b", d_model=32, n_heads=4), OUT,
    edges=[["in", "a"], ["in", "b"], ["a", "out"], ["b", "out"]]), True)
case("valid_aux_head_as_sink", design(
    IN, tf("t", d_model=32), comp("aux", "aux_loss_head", target="future_score"), OUT,
    edges=[["in", "t"], ["t", "aux"], ["t", "out"]]), True)
case("valid_checkpoint_through_router", design(
    IN, comp("e", "embedding", d_model=64), comp("ck", "grad_checkpoint"), router(),
    moe("m", d_model=64), tf("t", d_model=64), OUT), True)
case("valid_unicode_ids_and_names", design(
    comp("盤面", "board_input"), tf("注意 🧠", d_model=32), comp("出力", "action_output"),
    name="Ünïcödé ✓ design"), True)
case("valid_injection_strings_are_inert", design(
    comp("x'); import os; os.system('id') #", "board_input"),
    comp("__import__('os')", "action_output"),
    name="bad\nname\"\"\"; exit()", description="</script><script>alert(1)</script>"), True)
case("valid_props_null_means_defaults", {
    "components": [{"id": "in", "type": "board_input", "props": None},
                   {"id": "out", "type": "action_output"}], "edges": [["in", "out"]]}, True)
# Training settings ride along with the design; their values are the settings check's to
# judge (training/settings.py), not the block rules': the rules only want an object.
case("valid_training_settings", design(IN, tf("t"), OUT, training={
    "seconds": 15, "steps": None, "learning_rate": 0.0005, "seed": 3}), True)
case("valid_meta_sets_defaults", design(IN, tf("t"), OUT, meta={"d_model": 48, "n_heads": 6}),
     True)
# The n-tuple block reads the board like an embedding: its width starts the stream, it can
# share an output with an embedding, and it takes no tokens.
case("valid_ntuple_each_shape", design(
    IN, comp("lines", "ntuple", d_model=16, tuples="lines", classes=16),
    comp("squares", "ntuple", d_model=16, tuples="squares", classes=8),
    comp("both", "ntuple", d_model=16), comp("e", "embedding", d_model=16), OUT,
    edges=[["in", "lines"], ["in", "squares"], ["in", "both"], ["in", "e"],
           ["lines", "out"], ["squares", "out"], ["both", "out"], ["e", "out"]]), True)
case("valid_ntuple_into_layers", design(
    IN, comp("nt", "ntuple", d_model=32, classes=10), tf("t", d_model=32),
    comp("aux", "aux_loss_head"), OUT,
    edges=[["in", "nt"], ["nt", "t"], ["t", "aux"], ["t", "out"]]), True)
case("ntuple_d_model_mismatch", design(IN, comp("nt", "ntuple", d_model=32),
                                       tf("t", d_model=64), OUT), False,
     ("D_MODEL_MISMATCH", "t"))
case("ntuple_prop_range_classes", design(IN, comp("nt", "ntuple", classes=17), OUT), False,
     ("PROP_RANGE", "nt"))
case("ntuple_prop_range_tuples", design(IN, comp("nt", "ntuple", tuples="snakes"), OUT),
     False, ("PROP_RANGE", "nt"))
case("ntuple_prop_type_classes", design(IN, comp("nt", "ntuple", classes=12.5), OUT), False,
     ("PROP_TYPE", "nt"))
case("bad_connection_tokens_into_ntuple", design(
    IN, tf("t"), comp("nt", "ntuple"), OUT,
    edges=[["in", "t"], ["t", "nt"], ["t", "out"]]), False,
    ("BAD_CONNECTION", None), ("UNREACHABLE", "nt"))
case("too_large_ntuple_tables", design(IN, comp("nt", "ntuple", d_model=1024, classes=16),
                                       OUT), False, ("TOO_LARGE", None))
# The n-tuple value output reads the board itself (no stream, no implicit embedding); it is
# the design's one output, so an action output beside it is one too many.
VALUE = comp("v", "ntuple_value")
case("valid_ntuple_value", design(IN, VALUE), True)
case("valid_ntuple_value_each_shape", design(IN, comp("v", "ntuple_value", tuples="lines",
                                                      classes=8)), True)
case("ntuple_value_with_action_output", design(IN, VALUE, OUT, edges=[["in", "v"], ["in", "out"]]),
     False, ("TOO_MANY_OUTPUTS", "out"))
case("bad_connection_tokens_into_ntuple_value", design(
    IN, tf("t"), VALUE, edges=[["in", "t"], ["t", "v"]]), False,
    ("BAD_CONNECTION", None), ("DOES_NOT_REACH_OUTPUT", "in"), ("DOES_NOT_REACH_OUTPUT", "t"),
    ("UNREACHABLE", "v"))
case("ntuple_value_prop_range_classes", design(IN, comp("v", "ntuple_value", classes=17)),
     False, ("PROP_RANGE", "v"))

# --- numeric rules ------------------------------------------------------------------------------
case("d_model_not_multiple_of_8", design(IN, tf("t", d_model=100), OUT), False,
     ("D_MODEL_MULTIPLE_OF_8", "t"))
case("meta_d_model_not_multiple_of_8", design(IN, tf("t", n_heads=2), OUT,
                                             meta={"d_model": 60}), False,
     ("D_MODEL_MULTIPLE_OF_8", None), ("D_MODEL_MULTIPLE_OF_8", "t"))
case("heads_do_not_divide_d_model", design(IN, tf("t", d_model=64, n_heads=5), OUT), False,
     ("HEADS_DIVIDE_D_MODEL", "t"))
case("meta_heads_do_not_divide", design(IN, tf("t", d_model=64), OUT, meta={"n_heads": 3}),
     False, ("HEADS_DIVIDE_D_MODEL", "t"))
case("too_many_experts", design(IN, router(), moe("m", n_experts=9), OUT), False,
     ("TOO_MANY_EXPERTS", "m"))
case("too_many_experts_astronomical", design(IN, router(), moe("m", n_experts=10**30), OUT),
     False, ("TOO_MANY_EXPERTS", "m"))
case("top_k_exceeds_experts", design(IN, router(), moe("m", n_experts=2, top_k=3), OUT), False,
     ("TOP_K_EXCEEDS_EXPERTS", "m"))

# --- props ---------------------------------------------------------------------------------------
case("prop_type_string_for_int", design(IN, tf("t", d_model="128"), OUT), False,
     ("PROP_TYPE", "t"))
case("prop_type_bool_for_int", design(IN, tf("t", d_model=True), OUT), False,
     ("PROP_TYPE", "t"))
case("prop_type_bool_for_float", design(IN, router(coef=False), moe("m"), OUT), False,
     ("PROP_TYPE", "r"))
case("prop_type_number_for_enum", design(IN, router(), moe("m", routing=3), OUT), False,
     ("PROP_TYPE", "m"))
case("prop_type_string_for_bool", design(IN, comp("e", "embedding", positional="yes"), OUT),
     False, ("PROP_TYPE", "e"))
case("prop_type_list_for_int", design(IN, tf("t", ff_mult=[4]), OUT), False,
     ("PROP_TYPE", "t"))
case("prop_range_d_model_too_big", design(IN, tf("t", d_model=2048), OUT), False,
     ("PROP_RANGE", "t"))
case("prop_range_ff_mult_zero", design(IN, tf("t", ff_mult=0), OUT), False, ("PROP_RANGE", "t"))
case("prop_range_enum_choice", design(IN, router(), moe("m", routing="fast"), OUT), False,
     ("PROP_RANGE", "m"))
case("prop_range_float_too_big", design(IN, router(coef=2.5), moe("m"), OUT), False,
     ("PROP_RANGE", "r"))
case("prop_range_negative_hidden", design(IN, comp("out", "action_output", hidden=-1)), False,
     ("PROP_RANGE", "out"))
case("unknown_prop", design(IN, tf("t", d_model=64, dmodel=64), OUT), False,
     ("UNKNOWN_PROP", "t"))
case("unknown_prop_on_propless_block", design(IN, comp("ck", "grad_checkpoint", depth=2),
                                              tf("t"), OUT), False, ("UNKNOWN_PROP", "ck"))

# --- structure -----------------------------------------------------------------------------------
case("unknown_type", design(IN, comp("x", "lstm_layer"), OUT, edges=[["in", "out"]]), False,
     ("UNKNOWN_TYPE", "x"))
case("unknown_type_edges_not_dangling", design(IN, comp("x", "lstm_layer"), OUT), False,
     ("UNKNOWN_TYPE", "x"), ("UNREACHABLE", "out"), ("DOES_NOT_REACH_OUTPUT", "in"))
case("duplicate_id", design(IN, tf("t"), tf("t"), OUT, edges=[["in", "t"], ["t", "out"]]),
     False, ("DUPLICATE_ID", "t"))
case("bad_id_empty", design(IN, comp("", "transformer_layer"), OUT, edges=[["in", "out"]]),
     False, ("BAD_ID", None))
case("bad_id_number", design(IN, comp(7, "transformer_layer"), OUT,  # type: ignore[arg-type]
                             edges=[["in", "out"]]), False, ("BAD_ID", None))
case("bad_id_too_long", design(IN, comp("x" * 65, "transformer_layer"), OUT,
                               edges=[["in", "out"]]), False, ("BAD_ID", None))
case("dangling_edge", design(IN, OUT, edges=[["in", "out"], ["in", "ghost"]]), False,
     ("DANGLING_EDGE", None))
case("bad_edge_not_a_pair", design(IN, OUT, edges=[["in", "out"], ["in"]]), False,
     ("BAD_EDGE", None))
case("bad_edge_numbers", design(IN, OUT, edges=[["in", "out"], [1, 2]]), False,
     ("BAD_EDGE", None))
case("bad_edge_object", design(IN, OUT, edges=[["in", "out"], {"source": "in"}]), False,
     ("BAD_EDGE", None))
case("duplicate_edge", design(IN, OUT, edges=[["in", "out"], ["in", "out"]]), False,
     ("DUPLICATE_EDGE", None))
case("bad_connection_out_of_output", design(IN, tf("t"), OUT,
                                            edges=[["in", "t"], ["t", "out"], ["out", "t"]]),
     False, ("BAD_CONNECTION", None))
case("bad_connection_into_input", design(IN, tf("t"), OUT,
                                         edges=[["in", "t"], ["t", "out"], ["t", "in"]]),
     False, ("BAD_CONNECTION", None))
case("bad_connection_tokens_into_embedding", design(
    IN, tf("t"), comp("e", "embedding"), OUT,
    edges=[["in", "t"], ["t", "e"], ["t", "out"]]), False,
    ("BAD_CONNECTION", None), ("UNREACHABLE", "e"))
case("missing_input", design(tf("t"), OUT), False, ("MISSING_INPUT", None))
case("missing_output", design(IN, tf("t")), False, ("MISSING_OUTPUT", None))
case("missing_both", design(), False, ("MISSING_INPUT", None), ("MISSING_OUTPUT", None))
case("too_many_outputs", design(IN, OUT, comp("out2", "action_output"),
                                edges=[["in", "out"], ["in", "out2"]]), False,
     ("TOO_MANY_OUTPUTS", "out2"))
case("cycle", design(IN, tf("a"), tf("b"), OUT,
                     edges=[["in", "a"], ["a", "b"], ["b", "a"], ["b", "out"]]), False,
     ("CYCLE", "a"))
case("self_loop", design(IN, tf("a"), OUT, edges=[["in", "a"], ["a", "a"], ["a", "out"]]),
     False, ("CYCLE", "a"))
case("unreachable_block", design(IN, tf("lost"), OUT, edges=[["in", "out"]]), False,
     ("UNREACHABLE", "lost"))
case("d_model_mismatch", design(IN, tf("a", d_model=64), tf("b", d_model=128), OUT), False,
     ("D_MODEL_MISMATCH", "b"))
case("d_model_mismatch_at_merge", design(
    IN, tf("a", d_model=64), tf("b", d_model=128), OUT,
    edges=[["in", "a"], ["in", "b"], ["a", "out"], ["b", "out"]]), False,
    ("D_MODEL_MISMATCH", "b"), ("D_MODEL_MISMATCH", "out"))

# --- not a design at all -------------------------------------------------------------------------
case("bad_design_list", [], False, ("BAD_DESIGN", None))
case("bad_design_null", None, False, ("BAD_DESIGN", None))
case("bad_design_string", "in -> out", False, ("BAD_DESIGN", None))
case("bad_design_no_components", {"edges": []}, False, ("BAD_DESIGN", None))
case("bad_design_components_not_list", {"components": {"in": "board_input"}}, False,
     ("BAD_DESIGN", None))
case("bad_design_edges_not_list", {"components": [], "edges": "in->out"}, False,
     ("BAD_DESIGN", None))
case("bad_design_schema_version", design(IN, OUT, schema_version=2), False, ("BAD_DESIGN", None))
case("bad_design_component_not_object", design(IN, OUT, edges=[["in", "out"]]) | {
    "components": [IN, "tf", OUT]}, False, ("BAD_DESIGN", None))
case("bad_design_props_not_object", design(IN, {"id": "t", "type": "transformer_layer",
                                                "props": [1, 2]}, OUT), False,
     ("BAD_DESIGN", "t"))
case("bad_design_position", design(IN, {"id": "t", "type": "transformer_layer", "props": {},
                                        "position": {"x": "left", "y": 0}}, OUT), False,
     ("BAD_DESIGN", "t"))
case("bad_design_meta_not_object", design(IN, OUT, meta=None) | {"meta": [128]}, False,
     ("BAD_DESIGN", None))
case("bad_design_training_not_object", design(IN, OUT, training=[30]), False,
     ("BAD_DESIGN", None))
case("bad_design_name_not_string", design(IN, OUT, name=42), False, ("BAD_DESIGN", None))

# --- size budget --------------------------------------------------------------------------------
case("too_large_block_count", design(IN, *[tf(f"t{i}", d_model=8, n_heads=1) for i in range(600)],
                                     OUT), False, ("TOO_LARGE", None))
case("too_large_parameters", design(IN, *[tf(f"t{i}", d_model=1024, n_heads=8, ff_mult=8)
                                          for i in range(3)], OUT), False, ("TOO_LARGE", None))
case("too_large_memory", design(IN, router(), *[
    moe(f"m{i}", d_model=128, n_experts=8, top_k=2, ff_mult=8) for i in range(16)], OUT),
    False, ("TOO_LARGE", None), *[("MOE_WITHOUT_LOAD_BALANCING", f"m{i}") for i in range(1, 16)])

# --- warnings ------------------------------------------------------------------------------------
case("warn_moe_without_router", design(IN, moe("m"), OUT), True,
     ("MOE_WITHOUT_LOAD_BALANCING", "m"))
case("warn_router_without_moe", design(IN, router(), tf("t"), OUT), True,
     ("ROUTER_WITHOUT_MOE", "r"))
case("warn_multiple_routers", design(IN, router("r1"), router("r2"), moe("m"), OUT), True,
     ("MULTIPLE_ROUTERS", "m"))
case("warn_checkpoint_without_layer", design(IN, comp("ck", "grad_checkpoint"), OUT), True,
     ("CHECKPOINT_WITHOUT_LAYER", "ck"))
case("warn_dead_end_block", design(IN, tf("t"), tf("dead"), OUT,
                                   edges=[["in", "t"], ["t", "out"], ["t", "dead"]]), True,
     ("DOES_NOT_REACH_OUTPUT", "dead"))


def main() -> None:
    for old in HERE.glob("*.json"):
        old.unlink()
    bad = []
    for name, (d, valid, issues) in CASES.items():
        result = validate(d)
        got = [(i.code, i.component_id) for i in result.errors]
        want = sorted(issues, key=lambda x: (x[0], x[1] or ""))
        got_sorted = sorted(got, key=lambda x: (x[0], x[1] or ""))
        if result.valid != valid or got_sorted != want:
            bad.append(f"{name}: expected valid={valid} {want}, Python says "
                       f"valid={result.valid} {got_sorted}")
            continue
        expect: dict[str, Any] = {
            "valid": valid,
            "codes": sorted({c for c, _ in issues}),
            "issues": [[c, cid] for c, cid in want],
        }
        if result.params:
            expect["params"] = result.params
            expect["estimatedMemory"] = result.estimatedMemory
        doc = {"name": name, "design": d, "expect": expect}
        (HERE / f"{name}.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    if bad:
        print("\n".join(bad))
        raise SystemExit(1)
    print(f"wrote {len(CASES)} vectors to {HERE}")


if __name__ == "__main__":
    main()
