"""Start the Model Studio app (notebooks/model_studio.ipynb) under a real Voilà server.

``launch(port=..., workspace=...)`` runs this file as a subprocess; run as a script it
patches Voilà's kernel websocket to set TCP no-delay (FINDINGS: Nagle adds ~45 ms to every
browser -> kernel -> browser round trip) and starts Voilà with the iopub rate limit raised
(FINDINGS: silent message loss above 1000 msg/s). voila.json at the repository root holds
the rest of the settings. Kept in one function so that ``modelstudio serve`` can reuse it.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "model_studio.ipynb"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(*, port: int, workspace: str | os.PathLike[str], notebook: Path = NOTEBOOK,
           ip: str = "127.0.0.1", timeout: float = 60.0) -> subprocess.Popen[bytes]:
    """Start Voilà on ``ip:port`` serving ``notebook`` with ``workspace``; wait until it answers."""
    env = {**os.environ, "MODELSTUDIO_WORKSPACE": str(workspace), "OMP_NUM_THREADS": "1",
           "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, __file__, str(notebook), f"--port={port}", f"--Voila.ip={ip}",
           "--no-browser", "--ZMQChannelsWebsocketConnection.iopub_msg_rate_limit=1000000",
           "--ZMQChannelsWebsocketConnection.iopub_data_rate_limit=10000000000"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            raise RuntimeError(f"Voilà exited with {proc.returncode}:\n{out[-3000:]}")
        try:  # any answer will do (Voilà redirects /api); never GET "/": it starts a kernel
            conn = http.client.HTTPConnection(ip, port, timeout=2)
            conn.request("HEAD", "/api")
            conn.getresponse()
            conn.close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("Voilà did not start in time")


def _patch_nodelay() -> None:
    from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

    original = VoilaKernelWebsocketHandler.open

    async def open_nodelay(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.set_nodelay(True)
        return await original(self, *args, **kwargs)

    VoilaKernelWebsocketHandler.open = open_nodelay  # type: ignore[method-assign]


if __name__ == "__main__":
    _patch_nodelay()
    from voila.app import main

    sys.exit(main())
