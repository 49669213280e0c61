"""What ``modelstudio serve`` tells preheated kernels, and which kernels an unloading page
may shut down (modelstudio_widget/serve.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import modelstudio_widget as ms
from modelstudio_widget import preheat
from modelstudio_widget.serve import (
    APP_TEMPLATE,
    JUPYTER_DATA_DIR,
    kernel_trains,
    query_ip,
    voila_argv,
)
from modelstudio_widget.store import Store


@pytest.mark.parametrize("bound,reach", [("127.0.0.1", "127.0.0.1"), ("0.0.0.0", "127.0.0.1"),
                                         ("localhost", "127.0.0.1"), ("::", "::1"),
                                         ("192.168.1.20", "192.168.1.20"),
                                         ("[fe80::2]", "fe80::2")])
def test_a_preheated_kernel_reaches_the_address_the_server_binds(
        bound: str, reach: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert query_ip(bound) == reach
    monkeypatch.setenv(preheat.APP_IP, reach)
    monkeypatch.setenv(preheat.APP_PORT, "8866")
    monkeypatch.setenv(preheat.KERNEL_ID, "k")
    host = f"[{reach}]" if ":" in reach else reach
    assert preheat.query_url() == f"ws://{host}:8866/voila/query/k"


def test_only_a_kernel_that_trains_is_kept(tmp_path: Path) -> None:
    store = Store.in_workspace(tmp_path)
    design_id = store.create_design(ms.default_design()).id
    assert not kernel_trains(store, os.getpid())
    run_id = store.create_run(design_id, design=ms.default_design(), config={})
    assert kernel_trains(store, os.getpid())  # this process owns a running run
    assert not kernel_trains(store, os.getpid() + 1)
    assert not kernel_trains(store, None)  # a kernel whose pid is unknown: shut it down
    store.update_run(run_id, status="stopped")
    assert not kernel_trains(store, os.getpid())


def test_the_app_template_is_named_and_shipped() -> None:
    argv = voila_argv(Path("app.ipynb"), ip="127.0.0.1", port=1, token=None,
                      open_browser=False)
    assert f"--VoilaConfiguration.template={APP_TEMPLATE}" in argv
    folder = JUPYTER_DATA_DIR / "voila" / "templates" / APP_TEMPLATE
    assert json.loads((folder / "conf.json").read_text())["base_template"] == "lab"
    assert "extends 'voila/templates/lab/index.html.j2'" in (folder / "index.html.j2").read_text()
