"""Evaluation: play N complete games with a policy and report score statistics.

Every game is played to its end exactly once (finished games drop out of the batch, so short
games are not over-counted). The policy is any callable
``policy(obs uint8[n, 16], legal bool[n, 4]) -> actions int[n]``; ``ms.evaluate`` wraps
torch models and training runs, ``modelstudio play`` wraps an onnxruntime session, and both
report the same statistics through :func:`play_games`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from modelstudio_widget.exporters.contract import MASKED
from modelstudio_widget.game.engine import legal_moves, new_boards, step, to_exponents
from modelstudio_widget.training.tile_rates import max_tile_rates

Policy = Callable[[np.ndarray, np.ndarray], np.ndarray]
Progress = Callable[[int], None]


def play_games(policy: Policy, games: int = 1000, seed: int = 0, *, batch: int = 1000,
               max_moves: int = 100_000, progress: Progress | None = None) -> dict[str, Any]:
    """Play ``games`` games (``batch`` at a time) and summarise them.

    ``progress(finished)``, if given, is called after every move of the batch in play with
    the number of games finished so far; it may raise to abandon the games (a cancelled
    evaluation), and the exception propagates.

    Returns ``mean_score``, ``se`` (standard error of the mean), ``std``, ``median_score``,
    ``best_score``, ``mean_moves`` and ``max_tile_rates`` ({tile: share of games that
    reached it}, for each tile of ``tile_rates.TILE_THRESHOLDS``). Seeded: the same
    policy and seed give the same games.
    """
    if games < 1:
        raise ValueError("games must be at least 1")
    rng = np.random.default_rng(seed)
    scores: list[np.ndarray] = []
    tiles: list[np.ndarray] = []
    moves: list[np.ndarray] = []
    for start in range(0, games, batch):
        n = min(batch, games - start)
        batch_progress = None if progress is None else (
            lambda finished, start=start: progress(start + finished))
        s, t, m = _play_batch(policy, n, rng, max_moves, batch_progress)
        scores.append(s)
        tiles.append(t)
        moves.append(m)
    score = np.concatenate(scores).astype(np.float64)
    tile = np.concatenate(tiles)
    return {
        "games": games,
        "seed": seed,
        "mean_score": float(score.mean()),
        "se": float(score.std(ddof=1) / math.sqrt(games)) if games > 1 else 0.0,
        "std": float(score.std(ddof=1)) if games > 1 else 0.0,
        "median_score": float(np.median(score)),
        "best_score": int(score.max()),
        "mean_moves": float(np.concatenate(moves).mean()),
        "max_tile_rates": max_tile_rates(tile),
    }


def _play_batch(policy: Policy, n: int, rng: np.random.Generator, max_moves: int,
                progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    boards = new_boards(n, rng)
    score = np.zeros(n, dtype=np.int64)
    moves = np.zeros(n, dtype=np.int64)
    active = np.arange(n)
    for _ in range(max_moves):
        legal = legal_moves(boards[active])
        alive = legal.any(axis=1)
        active, legal = active[alive], legal[alive]
        if progress is not None:
            progress(n - active.size)
        if active.size == 0:
            break
        actions = np.asarray(policy(to_exponents(boards[active]), legal)).astype(np.int64)
        # A policy that picks an illegal move would stall the game: take a legal one.
        bad = ~legal[np.arange(active.size), actions]
        if bad.any():
            actions[bad] = legal[bad].argmax(axis=1)
        new, reward, _ = step(boards[active], actions, rng)
        boards[active] = new
        score[active] += reward
        moves[active] += 1
    max_tile = np.left_shift(1, to_exponents(boards).max(axis=1).astype(np.int64))
    return score, max_tile, moves


def random_policy(seed: int = 0) -> Policy:
    """Uniformly random legal moves (the baseline every agent must beat)."""
    rng = np.random.default_rng(seed)

    def policy(obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
        u = rng.random(legal.shape) * legal
        return u.argmax(axis=1)

    return policy


def move_probabilities(model: Any, obs: np.ndarray, legal: np.ndarray) -> Any:
    """The policy's move probabilities, a torch tensor [n, 4]: softmax over the legal moves
    (an illegal move gets 0). ``model`` in eval mode; ``obs`` uint8 [n, 16] exponents."""
    import torch  # deferred: `modelstudio play` evaluates ONNX files without torch

    with torch.no_grad():
        logits, _ = model(torch.from_numpy(obs))
        return logits.masked_fill(~torch.from_numpy(legal), MASKED).softmax(dim=1)


def torch_policy(model: Any, *, greedy: bool = True) -> Policy:
    """A policy from a ``GameTransformer``: the best legal move (or a sample)."""
    import torch  # deferred, as in move_probabilities

    model.eval()

    def policy(obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
        probs = move_probabilities(model, obs, legal)
        if greedy:
            return probs.argmax(dim=1).numpy()
        return torch.multinomial(probs, 1).squeeze(1).numpy()

    return policy


def evaluate(run_or_model: Any, games: int = 1000, seed: int = 0, *, greedy: bool = True
             ) -> dict[str, Any]:
    """Mean score, its standard error and max-tile rates over ``games`` full games.

    ``run_or_model``: a training ``Run``, a ``PPOTrainer``, a torch model, or a policy
    callable ``(obs, legal) -> actions``.
    """
    model = getattr(run_or_model, "model", run_or_model)
    if hasattr(model, "forward_all") or hasattr(model, "parameters"):
        policy = torch_policy(model, greedy=greedy)
    elif callable(model):
        policy = model
    else:
        raise TypeError(f"cannot evaluate a {type(run_or_model).__name__}: give a run, a "
                        "model or a policy(obs, legal) -> actions callable")
    return play_games(policy, games=games, seed=seed)
