"""Strength benchmark: what an agent is worth after a wall-clock budget (issue 12's table).

1. Headline: our trainer with the default design (``ms.default_design()``, the one the app
   opens with) vs Stable-Baselines3 PPO vs random play, each trained for the same budget in
   the same run and scored over the same evaluation games (greedy policies).
2. Every shipped template: ``ms.train(seconds=S)`` then ``ms.evaluate``: mean score, the
   1024 and 2048 tile rates and training moves/s (the README table "What each template is
   worth" comes from this).

    python bench/bench_strength.py                 # 300 s budgets, 1000 games
    python bench/bench_strength.py --long          # 1800 s headline (templates stay 300 s)
    python bench/bench_strength.py --quick         # 20 s budgets, 100 games: a smoke run
    python bench/bench_strength.py --template-seconds 120 --games 300 --skip-sb3

SB3 needs `pip install stable-baselines3` (a benchmark-only dependency; it reuses
bench_training's SB3 setup). One torch thread per trainer; the machine is shared, so read
moves/s side by side within one run only.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402
from bench_training import sb3, sb3_policy  # noqa: E402

import modelstudio_widget as ms  # noqa: E402
from modelstudio_widget.design.templates import DEFAULT_TEMPLATE  # noqa: E402
from modelstudio_widget.training.config import PPOConfig  # noqa: E402
from modelstudio_widget.training.evaluate import play_games, random_policy  # noqa: E402

RATE_TILES = (512, 1024, 2048, 4096)


def train_template(design: dict[str, Any], seconds: float, workspace: str,
                   overlap: bool = False) -> tuple[Any, float, int]:
    """(the run, training moves/s, parameters) after ``seconds`` of ``ms.train``."""
    run = ms.train(design, seconds=seconds, workspace=workspace, progress=False,
                   config=PPOConfig(overlap=overlap))
    m = run.metrics
    params = sum(p.numel() for p in run.model.parameters())
    return run, m["global_step"] / max(m["elapsed_s"], 1e-9), params


def row(name: str, result: dict[str, Any], extra: str = "") -> str:
    rates = result["max_tile_rates"]
    cells = " | ".join(f"{rates[t]:.1%}" for t in RATE_TILES)
    return f"| {name} | {result['mean_score']:,.0f} ± {result['se']:,.0f} | {cells} |{extra}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 s budgets, 100 games")
    parser.add_argument("--long", action="store_true", help="a 30-minute headline budget")
    parser.add_argument("--seconds", type=float, default=None, help="headline budget")
    parser.add_argument("--template-seconds", type=float, default=None)
    parser.add_argument("--games", type=int, default=None)
    parser.add_argument("--skip-sb3", action="store_true")
    parser.add_argument("--skip-templates", action="store_true")
    parser.add_argument("--skip-headline", action="store_true")
    parser.add_argument("--overlap", choices=("on", "off", "both"), default="off",
                        help="templates: rollout and update overlapped (PPOConfig.overlap); "
                        "both: each template off then on, side by side")
    parser.add_argument("--templates", default="",
                        help="comma-separated template names (default: all)")
    args = parser.parse_args()
    base = 20.0 if args.quick else 300.0
    seconds = args.seconds or (1800.0 if args.long else base)
    template_s = args.template_seconds or base
    games = args.games or (100 if args.quick else 1000)
    torch.set_num_threads(1)
    workspace = tempfile.mkdtemp(prefix="bench_strength_")
    header = "| agent | mean score | " + " | ".join(f"{t}" for t in RATE_TILES) + " |"
    rule = "|---|---|" + "---|" * len(RATE_TILES)

    start = time.monotonic()
    if not args.skip_headline:
        run, _, _ = train_template(ms.default_design(), seconds, workspace)
        trainer = "TD(0)" if run.trainer.td is not None else "PPO"
        rows = [row(f"Model Studio {trainer} ({DEFAULT_TEMPLATE})",
                    ms.evaluate(run, games=games))]
        if not args.skip_sb3:
            model, _ = sb3(seconds)
            rows.append(row("SB3 PPO (MlpPolicy [256, 256])",
                            play_games(sb3_policy(model), games=games)))
        rows.append(row("random play", play_games(random_policy(0), games=games)))
        print(f"\nAfter {seconds:.0f} s of training, {games} evaluation games")
        print("\n".join([header, rule, *rows]), flush=True)

    if args.skip_templates:
        return
    print(f"\nEvery template after {template_s:.0f} s, {games} evaluation games")
    print("| template | overlap | params | moves/s | mean score | " +
          " | ".join(f"{t}" for t in RATE_TILES) + " |")
    print("|---|---|---|---|---|" + "---|" * len(RATE_TILES), flush=True)
    wanted = set(filter(None, args.templates.split(",")))
    modes = {"on": (True,), "off": (False,), "both": (False, True)}[args.overlap]
    for name, design in ms.templates().items():
        if wanted and name not in wanted:
            continue
        for overlap in modes:
            run, rate, params = train_template(design, template_s, workspace, overlap)
            result = ms.evaluate(run, games=games)
            rates = result["max_tile_rates"]
            print(f"| {name} | {'on' if overlap else 'off'} | {params:,} | {rate:,.0f} | "
                  f"{result['mean_score']:,.0f} ± {result['se']:,.0f} | " +
                  " | ".join(f"{rates[t]:.1%}" for t in RATE_TILES) + " |", flush=True)
    print(f"\n(total {time.monotonic() - start:.0f} s)")


if __name__ == "__main__":
    main()
