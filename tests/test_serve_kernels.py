"""What ``modelstudio serve`` tells preheated kernels, and which kernels an unloading page
may shut down (modelstudio_widget/serve.py)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
import tornado.web
from tornado_serving import fake_build, request, serving

import modelstudio_widget as ms
from modelstudio_widget import preheat
from modelstudio_widget.app_static import URL_ENV_VAR, served_bundle
from modelstudio_widget.serve import (
    APP_TEMPLATE,
    JUPYTER_DATA_DIR,
    app_files,
    kernel_trains,
    query_ip,
    serve_app_static,
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


@pytest.mark.parametrize("base_url", ["/", "/studio/"])
def test_the_app_bundle_is_public_while_the_page_needs_the_token(
        base_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Voilà's own app as ``serve()`` sets it up (with a token, as off loopback), and its
    tornado app as ``Voila.start()`` builds it, minus listening on the port."""
    from voila.app import Voila

    folder = tmp_path / "app"
    manifest = fake_build(folder)
    monkeypatch.chdir(tmp_path)  # no voila.json: no preheated kernel in this test
    monkeypatch.setenv(URL_ENV_VAR, "")  # restored after the test
    monkeypatch.setattr(signal, "signal", lambda *_args: None)  # Voila's SIGTERM hook
    app = Voila()
    app.initialize([*voila_argv(app_files()[0], ip="127.0.0.1", port=1, token="sekrit",
                                open_browser=False), f"--Voila.base_url={base_url}"])
    serve_app_static(app, folder)
    url = os.environ[URL_ENV_VAR]
    assert url == base_url + "modelstudio/static/"
    assert served_bundle(folder) is not None  # what a kernel with this environment sees
    web = tornado.web.Application(**app.init_settings())
    web.settings.update(app.tornado_settings)
    web.add_handlers(".*$", app.init_handlers())
    with serving(web) as port:
        for name in (manifest["js"], manifest["css"], "manifest.json"):
            status, headers, body = request(port, url + name)
            assert status == 200, name
            assert body == (folder / name).read_bytes()
        assert request(port, url + "missing-1.js")[0] == 404  # not Voilà's page handler
        status, headers, _ = request(port, base_url)
        assert status == 302 and "/login" in headers["location"]
