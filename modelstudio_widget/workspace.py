"""Where Model Studio keeps its files: the SQLite store, generated modules, checkpoints
and exports. One folder, chosen once per process:

1. an explicit ``workspace`` argument,
2. else ``$MODELSTUDIO_WORKSPACE``,
3. else ``~/.modelstudio``.

Generated code goes to ``<workspace>/generated`` and never into site-packages.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "MODELSTUDIO_WORKSPACE"


def resolve_workspace(workspace: str | os.PathLike[str] | None = None) -> Path:
    """Return the workspace folder (created if missing)."""
    if workspace is None:
        workspace = os.environ.get(ENV_VAR) or Path.home() / ".modelstudio"
    path = Path(workspace).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def subdir(workspace: str | os.PathLike[str] | None, name: str) -> Path:
    """A named folder inside the workspace (``generated``, ``checkpoints``, ``exports``)."""
    path = resolve_workspace(workspace) / name
    path.mkdir(parents=True, exist_ok=True)
    return path
