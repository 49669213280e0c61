"""Designs written out as plain JSON files, one per design, under names that never leave
the target folder whatever the ids contain."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from modelstudio_widget.ids import MAX_ID_CHARS
from modelstudio_widget.store.designs import Designs
from modelstudio_widget.store.records import NotFound

_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)})


def safe_file_stem(design_id: str) -> str:
    """A file name stem for a design id: ids that are already safe are kept as they are;
    anything else (separators, '..', odd characters, Windows device names) is replaced
    and gets a hash of the original id, so distinct ids rarely collide."""
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", design_id).strip("._-")[:MAX_ID_CHARS]
    if not stem or stem != design_id or stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        digest = hashlib.sha256(design_id.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        stem = f"{stem or 'design'}-{digest}"
    return stem


def dump_designs(store: Designs, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write each visible design's latest revision to ``out_dir/<safe id>.json`` (pretty
    JSON, written atomically) and return the paths. File names never leave ``out_dir``,
    whatever the ids contain; ids that map to the same name get a numeric suffix."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()  # lower-cased: case-insensitive file systems
    paths = []
    for meta in store.list_designs():
        try:
            record = store.get_design(meta.id)
        except NotFound:
            continue  # deleted meanwhile by another kernel
        stem = name = safe_file_stem(meta.id)
        counter = 1
        while name.lower() in used:
            counter += 1
            name = f"{stem}-{counter}"
        used.add(name.lower())
        target = out / f"{name}.json"
        tmp = out / f".{name}.json.tmp"
        tmp.write_text(json.dumps(record.design, indent=2, ensure_ascii=False) + "\n",
                       encoding="utf-8")
        os.replace(tmp, target)  # readers never see a half-written file
        paths.append(target)
    return paths
