"""The policy's side of PPO: masked log-probabilities and the clipped surrogate loss, in
its decoupled form for a rollout played one update behind the learner.

PPO clips the ratio of the learner's policy to the one that played the rollout, so an
update cannot move the policy far from where it started. With ``PPOConfig.overlap`` the
rollout was played by the actor, one update behind the learner (``overlap.py``): the
ratio starts one update away from 1, and measured on the moe template (40 s, seed 0) 27%
of every minibatch was clipped (no gradient) against 3% without overlap, so each move
taught less and the large designs scored 5-15% less in the same minutes.

Decoupled PPO (Hilton, Cobbe and Schulman 2022, "Batch size-invariance for policy
optimization") separates the two roles of that old policy: the ratio is clipped against
the *proximal* policy, the learner's at the start of the update, and the rollout policy
only corrects for who played, by the importance weight ``pi_prox / pi_behaviour``:

    loss = mean(w * max(-A * r, -A * clip(r, 1 - eps, 1 + eps))),
    r = pi_theta / pi_prox,   w = pi_prox / pi_behaviour

With the learner as the rollout policy (no overlap) ``w`` is 1 and this is plain PPO.
The proximal log-probabilities cost one forward pass without gradients over the moves
the update trains on, before its first step.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from modelstudio_widget.exporters.contract import MASKED

# Boards per forward pass of the proximal policy (no gradients, so only activations).
PROXIMAL_CHUNK = 4096


def masked_log_softmax(logits: Tensor, legal: Tensor) -> Tensor:
    """Log-probabilities of the moves [B, 4]; an illegal one's logit is ``MASKED``, so its
    probability is exactly 0 (never sampled)."""
    return F.log_softmax(logits.masked_fill(~legal, MASKED), dim=-1)


def log_probs(logits: Tensor, legal: Tensor, actions: Tensor) -> tuple[Tensor, Tensor]:
    """Log-probabilities of all moves [B, 4] and of the moves taken [B]."""
    logp_all = masked_log_softmax(logits, legal)
    return logp_all, logp_all.gather(1, actions.unsqueeze(1)).squeeze(1)


@torch.no_grad()
def proximal_log_probs(forward: Callable[[Tensor], Tensor], obs: Tensor, legal: Tensor,
                       actions: Tensor, rollout_log_probs: Tensor,
                       moves: Tensor) -> Tensor:
    """The learner's log-probability of each move taken, at ``moves`` (indices into the
    flat rollout), computed by ``forward`` (boards -> logits); elsewhere the rollout's own."""
    proximal = rollout_log_probs.clone()
    for chunk in moves.split(PROXIMAL_CHUNK):
        proximal[chunk] = log_probs(forward(obs[chunk]), legal[chunk], actions[chunk])[1]
    return proximal


def clipped_surrogate(new_log_probs: Tensor, anchor: Tensor, weight: Tensor,
                      advantages: Tensor, clip: float) -> tuple[Tensor, Tensor]:
    """PPO's policy loss with the ratio taken against ``anchor`` (the rollout policy's
    log-probabilities, or the proximal policy's), importance-weighted per move by
    ``weight`` (ones for plain PPO); and the ratio."""
    ratio = (new_log_probs - anchor).exp()
    loss = torch.max(-advantages * ratio, -advantages * ratio.clamp(1 - clip, 1 + clip))
    return (weight * loss).mean(), ratio
