"""``ModelStudio``: the anywidget that shows the designer in a notebook cell or, through
Voilà, as a phone web app. A thin adapter: it maps synced traits and checked messages onto
the Jupyter-free core, ``DesignDocument`` (the open design, autosave, conflicts) and
``StudioSession`` (compile, train, stop, export), and publishes what they hold.

Traits (kernel <-> page):

- ``catalog`` (kernel -> page): the block catalog; the page hard-codes no block type.
- ``design`` / ``design_seq`` (page -> kernel, one message, debounced): the edited design,
  validated (a payload that is not a design is refused, the last good design kept) and
  autosaved as a new store revision. ``validation``: the kernel's result of record, its
  ``seq`` echoing ``design_seq``.
- ``designs``: saved designs (metas). ``doc``: the open document (``design_id``, ``name``,
  ``revision``, ``saved_at``, ``conflict``, ``templates``, ``load_seq`` bumped when the
  kernel loads a design into the page). ``status``, ``metrics``, ``compile_result``.

Commands (page -> kernel, see ``widget_protocol``) are methods registered in ``COMMANDS``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import anywidget
import traitlets

from modelstudio_widget.app_static import kernel_bundle, widget_assets
from modelstudio_widget.design.catalog import catalog as catalog_data
from modelstudio_widget.document import DesignDocument, DocumentError
from modelstudio_widget.exporters.contract import FORMATS
from modelstudio_widget.ids import MAX_ID_CHARS, MAX_NAME_CHARS
from modelstudio_widget.store import Store
from modelstudio_widget.studio import (
    WATCHDOG_TIMEOUT_S,
    ActionError,
    ExportFile,
    StudioSession,
    status_after_snapshot,
)
from modelstudio_widget.training.settings import training_catalog
from modelstudio_widget.widget_commands import (  # noqa: F401 (importing registers)
    COMMANDS,
    compare,
    evaluate,
    history,
    runs,
    sweep,
)
from modelstudio_widget.widget_protocol import DESIGN_ID_RE, Arg, ProtocolError
from modelstudio_widget.workspace import resolve_workspace

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"

IDLE_STATUS: dict[str, Any] = {"state": "idle", "message": "", "request_id": None, "error": None}

DESIGN_ID = Arg("design_id", str, pattern=DESIGN_ID_RE, max_len=MAX_ID_CHARS)
NAME = Arg("name", str, max_len=MAX_NAME_CHARS)

T = TypeVar("T")


class ModelStudio(anywidget.AnyWidget):
    """The Model Studio designer. ``ModelStudio(design=None, workspace=None)``.

    With ``design`` it is stored as a new design and opened; without, the most recently
    saved design in the workspace opens (or a new default one).
    ``fullscreen=True`` makes it take the whole page (the Voilà app).
    """

    _esm, _css = widget_assets(STATIC, kernel_bundle())  # the served app: a loader

    catalog = traitlets.Dict().tag(sync=True)
    design = traitlets.Any(None).tag(sync=True)
    design_seq = traitlets.Int(0).tag(sync=True)
    validation = traitlets.Dict().tag(sync=True)
    designs = traitlets.List().tag(sync=True)
    doc = traitlets.Dict().tag(sync=True)
    status = traitlets.Dict().tag(sync=True)
    metrics = traitlets.Dict().tag(sync=True)
    compile_result = traitlets.Dict().tag(sync=True)
    fullscreen = traitlets.Bool(False).tag(sync=True)

    def __init__(self, design: dict[str, Any] | None = None,
                 workspace: str | Path | None = None, *, fullscreen: bool = False,
                 watchdog_timeout_s: float | None = WATCHDOG_TIMEOUT_S,
                 **kwargs: Any) -> None:
        super().__init__(catalog={**catalog_data(), "training": training_catalog()},
                         status=dict(IDLE_STATUS), fullscreen=fullscreen, **kwargs)
        self._lock = threading.RLock()
        self._status_lock = threading.Lock()
        self._kernel_sets_design = False  # the kernel writes ``design``: not an edit
        self._shown_load_seq = 0  # the document's last load the page was sent
        self._handled: tuple[int, int] | None = None
        self.last_heartbeat: float | None = None
        self.workspace = resolve_workspace(workspace)
        self.store = Store.in_workspace(self.workspace)
        self.session = StudioSession(self.workspace, self.store, self._on_snapshot,
                                     watchdog_timeout_s=watchdog_timeout_s)
        self.document = DesignDocument(self.store, self.session.record_event)
        # The page sets design and design_seq in one message; an unchanged design (an
        # undo back to it) fires only design_seq. Either way it is handled once.
        self.observe(self._on_design, names=["design", "design_seq"])
        self.on_msg(self._on_msg)
        with self._lock:
            self._document(lambda: self.document.start(design))

    # ------------------------------------------------------------------ public helpers
    @property
    def current_design(self) -> dict[str, Any]:
        """The last good design the kernel holds (what autosave stored or will store)."""
        return self.document.design

    @property
    def design_id(self) -> str | None:
        return self.document.design_id

    # ------------------------------------------------------------------ the document
    def _on_design(self, _change: dict[str, Any]) -> None:
        """A design from the page: the document validates, keeps and autosaves it."""
        if self._kernel_sets_design:
            return
        # One message back (validation, doc and designs together), not three: every
        # message is a hop through the server for the page's round trip.
        with self._lock, self.hold_sync():
            seq = self.design_seq
            incoming = self.design
            if self._handled == (id(incoming), seq):
                return
            self._handled = (id(incoming), seq)
            edit = self.document.edit(incoming)
            if edit.refused:  # the page gets the last good design back
                self._set_design(self.document.design, seq)
                self._handled = (id(self.design), seq)
            if edit.save_error is not None:
                self._set_status("idle", error={"code": edit.save_error.code,
                                                "message": edit.save_error.message})
            self.validation = {**self.document.validation, "seq": seq}
            self._publish()

    def _set_design(self, design: dict[str, Any], seq: int) -> None:
        self._kernel_sets_design = True
        try:
            self.design_seq = seq
            self.design = design
        finally:
            self._kernel_sets_design = False

    def _publish(self) -> None:
        """Send the document to the page in one message; a newly loaded design with it."""
        loaded = self.document.load_seq != self._shown_load_seq
        with self.hold_sync():
            if loaded:
                self._shown_load_seq = self.document.load_seq
                self._set_design(self.document.design, self.design_seq + 1)
                self.validation = {**self.document.validation, "seq": self.design_seq}
            self.doc = self.document.doc
            self.designs = self.document.designs
        # A page that (re)loads while its design trains in another kernel follows it.
        if loaded and self.session.attach(self.document.design_id):
            self._set_status("training", "Training (started in another window)")

    def _document(self, action: Callable[[], T]) -> T:
        """Run a document action and publish what it changed (a failed one too)."""
        try:
            return action()
        except DocumentError as exc:
            raise ProtocolError(exc.code, exc.message) from None
        finally:
            self._publish()

    # ------------------------------------------------------------------ commands
    def _on_msg(self, _widget: Any, content: Any, _buffers: Any = None) -> None:
        """Every custom message from the page. Never raises: errors become replies."""
        with self._lock:
            reply = COMMANDS.dispatch(self, content)
        self.send(reply)

    def handle_message(self, content: Any) -> None:
        """Handle one page message as if it came from the page (tests, automation)."""
        self._on_msg(self, content, None)

    @COMMANDS.command("new_design", NAME, Arg("template", str, required=False, max_len=64))
    def _cmd_new_design(self, request_id: str, name: str, template: str | None = None) -> Any:
        return {"design_id": self._document(
            lambda: self.document.create(name, template, request_id))}

    @COMMANDS.command("open_design", DESIGN_ID)
    def _cmd_open_design(self, request_id: str, design_id: str) -> Any:
        self._document(lambda: self.document.open(design_id))
        return {"design_id": design_id}

    @COMMANDS.command("rename_design", DESIGN_ID, NAME)
    def _cmd_rename_design(self, request_id: str, design_id: str, name: str) -> Any:
        record = self._document(lambda: self.document.rename(design_id, name))
        return {"design_id": design_id, "name": record.name, "revision": record.revision}

    @COMMANDS.command("delete_design", DESIGN_ID)
    def _cmd_delete_design(self, request_id: str, design_id: str) -> Any:
        self._document(lambda: self.document.delete(design_id, request_id))
        return {"design_id": design_id}

    @COMMANDS.command("resolve_conflict", Arg("choice", str, choices=("mine", "theirs")))
    def _cmd_resolve_conflict(self, request_id: str, choice: str) -> Any:
        return {"revision": self._document(lambda: self.document.resolve_conflict(choice))}

    @COMMANDS.command("report_disagreement", Arg("seq", int, minimum=0),
                      Arg("kernel", dict), Arg("local", dict))
    def _cmd_report_disagreement(self, request_id: str, seq: int, kernel: dict[str, Any],
                                 local: dict[str, Any]) -> Any:
        return {"logged": self.document.report_disagreement(request_id, seq, kernel, local)}

    @COMMANDS.command("heartbeat")
    def _cmd_heartbeat(self, request_id: str) -> Any:
        self.last_heartbeat = time.monotonic()
        self.session.heartbeat()
        # The page paces its heartbeats to the watchdog (a short one must not fire on a
        # page that is still open).
        return {"at": time.time(), "watchdog_s": self.session.watchdog_timeout_s}

    # ------------------------------------------------------------------ app actions
    def _set_status(self, state: str, message: str = "", request_id: str | None = None,
                    error: dict[str, str] | None = None) -> None:
        with self._status_lock:
            self.status = {"state": state, "message": message, "request_id": request_id,
                           "error": error}

    def _on_snapshot(self, snap: dict[str, Any]) -> None:
        """A training snapshot (training or watcher thread): to the page, complete."""
        self.metrics = snap
        moved = status_after_snapshot(self.status, snap)
        if moved is not None:
            self._set_status(*moved, self.status.get("request_id"))

    def _action(self, state: str, message: str, request_id: str, fn: Callable[[], T]) -> T:
        """Run an action with its status; failures become error replies and statuses."""
        self._set_status(state, message, request_id)
        try:
            return fn()
        except ActionError as exc:
            self._set_status("idle", exc.message, request_id,
                             {"code": exc.code, "message": exc.message})
            raise ProtocolError(exc.code, exc.message) from None

    @COMMANDS.command("compile")
    def _cmd_compile(self, request_id: str) -> Any:
        result = self._action("compiling", "Compiling", request_id, lambda: self.session.compile(
            self.current_design, self.design_id, request_id))
        self.compile_result = {**result, "request_id": request_id}
        self._set_status("idle", f"Compiled {result['file']}: {result['params']:,} parameters",
                         request_id)
        return {k: result[k] for k in ("params", "paramCount", "file", "time_ms",
                                        "import_path")}

    @COMMANDS.command("train")
    def _cmd_train(self, request_id: str) -> Any:
        # "training" only once the run exists (starting builds the model: seconds when
        # torch is first imported).
        result = self._action("idle", "Starting training…", request_id,
                              lambda: self.session.train(
                                  self.current_design, self.design_id, request_id,
                                  design_revision=self.document.saved_revision))
        self._set_status("training", "Training", request_id)
        return result

    @COMMANDS.command("stop")
    def _cmd_stop(self, request_id: str) -> Any:
        result = self._action("stopping", "Stopping", request_id,
                              lambda: self.session.stop(self.design_id, request_id))
        if not result["requested"]:
            self._set_status("idle", "Stopped", request_id)
        return result

    @COMMANDS.command("export", Arg("format", str, choices=tuple(FORMATS)))
    def _cmd_export(self, request_id: str, format: str) -> Any:  # noqa: A002 - protocol name
        previous = self.status.get("state")
        file = self._action("exporting", f"Exporting .{format}", request_id,
                            lambda: self.session.export(format, self.current_design,
                                                        self.design_id, request_id))
        reply = self.send_download(request_id, file)
        self._set_status("training" if previous == "training" else "idle",
                         f"Exported {file.filename}", request_id)
        return reply

    def send_download(self, request_id: str, file: ExportFile) -> dict[str, Any]:
        """Send an exported file to the page (its bytes as a binary buffer, which the page
        turns into a download); returns the command's reply."""
        self.send({"kind": "download", "id": request_id, "filename": file.filename,
                   "mime": file.mime, "size": len(file.data)}, buffers=[file.data])
        return {"filename": file.filename, "size": len(file.data), "path": str(file.path)}

    @COMMANDS.command("resync")
    def _cmd_resync(self, request_id: str) -> Any:
        """Send the complete current state again (a page that reconnected)."""
        snap = self.session.snapshot()
        if snap is not None:
            self.metrics = snap
        self.send_state()
        return {"state": self.status.get("state")}

    def close(self) -> None:
        self.session.close()
        super().close()
