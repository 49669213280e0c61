"""Code generation: safe source, real modules, fresh imports, hand-written block semantics."""

from __future__ import annotations

import copy
import importlib
import sys
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import modelstudio_widget as ms
from modelstudio_widget.build.codegen import (
    UnsafeSourceError,
    check_source,
    generate_source,
    safe_id,
)
from modelstudio_widget.build.valid import DesignError
from modelstudio_widget.design.rules import analyze

INJECTIONS = [
    "x'); import os; os.system('touch /tmp/pwned') #",
    "\nimport os\nos.system('id')\n",
    '"""; __import__("os").system("id"); """',
    "${{7*7}} {{7*7}} {0.__class__}",
    "../../../../etc/passwd",
    "n0",  # a name the generator itself uses
]


def chain(*middle: dict, name: str = "d") -> dict:
    comps = [{"id": "in", "type": "board_input", "props": {}}, *middle,
             {"id": "out", "type": "action_output", "props": {}}]
    ids = [c["id"] for c in comps]
    return {"schema_version": 1, "id": "d1", "name": name, "components": comps,
            "edges": [list(e) for e in zip(ids, ids[1:])]}


def tf(cid: str = "t", **props: object) -> dict:
    return {"id": cid, "type": "transformer_layer", "props": {"d_model": 32, **props}}


@pytest.mark.parametrize("evil", INJECTIONS)
def test_user_strings_never_reach_the_source(evil: str, workspace: Path) -> None:
    design = chain(tf(evil), name=evil)
    design["id"] = evil
    design["description"] = evil
    design["components"][0]["id"] = evil + "-in"
    design["edges"] = [[evil + "-in", evil], [evil, "out"]]
    result = ms.compile_design(design, workspace)
    source = Path(result.path).read_text()
    for fragment in ("os", "passwd", "system", "__import__", "7*7", "touch", "etc"):
        if fragment in evil:
            assert fragment not in source.replace("blocks", "").replace("positional", "")
    path = Path(result.path).resolve()
    assert path.parent == (workspace / "generated").resolve()  # no traversal
    assert path.name.startswith(safe_id(design))


@pytest.mark.parametrize("evil", INJECTIONS)
def test_injected_props_and_enums_are_refused(evil: str) -> None:
    for design in (
        chain(tf(activation=evil)),
        chain(tf(**{evil: 1})),
        chain(tf(d_model=evil)),
        chain({"id": "m", "type": "moe_layer", "props": {"routing": evil}}),
        chain({"id": "x", "type": evil, "props": {}}),
    ):
        assert not ms.validate(design).valid
        with pytest.raises(DesignError) as info:
            ms.compile_design(design)
        assert info.value.result.errors


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=80))
def test_any_text_as_id_or_name_yields_whitelisted_source(text: str) -> None:
    design = chain(tf(), name=text)
    design["id"] = text
    a = analyze(design)
    if a.ok:
        source = generate_source(a)
        check_source(source)
        assert safe_id(design).replace("_", "").isalnum()


@pytest.mark.parametrize("snippet", [
    "import os",
    "from os import system",
    "from modelstudio_widget.build import blocks as os",
    "x = __import__('os')",
    "class GeneratedModel:\n    def __init__(self):\n        self.n0 = eval('1')",
    "class GeneratedModel:\n    def wire(self, board, extras):\n        return board.__class__",
    "class GeneratedModel:\n    def wire(self, board, extras):\n        return 'rm -rf'",
    "class GeneratedModel:\n    def wire(self, board, extras):\n        return [h0 for h0 in board]",
    "class Other:\n    pass",
    "class GeneratedModel:\n    @staticmethod\n    def wire(self, board, extras):\n        pass",
])
def test_whitelist_rejects_anything_outside_the_generator_vocabulary(snippet: str) -> None:
    with pytest.raises(UnsafeSourceError):
        check_source(snippet)


def test_compile_writes_into_the_workspace_and_imports(workspace: Path) -> None:
    design = ms.templates()["moe"]
    result = ms.compile_design(design, workspace)
    assert Path(result.path).is_file() and Path(result.path).parent == workspace / "generated"
    module = importlib.import_module(result.import_path)
    assert module is sys.modules[result.import_path]
    assert result.params == ms.validate(design).params
    assert result.config["n_experts"] == 4 and result.config["n_moe_layers"] == 1
    site = Path(ms.__file__).parent
    assert not list(site.rglob("generated/*.py"))  # nothing in the installed package


def test_recompiling_a_changed_design_never_loads_a_stale_module(workspace: Path) -> None:
    design = chain(tf(d_model=32))
    first = ms.compile_design(design, workspace)
    changed = copy.deepcopy(design)
    changed["components"][1]["props"]["d_model"] = 64
    second = ms.compile_design(changed, workspace)
    assert second.path != first.path and second.params != first.params
    again = ms.compile_design(design, workspace)
    assert again.path == first.path and again.params == first.params
    assert ms.build_model(changed, workspace).num_params() == second.params


def test_build_model_in_memory_writes_nothing(workspace: Path) -> None:
    ms.build_model(ms.templates()["transformer"])
    assert not (workspace / "generated").exists() or not list((workspace / "generated").iterdir())


def test_invalid_design_is_refused_with_its_errors() -> None:
    with pytest.raises(DesignError, match="D_MODEL_MULTIPLE_OF_8"):
        ms.build_model(chain(tf(d_model=100)))


def test_config_from_architecture_is_the_compiled_config(workspace: Path) -> None:
    design = ms.templates()["checkpointed"]
    cfg = ms.DynamicModelConfig.from_architecture(design)
    assert (cfg.d_model, cfg.n_layers, cfg.checkpointed_layers) == (64, 2, 2)
    assert cfg.aux_targets == ["max_tile"]
    assert ms.compile_design(design, workspace).config == cfg.to_dict()
    model = ms.build_model(design)
    assert isinstance(model, ms.GameTransformer) and model.num_params() == cfg.n_params


def test_config_of_an_invalid_design_is_refused() -> None:
    with pytest.raises(DesignError, match="D_MODEL_MULTIPLE_OF_8"):
        ms.DynamicModelConfig.from_architecture(chain(tf(d_model=100)))


def test_boards_as_grid_or_flat_give_the_same_output() -> None:
    model = ms.build_model(ms.default_design()).eval()
    boards = torch.randint(0, 16, (3, 4, 4))
    a = model(boards)
    b = model(boards.reshape(3, 16).float())
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def _grads(model: torch.nn.Module, boards: torch.Tensor) -> dict[str, torch.Tensor]:
    model.train()
    model.zero_grad()
    logits, value, extras = model.forward_all(boards)
    aux = sum(p.sum() for p in extras.aux.values())
    loss = logits.logsumexp(-1).sum() + value.pow(2).sum() + model.router_loss(extras) + aux
    loss.backward()
    return {k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None}


def test_checkpointing_keeps_every_gradient_and_counts_usage_once() -> None:
    ckpt = ms.templates()["checkpointed"]
    # Put a routed MoE under the checkpoint too.
    ckpt["components"].insert(5, {"id": "rt", "type": "load_balance_router",
                                  "props": {"coef": 0.5, "z_coef": 0.01}})
    ckpt["components"].insert(6, {"id": "mx", "type": "moe_layer", "props": {"d_model": 64}})
    ckpt["edges"] = [["board", "embed"], ["embed", "ckpt"], ["ckpt", "attn1"], ["attn1", "ckpt2"],
                     ["ckpt2", "rt"], ["rt", "mx"], ["mx", "attn2"], ["attn2", "aux"],
                     ["aux", "policy"]]
    assert ms.validate(ckpt).valid
    # Same graph without checkpointing: each checkpoint becomes a zero-weight router (also a
    # weightless pass-through), so node numbering and weight names stay the same.
    plain = copy.deepcopy(ckpt)
    for c in plain["components"]:
        if c["type"] == "grad_checkpoint":
            c.update(type="load_balance_router", props={"coef": 0.0, "z_coef": 0.0})
    m_ckpt, m_plain = ms.build_model(ckpt), ms.build_model(plain)
    assert sum(1 for m in m_ckpt.modules() if getattr(m, "checkpointed", False)) == 2
    m_plain.load_state_dict(m_ckpt.state_dict())  # same weights, same names
    boards = torch.randint(0, 12, (16, 16))
    g_ckpt, g_plain = _grads(m_ckpt, boards), _grads(m_plain, boards)
    assert g_ckpt.keys() == g_plain.keys()
    for k in g_ckpt:
        torch.testing.assert_close(g_ckpt[k], g_plain[k], rtol=1e-5, atol=1e-7)
    _, _, extras = m_ckpt.forward_all(boards)
    assert len(extras.moe) == 1 and float(extras.moe[0].usage.sum()) == pytest.approx(1.0)


def test_router_coefficient_weights_the_load_balancing_loss() -> None:
    def with_coef(coef: float) -> dict:
        return chain({"id": "r", "type": "load_balance_router", "props": {"coef": coef}},
                     {"id": "m", "type": "moe_layer", "props": {"d_model": 32}})

    torch.manual_seed(0)
    low = ms.build_model(with_coef(0.01))
    high = ms.build_model(with_coef(0.5))
    high.load_state_dict(low.state_dict())
    boards = torch.randint(0, 12, (8, 16))
    _, _, ex_low = low.forward_all(boards)
    _, _, ex_high = high.forward_all(boards)
    lb = ex_low.moe[0].lb_loss.detach()
    assert float(lb) >= 1.0 - 1e-5  # Switch loss is 1 when perfectly balanced, more otherwise
    assert float(low.router_loss(ex_low).detach()) == pytest.approx(0.01 * float(lb), rel=1e-5)
    assert float(high.router_loss(ex_high).detach()) == pytest.approx(0.5 * float(lb), rel=1e-5)
    no_router = ms.build_model(chain({"id": "m", "type": "moe_layer", "props": {"d_model": 32}}))
    assert float(no_router.router_loss(no_router.forward_all(boards)[2]).detach()) == 0.0


def test_dense_and_sparse_routing_compute_the_same_function() -> None:
    def moe(routing: str) -> dict:
        return chain({"id": "r", "type": "load_balance_router", "props": {}},
                     {"id": "m", "type": "moe_layer", "props": {
                         "d_model": 32, "n_experts": 4, "top_k": 2, "routing": routing}})

    dense, sparse = ms.build_model(moe("dense")), ms.build_model(moe("sparse"))
    sparse.load_state_dict(dense.state_dict())
    boards = torch.randint(0, 12, (32, 16))
    for a, b in zip(dense(boards), sparse(boards)):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_aux_head_predicts_its_target_shape() -> None:
    for target, width in (("max_tile", 16), ("future_score", 1)):
        design = chain(tf(), {"id": "aux", "type": "aux_loss_head", "props": {"target": target}})
        model = ms.build_model(design)
        _, _, extras = model.forward_all(torch.randint(0, 12, (4, 16)))
        (pred,) = extras.aux.values()
        assert pred.shape == (4, width)
        assert model.block_id(next(iter(extras.aux))) == "aux"
