"""The definition of done (SPEC section 7) on a phone against ``modelstudio serve``: create a
design, compile, train and watch it (score chart, MoE heat map), stop, export .onnx as a
real browser download that onnxruntime loads and that matches the trained weights. Plus
what a phone app meets in the wild: hostile messages, a closed tab, a reload mid-run.

Runs train with small rollouts (``$MODELSTUDIO_TRAIN_CONFIG``): an iteration takes about
a second on this machine instead of ten, and each iteration adds a point to the curve.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import CHROMIUM, PHONE, Phone  # type: ignore[import-not-found]
from voila_server import free_port, launch, stop  # type: ignore[import-not-found]

from modelstudio_widget.store import Store

pytestmark = pytest.mark.e2e

FAST_TRAINING = {"MODELSTUDIO_TRAIN_CONFIG": json.dumps({"num_envs": 64, "num_steps": 32})}
MOE_TYPE = "moe_layer"


@contextmanager
def studio(env: dict[str, str]) -> Iterator[tuple[str, Path]]:
    """``modelstudio serve`` on a fresh workspace: (url, workspace)."""
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium at /usr/bin/chromium")
    ws = Path(tempfile.mkdtemp(prefix="ms-dod-"))
    port = free_port()
    proc = launch(port=port, workspace=ws, env=env)
    try:
        yield f"http://127.0.0.1:{port}/", ws
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def trainer_app() -> Iterator[tuple[str, Path]]:
    with studio(FAST_TRAINING) as app:
        yield app


@pytest.fixture
def phones(browser: Any) -> Iterator[Callable[[str], Phone]]:
    """Phones on any server; each checked for page errors at the end."""
    made: list[tuple[Any, Phone]] = []

    def make(url: str) -> Phone:
        ctx = browser.new_context(**PHONE, accept_downloads=True)
        phone = Phone(ctx.new_page(), url)
        made.append((ctx, phone))
        return phone

    yield make
    for ctx, phone in made:
        ctx.close()
        assert not phone.errors, f"page errors: {phone.errors}"


# ---------------------------------------------------------------------------- helpers
def wait_state(phone: Phone, state: str, timeout: float = 30.0) -> None:
    phone.page.wait_for_function(
        f"() => document.querySelector('[data-testid=status]')?.dataset.state === {state!r}",
        timeout=timeout * 1000)


def chart_points(phone: Phone) -> int:
    return int(phone.page.get_by_test_id("score-chart").get_attribute("data-points"))


def wait_chart_beyond(phone: Phone, n: int, timeout: float = 40.0) -> int:
    phone.page.wait_for_function(
        f"() => +document.querySelector('[data-testid=score-chart]')?.dataset.points > {n}",
        timeout=timeout * 1000)
    return chart_points(phone)


def heat(phone: Phone, block: str) -> list[float]:
    return phone.page.eval_on_selector_all(
        f"[data-testid=moe-heat-{block}] i", "cells => cells.map(c => +c.dataset.usage)")


def open_panel(phone: Phone) -> None:
    if phone.page.get_by_test_id("training-panel").get_attribute("data-mode") == "peek":
        phone.page.get_by_test_id("train-peek").tap()
    phone.page.get_by_test_id("score-chart").wait_for()


def close_panel(phone: Phone) -> None:
    if phone.page.get_by_test_id("training-panel").get_attribute("data-mode") == "open":
        phone.page.get_by_test_id("train-peek").tap()
    phone.page.wait_for_selector("[data-testid=training-panel][data-mode=peek]")


# ---------------------------------------------------------------------------- the test
def test_definition_of_done(phones: Callable[[str], Phone], trainer_app: tuple[str, Path],
                            tmp_path: Path) -> None:
    url, ws = trainer_app
    phone = phones(url).open()
    page = phone.page

    # 1. A new design from the MoE template (so the heat map has a block to live on).
    design_id = phone.new_design("Definition of done", template="moe")
    moe = phone.state(f"s.history.present.components.find(c => c.type === {MOE_TYPE!r}).id")
    phone.shot("dod-1-new-design")

    # 2. Compile: the exact parameter count of record, and the generated file.
    page.get_by_test_id("btn-compile").tap()
    page.wait_for_selector("[data-testid=status][data-tone=ok]", timeout=60_000)
    params = phone.state("s.kernel.params")
    assert isinstance(params, int) and params > 0
    status = page.get_by_test_id("status")
    assert f"{params:,}" in status.inner_text(), status.inner_text()
    assert status.is_visible()
    generated = ws / "generated" / phone.state("s.compileResult.file")
    assert generated.is_file(), sorted((ws / "generated").iterdir())
    phone.shot("dod-2-compiled")

    # 3. Train: live status, the peek bar, the chart gains points, the heat map moves.
    page.get_by_test_id("btn-train").tap()
    wait_state(phone, "training")
    assert page.get_by_test_id("btn-train").is_disabled()
    assert page.get_by_test_id("btn-stop").is_enabled()
    page.get_by_test_id("train-peek").wait_for()
    page.get_by_test_id(f"moe-heat-{moe}").wait_for(timeout=30_000)
    canvas = phone.box("canvas")
    assert canvas["height"] >= 0.7 * 844, canvas  # the peek bar leaves the canvas its room
    before = heat(phone, moe)
    assert len(before) >= 2 and abs(sum(before) - 1) < 1e-3, before
    open_panel(phone)
    first = wait_chart_beyond(phone, 0)
    page.get_by_test_id("live-board").wait_for()
    assert page.locator("[data-testid=live-board] > *").count() == 16
    later = wait_chart_beyond(phone, first)
    assert later > first
    phone.shot("dod-3-training-panel")
    close_panel(phone)
    page.wait_for_function(
        f"() => JSON.stringify([...document.querySelectorAll('[data-testid=moe-heat-{moe}] i')]"
        f".map(c => +c.dataset.usage)) !== {json.dumps(json.dumps(before))}", timeout=30_000)
    assert heat(phone, moe) != before
    phone.shot("dod-4-heat-map")

    # 4. Stop: idle again, the run stopped and checkpointed.
    page.get_by_test_id("btn-stop").tap()
    wait_state(phone, "idle", timeout=60)
    # enabled once the Stop reply lands too (the status may say idle a moment before)
    from playwright.sync_api import expect

    expect(page.get_by_test_id("btn-train")).to_be_enabled(timeout=10_000)
    store = Store.in_workspace(ws)
    run = store.list_runs(design_id)[0]
    assert run.status == "stopped", run.status
    ckpt = store.latest_checkpoint(run.id)
    assert ckpt is not None
    phone.shot("dod-5-stopped")

    # 5. Export .onnx: a real browser download.
    with page.expect_download(timeout=120_000) as info:
        page.get_by_test_id("btn-export-onnx").tap()
    download = info.value
    assert download.suggested_filename.endswith(".onnx")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    page.wait_for_function("() => document.querySelector('[data-testid=status]')"
                           ".textContent.includes('Exported')")
    phone.shot("dod-6-exported")

    # 6. onnxruntime loads it, and it is the trained model: same logits as torch from the
    #    run's last checkpoint, rebuilt from the design it trained.
    import onnxruntime as ort
    import torch

    import modelstudio_widget as ms

    state = torch.load(ckpt.path, weights_only=True)
    model = ms.build_model(state["design"])
    model.load_state_dict(state["model"])
    model.eval()
    boards = np.random.default_rng(0).integers(0, 12, size=(32, 16)).astype(np.int64)
    with torch.no_grad():
        logits, value = model(torch.from_numpy(boards))
    session = ort.InferenceSession(str(saved), providers=["CPUExecutionProvider"])
    out = dict(zip([o.name for o in session.get_outputs()], session.run(
        None, {"board": boards, "action_mask": np.ones((32, 4), dtype=bool)}), strict=True))
    np.testing.assert_allclose(out["logits"], logits.numpy(), atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(out["value"].reshape(-1), value.numpy().reshape(-1),
                               atol=1e-4, rtol=1e-4)


# ---------------------------------------------------------------------------- in the wild
REPLIES = """() => { const m = document.querySelector('.ms-root').__studio.bridge.model;
  window.__replies = []; m.on('msg:custom', (msg) => { if (msg && msg.kind === 'reply') window.__replies.push(msg); }); }"""
SEND = "(msg) => document.querySelector('.ms-root').__studio.bridge.model.send(msg)"
GARBAGE: list[tuple[Any, str | None]] = [
    ({"kind": "command", "id": "bad-1", "name": "launch_missiles", "args": {}}, "UNKNOWN_COMMAND"),
    ({"kind": "command", "id": "bad-2", "name": "export", "args": {"format": 5}}, "BAD_ARGS"),
    ({"kind": "command", "id": "bad-3", "name": "export", "args": {"format": "exe"}}, "BAD_ARGS"),
    ({"kind": "command", "id": "bad-4", "name": "compile", "args": [1, 2]}, "BAD_ARGS"),
    ({"kind": "command", "id": "bad-5", "name": "stop", "args": {"evil": True}}, "BAD_ARGS"),
    ({"kind": "command", "id": "bad-6", "name": "heartbeat", "args": {"x": "a" * 300_000}},
     "TOO_LARGE"),
    ({"kind": "command", "id": "../../etc", "name": "heartbeat"}, "BAD_MESSAGE"),
    ({"kind": "reply", "id": "bad-7", "ok": True}, "BAD_MESSAGE"),
    ("just a string", "BAD_MESSAGE"),
    (42, "BAD_MESSAGE"),
    (None, "BAD_MESSAGE"),
    ([1, 2, 3], "BAD_MESSAGE"),
]


def test_bad_messages_get_error_replies_and_the_kernel_keeps_working(
        phones: Callable[[str], Phone], trainer_app: tuple[str, Path]) -> None:
    url, _ = trainer_app
    phone = phones(url).open()
    page = phone.page
    page.evaluate(REPLIES)
    for msg, _code in GARBAGE:
        page.evaluate(SEND, msg)
    page.wait_for_function(f"() => window.__replies.length >= {len(GARBAGE)}", timeout=20_000)
    replies = page.evaluate("() => window.__replies")
    assert len(replies) == len(GARBAGE), replies
    assert all(r["ok"] is False for r in replies), replies
    assert [r["error"]["code"] for r in replies] == [code for _, code in GARBAGE]
    by_id = {r["id"]: r for r in replies if r["id"]}
    assert set(by_id) == {f"bad-{i}" for i in range(1, 8)}, "readable ids are echoed"
    # Still alive and well: an edit is validated, a real command answers.
    before = len(phone.state("s.history.present.components"))
    page.get_by_test_id("palette-item-embedding").tap()
    phone.wait_synced()
    assert phone.state("s.kernel.seq === s.seq && s.history.present.components.length") == \
        before + 1
    ok = page.evaluate("() => document.querySelector('.ms-root').__studio.bridge"
                       ".command('heartbeat')")
    assert ok["at"] > 0
    assert page.get_by_test_id("status").get_attribute("data-tone") != "error"


def test_the_watchdog_stops_a_run_whose_page_is_gone(phones: Callable[[str], Phone]) -> None:
    with studio({**FAST_TRAINING, "MODELSTUDIO_WATCHDOG_S": "4"}) as (url, ws):
        phone = phones(url).open()
        design_id = phone.new_design("Orphan", template="tiny")
        phone.page.get_by_test_id("btn-train").tap()
        wait_state(phone, "training")
        store = Store.in_workspace(ws)
        # An open page keeps it alive past the watchdog (heartbeats paced to it) ...
        time.sleep(6)
        assert store.list_runs(design_id)[0].status == "running"
        assert phone.page.get_by_test_id("status").get_attribute("data-state") == "training"
        # ... a closed one does not.
        phone.page.context.close()
        deadline = time.monotonic() + 30
        while store.list_runs(design_id)[0].status == "running":
            assert time.monotonic() < deadline, "the orphaned run kept training"
            time.sleep(0.5)
        assert store.list_runs(design_id)[0].status == "stopped"


def test_a_reload_mid_training_follows_the_run_and_can_stop_it(
        phones: Callable[[str], Phone], trainer_app: tuple[str, Path]) -> None:
    url, ws = trainer_app
    phone = phones(url).open()
    page = phone.page
    design_id = phone.new_design("Reloaded", template="tiny")
    page.get_by_test_id("btn-train").tap()
    wait_state(phone, "training")
    open_panel(phone)
    wait_chart_beyond(phone, 0)

    phone.reload()  # a new kernel under Voila: it attaches to the run of the old one
    wait_state(phone, "training")
    page.wait_for_function("() => document.querySelector('.ms-root').__studio.store.getState()"
                           ".metrics?.attached === true", timeout=15_000)
    assert phone.state("s.metrics.run_id") == Store.in_workspace(ws).list_runs(design_id)[0].id
    assert page.get_by_test_id("btn-stop").is_enabled()
    assert page.get_by_test_id("btn-train").is_disabled()
    # A finger drags the peek bar up into the sheet (and back down).
    x, y = phone.centre("train-peek")
    phone.drag((x, y), (x, y - 200), steps=8, rest=True)
    page.wait_for_selector("[data-testid=training-panel][data-mode=open]")
    n = wait_chart_beyond(phone, 0)
    wait_chart_beyond(phone, n)  # live: it keeps updating
    phone.shot("dod-7-reloaded")
    x, y = phone.centre("train-peek")
    phone.drag((x, y), (x, y + 60), steps=8, rest=True)  # stays on the screen: 844 px tall
    page.wait_for_selector("[data-testid=training-panel][data-mode=peek]")

    page.get_by_test_id("btn-stop").tap()
    try:
        wait_state(phone, "idle", timeout=30)
    except Exception:
        print("status, pending, run:", phone.state(
            "JSON.stringify([s.status, s.pending, s.metrics && s.metrics.state])"),
            [(r.id, r.status) for r in Store.in_workspace(ws).list_runs(design_id)])
        raise
    assert Store.in_workspace(ws).list_runs(design_id)[0].status == "stopped"
