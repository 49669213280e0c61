"""Start a real JupyterLab 4 server for browser tests: a free localhost port, a token, a
temporary root directory, and its own Jupyter config/data/runtime and IPython dirs so
nothing is read from or written to the user's home. Lab settings (theme, no news or
update checks) go into the temporary user-settings dir."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voila_server import free_port  # type: ignore[import-not-found]


@dataclass
class Lab:
    proc: subprocess.Popen[bytes]
    port: int
    token: str
    root: Path
    log: Path

    def url(self, path: str = "lab") -> str:
        return f"http://127.0.0.1:{self.port}/{path}?token={self.token}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def notebook(*sources: str) -> dict[str, Any]:
    """A notebook with one code cell per source, on the python3 kernel."""
    cells = [{"cell_type": "code", "execution_count": None, "id": f"cell{i}", "metadata": {},
              "outputs": [], "source": src} for i, src in enumerate(sources)]
    return {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                        "name": "python3"},
                         "language_info": {"name": "python"}}}


def write_settings(config_dir: Path, settings: dict[str, dict[str, Any]]) -> None:
    """Lab user settings, e.g. {"@jupyterlab/apputils-extension:themes": {"theme": ...}}."""
    for plugin_id, values in settings.items():
        package, plugin = plugin_id.split(":")
        path = config_dir / "lab" / "user-settings" / package / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def launch(base: Path, *, theme: str = "JupyterLab Light", timeout: float = 60.0) -> Lab:
    """``jupyter lab`` from this Python's environment, rooted at ``base/root``."""
    root, home = base / "root", base / "jupyter"
    root.mkdir(parents=True, exist_ok=True)
    dirs = {"JUPYTER_CONFIG_DIR": home / "config", "JUPYTER_DATA_DIR": home / "data",
            "JUPYTER_RUNTIME_DIR": home / "runtime", "IPYTHONDIR": home / "ipython"}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    write_settings(dirs["JUPYTER_CONFIG_DIR"], {
        "@jupyterlab/apputils-extension:themes": {"theme": theme},
        "@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                        "checkForUpdates": False},
    })
    port = free_port()
    token = os.urandom(12).hex()
    log = base / "lab.log"
    env = {**os.environ, **{k: str(v) for k, v in dirs.items()}, "PYTHONUNBUFFERED": "1",
           "JUPYTER_PLATFORM_DIRS": "1"}
    cmd = [sys.executable, "-m", "jupyterlab", f"--port={port}", "--ip=127.0.0.1",
           "--no-browser", "--ServerApp.open_browser=False", f"--ServerApp.root_dir={root}",
           f"--IdentityProvider.token={token}", "--ServerApp.port_retries=0",
           "--LabApp.news_url=None", "--LabApp.extension_manager=readonly"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers
        cmd.append("--allow-root")
    out = log.open("wb")
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    lab = Lab(proc, port, token, root, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {proc.returncode}:\n"
                               f"{log.read_text(errors='replace')[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", f"/api/status?token={token}")
            ok = conn.getresponse().status == 200
            conn.close()
            if ok:
                return lab
        except OSError:
            pass
        time.sleep(0.2)
    lab.stop()
    raise RuntimeError("jupyter lab did not start in time:\n"
                       f"{log.read_text(errors='replace')[-3000:]}")
