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
- *usable*: drawn, and the header shows the kernel's validation (param count of record).
Prints medians per server and the ratios, plus the widget bundle's size and gzip size.
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

from modelstudio_widget.store import Store  # noqa: E402

STATIC = ROOT / "modelstudio_widget" / "static"
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True,
         "device_scale_factor": 3}
OPEN_TIMEOUT_MS = 120_000

#: What counts as drawn and usable, per server: CSS selectors that must all match.
PROBES: dict[str, dict[str, list[str]]] = {
    "serve": {
        # The studio's canvas, or the notebook's preview of the design (in the HTML).
        "drawn": ["[data-testid=canvas] .react-flow__node, "
                  "[data-testid=open-preview] [data-testid^=preview-block-]"],
        "usable": ["[data-testid=canvas] .react-flow__node", ".ms-sync-kernel",
                   "[data-testid=param-count][data-params]:not([data-params=''])"],
    },
    "stock": {
        "drawn": [".widget-button"],
        "usable": [".widget-button"],
    },
}

# Runs before the page's own scripts on every navigation: notes the first frame at which
# each probe's selectors all match.
MARK_SCRIPT = """(probes) => {
  const marks = (window.__openMarks = {});
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


def bundle_sizes() -> tuple[int, int]:
    """(bytes, gzip bytes) of the widget's JavaScript, every chunk included."""
    files = sorted(STATIC.glob("*.js"))
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
        page.wait_for_function("() => window.__openMarks && window.__openMarks.usable "
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
                    print(f"  round {i + 1} {name:<5} cold drawn {cold['drawn']:6.0f} "
                          f"usable {cold['usable']:6.0f} | reload drawn {again['drawn']:6.0f} "
                          f"usable {again['usable']:6.0f} ms", flush=True)
                    time.sleep(args.settle_s)
            browser.close()
        time.sleep(args.settle_s)
        left = {name: kernel_processes(proc) for name, proc in procs.items()}
        left_mb = {name: sum(k.memory_info().rss for k in kernels) / 2**20
                   for name, kernels in left.items()}
    finally:
        for proc in procs.values():
            stop(proc)

    raw, zipped = bundle_sizes()
    print(f"\nopen the page, phone-emulated Chromium, median of {args.loads} alternating "
          "loads each (ms from navigation start)")
    for kind in ("cold", "reload"):
        stock = median(results["stock"][kind], "usable")
        drawn = median(results["serve"][kind], "drawn")
        usable = median(results["serve"][kind], "usable")
        print(f"  {kind:<6} stock voila one button {stock:6.0f}   model studio drawn "
              f"{drawn:6.0f} ({drawn / stock:.2f}x)  usable {usable:6.0f} "
              f"({usable / stock:.2f}x)")
    print(f"  bundle: {raw / 1024:.0f} KB, {zipped / 1024:.0f} KB gzip")
    for name, kernels in left.items():
        print(f"  {name}: {len(kernels)} kernel(s) running after the loads, "
              f"{left_mb[name]:.0f} MB")


if __name__ == "__main__":
    main()
