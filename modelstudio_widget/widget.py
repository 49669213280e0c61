"""``ModelStudio``: the anywidget that shows the designer in a notebook cell or, through
Voilà, as a phone web app. A thin adapter: synced traits out, checked messages in, the
core (catalog, rules, store) does the work.

Traits (kernel <-> page):

- ``catalog`` (kernel -> page): the block catalog; the page hard-codes no block type.
- ``design`` / ``design_seq`` (page -> kernel, one message, debounced): the edited design.
  The kernel validates it; a payload that is not a design at all is refused and the last
  good design kept. Every accepted change is autosaved as a new store revision.
- ``validation``: the kernel's result of record plus ``seq`` echoing ``design_seq``.
- ``designs``: saved designs (metas). ``doc``: the open document (``design_id``, ``name``,
  ``revision``, ``saved_at``, ``conflict``, ``load_seq`` bumped when the kernel loads a
  design into the page, ``templates``).
- ``status``, ``metrics``, ``compile_result``: compile/train/export state (wired later).

Commands (page -> kernel, see ``widget_protocol``) are methods registered in ``COMMANDS``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from modelstudio_widget.design.catalog import catalog as catalog_data
from modelstudio_widget.studio import StudioSession
from modelstudio_widget.widget_protocol import (
    DESIGN_ID_RE,
    MAX_DESIGN_BYTES,
    Arg,
    CommandTable,
    ProtocolError,
    json_size,
    parse_envelope,
    readable_id,
    reply_error,
    reply_ok,
)
from modelstudio_widget.workspace import resolve_workspace

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"

IDLE_STATUS: dict[str, Any] = {"state": "idle", "message": "", "request_id": None, "error": None}
#: Training stops when no page has sent a heartbeat for this long (phones rarely say
#: goodbye; a closed tab's kernel would otherwise train forever).
WATCHDOG_TIMEOUT_S = float(os.environ.get("MODELSTUDIO_WATCHDOG_S", 90.0))
#: At most this many disagreement reports per widget (a buggy page must not flood the log).
MAX_DISAGREEMENT_REPORTS = 20

COMMANDS = CommandTable()


def _validate(design: Any) -> Any:
    from modelstudio_widget.design.rules import validate

    return validate(design)


def _templates() -> dict[str, dict[str, Any]]:
    import modelstudio_widget as ms

    fn = getattr(ms, "templates", None)
    return fn() if callable(fn) else {}


def _default_design() -> dict[str, Any]:
    import modelstudio_widget as ms

    fn = getattr(ms, "default_design", None)
    return fn() if callable(fn) else blank_design()


def blank_design() -> dict[str, Any]:
    return {"schema_version": 1, "meta": {}, "components": [], "edges": []}


class ModelStudio(anywidget.AnyWidget):
    """The Model Studio designer. ``ModelStudio(design=None, workspace=None)``.

    With ``design`` it is stored as a new design and opened; without, the most recently
    saved design in the workspace opens (or a new default one).
    ``fullscreen=True`` makes it take the whole page (the Voilà app).
    """

    _esm = STATIC / "widget.js"
    _css = STATIC / "widget.css"

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
        from modelstudio_widget.store import Store

        super().__init__(catalog=catalog_data(), status=dict(IDLE_STATUS),
                         fullscreen=fullscreen, **kwargs)
        self._lock = threading.RLock()
        self._status_lock = threading.Lock()
        self._loading = False
        self._load_seq = 0
        self._design_id: str | None = None
        self._name = ""
        self._revision = 0
        self._saved_at: float | None = None
        self._saved: dict[str, Any] | None = None
        self._good: dict[str, Any] = blank_design()
        self._conflict: dict[str, Any] | None = None
        self._reports = 0
        self.last_heartbeat: float | None = None
        self.workspace = resolve_workspace(workspace)
        self.store = Store.in_workspace(self.workspace)
        self.session = StudioSession(self.workspace, self.store, self._on_snapshot,
                                     watchdog_timeout_s=watchdog_timeout_s)
        self._handled: tuple[int, int] | None = None
        # The page sets design and design_seq in one message; an unchanged design (an
        # undo back to it) fires only design_seq. Either way it is handled once.
        self.observe(self._on_design, names=["design", "design_seq"])
        self.on_msg(self._on_msg)

        if design is not None:
            self._load(self._create(design, None))
        else:
            metas = self.store.list_designs()
            if metas:
                self._load(self.store.get_design(metas[0].id))
            else:
                self._load(self._create(_default_design(), None))

    # ------------------------------------------------------------------ public helpers
    @property
    def current_design(self) -> dict[str, Any]:
        """The last good design the kernel holds (what autosave stored or will store)."""
        return self._good

    @property
    def design_id(self) -> str | None:
        return self._design_id

    # ------------------------------------------------------------------ loading and saving
    def _load(self, record: Any) -> None:
        """Make ``record`` (a store DesignRecord) the open document and send it to the page."""
        with self._lock, self.hold_sync():
            self._design_id = record.id
            self._name = record.name
            self._revision = record.revision
            self._saved_at = record.updated_at
            self._saved = record.design
            self._good = record.design
            self._conflict = None
            self._load_seq += 1
            self._loading = True
            try:
                self.design_seq = self.design_seq + 1
                self.design = record.design
            finally:
                self._loading = False
            self.validation = {**_validate(record.design).to_dict(), "seq": self.design_seq}
            self._publish_doc()
            self._publish_designs()
        # A page that (re)loads while its design trains in another kernel follows it.
        if self.session.attach(record.id):
            self._set_status("training", "Training (started in another window)")

    def _publish_doc(self) -> None:
        templates = [{"key": k, "name": str(v.get("name", k))} for k, v in _templates().items()]
        self.doc = {
            "design_id": self._design_id,
            "name": self._name,
            "revision": self._revision,
            "saved_at": self._saved_at,
            "conflict": self._conflict,
            "load_seq": self._load_seq,
            "templates": templates,
        }

    def _publish_designs(self) -> None:
        self.designs = [{"id": m.id, "name": m.name, "revision": m.revision,
                         "updated_at": m.updated_at} for m in self.store.list_designs()]

    def _on_design(self, _change: dict[str, Any]) -> None:
        """A design from the page: validate, keep if it is a design, autosave."""
        if self._loading:
            return
        # One message back (validation, doc and designs together), not three: every
        # message is a hop through the server for the page's round trip.
        with self._lock, self.hold_sync():
            seq = self.design_seq
            incoming = self.design
            if self._handled == (id(incoming), seq):
                return
            self._handled = (id(incoming), seq)
            try:
                json_size(incoming, "The design", MAX_DESIGN_BYTES)
                if not isinstance(incoming, dict):
                    raise ProtocolError("BAD_DESIGN", "A design must be a JSON object, not "
                                        f"{type(incoming).__name__}.")
            except ProtocolError as exc:
                self._refuse(seq, exc.code, exc.message)
                return
            design = {**incoming, "id": self._design_id, "name": self._name}
            result = _validate(design)
            if any(i.code == "BAD_DESIGN" for i in result.errors):
                self._refuse(seq, None, None, result.to_dict())
                return
            self._good = design
            self.validation = {**result.to_dict(), "seq": seq}
            self._autosave(design)

    def _refuse(self, seq: int, code: str | None, message: str | None,
                result: dict[str, Any] | None = None) -> None:
        """Keep the last good design; tell the page why its payload was refused."""
        if result is None:
            result = {"valid": False, "paramCount": 0.0, "params": 0, "estimatedMemory": 0,
                      "errors": [{"code": code, "message": message, "severity": "error"}]}
        log.warning("Model Studio: refused a design from the page: %s",
                    "; ".join(e["message"] for e in result["errors"])[:300])
        self._loading = True
        try:
            self.design = self._good
        finally:
            self._loading = False
        self._handled = (id(self.design), seq)
        self.validation = {**result, "seq": seq}

    def _autosave(self, design: dict[str, Any]) -> None:
        from modelstudio_widget.store import NotFound, RevisionConflict, StoreError

        if self._conflict is not None:
            self._conflict = {**self._conflict, "mine": design}
            self._publish_doc()
            return
        if design == self._saved or self._design_id is None:
            return
        try:
            record = self.store.save_design(self._design_id, design,
                                            base_revision=self._revision)
        except RevisionConflict as exc:
            self._conflict = {"current_revision": exc.current_revision,
                              "theirs": exc.current.design, "mine": design}
            self._publish_doc()
            return
        except NotFound:  # deleted elsewhere: keep the work as a new design
            record = self.store.create_design(design, name=self._name)
            self._design_id = record.id
        except (StoreError, ValueError) as exc:
            log.warning("Model Studio: autosave failed: %s", exc)
            self.status = {**IDLE_STATUS, "error": {"code": "SAVE_FAILED", "message": str(exc)}}
            return
        self._revision = record.revision
        self._saved = record.design
        self._saved_at = record.updated_at
        self._publish_doc()
        self._publish_designs()

    # ------------------------------------------------------------------ commands
    def _on_msg(self, _widget: Any, content: Any, _buffers: Any = None) -> None:
        """Every custom message from the page. Never raises: errors become replies."""
        request_id = readable_id(content)
        try:
            with self._lock:
                cmd = parse_envelope(content)
                spec = COMMANDS.get(cmd.name)
                if spec is None:
                    raise ProtocolError("UNKNOWN_COMMAND", f"Unknown command {cmd.name!r}.")
                result = spec.handler(self, cmd.id, **spec.bind(cmd.args))
            self.send(reply_ok(cmd.id, result))
        except ProtocolError as exc:
            self.send(reply_error(request_id, exc.code, exc.message))
        except Exception as exc:  # a bug: keep the kernel alive and tell the page
            log.exception("Model Studio: command failed")
            self.send(reply_error(request_id, "INTERNAL", f"{type(exc).__name__}: {exc}"[:300]))

    def handle_message(self, content: Any) -> None:
        """Handle one page message as if it came from the page (tests, automation)."""
        self._on_msg(self, content, None)

    def _get_record(self, design_id: str) -> Any:
        from modelstudio_widget.store import NotFound

        try:
            return self.store.get_design(design_id)
        except NotFound as exc:
            raise ProtocolError("NOT_FOUND", str(exc)) from None

    @COMMANDS.command("new_design", Arg("name", str, max_len=120),
                      Arg("template", str, required=False, max_len=64))
    def _cmd_new_design(self, request_id: str, name: str, template: str | None = None) -> Any:
        if not name.strip():
            raise ProtocolError("BAD_ARGS", "A design needs a name.")
        if template:
            templates = _templates()
            if template not in templates:
                raise ProtocolError("BAD_ARGS", f"No template {template!r}.")
            design = templates[template]
        else:
            design = blank_design()
        design = {k: v for k, v in design.items() if k != "id"}
        try:
            record = self._create(design, request_id, name=name)
        except ValueError as exc:
            raise ProtocolError("BAD_ARGS", str(exc)) from None
        self._load(record)
        return {"design_id": record.id}

    @COMMANDS.command("open_design", Arg("design_id", str, pattern=DESIGN_ID_RE, max_len=64))
    def _cmd_open_design(self, request_id: str, design_id: str) -> Any:
        self._load(self._get_record(design_id))
        return {"design_id": design_id}

    @COMMANDS.command("rename_design", Arg("design_id", str, pattern=DESIGN_ID_RE, max_len=64),
                      Arg("name", str, max_len=120))
    def _cmd_rename_design(self, request_id: str, design_id: str, name: str) -> Any:
        from modelstudio_widget.store import NotFound, RevisionConflict

        current = design_id == self._design_id
        try:
            record = self.store.rename_design(
                design_id, name, base_revision=self._revision if current else None)
        except RevisionConflict:
            raise ProtocolError("CONFLICT", "The design was saved elsewhere; resolve that "
                                "first.") from None
        except NotFound as exc:
            raise ProtocolError("NOT_FOUND", str(exc)) from None
        except ValueError as exc:
            raise ProtocolError("BAD_ARGS", str(exc)) from None
        if current:
            self._name = record.name
            self._revision = record.revision
            self._saved = record.design
            self._good = {**self._good, "name": record.name}
            self._saved_at = record.updated_at
            self._publish_doc()
        self._publish_designs()
        return {"design_id": design_id, "name": record.name, "revision": record.revision}

    @COMMANDS.command("delete_design", Arg("design_id", str, pattern=DESIGN_ID_RE, max_len=64))
    def _cmd_delete_design(self, request_id: str, design_id: str) -> Any:
        from modelstudio_widget.store import NotFound

        try:
            self.store.delete_design(design_id)
        except NotFound as exc:
            raise ProtocolError("NOT_FOUND", str(exc)) from None
        if design_id == self._design_id:
            metas = self.store.list_designs()
            record = (self.store.get_design(metas[0].id) if metas
                      else self._create(_default_design(), request_id))
            self._load(record)
        else:
            self._publish_designs()
        return {"design_id": design_id}

    @COMMANDS.command("resolve_conflict", Arg("choice", str, choices=("mine", "theirs")))
    def _cmd_resolve_conflict(self, request_id: str, choice: str) -> Any:
        from modelstudio_widget.store import RevisionConflict

        conflict = self._conflict
        if conflict is None or self._design_id is None:
            raise ProtocolError("NO_CONFLICT", "There is no conflict to resolve.")
        if choice == "theirs":
            self._load(self.store.get_design(self._design_id))
            return {"revision": self._revision}
        try:
            record = self.store.save_design(self._design_id, conflict["mine"],
                                            base_revision=conflict["current_revision"])
        except RevisionConflict as exc:  # yet another save came in: ask again
            self._conflict = {"current_revision": exc.current_revision,
                              "theirs": exc.current.design, "mine": conflict["mine"]}
            self._publish_doc()
            raise ProtocolError("CONFLICT", "Saved elsewhere again; choose once more.") from None
        self._conflict = None
        self._revision = record.revision
        self._saved = record.design
        self._saved_at = record.updated_at
        self._publish_doc()
        self._publish_designs()
        return {"revision": record.revision}

    @COMMANDS.command("report_disagreement", Arg("seq", int, minimum=0),
                      Arg("kernel", dict), Arg("local", dict))
    def _cmd_report_disagreement(self, request_id: str, seq: int, kernel: dict[str, Any],
                                 local: dict[str, Any]) -> Any:
        self._reports += 1
        if self._reports > MAX_DISAGREEMENT_REPORTS:
            return {"logged": False}
        log.warning("Model Studio: the page's validator disagrees with the kernel's (a bug) "
                    "on design %s seq %d: kernel=%s page=%s", self._design_id, seq,
                    str(kernel)[:500], str(local)[:500])
        try:
            self.store.record_event("validation_disagreement", request_id=request_id,
                                    design_id=self._design_id,
                                    data={"seq": seq, "kernel": kernel, "local": local,
                                          "design": self._good})
        except ValueError as exc:
            log.warning("Model Studio: could not record the disagreement: %s", exc)
        return {"logged": True}

    @COMMANDS.command("heartbeat")
    def _cmd_heartbeat(self, request_id: str) -> Any:
        self.last_heartbeat = time.monotonic()
        self.session.heartbeat()
        # The page paces its heartbeats to the watchdog (a short one must not fire on a
        # page that is still open).
        return {"at": time.time(), "watchdog_s": self.session.watchdog_timeout_s}

    # ------------------------------------------------------------------ app actions
    def _create(self, design: dict[str, Any], request_id: str | None, **kw: Any) -> Any:
        record = self.store.create_design(design, **kw)
        self.session._event("design_created", request_id, record.id,
                            {"name": record.name, "components": len(design.get(
                                "components") or [])})
        return record

    def _set_status(self, state: str, message: str = "", request_id: str | None = None,
                    error: dict[str, str] | None = None) -> None:
        with self._status_lock:
            self.status = {"state": state, "message": message, "request_id": request_id,
                           "error": error}

    def _on_snapshot(self, snap: dict[str, Any]) -> None:
        """A training snapshot (training or watcher thread): to the page, complete."""
        self.metrics = snap
        state = snap.get("state")
        current = self.status.get("state")
        if state == "idle" and current in ("training", "stopping"):
            message = snap.get("error") or f"Stopped after {snap.get('update', 0)} updates"
            self._set_status("idle", message, self.status.get("request_id"))
        elif (current == "idle" and state in ("training", "stopping")
              or current == state == "training"):
            message = snap.get("error") or "Training"  # e.g. a checkpoint that failed
            if current == "idle" or self.status.get("message") != message:
                self._set_status(state, message, self.status.get("request_id"))

    def _action(self, state: str, message: str, request_id: str, fn: Any) -> Any:
        """Run an action with its status; failures become error replies and statuses."""
        from modelstudio_widget.studio import ActionError

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
            self._good, self._design_id, request_id))
        self.compile_result = {**result, "request_id": request_id}
        self._set_status("idle", f"Compiled {result['file']}: {result['params']:,} parameters",
                         request_id)
        log.info("Model Studio [%s]: compiled %s", request_id, result["path"])
        return {k: result[k] for k in ("params", "paramCount", "file", "time_ms",
                                        "import_path")}

    @COMMANDS.command("train")
    def _cmd_train(self, request_id: str) -> Any:
        # "training" only once the run exists (starting builds the model: seconds when
        # torch is first imported).
        result = self._action("idle", "Starting training…", request_id,
                              lambda: self.session.train(self._good, self._design_id,
                                                         request_id))
        self._set_status("training", "Training", request_id)
        log.info("Model Studio [%s]: training run %s", request_id, result["run_id"])
        return result

    @COMMANDS.command("stop")
    def _cmd_stop(self, request_id: str) -> Any:
        result = self._action("stopping", "Stopping", request_id,
                              lambda: self.session.stop(self._design_id, request_id))
        if not result["requested"]:
            self._set_status("idle", "Stopped", request_id)
        log.info("Model Studio [%s]: stop %s", request_id, result["run_id"])
        return result

    @COMMANDS.command("export", Arg("format", str, choices=("pt", "pt2", "onnx")))
    def _cmd_export(self, request_id: str, format: str) -> Any:  # noqa: A002 - protocol name
        previous = self.status.get("state")
        file = self._action("exporting", f"Exporting .{format}", request_id,
                            lambda: self.session.export(format, self._good, self._design_id,
                                                        request_id))
        # The bytes travel as a binary buffer; the page turns them into a download.
        self.send({"kind": "download", "id": request_id, "filename": file.filename,
                   "mime": file.mime, "size": len(file.data)}, buffers=[file.data])
        self._set_status("training" if previous == "training" else "idle",
                         f"Exported {file.filename}", request_id)
        log.info("Model Studio [%s]: exported %s", request_id, file.path)
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
