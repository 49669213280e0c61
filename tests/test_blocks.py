"""The blocks' fast formulations compute the textbook functions, with the same gradients
(in float64, so any difference is a wrong formula, not rounding)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F

from modelstudio_widget.build.blocks import Extras, MoELayer, TransformerLayer


def reference_transformer(layer: TransformerLayer, x: torch.Tensor) -> torch.Tensor:
    """Pre-norm attention with torch's own scaled_dot_product_attention, then the MLP."""
    b, t, d = x.shape
    h = layer.n_heads
    q, k, v = layer.qkv(layer.ln1(x)).split(d, dim=2)
    q, k, v = (z.reshape(b, t, h, d // h).transpose(1, 2) for z in (q, k, v))
    y = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, t, d)
    x = x + layer.proj(y)
    return x + layer.fc2(layer.act(layer.fc1(layer.ln2(x))))


def reference_moe(layer: MoELayer, x: torch.Tensor) -> torch.Tensor:
    """Each expert's MLP on every token, mixed by the renormalised top-k router weights."""
    b, t, d = x.shape
    h = layer.ln(x).reshape(b * t, d)
    probs = layer.router(h).softmax(dim=-1)
    top_p, top_i = probs.topk(layer.top_k, dim=-1)
    top_p = top_p / top_p.sum(dim=-1, keepdim=True)
    y = torch.zeros_like(h)
    for e in range(layer.n_experts):
        out = F.gelu(h @ layer.w1[e] + layer.b1[e]) @ layer.w2[e] + layer.b2[e]
        weight = (top_p * (top_i == e)).sum(dim=-1, keepdim=True)
        y = y + weight * out
    return x + y.reshape(b, t, d)


def grads(module: torch.nn.Module, x: torch.Tensor,
          fn: Callable[[torch.Tensor], torch.Tensor]) -> dict[str, torch.Tensor]:
    """Gradients of a loss of ``fn(x)`` for the input and every parameter."""
    module.zero_grad(set_to_none=True)
    x = x.clone().requires_grad_(True)
    fn(x).pow(2).sum().backward()
    return {"input": x.grad, **{k: p.grad for k, p in module.named_parameters()}}


@pytest.mark.parametrize(("d", "heads", "ff"), [(64, 4, 2), (32, 1, 4), (48, 6, 1)])
def test_attention_matches_torch_sdpa_with_the_same_gradients(d: int, heads: int,
                                                              ff: int) -> None:
    torch.manual_seed(0)
    layer = TransformerLayer(d, heads, ff_mult=ff).double()
    for p in layer.parameters():  # larger than the init, so attention is far from uniform
        torch.nn.init.normal_(p, std=0.3)
    x = torch.randn(7, 16, d, dtype=torch.float64)
    torch.testing.assert_close(layer(x, Extras()), reference_transformer(layer, x))
    torch.testing.assert_close(grads(layer, x, lambda z: layer(z, Extras())),
                               grads(layer, x, lambda z: reference_transformer(layer, z)))


@pytest.mark.parametrize(("experts", "top_k", "routing"),
                         [(4, 2, "dense"), (4, 2, "sparse"), (8, 1, "dense"), (3, 3, "dense")])
def test_moe_matches_expert_by_expert_mixing_with_the_same_gradients(
        experts: int, top_k: int, routing: str) -> None:
    torch.manual_seed(1)
    layer = MoELayer(32, experts, top_k=top_k, ff_mult=2, routing=routing).double()
    with torch.no_grad():
        layer.router.weight.normal_(std=0.5)  # decisive routing: no near-ties in top-k
        layer.b1.normal_(std=0.1)
        layer.b2.normal_(std=0.1)
    x = torch.randn(5, 16, 32, dtype=torch.float64)
    extras = Extras()
    torch.testing.assert_close(layer(x, extras), reference_moe(layer, x))
    assert len(extras.moe) == 1 and float(extras.moe[0].usage.sum()) == pytest.approx(1.0)
    torch.testing.assert_close(grads(layer, x, lambda z: layer(z, Extras())),
                               grads(layer, x, lambda z: reference_moe(layer, z)))
