"""Prop values: how a user's value reads in a message, and its check against the catalog.

The JS worker mirrors these in ``js/src/validation/values.ts`` (and ``pyfmt.ts`` for
Python's renderings).
"""

from __future__ import annotations

import math
from typing import Any

from modelstudio_widget.design.catalog import MAX_COORDINATE, Prop


def show(value: Any, limit: int = 40) -> str:
    """A short, printable rendering of a user value for messages."""
    text = value if isinstance(value, str) else repr(value)
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_number(v: Any) -> bool:
    return type(v) in (int, float)


def check_prop_value(prop: Prop, value: Any) -> tuple[str, str] | None:
    """Type, bounds and choices of one prop value -> (code, reason) or None when fine."""
    if prop.type == "int":
        if type(value) is not int:
            return "PROP_TYPE", f"must be a whole number, not {show(value)}"
        if prop.max_code and prop.max is not None and value > prop.max:
            return prop.max_code, f"is {value}; at most {int(prop.max)} are supported"
        if (prop.min is not None and value < prop.min) or (prop.max is not None
                                                           and value > prop.max):
            return "PROP_RANGE", (f"is {show(value)}; it must be between "
                                  f"{int(prop.min or 0)} and {int(prop.max or 0)}")
        if prop.multiple_of and value % prop.multiple_of:
            lo = value - value % prop.multiple_of
            hint = f"try {lo} or {lo + prop.multiple_of}" if lo >= (prop.min or 0) else \
                f"try {lo + prop.multiple_of}"
            return prop.multiple_code or "PROP_RANGE", (
                f"is {value}; it must be a multiple of {prop.multiple_of} ({hint})")
        return None
    if prop.type == "float":
        if not is_number(value):
            return "PROP_TYPE", f"must be a number, not {show(value)}"
        if not math.isfinite(value):
            return "PROP_TYPE", f"must be a finite number, not {show(value)}"
        if (prop.min is not None and value < prop.min) or (prop.max is not None
                                                           and value > prop.max):
            return "PROP_RANGE", f"is {show(value)}; it must be between {prop.min} and {prop.max}"
        return None
    if prop.type == "bool":
        if type(value) is not bool:
            return "PROP_TYPE", f"must be true or false, not {show(value)}"
        return None
    # enum
    if type(value) is not str:
        return "PROP_TYPE", f"must be one of {', '.join(prop.choices)}, not {show(value)}"
    if value not in prop.choices:
        return "PROP_RANGE", f"is {show(value)}; choose one of {', '.join(prop.choices)}"
    return None


def position_ok(position: Any) -> bool:
    """A canvas position: {x, y}, finite and within the canvas."""
    return isinstance(position, dict) and all(
        is_number(position.get(k)) and math.isfinite(position[k])
        and abs(position[k]) <= MAX_COORDINATE for k in ("x", "y"))
