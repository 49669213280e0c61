"""``modelstudio serve``: a token whenever it binds beyond loopback, the URL printed with
it, and a refused empty token."""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
from pathlib import Path

import pytest
from voila_server import free_port, launch, stop  # type: ignore[import-not-found]

from modelstudio_widget.serve import is_loopback, voila_argv


def get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read().decode(errors="replace")
    conn.close()
    return resp.status, body


@pytest.mark.parametrize("ip,loopback", [("127.0.0.1", True), ("localhost", True),
                                         ("::1", True), ("127.3.4.5", True),
                                         ("0.0.0.0", False), ("192.168.1.20", False),
                                         ("::", False), ("example.org", False)])
def test_loopback_detection(ip: str, loopback: bool) -> None:
    assert is_loopback(ip) is loopback


def test_voila_settings_carry_the_fixes() -> None:
    argv = voila_argv(Path("app.ipynb"), ip="0.0.0.0", port=1, token="t", open_browser=False)
    text = " ".join(argv)
    assert "iopub_msg_rate_limit=100000" in text and "cull_idle_timeout" in text
    assert "--token=t" in argv


def test_beyond_loopback_a_token_is_generated_and_required(tmp_path: Path) -> None:
    port = free_port()
    proc = launch(port=port, workspace=tmp_path, ip="0.0.0.0")
    try:
        status, _ = get(port, "/")
        assert status in (302, 401, 403)  # no token: sent to the login page
        status, _ = get(port, "/?token=wrong-token")
        assert status in (302, 401, 403)
    finally:
        out = stop(proc)
    token = re.search(r"\?token=([\w-]+)", out)
    assert token, out[-2000:]
    assert len(token.group(1)) >= 20


def test_the_right_token_opens_the_app(tmp_path: Path) -> None:
    port = free_port()
    proc = launch(port=port, workspace=tmp_path, ip="0.0.0.0", token="s3cret-token-for-tests",
                  env={"JUPYTER_DATA_DIR": str(tmp_path / "jupyter-data")})  # no signatures yet
    try:
        status, _ = get(port, "/?token=nope")
        assert status in (302, 401, 403)
        status, body = get(port, "/?token=s3cret-token-for-tests")
        assert status == 200 and "application/vnd.jupyter.widget-view+json" in body
    finally:
        out = stop(proc)
    assert "Kernel started" in out, out[-2000:]
    assert "not trusted" not in out, out[-2000:]  # serve signs its own notebook
    assert "over TCP" not in out, out[-2000:]  # the kernel listens on Unix sockets only


def test_an_empty_token_beyond_loopback_is_refused(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "modelstudio_widget.cli", "serve",
                           "--ip=0.0.0.0", "--token=", "--no-browser", f"--port={free_port()}",
                           f"--workspace={tmp_path}"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode != 0
    assert "token" in (proc.stderr + proc.stdout)
