"""Validation speed: ``ms.validate`` on designs of growing size, side by side with the cost
of merely parsing the same payload (``json.loads``), the floor any check pays.

    python bench/bench_validate.py            # medians of 15 runs
    python bench/bench_validate.py --quick

The requirement it watches: a 10,000-block payload is answered well under a second.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import modelstudio_widget as ms


def chain(n: int) -> dict:
    comps = [{"id": "in", "type": "board_input", "props": {}}]
    comps += [{"id": f"t{i}", "type": "transformer_layer",
               "props": {"d_model": 32, "n_heads": 4}, "position": {"x": 0, "y": 96 * i}}
              for i in range(n)]
    comps.append({"id": "out", "type": "action_output", "props": {}})
    ids = [c["id"] for c in comps]
    return {"schema_version": 1, "id": "bench", "name": "bench", "components": comps,
            "edges": [[a, b] for a, b in zip(ids, ids[1:])]}


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeats = 5 if args.quick else 15
    cases = {"template (tiny)": ms.default_design(), "50 blocks": chain(50),
             "500 blocks": chain(500), "10,000 blocks": chain(10_000)}
    print(f"{'design':<18}{'validate ms':>13}{'json.loads ms':>15}{'ratio':>8}  result")
    for name, design in cases.items():
        text = json.dumps(design)
        v = median_ms(lambda d=design: ms.validate(d), repeats)
        j = median_ms(lambda t=text: json.loads(t), repeats)
        result = ms.validate(design)
        verdict = "valid" if result.valid else ",".join(result.error_codes)
        print(f"{name:<18}{v:>13.2f}{j:>15.2f}{v / j:>7.1f}x  {verdict}")


if __name__ == "__main__":
    main()
