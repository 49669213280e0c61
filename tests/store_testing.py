"""What the store's tests share: a sample design and a fresh store for each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from modelstudio_widget.store import DB_FILENAME, Store

DESIGN = {"schema_version": 1, "name": "Small MoE", "meta": {"d_model": 128},
          "components": [{"id": "in", "type": "board_input", "props": {}}], "edges": []}


@pytest.fixture(name="store")
def fresh_store(tmp_path: Path) -> Iterator[Store]:
    """A store in a fresh workspace (import this to use the ``store`` fixture)."""
    with Store(tmp_path / "ws" / DB_FILENAME) as s:
        yield s
