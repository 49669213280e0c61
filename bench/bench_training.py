"""Training benchmarks: Model Studio's PPO vs Stable-Baselines3 PPO, side by side.

1. Throughput: env-steps/s of each trainer for the same wall-clock time (alternating
   rounds, medians), with networks of (nearly) equal size: our "tiny" template (one-hot
   tiles -> 256 hidden -> heads) and SB3's MlpPolicy with net_arch [256, 256] (its
   default PPO settings, 8 envs). Both use one torch thread.
2. Learning: mean score over 1000 evaluation games after the same wall-clock budget, for
   our trainer, SB3 PPO and random play (greedy policies; the evaluator replaces an
   illegal move, which SB3 cannot mask, by a legal one).

    python bench/bench_training.py                   # 30 s throughput, 300 s learning
    python bench/bench_training.py --quick           # 10 s throughput, 60 s learning
    python bench/bench_training.py --skip-learning

Where CUDA is present, the throughput table gets a GPU row: our trainer with
``PPOConfig(device="cuda")`` in the same alternating rounds.

Needs `pip install stable-baselines3` (a benchmark-only dependency).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import modelstudio_widget as ms  # noqa: E402
from modelstudio_widget.training.evaluate import play_games, random_policy  # noqa: E402
from modelstudio_widget.training.ppo import PPOConfig, PPOTrainer  # noqa: E402

DESIGN = "tiny"


def ours(seconds: float, seed: int = 0, device: str = "cpu") -> tuple[PPOTrainer, float]:
    trainer = PPOTrainer(ms.templates()[DESIGN], PPOConfig(seed=seed, device=device))
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        trainer.set_progress((time.monotonic() - start) / seconds)
        trainer.train_iteration(deadline=start + seconds)
    return trainer, trainer.global_step / (time.monotonic() - start)


def sb3(seconds: float, seed: int = 0):  # type: ignore[no-untyped-def]
    import gymnasium as gym
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.env_util import make_vec_env

    class Deadline(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.start = time.perf_counter()

        def _on_step(self) -> bool:
            return time.perf_counter() - self.start < seconds

    # Unmasked agents can repeat an illegal (no-op) move forever: cap episodes.
    env = make_vec_env(lambda: gym.make("ModelStudio/2048-v0", max_episode_steps=2000),
                       n_envs=8, seed=seed)
    model = PPO("MlpPolicy", env, policy_kwargs={"net_arch": [256, 256]}, seed=seed,
                device="cpu", verbose=0)
    cb = Deadline()
    model.learn(total_timesteps=10**9, callback=cb)
    return model, model.num_timesteps / (time.perf_counter() - cb.start)


def sb3_policy(model):  # type: ignore[no-untyped-def]
    def policy(obs: np.ndarray, legal: np.ndarray) -> np.ndarray:
        actions, _ = model.predict(obs.reshape(-1, 4, 4), deterministic=True)
        return np.asarray(actions)

    return policy


def params_of(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--throughput-seconds", type=float, default=None)
    parser.add_argument("--learning-seconds", type=float, default=None)
    parser.add_argument("--skip-learning", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--games", type=int, default=1000)
    args = parser.parse_args()
    tp_s = args.throughput_seconds or (10 if args.quick else 30)
    learn_s = args.learning_seconds or (60 if args.quick else 300)
    torch.set_num_threads(1)

    # Alternate the two trainers for several rounds: the machine is shared and noisy, and
    # interleaving exposes both to the same conditions; report medians.
    ours_rates, sb3_rates, gpu_rates = [], [], []
    for _ in range(args.rounds):
        trainer, sps = ours(tp_s)
        ours_rates.append(sps)
        sb3_model, sps = sb3(tp_s)
        sb3_rates.append(sps)
        if torch.cuda.is_available():
            _, sps = ours(tp_s, device="cuda")
            gpu_rates.append(sps)
    ours_sps, sb3_sps = statistics.median(ours_rates), statistics.median(sb3_rates)
    print(f"\nThroughput ({args.rounds} alternating rounds of {tp_s:.0f} s each, medians, "
          "1 torch thread)")
    print(f"  {'trainer':<28}{'params':>10}{'env-steps/s':>14}  rounds")
    print(f"  {'Model Studio PPO (' + DESIGN + ')':<28}{params_of(trainer.model):>10}"
          f"{ours_sps:>14,.0f}  {', '.join(f'{r:,.0f}' for r in ours_rates)}")
    print(f"  {'SB3 PPO MlpPolicy [256,256]':<28}{params_of(sb3_model.policy):>10}"
          f"{sb3_sps:>14,.0f}  {', '.join(f'{r:,.0f}' for r in sb3_rates)}")
    if gpu_rates:
        name = f"Model Studio PPO ({DESIGN}, {torch.cuda.get_device_name(0)})"
        print(f"  {name[:27]:<28}{params_of(trainer.model):>10}"
              f"{statistics.median(gpu_rates):>14,.0f}  {', '.join(f'{r:,.0f}' for r in gpu_rates)}")
    print(f"  ratio: {ours_sps / sb3_sps:.1f}x (per round: "
          f"{', '.join(f'{a / b:.1f}x' for a, b in zip(ours_rates, sb3_rates))})")

    if args.skip_learning:
        return
    trainer, _ = ours(learn_s)
    sb3_model, _ = sb3(learn_s)
    rows = [
        ("Model Studio PPO", ms.evaluate(trainer.model, games=args.games, seed=0)),
        ("SB3 PPO", play_games(sb3_policy(sb3_model), games=args.games, seed=0)),
        ("random play", play_games(random_policy(0), games=args.games, seed=0)),
    ]
    print(f"\nLearning ({learn_s:.0f} s of training each, {args.games} evaluation games)")
    print(f"  {'agent':<20}{'mean score':>12}{'± se':>8}{'256':>8}{'512':>8}{'1024':>8}")
    for name, r in rows:
        rates = r["max_tile_rates"]
        print(f"  {name:<20}{r['mean_score']:>12,.0f}{r['se']:>8.0f}{rates[256]:>8.1%}"
              f"{rates[512]:>8.1%}{rates[1024]:>8.1%}")
    base = rows[2][1]["mean_score"]
    print(f"  vs random: ours {rows[0][1]['mean_score'] / base:.2f}x, "
          f"SB3 {rows[1][1]['mean_score'] / base:.2f}x")


if __name__ == "__main__":
    main()
