"""The widget's message protocol: the envelope of page -> kernel commands, their
arguments, and the table that maps command names to handlers.

Under Voilà these messages are reachable from the network (Voilà blocks code execution,
so the widget's handlers are the whole attack surface). Everything here assumes hostile
input: sizes are capped, types are checked exactly (``type(v) is int``: ``True`` is an int
too), NaN/Infinity are refused, ids must match a strict pattern.

Envelope (page -> kernel)::

    {"kind": "command", "id": "<request id>", "name": "<command>", "args": {...}}

Reply (kernel -> page)::

    {"kind": "reply", "id": "<request id>", "ok": true, "result": ...}
    {"kind": "reply", "id": "<request id>", "ok": false, "error": {"code": ..., "message": ...}}
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from modelstudio_widget.ids import FORBIDDEN_NAME_CHARS, ID_RE

log = logging.getLogger(__name__)

#: Largest command message accepted, as JSON text.
MAX_MESSAGE_BYTES = 256 * 1024
#: Largest design accepted through the ``design`` trait, as JSON text.
MAX_DESIGN_BYTES = 2 * 1024 * 1024
MAX_REQUEST_ID = 64
MAX_STRING = 1000

REQUEST_ID_RE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_.:-]{{0,{MAX_REQUEST_ID - 1}}}")
#: The store's design ids (see ``ids.ID_RE``).
DESIGN_ID_RE = ID_RE
NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")


class ProtocolError(Exception):
    """A message the kernel refuses; becomes an error reply with ``code``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def json_size(value: Any, what: str, limit: int) -> int:
    """Size of ``value`` as strict JSON; ``ProtocolError`` if not JSON or over ``limit``."""
    try:
        text = json.dumps(value, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:  # NaN/Infinity, non-JSON objects, cycles
        raise ProtocolError("BAD_JSON", f"{what} is not plain JSON ({exc}).") from None
    except RecursionError:
        raise ProtocolError("BAD_JSON", f"{what} is nested too deeply.") from None
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limit:
        raise ProtocolError("TOO_LARGE", f"{what} is {size} bytes; the limit is {limit}.")
    return size


@dataclass(frozen=True)
class Arg:
    """One command argument. ``kind``: str, int, bool, float, dict, list."""

    name: str
    kind: type
    required: bool = True
    max_len: int = MAX_STRING
    pattern: re.Pattern[str] | None = None
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None

    def check(self, value: Any) -> Any:
        where = f"argument '{self.name}'"
        if type(value) is not self.kind and not (self.kind is float and type(value) is int):
            raise ProtocolError("BAD_ARGS", f"{where} must be a {self.kind.__name__}, "
                                f"not {type(value).__name__}.")
        if self.kind is float and not math.isfinite(value):
            raise ProtocolError("BAD_ARGS", f"{where} must be a finite number.")
        if self.kind in (int, float) and (
                (self.minimum is not None and value < self.minimum)
                or (self.maximum is not None and value > self.maximum)):
            raise ProtocolError("BAD_ARGS", f"{where} is out of range.")
        if self.kind is str:
            if len(value) > self.max_len:
                raise ProtocolError("BAD_ARGS", f"{where} is longer than {self.max_len} "
                                    "characters.")
            if self.pattern is not None and not self.pattern.fullmatch(value):
                raise ProtocolError("BAD_ARGS", f"{where} has characters that are not allowed.")
            if self.choices and value not in self.choices:
                raise ProtocolError("BAD_ARGS", f"{where} must be one of "
                                    f"{', '.join(self.choices)}.")
            # What a name may not hold (control characters, bidi overrides) no string may.
            if FORBIDDEN_NAME_CHARS.search(value):
                raise ProtocolError("BAD_ARGS", f"{where} contains control characters.")
        if self.kind in (dict, list):
            json_size(value, where, MAX_MESSAGE_BYTES)
        return value


Handler = Callable[..., Any]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    handler: Handler
    args: tuple[Arg, ...]

    def bind(self, args: dict[str, Any]) -> dict[str, Any]:
        """Checked keyword arguments for the handler."""
        known = {a.name for a in self.args}
        unknown = sorted(k for k in args if k not in known)
        if unknown:
            shown = ", ".join(repr(k)[:40] for k in unknown[:3])
            raise ProtocolError("BAD_ARGS", f"'{self.name}' takes no argument {shown}.")
        out: dict[str, Any] = {}
        for a in self.args:
            if a.name in args:
                out[a.name] = a.check(args[a.name])
            elif a.required:
                raise ProtocolError("BAD_ARGS", f"'{self.name}' needs argument '{a.name}'.")
        return out


class CommandTable:
    """Command name -> handler with its argument spec. Add a command with::

        @COMMANDS.command("compile", Arg("design_id", str, pattern=DESIGN_ID_RE))
        def _cmd_compile(self, request_id, design_id): ...

    A handler gets ``(widget, request_id, **checked_args)`` and returns the reply's
    ``result`` (JSON) or raises ``ProtocolError``.
    """

    def __init__(self) -> None:
        self._specs: dict[str, CommandSpec] = {}

    def command(self, name: str, *args: Arg) -> Callable[[Handler], Handler]:
        if not NAME_RE.fullmatch(name):
            raise ValueError(f"bad command name {name!r}")

        def register(fn: Handler) -> Handler:
            self._specs[name] = CommandSpec(name, fn, args)
            return fn

        return register

    def get(self, name: str) -> CommandSpec | None:
        return self._specs.get(name)

    def names(self) -> list[str]:
        return sorted(self._specs)

    def dispatch(self, target: Any, content: Any) -> dict[str, Any]:
        """Run the command in ``content`` on ``target``; the reply to send. Never raises:
        a refused message is an error reply, and a bug is an ``INTERNAL`` one (logged), so
        the kernel keeps running whatever the page sends."""
        request_id = readable_id(content)
        try:
            cmd = parse_envelope(content)
            spec = self.get(cmd.name)
            if spec is None:
                raise ProtocolError("UNKNOWN_COMMAND", f"Unknown command {cmd.name!r}.")
            return reply_ok(cmd.id, spec.handler(target, cmd.id, **spec.bind(cmd.args)))
        except ProtocolError as exc:
            return reply_error(request_id, exc.code, exc.message)
        except Exception as exc:
            log.exception("Model Studio: command failed")
            return reply_error(request_id, "INTERNAL", f"{type(exc).__name__}: {exc}"[:300])


@dataclass(frozen=True)
class Command:
    id: str
    name: str
    args: dict[str, Any]


def parse_envelope(content: Any) -> Command:
    """Check a message's envelope. Raises ``ProtocolError`` (with the id when readable)."""
    if not isinstance(content, dict):
        raise ProtocolError("BAD_MESSAGE", f"A message must be a JSON object, not "
                            f"{type(content).__name__}.")
    json_size(content, "The message", MAX_MESSAGE_BYTES)
    if content.get("kind") != "command":
        raise ProtocolError("BAD_MESSAGE", "Only messages of kind 'command' are accepted.")
    request_id = content.get("id")
    if not isinstance(request_id, str) or not REQUEST_ID_RE.fullmatch(request_id):
        raise ProtocolError("BAD_MESSAGE", "A command needs an 'id' of "
                            f"1-{MAX_REQUEST_ID} letters, digits and '_.:-'.")
    name = content.get("name")
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise ProtocolError("BAD_MESSAGE", "A command needs a 'name'.")
    args = content.get("args", {})
    if not isinstance(args, dict):
        raise ProtocolError("BAD_ARGS", "'args' must be a JSON object.")
    return Command(request_id, name, args)


def readable_id(content: Any) -> str | None:
    """The request id of a message, if it has a well-formed one (for error replies)."""
    if isinstance(content, dict):
        rid = content.get("id")
        if isinstance(rid, str) and REQUEST_ID_RE.fullmatch(rid):
            return rid
    return None


def reply_ok(request_id: str, result: Any = None) -> dict[str, Any]:
    return {"kind": "reply", "id": request_id, "ok": True, "result": result}


def reply_error(request_id: str | None, code: str, message: str) -> dict[str, Any]:
    return {"kind": "reply", "id": request_id, "ok": False,
            "error": {"code": code, "message": message}}
