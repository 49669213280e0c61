"""Sweep throughput: ``sweep`` on Ray Tune vs the same trials run one after another.

Both sides train the same points of the same space (the tiny template over hidden widths
and learning rates) for the same budget per trial, with the same PPO settings. Reported:
trials per minute and env-steps/s summed over the trials, both per second of wall clock
of the whole thing (Ray's start, trial start-up and recording included on the Ray side;
building each trainer included on the sequential side).

    python bench/bench_sweep.py                  # 4 trials x 10 s
    python bench/bench_sweep.py --seconds 30 --cpus 2
"""

from __future__ import annotations

import argparse
import itertools
import os
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

import modelstudio_widget as ms  # noqa: E402
from modelstudio_widget.sweeps import sweep  # noqa: E402
from modelstudio_widget.sweeps.driver import start_local_ray  # noqa: E402
from modelstudio_widget.sweeps.space import parse_space  # noqa: E402
from modelstudio_widget.sweeps.trial import TrialPlan  # noqa: E402
from modelstudio_widget.training.ppo import PPOConfig, PPOTrainer  # noqa: E402

SPACE = {("policy", "hidden"): [64, 128], "learning_rate": [1e-3, 3e-3]}


def sequential(plan: TrialPlan, points: list[dict]) -> tuple[float, int]:
    """Each point trained in this process, one after another: (wall s, moves)."""
    start = time.perf_counter()
    moves = 0
    for values in points:
        design, config = plan.point(values)
        trainer = PPOTrainer(design, config)
        began = time.monotonic()
        while plan.progress(time.monotonic() - began, trainer.global_step) < 1.0:
            trainer.set_progress(plan.progress(time.monotonic() - began, trainer.global_step))
            trainer.train_iteration()
        moves += trainer.global_step
    return time.perf_counter() - start, moves


def on_ray(design: dict, seconds: float, config: PPOConfig, cpus: int | None
           ) -> tuple[float, float, int, int]:
    """The same trials as one sweep: (Ray's start s, the sweep's wall s, moves, trials)."""
    import ray

    start = time.perf_counter()
    start_local_ray(cpus)
    started = time.perf_counter() - start
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as ws:
        result = sweep(design, SPACE, seconds=seconds, config=config, workspace=ws,
                       progress=False)
    wall = time.perf_counter() - start
    ray.shutdown()
    return started, wall, sum(r.global_step for r in result.results), len(result.results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="budget per trial")
    parser.add_argument("--cpus", type=int, default=None,
                        help="CPUs of the local Ray instance (default: this machine's)")
    parser.add_argument("--num-envs", type=int, default=256)
    args = parser.parse_args()
    design = ms.templates()["tiny"]
    config = PPOConfig(num_envs=args.num_envs)
    axes = parse_space(design, SPACE)
    plan = TrialPlan(design, config.to_dict(), tuple(axes), args.seconds, None, "mean_score")
    points = [dict(zip([a.label for a in axes], combo))
              for combo in itertools.product(*(a.distribution.values for a in axes))]

    seq_wall, seq_moves = sequential(plan, points)
    ray_start, ray_wall, ray_moves, ray_trials = on_ray(design, args.seconds, config,
                                                        args.cpus)
    print(f"{len(points)} trials of the tiny template, {args.seconds:g} s each, "
          f"num_envs={args.num_envs}, {os.cpu_count()} CPUs; Ray started in {ray_start:.1f} s")
    print(f"{'':22}{'wall s':>9}{'trials/min':>12}{'env-steps/s':>13}")
    rows = (("sequential", seq_wall, seq_moves, len(points)),
            ("ray tune", ray_start + ray_wall, ray_moves, ray_trials),
            ("ray tune, Ray running", ray_wall, ray_moves, ray_trials))
    for label, wall, moves, n in rows:
        print(f"{label:22}{wall:9.1f}{60 * n / wall:12.2f}{moves / wall:13,.0f}")
    for label, wall, moves, n in rows[1:]:
        print(f"{label} / sequential: {(n / wall) / (len(points) / seq_wall):.2f}x trials/min,"
              f" {(moves / wall) / (seq_moves / seq_wall):.2f}x env-steps/s")


if __name__ == "__main__":
    main()
