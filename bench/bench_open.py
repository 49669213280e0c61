"""Time to open the phone app: Model Studio under ``modelstudio serve`` against stock Voilà
serving a notebook with a single ipywidgets button, side by side, in phone-emulated
Chromium.

    python bench/bench_open.py [--loads 5]

Each round opens both pages, in alternating order: a *cold* load (a new browser context:
empty cache, nothing stored) and then a *reload* of the same page (the browser's cache and
storage kept). Every load starts a kernel of its own (or takes one from a preheated pool);
the bench shuts the page's kernel down after each load, as culling would, so kernels do not
pile up between loads.

Times are taken inside the page (``performance.now()`` from the navigation's start, checked
on every animation frame), so the browser driver adds nothing:
- *drawn*: the design's blocks on screen, in the studio or in the notebook's preview of
  the design (stock: the button on screen);
- *usable*: the studio is mounted (its canvas shows the blocks) and the header shows the
  param count: the page can be edited (the served app: before the kernel's widget
  connects, validated locally or as the page's boot snapshot says);
- *synced*: usable, and the header shows the kernel's validation (``.ms-sync-kernel``).
Stock Voilà's three are the button on screen. Also noted: *kernel_ws*, when the page's
kernel websocket opened. Prints medians per server and the ratios, plus the sizes (raw and
gzip) of the widget bundle and of the served app's bundle (entry, chunks and stylesheet).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from bench_roundtrip import LAUNCH_ARGS, wait_http  # noqa: E402
from voila_server import free_port, launch, stop  # noqa: E402

from modelstudio_widget.app_static import APP_DIR, MANIFEST  # noqa: E402
from modelstudio_widget.store import Store  # noqa: E402

STATIC = ROOT / "modelstudio_widget" / "static"
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True,
         "device_scale_factor": 3}
OPEN_TIMEOUT_MS = 120_000

STUDIO = ["[data-testid=canvas] .react-flow__node",
          "[data-testid=param-count][data-params]:not([data-params=''])"]
#: What counts as drawn, usable and synced, per server: CSS selectors that must all match.
PROBES: dict[str, dict[str, list[str]]] = {
    "serve": {
        # The studio's canvas, or the notebook's preview of the design (in the HTML).
        "drawn": ["[data-testid=canvas] .react-flow__node, "
                  "[data-testid=open-preview] [data-testid^=preview-block-]"],
        # Whoever validated it (the worker, or the kernel's result in the page's boot
        # snapshot): while connecting, the header's sync dot says "connecting" (Header.tsx).
        "usable": STUDIO,
        "synced": [*STUDIO, ".ms-sync-kernel"],
    },
    "stock": {name: [".widget-button"] for name in ("drawn", "usable", "synced")},
}
STAGES = ("drawn", "usable", "synced")

# Runs before the page's own scripts on every navigation: notes the first frame at which
# each probe's selectors all match, and when the kernel's websocket opens.
MARK_SCRIPT = """(probes) => {
  const marks = (window.__openMarks = {});
  const NativeSocket = window.WebSocket;
  window.WebSocket = class extends NativeSocket {
    constructor(...args) {
      super(...args);
      if (String(args[0]).includes("/api/kernels/")) {
        this.addEventListener("open", () => {
          if (marks.kernel_ws === undefined) marks.kernel_ws = performance.now();
        });
      }
    }
  };
  const tick = () => {
    const t = performance.now();
    let pending = false;
    for (const [name, sels] of Object.entries(probes)) {
      if (marks[name] !== undefined) continue;
      if (sels.every((s) => document.querySelector(s))) marks[name] = t;
      else pending = true;
    }
    if (pending) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""

ONE_BUTTON_NOTEBOOK = {
    "cells": [{"cell_type": "code", "execution_count": None, "id": "button", "metadata": {},
               "outputs": [],
               "source": ["import ipywidgets as widgets\n",
                          "widgets.Button(description='Click me')"]}],
    "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                "name": "python3"}},
    "nbformat": 4, "nbformat_minor": 5,
}


def launch_one_button(port: int, folder: Path) -> subprocess.Popen[bytes]:
    """Stock ``voila one_button.ipynb``: default settings, no voila.json."""
    notebook = folder / "one_button.ipynb"
    notebook.write_text(json.dumps(ONE_BUTTON_NOTEBOOK))
    voila = Path(sys.executable).with_name("voila")
    cmd = [str(voila), str(notebook), f"--port={port}", "--no-browser",
           "--Voila.ip=127.0.0.1"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, cwd=folder, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    wait_http(port, proc)
    return proc


def bundle_sizes(files: list[Path]) -> tuple[int, int]:
    """(bytes, gzip bytes) of ``files``, together."""
    raw = sum(f.stat().st_size for f in files)
    zipped = sum(len(gzip.compress(f.read_bytes(), compresslevel=6)) for f in files)
    return raw, zipped


class Opener:
    """Loads one server's page and times it; shuts each load's kernel down afterwards."""

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.url = url
        self.kernels: list[str] = []

    def _watch_kernels(self, page: Any) -> None:
        def on_socket(ws: Any) -> None:
            parts = ws.url.split("/api/kernels/")
            if len(parts) == 2:
                self.kernels.append(parts[1].split("/")[0])
        page.on("websocket", on_socket)

    def _marks(self, page: Any) -> dict[str, float]:
        page.wait_for_function("() => window.__openMarks && window.__openMarks.synced "
                               "!== undefined", timeout=OPEN_TIMEOUT_MS)
        return page.evaluate("() => window.__openMarks")

    def _shutdown_kernel(self, page: Any) -> None:
        """What closing the tab should do (voila issue 1458: it does not)."""
        while self.kernels:
            kid = self.kernels.pop()
            page.evaluate("""async (kid) => {
              const xsrf = (document.cookie.match(/\\b_xsrf=([^;]*)/) || [])[1] || '';
              await fetch(`/voila/api/shutdown/${kid}?_xsrf=${xsrf}`,
                          {method: 'POST', headers: {'X-XSRFToken': xsrf}});
            }""", kid)

    def cold_then_reload(self, browser: Any) -> tuple[dict[str, float], dict[str, float]]:
        ctx = browser.new_context(**PHONE)
        ctx.add_init_script(script=f"({MARK_SCRIPT})({json.dumps(PROBES[self.name])})")
        page = ctx.new_page()
        self._watch_kernels(page)
        page.goto(self.url)
        cold = self._marks(page)
        self._shutdown_kernel(page)
        page.reload()
        again = self._marks(page)
        self._shutdown_kernel(page)
        ctx.close()
        return cold, again


def kernel_processes(server: subprocess.Popen[bytes]) -> list[Any]:
    """The server's kernels still running (preheated ones included)."""
    import psutil

    try:
        children = psutil.Process(server.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return [c for c in children if "ipykernel" in " ".join(c.cmdline())]


def median(rows: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def row(marks: dict[str, float]) -> str:
    ws = marks.get("kernel_ws")
    return " ".join(f"{stage} {marks[stage]:6.0f}" for stage in STAGES) + (
        f" kernel_ws {ws:6.0f}" if ws is not None else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--loads", type=int, default=5, help="cold loads (and reloads) per page")
    ap.add_argument("--settle-s", type=float, default=2.0,
                    help="pause between loads (a preheated pool refills in it)")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    import modelstudio_widget as ms

    workspace = Path(tempfile.mkdtemp(prefix="bench-open-ws-"))
    Store.in_workspace(workspace).create_design(ms.templates()["moe"])
    stock_dir = Path(tempfile.mkdtemp(prefix="bench-open-stock-"))
    ports = {"serve": free_port(), "stock": free_port()}
    procs = {"serve": launch(port=ports["serve"], workspace=workspace)}
    results: dict[str, dict[str, list[dict[str, float]]]] = {
        name: {"cold": [], "reload": []} for name in ports}
    try:
        procs["stock"] = launch_one_button(ports["stock"], stock_dir)
        openers = {name: Opener(name, f"http://127.0.0.1:{port}/")
                   for name, port in ports.items()}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=LAUNCH_ARGS)
            time.sleep(args.settle_s)  # a preheated pool fills before the first visit
            for i in range(args.loads):
                order = ("serve", "stock") if i % 2 == 0 else ("stock", "serve")
                for name in order:
                    cold, again = openers[name].cold_then_reload(browser)
                    results[name]["cold"].append(cold)
                    results[name]["reload"].append(again)
                    print(f"  round {i + 1} {name:<5} cold {row(cold)} | reload {row(again)} ms",
                          flush=True)
                    time.sleep(args.settle_s)
            browser.close()
        time.sleep(args.settle_s)
        left = {name: kernel_processes(proc) for name, proc in procs.items()}
        left_mb = {name: sum(k.memory_info().rss for k in kernels) / 2**20
                   for name, kernels in left.items()}
    finally:
        for proc in procs.values():
            stop(proc)

    print(f"\nopen the page, phone-emulated Chromium, median of {args.loads} alternating "
          "loads each (ms from navigation start)")
    for kind in ("cold", "reload"):
        stock = median(results["stock"][kind], "synced")
        studio = {stage: median(results["serve"][kind], stage) for stage in STAGES}
        print(f"  {kind:<6} stock voila one button {stock:6.0f}   model studio " + "  ".join(
            f"{stage} {t:6.0f} ({t / stock:.2f}x)" for stage, t in studio.items()))
    raw, zipped = bundle_sizes(sorted(STATIC.glob("*.js")))
    print(f"  widget bundle (widget.js): {raw / 1024:.0f} KB, {zipped / 1024:.0f} KB gzip")
    if (APP_DIR / MANIFEST).is_file():
        manifest = json.loads((APP_DIR / MANIFEST).read_text())
        # The build's own files (the folder also keeps the previous build's).
        app_files = [APP_DIR / name for name in manifest.get("files", [])]
        raw, zipped = bundle_sizes(app_files)
        print(f"  app bundle (static/app: {len(app_files)} files, entry + chunks + css): "
              f"{raw / 1024:.0f} KB, {zipped / 1024:.0f} KB gzip")
        first = [manifest["js"], manifest["css"], *manifest.get("preload", [])]
        raw, zipped = bundle_sizes([APP_DIR / name for name in first])
        print(f"    of which before the studio shows (entry, css, {len(first) - 2} preloaded "
              f"chunks): {raw / 1024:.0f} KB, {zipped / 1024:.0f} KB gzip")
    else:
        print("  app bundle: not built (static/app/ is empty: npm run build)")
    for name, kernels in left.items():
        print(f"  {name}: {len(kernels)} kernel(s) running after the loads, "
              f"{left_mb[name]:.0f} MB")


if __name__ == "__main__":
    main()
