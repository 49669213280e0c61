"""``ms.export`` / ``ms.load``: resolve, write to a temporary file, check, then rename.

A destination is checked before any work (a folder, a parent that cannot be created, an
unwritable place all raise ``ExportError`` saying what to fix), and the file appears
there only after its checks passed (``os.replace`` of a temporary file in the same
folder), so a failed export never leaves a partial or unchecked file behind.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from modelstudio_widget.exporters.contract import FORMATS, ExportError, format_names
from modelstudio_widget.exporters.formats import WRITERS
from modelstudio_widget.exporters.formats import load as _load
from modelstudio_widget.exporters.source import Exportable, resolve
from modelstudio_widget.store import Store, safe_file_stem
from modelstudio_widget.workspace import resolve_workspace, subdir

log = logging.getLogger(__name__)


@dataclass
class ExportReport:
    """What an export wrote and how well it matched the torch model."""
    path: Path
    format: str
    params: int
    bytes: int
    max_abs_diff: float  # largest |file - torch| difference seen by the checks
    exporter: str | None  # ONNX only: "legacy" or "dynamo"
    seconds: float
    design_id: str | None
    run_id: str | None
    step: int | None
    weights: str

    def summary(self) -> str:
        via = f", {self.exporter} exporter" if self.exporter else ""
        origin = f"run {self.run_id} step {self.step}" if self.run_id else f"{self.weights} weights"
        return (f"wrote {self.path} ({self.format}{via}, {self.params:,} params, {origin}, "
                f"{self.bytes / 1e6:.2f} MB, parity max |diff| {self.max_abs_diff:.1e}, "
                f"{self.seconds:.1f} s)")


def export(run_or_design: Any, fmt: str, path: str | os.PathLike[str] | None = None, *,
           workspace: str | os.PathLike[str] | None = None, weights: str = "latest",
           design: dict[str, Any] | None = None, exporter: str = "auto") -> Path:
    """Export a trained (or fresh) model as ``.pt``, ``.pt2`` or ``.onnx``; return the path.

    ``run_or_design``: a ``Run``, a ``PPOTrainer``, a model (give ``design=``), a run id,
    a design id, a design JSON file or a design dict (ids and dicts resolve to the latest
    checkpoint of the design's runs in the workspace's store). ``weights="fresh"``
    exports freshly initialised weights instead. ``path=None`` writes into
    ``<workspace>/exports/``. ``exporter`` (ONNX): "auto", "legacy" or "dynamo".

    Raises ``ValueError`` for an unknown format, ``ExportError`` (with what to fix) for
    missing weights or an unusable path, ``ExportParityError`` if the written graph does
    not compute what the model computes. See ``formats`` for the file layouts.
    """
    return write_export(run_or_design, fmt, path, workspace=workspace, weights=weights,
                        design=design, exporter=exporter).path


def write_export(run_or_design: Any, fmt: str, path: str | os.PathLike[str] | None = None,
                 *, workspace: str | os.PathLike[str] | None = None, weights: str = "latest",
                 design: dict[str, Any] | None = None, exporter: str = "auto",
                 request_id: str | None = None) -> ExportReport:
    """``export`` with the full report (the CLI prints it). ``request_id`` tags the
    telemetry event (the app's request that asked for the export)."""
    fmt = check_format(fmt)
    dest = None if path is None else destination(path, fmt)  # fail fast, before any work
    exp = resolve(run_or_design, design=design, workspace=workspace, weights=weights)
    if dest is None:
        exp.workspace = exp.workspace or resolve_workspace(workspace)
        dest = destination(subdir(exp.workspace, "exports") / default_name(exp, fmt), fmt)
    start = time.perf_counter()
    try:
        diff, used = write_atomically(dest, lambda tmp: WRITERS[fmt](exp, tmp, exporter),
                                      FORMATS[fmt])
    except ExportError as e:
        _record(exp, "export.error", {"format": fmt, "path": str(dest), "error": str(e)},
                request_id)
        raise
    report = ExportReport(dest, fmt, exp.params, dest.stat().st_size, diff, used,
                          time.perf_counter() - start, exp.design_id, exp.run_id, exp.step,
                          exp.weights)
    _record(exp, "export", {**asdict(report), "path": str(dest)}, request_id)
    return report


def load(path: str | os.PathLike[str]) -> Any:
    """Read an export: ``.pt`` -> the model (rebuilt from its design, eval mode; no
    generated file needed), ``.pt2`` -> the program's module, ``.onnx`` -> an
    ``OnnxAgent``. Raises ``LoadError`` (an ``ExportError``) saying what is wrong."""
    return _load(path)


def check_format(fmt: Any) -> str:
    name = fmt.lower().lstrip(".") if isinstance(fmt, str) else fmt
    if name not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; choose one of: {format_names()}")
    return name


def destination(path: str | os.PathLike[str], fmt: str) -> Path:
    """The checked destination file: not a folder, parent created, parent writable."""
    dest = Path(path).expanduser().absolute()
    suffix = FORMATS[fmt]
    if dest.is_dir():
        raise ExportError(f"{dest} is a folder: give a file path such as "
                          f"{dest / ('model' + suffix)}")
    other = {s: f for f, s in FORMATS.items()}.get(dest.suffix.lower())
    if other is not None and other != fmt:
        raise ExportError(f"{dest.name} ends in {dest.suffix} but the format is {fmt}: "
                          f"name the file *{suffix} or choose --format {other}")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise ExportError(f"cannot create the folder {dest.parent}: a file is in the way; "
                          "choose another location") from None
    except OSError as e:
        raise ExportError(f"cannot create the folder {dest.parent} ({e.strerror or e}): "
                          "choose a location you can write to") from None
    if not os.access(dest.parent, os.W_OK):
        raise ExportError(f"cannot write into {dest.parent} (not writable): choose a "
                          "location you can write to")
    return dest


def write_atomically(dest: Path, write: Callable[[Path], Any], suffix: str = "") -> Any:
    """Run ``write(tmp)`` on a temporary file next to ``dest``, then rename it into place.
    The temporary file is removed whatever happens. It ends in ``suffix`` (torch.export
    insists on ``.pt2``) and starts with a dot (hidden from listings meanwhile)."""
    token = f"{os.getpid()}-{secrets.token_hex(4)}"
    tmp = dest.with_name(f".{dest.name}.{token}.tmp{suffix}")
    try:
        try:
            tmp.touch(exist_ok=False)  # an unwritable place fails here, with a clear error
            result = write(tmp)
            os.replace(tmp, dest)
        except OSError as e:
            raise ExportError(f"cannot write {dest} ({e.strerror or e}): choose a location "
                              "you can write to, with enough free space") from None
        return result
    finally:
        tmp.unlink(missing_ok=True)


def default_name(exp: Exportable, fmt: str) -> str:
    """``<design>-<run>-step<N>.<ext>`` for trained weights, ``<design>-fresh-<time>``
    otherwise; always a safe file name, whatever the design id contains."""
    stem = safe_file_stem(exp.design_id or exp.name or "design")
    if exp.weights == "fresh" or exp.run_id is None and exp.step is None:
        tag = f"{exp.weights}-{time.strftime('%Y%m%d-%H%M%S')}"
    else:
        tag = "-".join(p for p in (exp.run_id and safe_file_stem(exp.run_id),
                                   None if exp.step is None else f"step{exp.step}") if p)
    return f"{stem}-{tag}{FORMATS[fmt]}"


def _record(exp: Exportable, kind: str, data: dict[str, Any],
            request_id: str | None = None) -> None:
    """Telemetry into the workspace's store; never lets a store problem fail an export."""
    if exp.workspace is None:
        return
    design_id = exp.design_id if exp.design_id and len(exp.design_id) <= 128 \
        and exp.design_id.isprintable() else None
    try:
        with Store.in_workspace(exp.workspace) as store:
            store.record_event(kind, request_id=request_id, design_id=design_id, data=data)
    except Exception:
        log.warning("could not record the %s event", kind, exc_info=True)
