"""PPO's policy loss, plain and decoupled (training/policy_loss.py), and how the trainer
uses it: an overlapped rollout is clipped against the learner, not the actor."""

from __future__ import annotations

import torch

import modelstudio_widget as ms
from modelstudio_widget.training import policy_loss
from modelstudio_widget.training.ppo import PPOConfig, PPOTrainer

CLIP = 0.2
SMALL = dict(num_envs=32, num_steps=16, minibatch_size=128, update_epochs=1, seed=3)


def moves(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random logits, a legality mask with at least one legal move, and a legal move each."""
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, 4, generator=g)
    legal = torch.rand(n, 4, generator=g) < 0.6
    legal[torch.arange(n), torch.randint(0, 4, (n,), generator=g)] = True
    actions = torch.multinomial(legal.float(), 1, generator=g).squeeze(1)
    return logits, legal, actions


def test_an_illegal_move_has_probability_zero_and_the_taken_move_is_gathered() -> None:
    logits, legal, actions = moves(64)
    logp_all, taken = policy_loss.log_probs(logits, legal, actions)
    assert (logp_all.exp()[~legal] == 0).all()
    torch.testing.assert_close(logp_all.exp().sum(1), torch.ones(64))
    torch.testing.assert_close(taken, logp_all[torch.arange(64), actions])


def test_with_unit_weights_the_loss_is_plain_clipped_ppo() -> None:
    g = torch.Generator().manual_seed(1)
    new, old, adv = (torch.randn(256, generator=g) * s for s in (0.3, 0.3, 1.0))
    loss, ratio = policy_loss.clipped_surrogate(new, old, torch.ones(256), adv, CLIP)
    r = (new - old).exp()
    expected = torch.max(-adv * r, -adv * r.clamp(1 - CLIP, 1 + CLIP)).mean()
    torch.testing.assert_close(ratio, r)
    torch.testing.assert_close(loss, expected)


def test_the_decoupled_loss_keeps_the_gradient_a_lagged_rollout_loses_to_clipping() -> None:
    """A learner one update past the rollout policy: clipped against the rollout's
    log-probabilities, moves whose ratio left the clip range in the advantage's direction
    teach nothing; clipped against the learner itself (the proximal policy) every move
    teaches, weighted by pi_prox / pi_behaviour."""
    g = torch.Generator().manual_seed(2)
    behaviour = torch.randn(512, generator=g) * 0.5 - 1.5
    learner = behaviour + torch.randn(512, generator=g) * 0.4  # one update later
    adv = torch.randn(512, generator=g)

    coupled = learner.clone().requires_grad_()
    policy_loss.clipped_surrogate(coupled, behaviour, torch.ones(512), adv, CLIP)[0].backward()
    ratio = (learner - behaviour).exp()
    silent = ((ratio > 1 + CLIP) & (adv > 0)) | ((ratio < 1 - CLIP) & (adv < 0))
    assert silent.float().mean() > 0.2  # a large share of the minibatch is lost
    assert (coupled.grad[silent] == 0).all()

    decoupled = learner.clone().requires_grad_()
    weight = (learner - behaviour).exp()
    policy_loss.clipped_surrogate(decoupled, learner, weight, adv, CLIP)[0].backward()
    # At the start of the update r = 1: the importance-weighted policy gradient, every move.
    torch.testing.assert_close(decoupled.grad, -weight * adv / 512)
    assert (decoupled.grad[silent] != 0).all()


def test_proximal_log_probs_are_the_learners_at_the_moves_trained_on() -> None:
    model = ms.build_model(ms.templates()["tiny"])
    model.eval()
    boards = torch.randint(0, 12, (300, 16), dtype=torch.uint8)
    _, legal, actions = moves(300)
    recorded = torch.full((300,), -7.0)
    trained_on = torch.tensor([0, 5, 17, 299])
    proximal = policy_loss.proximal_log_probs(lambda x: model.forward_all(x)[0], boards,
                                              legal, actions, recorded, trained_on)
    with torch.no_grad():
        _, everywhere = policy_loss.log_probs(model.forward_all(boards)[0], legal, actions)
    torch.testing.assert_close(proximal[trained_on], everywhere[trained_on])
    rest = torch.ones(300, dtype=torch.bool)
    rest[trained_on] = False
    assert (proximal[rest] == -7.0).all()


def test_an_overlapped_update_clips_against_the_learner_not_the_actor() -> None:
    """An actor far from the learner (its weights perturbed): the update's clip fraction is
    measured against the learner's own policy, so it stays small."""
    trainer = PPOTrainer(ms.templates()["tiny"], PPOConfig(**SMALL))
    trainer.actor = ms.build_model(ms.templates()["tiny"])  # as overlap.py's actor, independent
    with torch.no_grad():
        for p_actor, p_model in zip(trainer.actor.parameters(), trainer.model.parameters(),
                                    strict=True):
            p_actor.copy_(p_model + 0.3 * torch.randn_like(p_model))
    rollout = trainer.collect()
    trainer.model.eval()
    with torch.no_grad():
        logits = trainer.model.forward_all(torch.from_numpy(rollout.obs.reshape(-1, 16)))[0]
        _, learner = policy_loss.log_probs(logits, torch.from_numpy(rollout.legal.reshape(-1, 4)),
                                           torch.from_numpy(rollout.actions.reshape(-1)))
    behaviour = torch.from_numpy(rollout.logprobs.reshape(-1))
    lag = (((learner - behaviour).exp() - 1).abs() > CLIP).float().mean()
    assert lag > 0.3  # against the actor's policy, most moves would start clipped
    losses = trainer.update(rollout)
    assert losses["clipfrac"] < 0.1


def test_with_the_actor_at_the_learners_weights_the_decoupled_update_is_plain_ppo() -> None:
    design = ms.templates()["tiny"]
    plain = PPOTrainer(design, PPOConfig(**SMALL))
    decoupled = PPOTrainer(design, PPOConfig(**SMALL))
    decoupled.actor = ms.build_model(design)
    decoupled.actor.load_state_dict(decoupled.model.state_dict())
    rollouts = plain.collect(), decoupled.collect()
    assert (rollouts[0].actions == rollouts[1].actions).all()
    plain.update(rollouts[0])
    decoupled.update(rollouts[1])
    for a, b in zip(plain.model.parameters(), decoupled.model.parameters(), strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)
