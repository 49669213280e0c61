"""Where training runs: the device named in ``PPOConfig.device``, and CPU copies for checkpoints.

The model, rollout tensors and updates live on the training device; the 2048 engine, the
action sampler and every checkpoint stay on the CPU, so a checkpoint written on a GPU
loads on a machine without one (and the other way round).
"""

from __future__ import annotations

import re
from typing import Any

import torch

DEVICE_CHOICES = '"auto", "cpu", "cuda" or "cuda:N"'
_DEVICE = re.compile(r"auto|cpu|cuda(:\d+)?")


def resolve_device(name: str) -> torch.device:
    """``"auto"``: the first CUDA device when one is present, else the CPU. Asking for CUDA
    where there is none (or for a CUDA index past the last device) raises ``ValueError``."""
    if not isinstance(name, str) or not _DEVICE.fullmatch(name):
        raise ValueError(f"device must be {DEVICE_CHOICES}, not {name!r}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {name!r} asked for, but CUDA is not available here "
                             f"(torch {torch.__version__}); use \"auto\" or \"cpu\"")
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise ValueError(f"device {name!r} asked for, but this machine has {count} CUDA "
                             f"device(s): cuda:0 to cuda:{count - 1}")
    return device


def to_cpu(state: Any) -> Any:
    """The same nesting of dicts, lists and tuples with every tensor copied to the CPU."""
    if isinstance(state, torch.Tensor):
        return state.cpu()
    if isinstance(state, dict):
        return {k: to_cpu(v) for k, v in state.items()}
    if isinstance(state, (list, tuple)):
        return type(state)(to_cpu(v) for v in state)
    return state
