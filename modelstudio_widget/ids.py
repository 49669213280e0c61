"""Identifiers and names: the one home of their patterns and limits.

The store, the catalog (which the page receives) and the widget's message protocol all
read these; none defines its own.
"""

from __future__ import annotations

import re

#: Longest component, design or run id (characters).
MAX_ID_CHARS = 64
#: Longest design name (characters, after stripping surrounding whitespace).
MAX_NAME_CHARS = 120

#: Store ids (designs, runs): letters, digits, '_', '.', '-', starting with a letter or a
#: digit, so an id is also a safe file stem (no '/', no leading '.').
ID_RE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_.-]{{0,{MAX_ID_CHARS - 1}}}")

#: The store's run ids: ``r-`` and 12 lowercase hex digits (``Runs.create_run`` makes them).
RUN_ID_PREFIX = "r-"
RUN_ID_RE = re.compile(rf"{RUN_ID_PREFIX}[0-9a-f]{{12}}")

#: Control characters (newlines included), line/paragraph separators and bidi overrides:
#: a name is shown in lists and file names, where these hide or reorder text.
FORBIDDEN_NAME_CHARS = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
