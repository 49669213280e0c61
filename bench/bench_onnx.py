"""Which ONNX exporter writes the faster graph? Legacy (TorchScript) vs dynamo, side by side
with torch eager, on every template design plus a sparse-routing MoE.

    python bench/bench_onnx.py [--rounds 7] [--json out.json]

Each graph goes through the same parity gate as ``ms.export`` first. Timings: onnxruntime
CPU with one intra-op thread and torch with one thread (FINDINGS: threads on a 2-core box),
median milliseconds per call at batch 1 and 256, measured in interleaved rounds so that
machine noise hits every variant alike. Fresh weights (seeded): speed does not depend on
their values.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch

import modelstudio_widget as ms
from modelstudio_widget.exporters.contract import ONNX_OUTPUTS
from modelstudio_widget.exporters.onnx_agent import make_session
from modelstudio_widget.exporters.onnx_graph import (
    EXPORTERS,
    PolicyGraph,
    check_graph,
    random_inputs,
    to_onnx,
)
from modelstudio_widget.exporters.source import rebuild

BATCHES = (1, 256)


def designs() -> dict[str, dict]:
    out = dict(ms.templates())
    sparse = copy.deepcopy(out["moe"])
    for c in sparse["components"]:
        if c["type"] == "moe_layer":
            c["props"]["routing"] = "sparse"
    out["moe (sparse)"] = sparse
    return out


def timed(fn: Callable[..., object], args: tuple, calls: int) -> list[float]:
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn(*args)
        times.append((time.perf_counter() - start) * 1e3)
    return times


def bench_design(design: dict, rounds: int) -> dict[str, dict[int, float]]:
    torch.manual_seed(0)
    model = rebuild(design, None)
    runners: dict[str, Callable[[np.ndarray, np.ndarray], object]] = {}
    export_s = {}
    for exporter in EXPORTERS:
        start = time.perf_counter()
        data, _ = check_graph(to_onnx(model, exporter), model)  # the parity gate
        export_s[exporter] = time.perf_counter() - start
        session = make_session(data)
        runners[exporter] = (lambda s: lambda b, m: s.run(list(ONNX_OUTPUTS),
                                                          {"board": b, "action_mask": m}))(session)
    graph = PolicyGraph(model).eval()

    @torch.no_grad()
    def eager(b: np.ndarray, m: np.ndarray) -> object:
        return graph(torch.from_numpy(b), torch.from_numpy(m))

    runners["torch"] = eager
    result: dict[str, dict[int, float]] = {name: {} for name in runners}
    for batch in BATCHES:
        boards, mask = random_inputs(batch, seed=batch)
        calls = 50 if batch == 1 else 6
        samples: dict[str, list[float]] = {name: [] for name in runners}
        for fn in runners.values():
            timed(fn, (boards, mask), 3)  # warm up
        for _ in range(rounds):
            for name, fn in runners.items():
                samples[name] += timed(fn, (boards, mask), calls)
        for name, values in samples.items():
            result[name][batch] = statistics.median(values)
    result["export_s"] = export_s
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", help="also write the numbers to this file")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, load average {os.getloadavg()[0]:.2f}, "
          f"{os.cpu_count()} CPUs; median ms per call")
    header = f"{'design':14} " + " ".join(f"{n + ' b=' + str(b):>16}" for b in BATCHES
                                         for n in (*EXPORTERS, "torch"))
    print(header + "   export s (legacy/dynamo)")
    table = {}
    for name, design in designs().items():
        r = bench_design(design, args.rounds)
        table[name] = r
        cells = " ".join(f"{r[n][b]:16.3f}" for b in BATCHES for n in (*EXPORTERS, "torch"))
        exp = "/".join(f"{r['export_s'][e]:.1f}" for e in EXPORTERS)
        print(f"{name:14} {cells}   {exp}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(table, f, indent=1)


if __name__ == "__main__":
    main()
