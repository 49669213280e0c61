"""Start the Model Studio app exactly as users do: ``modelstudio serve`` in a subprocess
(Voilà with the websocket no-delay fix, the raised iopub limit, culling and the token rule;
see ``modelstudio_widget/serve.py``), on a free port with its own workspace."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(*, port: int, workspace: str | os.PathLike[str], ip: str = "127.0.0.1",
           token: str | None = None, timeout: float = 60.0,
           env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Run ``modelstudio serve`` on ``ip:port``; return once it answers HTTP."""
    cmd = [sys.executable, "-m", "modelstudio_widget.cli", "serve", f"--port={port}",
           f"--ip={ip}", "--no-browser", "--no-qr", f"--workspace={workspace}"]
    if token is not None:
        cmd.append(f"--token={token}")
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    proc = subprocess.Popen(cmd, cwd=Path(workspace), env=full_env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            raise RuntimeError(f"modelstudio serve exited with {proc.returncode}:\n"
                               f"{out[-3000:]}")
        try:  # any answer will do; never GET "/": that starts a kernel
            conn = http.client.HTTPConnection(ip, port, timeout=2)
            conn.request("HEAD", "/api")
            conn.getresponse()
            conn.close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("modelstudio serve did not start in time")


def stop(proc: subprocess.Popen[bytes]) -> str:
    """Stop the server; return what it printed."""
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return (out or b"").decode(errors="replace")
