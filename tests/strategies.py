"""Hypothesis strategies: random valid designs, and mutations of them that may break them."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

from modelstudio_widget.design.catalog import BY_TYPE

WIDTHS = (8, 16, 24, 32, 48)


@st.composite
def layer_props(draw: st.DrawFn, kind: str, width: int) -> dict[str, Any]:
    if kind == "transformer_layer":
        heads = draw(st.sampled_from([h for h in (1, 2, 4, 8) if width % h == 0]))
        return {"d_model": width, "n_heads": heads, "ff_mult": draw(st.integers(1, 3)),
                "activation": draw(st.sampled_from(["gelu", "relu"]))}
    if kind == "moe_layer":
        experts = draw(st.integers(1, 4))
        return {"d_model": width, "n_experts": experts, "top_k": draw(st.integers(1, experts)),
                "ff_mult": draw(st.integers(1, 2)),
                "routing": draw(st.sampled_from(["dense", "sparse"]))}
    if kind == "load_balance_router":
        return {"coef": draw(st.floats(0, 1)), "z_coef": draw(st.floats(0, 0.1))}
    if kind == "aux_loss_head":
        return {"target": draw(st.sampled_from(["max_tile", "future_score"])),
                "horizon": draw(st.integers(1, 32)), "coef": draw(st.floats(0, 2))}
    return {}


@st.composite
def valid_designs(draw: st.DrawFn, max_blocks: int = 6) -> dict[str, Any]:
    """A valid design: an input, an optional embedding, a few blocks, maybe a side branch."""
    width = draw(st.sampled_from(WIDTHS))
    comps: list[dict[str, Any]] = [{"id": "in", "type": "board_input", "props": {}}]
    edges: list[list[str]] = []
    prev = "in"
    if draw(st.booleans()):
        comps.append({"id": "emb", "type": "embedding", "props": {
            "d_model": width, "encoding": draw(st.sampled_from(["learned", "onehot"])),
            "positional": draw(st.booleans())}})
        edges.append([prev, "emb"])
        prev = "emb"
    kinds = ["transformer_layer", "moe_layer", "load_balance_router", "aux_loss_head",
             "grad_checkpoint"]
    chain = [prev]
    for i in range(draw(st.integers(0, max_blocks))):
        kind = draw(st.sampled_from(kinds))
        cid = f"b{i}"
        comps.append({"id": cid, "type": kind, "props": draw(layer_props(kind, width))})
        # Usually chain on; sometimes branch off an earlier token block (summed later).
        src = draw(st.sampled_from(chain)) if draw(st.integers(0, 4)) == 0 else prev
        edges.append([src, cid])
        chain.append(cid)
        prev = cid
    comps.append({"id": "out", "type": "action_output", "props": {
        "pool": draw(st.sampled_from(["flatten", "mean"])),
        "hidden": draw(st.sampled_from([0, 16, 64]))}})
    feeding = {src for src, _ in edges}
    for cid in chain:  # every block that leads nowhere feeds the output
        if cid not in feeding or cid == prev:
            edges.append([cid, "out"])
    return {"schema_version": 1, "id": "prop", "name": "random", "meta": {"d_model": width},
            "components": comps, "edges": edges}


JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                  max_size=4),
    max_leaves=12,
)


def _still_mutable(d: Any) -> bool:
    """Whether the mutations below can still reach into d (junk may have replaced its parts)."""
    return (isinstance(d.get("components"), list) and isinstance(d.get("edges"), list)
            and all(isinstance(c, dict) and isinstance(c.get("props"), dict)
                    for c in d["components"]))


@st.composite
def mutated_designs(draw: st.DrawFn) -> Any:
    """A valid design with one to three random mutations (which may or may not break it)."""
    d = copy.deepcopy(draw(valid_designs()))
    for _ in range(draw(st.integers(1, 3))):
        what = draw(st.integers(0, 9))
        comps, edges = d["components"], d["edges"]
        if what == 0 and comps:
            comps.pop(draw(st.integers(0, len(comps) - 1)))
        elif what == 1 and edges:
            edges.pop(draw(st.integers(0, len(edges) - 1)))
        elif what == 2 and comps:
            edges.append([draw(st.sampled_from(comps))["id"], draw(st.sampled_from(comps))["id"]])
        elif what == 3 and comps:
            c = draw(st.sampled_from(comps))
            c["props"][draw(st.sampled_from(["d_model", "n_heads", "n_experts", "top_k", "coef",
                                             "pool", "bogus"]))] = draw(JUNK)
        elif what == 4 and comps:
            draw(st.sampled_from(comps))["type"] = draw(st.sampled_from(list(BY_TYPE) + ["x"]))
        elif what == 5 and comps:
            draw(st.sampled_from(comps))["id"] = draw(JUNK)
        elif what == 6:
            d[draw(st.sampled_from(["components", "edges", "meta", "schema_version"]))] = draw(JUNK)
        elif what == 7 and comps:
            comps.append(copy.deepcopy(draw(st.sampled_from(comps))))
        elif what == 8 and edges:
            edges[draw(st.integers(0, len(edges) - 1))] = draw(JUNK)
        elif what == 9 and comps:
            draw(st.sampled_from(comps))["position"] = draw(JUNK)
        if not _still_mutable(d):
            break
    return d
