"""Training throughput per template: moves/s and the update's share, side by side with tiny.

The hot path of training is one PPO iteration (rollout + minibatch updates). This runs each
shipped template for the same wall-clock time per round, alternating templates for several
rounds (the machine is shared and noisy: interleaving exposes every template to the same
conditions), and reports medians of

- moves/s over wall-clock time (what a user sees),
- moves/s over the process's CPU time (robust to other load on a shared machine),
- the share of the time spent in the update (the rest is the rollout),
- the ratio of each template's moves/s to the tiny template's, measured in the same run.

    python bench/bench_templates.py                    # 3 rounds of 20 s per template
    python bench/bench_templates.py --seconds 8 --rounds 5 --templates tiny,transformer
    python bench/bench_templates.py --device cuda      # the GPU row (where CUDA is present)
    python bench/bench_templates.py --precision bfloat16
    python bench/bench_templates.py --variant full='{"update_fraction": 1.0}'  # before/after

A ``--variant LABEL=JSON`` (repeatable) adds a row per template trained with those
``PPOConfig`` overrides, in the same alternating rounds as the defaults.

One torch thread and OMP_NUM_THREADS=1, as the trainer uses by default.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

import modelstudio_widget as ms  # noqa: E402
from modelstudio_widget.training.ppo import PPOConfig, PPOTrainer  # noqa: E402

BASELINE = "tiny"


def measure(design: dict, seconds: float, device: str, precision: str = "float32",
            seed: int = 0, overrides: dict | None = None) -> dict[str, float]:
    """Train a fresh trainer for ``seconds`` of wall clock; moves/s and the update's share."""
    trainer = PPOTrainer(design, PPOConfig(**{"seed": seed, "device": device,
                                              "precision": precision, **(overrides or {})}))
    wall0, cpu0 = time.monotonic(), time.process_time()
    while time.monotonic() - wall0 < seconds:
        trainer.set_progress((time.monotonic() - wall0) / seconds)
        trainer.train_iteration(deadline=wall0 + seconds)
    wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
    t = trainer.metrics()["time"]
    return {"params": trainer.model.num_params(), "moves": trainer.global_step,
            "wall_mps": trainer.global_step / wall, "cpu_mps": trainer.global_step / cpu,
            "update_share": t["update_s"] / max(t["rollout_s"] + t["update_s"], 1e-9),
            "wall_s": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="per template and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--templates", default=",".join(ms.templates()))
    parser.add_argument("--device", default="cpu", help='"cpu", "cuda", "cuda:N" or "auto"')
    parser.add_argument("--precision", default="float32", help='"float32" or "bfloat16"')
    parser.add_argument("--variant", action="append", default=[], metavar="LABEL=JSON",
                        help="also train each template with these PPOConfig overrides")
    args = parser.parse_args()
    variants = {"": {}}
    for v in args.variant:
        label, _, overrides = v.partition("=")
        variants[label] = json.loads(overrides)
    torch.set_num_threads(1)
    templates = ms.templates()
    names = [n for n in args.templates.split(",") if n]
    if BASELINE not in names:
        names.insert(0, BASELINE)

    rows = [(f"{n} {label}".strip(), n, over) for n in names
            for label, over in variants.items()]
    runs: dict[str, list[dict[str, float]]] = {row: [] for row, _, _ in rows}
    for r in range(args.rounds):
        for row, name, overrides in rows:
            runs[row].append(measure(templates[name], args.seconds, args.device,
                                     args.precision, seed=r, overrides=overrides))
            last = runs[row][-1]
            print(f"  round {r + 1} {row:<20}{last['wall_mps']:>10,.0f} moves/s wall "
                  f"{last['cpu_mps']:>10,.0f} moves/s cpu  update {last['update_share']:.0%}  "
                  f"({last['wall_s']:.1f} s)", flush=True)

    def med(name: str, key: str) -> float:
        return statistics.median(x[key] for x in runs[name])

    base_wall, base_cpu = med(BASELINE, "wall_mps"), med(BASELINE, "cpu_mps")
    print(f"\nTraining throughput on {args.device}, {args.precision} ({args.rounds} alternating "
          f"rounds of {args.seconds:.0f} s per template, medians, 1 torch thread)")
    print(f"  {'template':<20}{'params':>9}{'moves/s':>10}{'(cpu)':>10}{'update':>8}"
          f"{'x tiny':>8}{'(cpu)':>7}  per round (x tiny, wall)")
    for name, _, _ in rows:
        ratios = [a["wall_mps"] / b["wall_mps"] for a, b in zip(runs[name], runs[BASELINE])]
        print(f"  {name:<20}{runs[name][0]['params']:>9,}{med(name, 'wall_mps'):>10,.0f}"
              f"{med(name, 'cpu_mps'):>10,.0f}{med(name, 'update_share'):>8.0%}"
              f"{med(name, 'wall_mps') / base_wall:>8.2f}{med(name, 'cpu_mps') / base_cpu:>7.2f}"
              f"  {', '.join(f'{x:.2f}' for x in ratios)}")


if __name__ == "__main__":
    main()
