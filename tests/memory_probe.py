"""Measures the bytes autograd saves for backward in one training forward pass."""

from __future__ import annotations

import torch


def saved_activation_bytes(model: torch.nn.Module, boards: torch.Tensor) -> int:
    """Unique storage bytes saved for backward (parameters excluded)."""
    param_ptrs = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        if t.device.type != "meta":
            ptr = t.untyped_storage().data_ptr()
            if ptr not in param_ptrs:
                seen[ptr] = max(seen.get(ptr, 0), t.untyped_storage().nbytes())
        return t

    model.train()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        logits, value, extras = model.forward_all(boards)
        loss = logits.sum() + value.sum()
    loss.backward()
    return sum(seen.values())
