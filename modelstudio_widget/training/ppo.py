"""PPO for compiled designs on the batched 2048 engine (CleanRL-style, top to bottom).

One iteration = a rollout of ``num_steps`` moves in each of ``num_envs`` games, then
``update_epochs`` passes of clipped-PPO minibatch updates over it (each pass over a fresh
random sample of it where the update is sized down for a large design: ``update_size``).
The loss is

    policy (clipped surrogate) + vf_coef * value + -ent_coef * entropy
    + the design's load-balancing / z-losses (router coefficients)
    + the design's auxiliary losses (aux-head coefficients)

Invalid moves are masked out of the policy (their logits set to a large negative number),
so the agent never selects one. Rewards are the engine's merge rewards (score increments)
scaled by ``log2(1 + r) / 11`` by default: a 2048 merge is worth 1.0 and the value stays in
a small range over games that last thousands of moves. Reported scores are always the raw
game score.

The trainer runs on one torch thread by default: on a 2-core machine, OpenMP spin-waiting
otherwise makes training 10-100x slower whenever anything else runs (FINDINGS).
With ``overlap`` (two or more cores) the last rollout trains on a second thread while the
next is played by a copy of the model one update behind (``overlap.py``): an iteration takes
about the longer of the two, and the loss is decoupled to clip against the learner.

A time budget is a promise: ``train_iteration(deadline=...)`` cuts its rollout short when
the rest of the rollout and its update would run past the deadline (sizing it from the
measured cost of a rollout step and of a minibatch), and stops updating at the deadline.
Without a deadline an iteration is always ``num_steps`` moves per game, so seeded runs
repeat exactly.

A design that ends in an n-tuple value (``build/lookahead.py``) has no policy to clip: for
it an iteration is ``num_steps`` moves of TD(0) on afterstates (``td.py``) instead, with
the same budget, metrics and checkpoints.
"""

from __future__ import annotations

import copy
import math
import os
import time
from collections import deque
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from modelstudio_widget.build.base import GameTransformer
from modelstudio_widget.build.codegen import build_model
from modelstudio_widget.game.engine import BatchedGame
from modelstudio_widget.training import policy_loss
from modelstudio_widget.training.aux_targets import aux_targets
from modelstudio_widget.training.config import PRECISIONS, PPOConfig
from modelstudio_widget.training.device import resolve_device, to_cpu
from modelstudio_widget.training.episodes import EpisodeStats
from modelstudio_widget.training.optim import clip_grad_norm, make_optimizer, set_learning_rate
from modelstudio_widget.training.overlap import copy_weights, side_by_side
from modelstudio_widget.training.td import AfterstateTD
from modelstudio_widget.training.update_size import (
    minibatches,
    resolve_update_fraction,
    update_moves,
)

# Before the first update is timed, a minibatch (forward, backward, Adam) is guessed to cost
# this many forward passes over as many boards; the first measurement replaces the guess.
UPDATE_COST_GUESS = 4.0


@dataclass
class Rollout:
    """One rollout: ``T = num_steps`` moves in each of ``N = num_envs`` games (numpy arrays).

    Row ``t`` describes the ``t``-th move of every game; a game that ends at ``t`` is
    already a new game at ``t + 1`` (``dones[t]`` says so).
    """

    obs: np.ndarray  # uint8[T, N, 16] tile exponents of the board each move was chosen on
    legal: np.ndarray  # bool[T, N, 4] legal moves of that board
    actions: np.ndarray  # int64[T, N] the moves played
    logprobs: np.ndarray  # float32[T, N] log-probability of each move under the rollout policy
    values: np.ndarray  # float32[T + 1, N] value estimates; row T: the boards after the last move
    raw_rewards: np.ndarray  # float32[T, N] merge rewards (score increments), not transformed
    dones: np.ndarray  # bool[T, N] the move ended its game
    final_max_exp: np.ndarray  # float32[T, N] largest exponent the move made, before any reset

    @classmethod
    def empty(cls, steps: int, envs: int) -> Rollout:
        """Uninitialised arrays of the shapes above, for ``collect`` to fill."""
        return cls(
            obs=np.empty((steps, envs, 16), dtype=np.uint8),
            legal=np.empty((steps, envs, 4), dtype=bool),
            actions=np.empty((steps, envs), dtype=np.int64),
            logprobs=np.empty((steps, envs), dtype=np.float32),
            values=np.empty((steps + 1, envs), dtype=np.float32),
            raw_rewards=np.empty((steps, envs), dtype=np.float32),
            dones=np.empty((steps, envs), dtype=bool),
            final_max_exp=np.empty((steps, envs), dtype=np.float32),
        )

    def first(self, steps: int) -> Rollout:
        """The first ``steps`` moves (views: a rollout cut short keeps filling them)."""
        return Rollout(**{f.name: getattr(self, f.name)[:steps + (f.name == "values")]
                          for f in fields(self)})


def transform_rewards(rewards: np.ndarray, how: str) -> np.ndarray:
    if how == "log":
        return np.log2(1.0 + rewards.astype(np.float32)) / 11.0
    return rewards.astype(np.float32) / 2048.0


class PPOTrainer:
    """Trains one design's model with PPO. ``train_iteration()`` is one rollout + update."""

    def __init__(self, design: dict[str, Any] | None = None, config: PPOConfig | None = None,
                 *, model: GameTransformer | None = None):
        if model is None and design is None:
            raise ValueError("give a design or a model")
        self.config = cfg = config or PPOConfig()
        self.design = design
        if cfg.torch_threads:
            torch.set_num_threads(cfg.torch_threads)
        self.device = resolve_device(cfg.device)
        if cfg.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, not {cfg.precision!r}")
        torch.manual_seed(cfg.seed)
        model = model if model is not None else build_model(design)
        lookahead = model.lookahead()
        if lookahead is not None:  # TD(0) updates its tables in numpy: on the CPU
            self.device = torch.device("cpu")
        # Built on the CPU, then moved: the same seed gives the same weights on any device.
        self.model = model.to(self.device)
        self.optimizer = make_optimizer(self.model, cfg.learning_rate)
        self.sampler = torch.Generator().manual_seed(cfg.seed)
        # After the optimizer: its first construction imports what the FLOP counter needs.
        self.update_fraction = (1.0 if lookahead is not None
                                else resolve_update_fraction(cfg, self.model, self.device))
        self.game = BatchedGame(cfg.num_envs, seed=cfg.seed)
        self.stats = EpisodeStats(cfg.score_window)
        # A design that ends in an n-tuple value learns by TD(0) instead of PPO (td.py).
        self.td = (AfterstateTD(lookahead, self.game, self.stats, cfg.td_step_size)
                   if lookahead is not None else None)
        # Rollouts are played by ``actor``: the model itself, or with overlap a copy one
        # update behind it (overlap.py), and ``pending`` is the rollout not yet trained on.
        self.overlap = (cfg.overlap and self.device.type == "cpu" and self.td is None
                        and (os.cpu_count() or 1) > 1)
        self.actor = copy.deepcopy(self.model) if self.overlap else self.model
        self.pending: Rollout | None = None
        self.global_step = 0  # moves played, all games together
        self.iteration = 0
        self.last_losses: dict[str, float] = {}
        self.expert_usage: dict[str, list[float]] = {}
        self.lb_loss: float = 0.0  # mean load-balancing loss of the last update
        self._rollout_seconds = 0.0
        self._update_seconds = 0.0
        self._step_cost: float | None = None  # seconds per rollout step (all games), measured
        self._minibatch_cost: float | None = None  # seconds per gradient step, measured

    def _on_device(self, x: np.ndarray) -> Tensor:
        return torch.from_numpy(x).to(self.device)

    def _forward(self, boards: Tensor, model: GameTransformer | None = None
                 ) -> tuple[Tensor, Tensor, Any]:
        """Logits and value in float32 (whatever the precision) and the pass's extras, from
        ``model`` (default: the model being trained)."""
        with torch.autocast(self.device.type, dtype=torch.bfloat16,
                            enabled=self.config.precision == "bfloat16"):
            logits, value, extras = (self.model if model is None else model).forward_all(boards)
        return logits.float(), value.float(), extras

    # --- rollout -------------------------------------------------------------------------
    def _update_seconds_for(self, steps: int) -> float:
        """Expected seconds of the update over a rollout of ``steps`` moves per game."""
        cfg = self.config
        per_minibatch = self._minibatch_cost
        if per_minibatch is None:
            per_minibatch = (UPDATE_COST_GUESS * (self._step_cost or 0.0)
                             * cfg.minibatch_size / cfg.num_envs)
        return minibatches(cfg, steps * cfg.num_envs, self.update_fraction) * per_minibatch

    @torch.no_grad()
    def collect(self, steps: int | None = None, deadline: float | None = None) -> Rollout:
        """Play ``steps`` (default ``num_steps``) moves in every game, fewer when the next
        move and the update after it would end past ``deadline`` (``time.monotonic()``
        seconds); at least one move."""
        cfg, game, model = self.config, self.game, self.actor
        s, n = steps or cfg.num_steps, cfg.num_envs
        r = Rollout.empty(s, n)
        usage_sums: dict[int, Tensor] = {}
        model.eval()
        started = time.monotonic()
        for t in range(s):
            if t and deadline is not None:
                now = time.monotonic()
                step_cost = (now - started) / t
                self._step_cost = step_cost
                if now + step_cost + self._update_seconds_for(t + 1) > deadline:
                    s = t
                    r = r.first(t)
                    break
            r.obs[t] = game.obs
            r.legal[t] = game.legal
            logits, value, extras = self._forward(self._on_device(r.obs[t]), model)
            # Sampled on the CPU with the CPU generator: the same moves on any device.
            logp_all = policy_loss.masked_log_softmax(logits, self._on_device(r.legal[t])).cpu()
            action = torch.multinomial(logp_all.exp(), 1, generator=self.sampler).squeeze(1)
            r.actions[t] = action.numpy()
            r.logprobs[t] = logp_all.gather(1, action.unsqueeze(1)).squeeze(1).numpy()
            r.values[t] = value.cpu().numpy()
            for st in extras.moe:
                usage_sums[st.node] = usage_sums.get(st.node, 0) + st.usage
            outcome = game.step(r.actions[t])
            r.raw_rewards[t] = outcome.rewards
            r.dones[t] = outcome.terminated
            r.final_max_exp[t] = game.obs.max(axis=1)
            finished = outcome.info
            if finished["index"].size:
                r.final_max_exp[t, finished["index"]] = np.log2(finished["max_tile"])
                self.stats.add(finished["score"], finished["max_tile"])
        r.values[s] = self._forward(self._on_device(game.obs), model)[1].cpu().numpy()
        self._step_cost = (time.monotonic() - started) / s
        self._rollout_seconds += self._step_cost * s
        self.global_step += s * n
        self.expert_usage = {model.block_id(node): (u / s).tolist()
                             for node, u in usage_sums.items()}
        return r

    def advantages(self, r: Rollout) -> tuple[np.ndarray, np.ndarray]:
        """GAE(lambda) advantages and returns [T, N]; a finished game does not bootstrap."""
        cfg = self.config
        rewards = transform_rewards(r.raw_rewards, cfg.reward_transform)
        values, dones = r.values, r.dones
        adv = np.zeros_like(rewards)
        last = np.zeros(rewards.shape[1], dtype=np.float32)
        for t in range(rewards.shape[0] - 1, -1, -1):
            alive = 1.0 - dones[t]
            delta = rewards[t] + cfg.gamma * values[t + 1] * alive - values[t]
            last = delta + cfg.gamma * cfg.gae_lambda * alive * last
            adv[t] = last
        return adv, adv + values[:-1]

    # --- update --------------------------------------------------------------------------
    def update(self, r: Rollout, deadline: float | None = None) -> dict[str, float]:
        """``update_epochs`` passes of minibatch steps over the rollout (each over a fresh
        sample of ``update_fraction`` of its moves); none starts after
        ``deadline`` (``time.monotonic()`` seconds). Returns the mean losses."""
        cfg, model = self.config, self.model
        adv, ret = self.advantages(r)
        aux = {}
        max_exp = r.obs.max(axis=2).astype(np.float32)
        for head in model.aux_heads():
            aux[head.node] = aux_targets(head.target, head.horizon, r.raw_rewards,
                                         r.dones, max_exp, r.final_max_exp)

        def flat(x: np.ndarray) -> Tensor:
            return self._on_device(np.ascontiguousarray(x.reshape(-1, *x.shape[2:])))

        b_obs, b_legal, b_actions = flat(r.obs), flat(r.legal), flat(r.actions)
        b_logprobs, b_adv, b_ret = flat(r.logprobs), flat(adv), flat(ret)
        b_aux = {k: (flat(t), flat(v)) for k, (t, v) in aux.items()}

        totals: dict[str, Tensor] = {}
        count = 0
        order = torch.Generator().manual_seed(cfg.seed * 100_003 + self.iteration)
        size = len(b_obs)
        sample = update_moves(size, self.update_fraction)
        # Near-equal minibatches (a full rollout splits exactly as before): a rollout cut
        # short never leaves a one-move remainder, whose advantage std would be NaN.
        chunks = math.ceil(sample / cfg.minibatch_size)
        started = time.monotonic()
        epochs = [torch.randperm(size, generator=order)[:sample].to(self.device)
                  for _ in range(cfg.update_epochs)]
        anchor, weight = b_logprobs, torch.ones_like(b_logprobs)
        if self.actor is not model:  # played one update behind: decoupled (policy_loss.py)
            model.eval()  # as the actor played
            anchor = policy_loss.proximal_log_probs(
                lambda x: self._forward(x)[0], b_obs, b_legal, b_actions, b_logprobs,
                torch.cat(epochs).unique())
            weight = (anchor - b_logprobs).exp()
        model.train()
        for epoch in epochs:
            for mb in epoch.tensor_split(chunks):
                if deadline is not None and time.monotonic() >= deadline:
                    break
                logits, value, extras = self._forward(b_obs[mb])
                logp_all, new_logp = policy_loss.log_probs(logits, b_legal[mb], b_actions[mb])
                entropy = -(logp_all.exp() * logp_all).sum(-1).mean()
                mb_adv = b_adv[mb]
                mb_adv = (mb_adv - mb_adv.mean()) / (mb_adv.std() + 1e-8)
                pg_loss, ratio = policy_loss.clipped_surrogate(
                    new_logp, anchor[mb], weight[mb], mb_adv, cfg.clip_coef)
                v_loss = 0.5 * (value - b_ret[mb]).pow(2).mean()
                router = model.router_loss(extras)
                aux_loss = self._aux_loss(extras, b_aux, mb)
                loss = pg_loss + cfg.vf_coef * v_loss - cfg.ent_coef * entropy + router + aux_loss
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                clip_grad_norm(model.parameters(), cfg.max_grad_norm)
                self.optimizer.step()
                with torch.no_grad():
                    approx_kl = ((ratio - 1) - (new_logp - anchor[mb])).mean()
                    clipfrac = ((ratio - 1).abs() > cfg.clip_coef).float().mean()
                for k, v in (("policy", pg_loss), ("value", v_loss), ("entropy", entropy),
                             ("aux", aux_loss), ("load_balance", router),
                             ("approx_kl", approx_kl), ("clipfrac", clipfrac)):
                    # Summed where they live: one device-to-host copy per update, not seven
                    # per minibatch.
                    totals[k] = totals.get(k, 0.0) + v.detach().float()
                count += 1
        self._update_seconds += (elapsed := time.monotonic() - started)
        if not count:  # the deadline came first: the last update's losses still stand
            return self.last_losses
        self._minibatch_cost = elapsed / count
        losses = {k: float(v) / count for k, v in totals.items()}
        self.lb_loss = losses.get("load_balance", 0.0)
        var_y = float(np.var(ret))
        explained = 1 - float(np.var(ret - r.values[:-1])) / var_y if var_y > 0 else 0.0
        losses["explained_variance"] = explained
        return losses

    def _aux_loss(self, extras: Any, b_aux: dict[int, tuple[Tensor, Tensor]],
                  mb: Tensor) -> Tensor:
        total = torch.zeros((), device=self.device)
        for head in self.model.aux_heads():
            pred = extras.aux.get(head.node)
            pred = pred if pred is None else pred.float()
            if pred is None or head.node not in b_aux:
                continue
            target, valid = (x[mb] for x in b_aux[head.node])
            if not bool(valid.any()):
                continue
            if head.target == "max_tile":
                loss = F.cross_entropy(pred[valid], target[valid].long())
            else:
                loss = F.mse_loss(pred[valid].squeeze(-1), target[valid])
            total = total + head.coef * loss
        return total

    # --- one iteration (overlap.py: rollout and update side by side) -----------------------
    def set_progress(self, fraction: float) -> None:
        """Anneal the learning rate linearly over a budget (fraction 0 -> 1)."""
        cfg = self.config
        frac = min(max(fraction, 0.0), 1.0)
        lr = cfg.learning_rate * (1 - frac * (1 - cfg.lr_final_fraction))
        set_learning_rate(self.optimizer, lr)

    def train_iteration(self, deadline: float | None = None,
                        max_moves: int | None = None) -> dict[str, Any]:
        """One rollout and its update. ``deadline`` (``time.monotonic()`` seconds): end by
        then, cutting the rollout short and the update off (see the module docstring).
        ``max_moves``: play at most about this many moves (whole rollout steps, at least one)."""
        cfg = self.config
        steps = cfg.num_steps
        if max_moves is not None:
            steps = max(1, min(steps, math.ceil(max_moves / cfg.num_envs)))
        t0 = time.perf_counter()
        before = self.global_step
        if self.td is not None:
            self.global_step += self.td.play(steps, deadline)
            self.last_losses = {"td_error": self.td.mean_error}
            self.iteration += 1
            elapsed = time.perf_counter() - t0
            self._rollout_seconds += elapsed
            return self.metrics(steps_per_second=(self.global_step - before) / elapsed)
        if self.overlap:  # train on the pending rollout while the actor plays the next
            pending = self.pending  # (none in the first iteration: it only plays)
            self.last_losses, self.pending = side_by_side(
                lambda: self.last_losses if pending is None else self.update(pending, deadline),
                lambda: self.collect(steps, deadline), cfg.torch_threads)
            copy_weights(self.actor, self.model)
        else:
            self.last_losses = self.update(self.collect(steps, deadline), deadline)
        self.iteration += 1
        return self.metrics(steps_per_second=(self.global_step - before)
                            / (time.perf_counter() - t0))

    def metrics(self, steps_per_second: float | None = None) -> dict[str, Any]:
        """A snapshot of the trainer's state (plain JSON data; NaN becomes None)."""
        losses = {k: (v if math.isfinite(v) else None) for k, v in self.last_losses.items()}
        return {
            "update": self.iteration,
            "global_step": self.global_step,
            "env_steps_per_second": steps_per_second,
            **self.stats.summary(),
            # Shown while no game has finished yet (a short budget on a large design).
            "playing_score": float(self.game.scores.mean()),
            "losses": losses,
            "lr": (self.config.td_step_size if self.td is not None
                   else self.optimizer.param_groups[0]["lr"]),
            "moe": {"expert_usage": self.expert_usage, "lb_loss": self.lb_loss},
            "time": {"rollout_s": self._rollout_seconds, "update_s": self._update_seconds},
        }

    # --- checkpoints ---------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: weights, optimizer, counters, RNG states, config."""
        return {
            # On the CPU, whatever the training device: loads on a machine without a GPU.
            "model": to_cpu(self.model.state_dict()),
            "optimizer": to_cpu(self.optimizer.state_dict()),
            "config": self.config.to_dict(),
            "design": self.design,
            "iteration": self.iteration,
            "global_step": self.global_step,
            "episodes": self.stats.episodes,
            "best_score": self.stats.best_score,
            "recent_scores": list(self.stats.recent_scores),
            "recent_max_tiles": list(self.stats.recent_max_tiles),
            "sampler_state": self.sampler.get_state(),
            "game": _arrays_to_tensors(self.game.state_dict()),
            **({"td": self.td.state_dict()} if self.td is not None else {}),
            # With overlap the rollout played but not yet trained on (it resumes exactly).
            **({"pending": _arrays_to_tensors(vars(self.pending))}
               if self.pending is not None else {}),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.iteration = int(state["iteration"])
        self.global_step = int(state["global_step"])
        self.stats.episodes = int(state["episodes"])
        self.stats.best_score = int(state["best_score"])
        self.stats.recent_scores = deque(state["recent_scores"])
        self.stats.recent_max_tiles = deque(state["recent_max_tiles"])
        self.sampler.set_state(state["sampler_state"])
        self.game.load_state_dict(_tensors_to_arrays(state["game"]))
        if self.td is not None and "td" in state:
            self.td.load_state_dict(state["td"])
        copy_weights(self.actor, self.model)  # (a no-op copy when they are one)
        pending = state.get("pending")
        self.pending = (Rollout(**{k: v.numpy() for k, v in pending.items()})
                        if pending is not None and self.overlap else None)


# torch.load(weights_only=True) reads tensors but not numpy arrays; boards are uint64,
# which travel bit for bit as int64.
def _arrays_to_tensors(state: dict[str, Any]) -> dict[str, Any]:
    return {k: torch.from_numpy(v.view(np.int64) if v.dtype == np.uint64 else v)
            if isinstance(v, np.ndarray) else v for k, v in state.items()}


def _tensors_to_arrays(state: dict[str, Any]) -> dict[str, Any]:
    out = {k: v.numpy() if isinstance(v, Tensor) else v for k, v in state.items()}
    for key in ("boards", "pool"):
        out[key] = out[key].view(np.uint64)
    return out
