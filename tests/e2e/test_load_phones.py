"""Eight phones with the app open at once on one server, each with its own kernel, two of
them training: every page still answers an edit in time, memory stays bounded, and closing
the pages frees their kernels (the training ones once their watchdog has stopped the run).

Loopback only; every wait has a deadline, so the test ends by itself."""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from conftest import CHROMIUM, PHONE, Phone  # type: ignore[import-not-found]
from voila_server import free_port, launch, stop  # type: ignore[import-not-found]

from modelstudio_widget.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from bench_roundtrip import ROUND_TRIPS  # noqa: E402  (one home for the timed edit loop)

PHONES = 8
TRAINING = 2
EDITS = 15
GAP_MS = 30
#: A kernel with torch is ~290 MB (FINDINGS), one without ~90 MB; training adds buffers.
MAX_KERNEL_MB = 600
WATCHDOG_S = 6
#: Every page must still answer its edits; how fast is the benchmarks' business (the house
#: rule: no timed assertions), so this bound only catches a page left unanswered.
MAX_ROUND_TRIP_MS = 1000
FAST_TRAINING = {"MODELSTUDIO_TRAIN_CONFIG": json.dumps({"num_envs": 64, "num_steps": 32}),
                 "MODELSTUDIO_WATCHDOG_S": str(WATCHDOG_S)}


def kernels(server: Any) -> list[psutil.Process]:
    """The server's live kernels (one that just exited is a zombie until reaped: gone)."""
    live = []
    for child in psutil.Process(server.pid).children():
        try:
            if (child.status() != psutil.STATUS_ZOMBIE
                    and "ipykernel" in " ".join(child.cmdline())):
                live.append(child)
        except (psutil.ZombieProcess, psutil.NoSuchProcess):
            continue
    return live


def rss_mb(procs: list[psutil.Process]) -> list[float]:
    out = []
    for p in procs:
        try:
            out.append(p.memory_info().rss / 2**20)
        except (psutil.ZombieProcess, psutil.NoSuchProcess):
            continue
    return out


def until(test: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not test():
        assert time.monotonic() < deadline, what
        time.sleep(0.25)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str, Path]]:
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium at /usr/bin/chromium")
    workspace = tmp_path_factory.mktemp("load-ws")
    port = free_port()
    proc = launch(port=port, workspace=workspace, env=FAST_TRAINING)
    yield proc, f"http://127.0.0.1:{port}/", workspace
    stop(proc)


def round_trips(phone: Phone) -> float:
    """Median ms of the page's edit -> kernel validation -> page round trip."""
    return statistics.median(phone.page.evaluate(ROUND_TRIPS, [EDITS, GAP_MS]))


def test_eight_phones_at_once(server: tuple[Any, str, Path], browser: Any) -> None:
    proc, url, workspace = server
    contexts = [browser.new_context(**PHONE) for _ in range(PHONES)]
    try:
        alone = Phone(contexts[0].new_page(), url).open()
        round_trips(alone)  # warm up
        single = round_trips(alone)

        phones = [alone] + [Phone(ctx.new_page(), url).open() for ctx in contexts[1:]]
        trainers = phones[1:1 + TRAINING]
        for i, phone in enumerate(trainers):
            phone.new_design(f"Load {i}", template="tiny")
            phone.page.get_by_test_id("btn-train").tap()
        for phone in trainers:
            phone.page.wait_for_selector("[data-testid=status][data-state=training]",
                                         timeout=120_000)

        busy = [round_trips(phone) for phone in phones]
        for phone in phones:
            assert not phone.errors, phone.errors
        # Every page still answers its edits. The ratio to a page alone is printed (measured
        # here: the median page within 2x; a training page shares the interpreter with its
        # training thread, tens of ms): a timing, not a pass/fail line on a shared machine.
        print(f"round trip alone {single:.1f} ms; with {PHONES} pages, {TRAINING} training: "
              f"median {statistics.median(busy):.1f} ms "
              f"({statistics.median(busy) / single:.2f}x), max {max(busy):.1f} ms")
        assert max(busy) <= MAX_ROUND_TRIP_MS, (single, busy)

        live = kernels(proc)
        # Each page its own kernel, at most a preheated one besides: no pile-up.
        assert PHONES <= len(live) <= PHONES + 1, len(live)
        mb = rss_mb(live)
        assert max(mb) < MAX_KERNEL_MB, mb
        # As a tab closes, each page unloads: Voila's beacon asks to free its kernel.
        for phone in phones:
            phone.page.goto("about:blank")
    finally:
        for ctx in contexts:
            ctx.close()

    store = Store.in_workspace(workspace)
    # The idle pages' kernels go when their pages do; the trainers' runs are stopped by
    # their watchdog (a kernel that trains is never shut down under a run).
    until(lambda: len(kernels(proc)) <= TRAINING + 1, 60, "closed pages kept their kernels")
    until(lambda: all(r.status != "running" for r in store.list_runs()), 60 + WATCHDOG_S,
          "a run outlived its pages")
    assert {r.status for r in store.list_runs()} == {"stopped"}
