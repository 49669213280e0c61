from __future__ import annotations

import os
import sys
from pathlib import Path

# Single-threaded torch: on a 2-core box, OpenMP spin-waiting makes parallel tests crawl
# (FINDINGS: torch threads).
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).parent))

import pytest  # noqa: E402


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh workspace folder, also set as the default for code under test."""
    ws = tmp_path / "workspace"
    ws.mkdir()
    monkeypatch.setenv("MODELSTUDIO_WORKSPACE", str(ws))
    return ws
