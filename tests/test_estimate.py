"""Parameter counts are exact; memory estimates track what autograd really saves."""

from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from memory_probe import saved_activation_bytes
from strategies import valid_designs

import modelstudio_widget as ms
from modelstudio_widget.design.catalog import BYTES_PER_FLOAT
from modelstudio_widget.design.estimate import node_activations
from modelstudio_widget.design.rules import analyze


@pytest.mark.parametrize("name", sorted(ms.templates()))
def test_template_param_count_is_exact(name: str) -> None:
    design = ms.templates()[name]
    model = ms.build_model(design)
    assert ms.validate(design).params == sum(p.numel() for p in model.parameters())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_designs())
def test_every_valid_design_builds_runs_and_counts_exactly(design: dict) -> None:
    result = ms.validate(design)
    model = ms.build_model(design)
    assert result.params == sum(p.numel() for p in model.parameters())
    assert result.paramCount == result.params / 1e6
    boards = torch.randint(0, 16, (5, 4, 4))
    logits, value = model(boards)
    assert logits.shape == (5, 4) and value.shape == (5,)
    assert torch.isfinite(logits).all() and torch.isfinite(value).all()


def _activation_estimate(design: dict, batch: int) -> int:
    a = analyze(design)
    return BYTES_PER_FLOAT * sum(
        node_activations(n, batch, n.index in a.checkpointed, a.implicit_embedding.get(n.index, False))
        for n in a.nodes)


MEMORY_DESIGNS = {
    **ms.templates(),
    "arch_example": {"components": [
        {"id": "in", "type": "board_input"},
        {"id": "t1", "type": "transformer_layer", "props": {"d_model": 128, "n_heads": 4}},
        {"id": "m1", "type": "moe_layer", "props": {"d_model": 128, "n_experts": 4}},
        {"id": "out", "type": "action_output"}],
        "edges": [["in", "t1"], ["t1", "m1"], ["m1", "out"]]},
    "sparse_moe_mean": {"components": [
        {"id": "in", "type": "board_input"},
        {"id": "m1", "type": "moe_layer", "props": {"d_model": 64, "n_experts": 8, "top_k": 2,
                                                     "routing": "sparse"}},
        {"id": "out", "type": "action_output", "props": {"pool": "mean", "hidden": 64}}],
        "edges": [["in", "m1"], ["m1", "out"]]},
}


@pytest.mark.parametrize("name", sorted(MEMORY_DESIGNS))
def test_activation_estimate_within_25_percent_of_measurement(name: str) -> None:
    design = MEMORY_DESIGNS[name]
    torch.manual_seed(0)
    model = ms.build_model(design)
    batch = 64
    measured = saved_activation_bytes(model, torch.randint(0, 12, (batch, 16)))
    estimated = _activation_estimate(design, batch)
    assert 0.75 * measured <= estimated <= 1.25 * measured


def test_checkpoints_lower_the_estimate_and_the_measurement() -> None:
    plain = ms.templates()["checkpointed"]
    plain["components"] = [c for c in plain["components"] if c["type"] != "grad_checkpoint"]
    plain["edges"] = [["board", "embed"], ["embed", "attn1"], ["attn1", "attn2"],
                      ["attn2", "aux"], ["aux", "policy"]]
    checkpointed = ms.templates()["checkpointed"]
    assert ms.validate(checkpointed).estimatedMemory < ms.validate(plain).estimatedMemory
    boards = torch.randint(0, 12, (64, 16))
    torch.manual_seed(0)
    with_ckpt = saved_activation_bytes(ms.build_model(checkpointed), boards)
    torch.manual_seed(0)
    without = saved_activation_bytes(ms.build_model(plain), boards)
    assert with_ckpt < 0.5 * without
