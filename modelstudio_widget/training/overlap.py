"""The next rollout played while the last one trains: both cores of a CPU at once.

On the CPU an iteration of a large design is a rollout (forward passes, 40-60% of it)
then an update (forward and backward passes), one after the other on one core. With
``PPOConfig.overlap`` the update of the last rollout runs on a second thread while the
next rollout is played, so an iteration costs about max(rollout, update), not their sum.

The rollout is played by an *actor*, a copy of the model whose weights are copied from the
learner after every update; so each rollout is played by the weights one update behind the
newest (as in asynchronous PPO variants). Its update is decoupled PPO
(``policy_loss.py``): clipped against the learner's own policy at the update's start and
importance-weighted by the actor's, so the lag does not clip away the signal. The
schedule is fixed (iteration ``k`` trains on rollout ``k - 1`` while it plays rollout
``k``), never timed, so a seeded run still repeats exactly.

Each thread runs torch on one thread of its own (``torch.set_num_threads`` is per thread):
no OpenMP pool spin-waits for the other (FINDINGS).

Off by default (``PPOConfig.overlap``): side by side at 300 s it played 1.29-1.42x the
moves of the large designs, and moe scored 51% more, but the transformer and checkpointed
designs scored less (README, "Both cores").
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import torch
from torch import nn

A = TypeVar("A")
B = TypeVar("B")


def side_by_side(background: Callable[[], A], foreground: Callable[[], B],
                 torch_threads: int) -> tuple[A, B]:
    """Run ``background`` on a worker thread while ``foreground`` runs on this one; both
    results, or the first error either raised (after both have finished)."""
    result: list[A] = []
    errors: list[BaseException] = []

    def work() -> None:
        if torch_threads:
            torch.set_num_threads(torch_threads)
        try:
            result.append(background())
        except BaseException as exc:  # re-raised on the caller's thread below
            errors.append(exc)

    worker = threading.Thread(target=work, name="modelstudio-update", daemon=True)
    worker.start()
    try:
        here = foreground()
    finally:
        worker.join()
    if errors:
        raise errors[0]
    return result[0], here


@torch.no_grad()
def copy_weights(dst: nn.Module, src: nn.Module) -> None:
    """``dst`` takes ``src``'s parameters and buffers in place (same design, same device)."""
    for mine, theirs in zip(dst.state_dict().values(), src.state_dict().values(), strict=True):
        mine.copy_(theirs)
