"""The edit round trip: the page sets ``design`` + ``design_seq``, the kernel validates (and
autosaves) it, the ``validation`` trait with that seq comes back. Under ``modelstudio serve``
(websocket no-delay) and under stock Voilà side by side, same notebook, same machine.

    python bench/bench_roundtrip.py [--edits 60] [--gap-ms 30]

Timed inside the page (performance.now() around model.save_changes() and the change
event), so the browser driver adds nothing. Prints median and p95 per server and the
ratio. FINDINGS: stock Voilà waits ~45 ms per round trip for Nagle's algorithm.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from voila_server import free_port, launch, stop  # noqa: E402

from modelstudio_widget.store import Store  # noqa: E402

LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

# Runs in the page: `n` edits one after another (each waits for its answer), `gap` ms apart.
# An edit moves one block by a grid step, so every design differs and stays valid.
ROUND_TRIPS = """async ([n, gap]) => {
  const model = document.querySelector('.ms-root').__studio.bridge.model;
  const times = [];
  let seq = (model.get('design_seq') || 0) + 1000;
  for (let i = 0; i < n; i++) {
    const design = structuredClone(model.get('design'));
    const c = design.components[0];
    c.position = { x: c.position.x + (i % 2 ? -32 : 32), y: c.position.y };
    seq += 1;
    const want = seq;
    const done = new Promise((resolve) => {
      const onChange = () => {
        const v = model.get('validation');
        if (v && v.seq === want) { model.off('change:validation', onChange); resolve(performance.now()); }
      };
      model.on('change:validation', onChange);
    });
    const t0 = performance.now();
    model.set('design', design);
    model.set('design_seq', want);
    model.save_changes();
    times.push((await done) - t0);
    await new Promise((r) => setTimeout(r, gap));
  }
  return times;
}"""


def wait_http(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("HEAD", "/api")
            conn.getresponse()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def launch_stock(port: int, workspace: Path) -> subprocess.Popen[bytes]:
    """Plain ``voila notebooks/model_studio.ipynb``: no no-delay patch, default settings."""
    env = {**os.environ, "MODELSTUDIO_WORKSPACE": str(workspace), "OMP_NUM_THREADS": "1"}
    voila = Path(sys.executable).with_name("voila")
    cmd = [str(voila), str(ROOT / "notebooks" / "model_studio.ipynb"), f"--port={port}",
           "--no-browser", "--Voila.ip=127.0.0.1"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    wait_http(port, proc)
    return proc


def summary(ms: list[float]) -> tuple[float, float]:
    s = sorted(ms)
    return statistics.median(s), s[min(len(s) - 1, int(round(0.95 * (len(s) - 1))))]


def measure(browser, url: str, edits: int, gap_ms: int) -> list[float]:  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True,
                              is_mobile=True, device_scale_factor=3)
    page = ctx.new_page()
    page.goto(url)
    page.wait_for_selector("[data-testid=canvas] .react-flow__node", timeout=90_000)
    page.evaluate(ROUND_TRIPS, [5, gap_ms])  # warm up: first messages, JIT, autosave path
    times = page.evaluate(ROUND_TRIPS, [edits, gap_ms])
    ctx.close()
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--edits", type=int, default=60)
    ap.add_argument("--gap-ms", type=int, default=30)
    args = ap.parse_args()
    if args.edits < 50:
        ap.error("--edits must be at least 50 for a meaningful p95")

    from playwright.sync_api import sync_playwright

    import modelstudio_widget as ms

    spaces = {name: Path(tempfile.mkdtemp(prefix=f"bench-rt-{name}-"))
              for name in ("serve", "stock")}
    for ws in spaces.values():
        Store.in_workspace(ws).create_design(ms.templates()["moe"])
    ports = {name: free_port() for name in spaces}
    procs = {"serve": launch(port=ports["serve"], workspace=spaces["serve"])}
    results: dict[str, list[float]] = {}
    try:
        procs["stock"] = launch_stock(ports["stock"], spaces["stock"])
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
            for name in ("serve", "stock"):
                results[name] = measure(browser, f"http://127.0.0.1:{ports[name]}/",
                                        args.edits, args.gap_ms)
            browser.close()
    finally:
        for proc in procs.values():
            stop(proc)

    print(f"edit -> kernel validation -> page, {args.edits} edits each, "
          f"{args.gap_ms} ms apart (MoE template design)")
    rows = {}
    for name, label in (("serve", "modelstudio serve (no-delay)"),
                        ("stock", "stock voila")):
        med, p95 = summary(results[name])
        rows[name] = (med, p95)
        print(f"  {label:<30} median {med:6.1f} ms   p95 {p95:6.1f} ms   "
              f"min {min(results[name]):5.1f} ms")
    print(f"  ratio stock/serve: median {rows['stock'][0] / rows['serve'][0]:.1f}x, "
          f"p95 {rows['stock'][1] / rows['serve'][1]:.1f}x")


if __name__ == "__main__":
    main()
