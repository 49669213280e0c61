"""Checks of the values the store is given (ids, names, tags, counts, notes) and the strict
JSON text it writes: each refuses with a ``ValueError`` that says what is wrong and where."""

from __future__ import annotations

import json
import math
from typing import Any

from modelstudio_widget.ids import FORBIDDEN_NAME_CHARS, ID_RE, MAX_ID_CHARS, MAX_NAME_CHARS

MAX_NOTE_CHARS = 2000
MAX_TAG_CHARS = 128  # request ids and the design ids carried by events
MAX_DOCUMENT_BYTES = 16 * 2**20


def check_id(value: object, what: str = "design id") -> str:
    if not isinstance(value, str) or not ID_RE.fullmatch(value):
        raise ValueError(
            f"{what} must be 1-{MAX_ID_CHARS} characters of letters, digits, '_', '.', '-' "
            f"and start with a letter or digit; got {value!r:.80}"
        )
    return value


def check_name(value: object) -> str:
    """A design name, stripped of surrounding whitespace."""
    if not isinstance(value, str):
        raise ValueError(f"design name must be a string, not {type(value).__name__}")
    name = value.strip()
    if not name:
        raise ValueError("design name must not be empty")
    if len(name) > MAX_NAME_CHARS:
        raise ValueError(f"design name is {len(name)} characters long; the limit is "
                         f"{MAX_NAME_CHARS}")
    bad = FORBIDDEN_NAME_CHARS.search(name)
    if bad:
        raise ValueError(f"design name contains the control character {bad.group()!r}")
    check_utf8(name, "design name")
    return name


def check_tag(value: object, what: str) -> str | None:
    """An optional short label (request id, event design id): no control characters."""
    if value is None:
        return None
    if (not isinstance(value, str) or not value or len(value) > MAX_TAG_CHARS
            or FORBIDDEN_NAME_CHARS.search(value)):
        raise ValueError(f"{what} must be a non-empty string of at most {MAX_TAG_CHARS} "
                         f"printable characters; got {value!r:.80}")
    check_utf8(value, what)
    return value


def check_int(value: object, what: str, *, minimum: int) -> int:
    # type() is int, not isinstance: True is an int too.
    if type(value) is not int or value < minimum:
        raise ValueError(f"{what} must be an int >= {minimum}; got {value!r:.80}")
    return value


def check_note(note: object) -> str:
    if not isinstance(note, str) or len(note) > MAX_NOTE_CHARS:
        raise ValueError(f"note must be a str of at most {MAX_NOTE_CHARS} characters")
    check_utf8(note, "note")
    return note


def check_utf8(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what} contains a lone surrogate and is not valid text") from None


def _nonfinite_path(value: Any, path: str) -> str | None:
    """Where the first NaN/Infinity sits in a JSON-like value (for error messages)."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"{path} is {value!r}"
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, (list, tuple)):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = _nonfinite_path(item, f"{path}[{key!r}]")
        if found:
            return found
    return None


def dumps(value: object, what: str) -> str:
    """Compact JSON for a dict, or a ``ValueError`` that says what is wrong and where."""
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be a JSON object (dict), not {type(value).__name__}")
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":"))
    except ValueError as e:
        if "Circular" in str(e):
            raise ValueError(f"{what} contains a circular reference") from None
        where = _nonfinite_path(value, what) or f"{what} contains NaN or Infinity"
        raise ValueError(f"{where}; JSON has no NaN or Infinity (use None)") from None
    except (TypeError, RecursionError) as e:
        raise ValueError(f"{what} is not JSON-serialisable: {e}") from None
    check_utf8(text, what)
    if len(text) > MAX_DOCUMENT_BYTES:  # characters <= bytes: a cheap first bound
        raise ValueError(f"{what} is {len(text)} characters of JSON; the limit is "
                         f"{MAX_DOCUMENT_BYTES} bytes")
    return text


def loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)
