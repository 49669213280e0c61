"""Example designs shipped with the package (``design/templates/*.json``).

Each is schema-linted and validated by the tests. ``default_design()`` is the one the app
opens with: the template that learns fastest in a few minutes on a laptop CPU.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

TEMPLATE_NAMES = ("lookahead", "tiny", "ntuple", "transformer", "moe", "checkpointed")
DEFAULT_TEMPLATE = "lookahead"


@cache
def _load_all() -> dict[str, dict[str, Any]]:
    folder = resources.files("modelstudio_widget.design") / "templates"
    return {name: json.loads((folder / f"{name}.json").read_text()) for name in TEMPLATE_NAMES}


def templates() -> dict[str, dict[str, Any]]:
    """All shipped designs by name (fresh copies: edit them freely)."""
    return copy.deepcopy(_load_all())


def template(name: str) -> dict[str, Any]:
    designs = _load_all()
    if name not in designs:
        raise KeyError(f"no template {name!r}; choose one of {', '.join(TEMPLATE_NAMES)}")
    return copy.deepcopy(designs[name])


def default_design() -> dict[str, Any]:
    """The design the app opens with."""
    return template(DEFAULT_TEMPLATE)
