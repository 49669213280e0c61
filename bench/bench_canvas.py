"""Frame times of the canvas while pinching and panning a 200-block design on a phone
(390x844, touch), Chromium CPU-throttled 4x, against a real Voilà server.

    python bench/bench_canvas.py [--blocks 200] [--baseline-blocks 20] [--seconds 4] [--throttle 4]

Prints the median and p95 frame interval (ms) per phase: gestures at zoom >= 0.4 (full
cards) and below 0.4 (plain rectangles), for the big design and, side by side, the same
gestures on a small one (the baseline), with their ratio. 16.7 ms is 60 fps. Numbers from
a shared, noisy machine: compare runs made side by side.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from voila_server import free_port, launch  # noqa: E402

from modelstudio_widget.store import Store  # noqa: E402

LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
COLS = 10


def big_design(n: int) -> dict:
    """A chain of ``n`` blocks in a grid: input, transformer layers, output."""
    comps = [{"id": "in", "type": "board_input", "props": {}, "position": {"x": 0, "y": 0}}]
    for i in range(1, n - 1):
        comps.append({"id": f"t{i}", "type": "transformer_layer",
                      "props": {"d_model": 32, "n_heads": 4},
                      "position": {"x": (i % COLS) * 256, "y": (i // COLS) * 128}})
    comps.append({"id": "out", "type": "action_output", "props": {},
                  "position": {"x": 0, "y": ((n - 1) // COLS + 1) * 128}})
    ids = [c["id"] for c in comps]
    return {"schema_version": 1, "name": f"{n} blocks", "meta": {"d_model": 32},
            "components": comps, "edges": [[a, b] for a, b in zip(ids, ids[1:], strict=False)]}


FRAME_PROBE = """() => { window.__frames = []; let last = performance.now();
  const tick = (t) => { window.__frames.push(t - last); last = t;
    if (window.__recording) requestAnimationFrame(tick); };
  window.__recording = true; requestAnimationFrame(tick); }"""


def p95(frames: list[float]) -> float:
    frames = sorted(frames[2:])  # the first frames include the probe's start
    return frames[min(len(frames) - 1, int(0.95 * len(frames)))] if frames else float("nan")


def summary(frames: list[float]) -> str:
    high = p95(frames)
    frames = sorted(frames[2:])
    if not frames:
        return "no frames"
    # Frame times come in vsync multiples (16.7, 33.3, ...): the share of late frames
    # (a vsync missed) moves where p95 cannot.
    late = sum(f > 20 for f in frames) / len(frames)
    return (f"median {statistics.median(frames):5.1f} ms  p95 {high:5.1f} ms  "
            f"late {late:5.1%}  ({len(frames)} frames)")


def measure(blocks: int, seconds: float, throttle: float) -> dict[str, list[float]]:
    """Frame intervals (ms) per phase for a ``blocks``-block design on a fresh server."""
    from playwright.sync_api import sync_playwright

    ws = Path(tempfile.mkdtemp(prefix="bench-ws-"))
    Store.in_workspace(ws).create_design(big_design(blocks))
    port = free_port()
    proc = launch(port=port, workspace=ws)
    results: dict[str, list[float]] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
            ctx = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True,
                                      is_mobile=True, device_scale_factor=3)
            page = ctx.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector("[data-testid=canvas] .react-flow__node", timeout=60_000)
            page.wait_for_function(
                "() => document.querySelector('.ms-root').__studio.store.getState()"
                f".history.present.components.length === {blocks}", timeout=60_000)
            time.sleep(1.0)  # the first layout and fit
            cdp = ctx.new_cdp_session(page)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
            box = page.get_by_test_id("canvas").bounding_box()
            cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

            def touch(kind: str, pts: list[tuple[float, float]]) -> None:
                cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [
                    {"x": x, "y": y, "id": i} for i, (x, y) in enumerate(pts)]})

            def gesture(d0: float, d1: float, dx: float, steps: int = 30) -> None:
                """Two fingers: pinch from d0 to d1 apart while panning by dx."""
                def pts(t: float) -> list[tuple[float, float]]:
                    d = d0 + (d1 - d0) * t
                    x = cx + dx * t
                    return [(x, cy - d / 2), (x, cy + d / 2)]
                touch("touchStart", pts(0))
                for i in range(1, steps + 1):
                    touch("touchMove", pts(i / steps))
                    time.sleep(0.016)  # a finger reports about every 16 ms
                touch("touchEnd", [])

            def zoom() -> float:
                return float(page.get_by_test_id("canvas").get_attribute("data-zoom"))

            def phase(target_low: bool) -> list[float]:
                # get to the phase's zoom range first
                for _ in range(8):
                    z = zoom()
                    if target_low and z < 0.35:
                        break
                    if not target_low and 0.7 <= z <= 1.4:
                        break
                    if target_low:
                        gesture(300, 120, 0, steps=10)
                    else:
                        gesture(120, 240, 0, 10) if z < 0.7 else gesture(240, 160, 0, 10)
                page.evaluate(FRAME_PROBE)
                t_end = time.monotonic() + seconds
                flip = 1
                while time.monotonic() < t_end:
                    if target_low:
                        gesture(200, 160, 60 * flip)
                        gesture(160, 200, -60 * flip)
                    else:
                        gesture(200, 230, 80 * flip)
                        gesture(230, 200, -80 * flip)
                    flip = -flip
                return page.evaluate(
                    "() => { window.__recording = false; return window.__frames; }")

            for name, low in PHASES:
                results[name] = phase(low)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return results


PHASES = (("pinch+pan, full cards (zoom>=0.4)", False), ("pinch+pan, rectangles (zoom<0.4)", True))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--blocks", type=int, default=200)
    ap.add_argument("--baseline-blocks", type=int, default=20,
                    help="the same gestures on a small design, run side by side (0: none)")
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--throttle", type=float, default=4.0)
    args = ap.parse_args()

    print(f"CPU throttled {args.throttle:g}x, {args.seconds:g} s per phase, phone 390x844 touch")
    base_runs = measure(args.baseline_blocks, args.seconds, args.throttle) \
        if args.baseline_blocks else None
    big_runs = measure(args.blocks, args.seconds, args.throttle)
    for name, _ in PHASES:
        big = big_runs[name]
        print(name)
        print(f"  {args.blocks:>4} blocks  {summary(big)}")
        if base_runs is None:
            continue
        base = base_runs[name]
        print(f"  {args.baseline_blocks:>4} blocks  {summary(base)}")
        print(f"  ratio {args.blocks}/{args.baseline_blocks}: median "
              f"{statistics.median(big[2:]) / statistics.median(base[2:]):.2f}x, "
              f"p95 {p95(big) / p95(base):.2f}x  (1.00x: the size costs nothing)")


if __name__ == "__main__":
    main()
