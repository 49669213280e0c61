"""Waiting for the visitor in a kernel that Voilà preheated.

With ``preheat_kernel`` (voila.json) Voilà starts a kernel and runs the app notebook before
anyone visits. The notebook imports everything there, then calls ``wait_for_visitor()``:
the studio is built only once a page has taken the kernel, so it reads the store as it is
at the visit (designs edited since, a run in progress to follow), not as it was when the
kernel started, maybe hours before.

Voilà's own ``voila.utils.wait_for_request`` does the same, but importing ``voila`` pulls
in jupyter_server and costs seconds: on the critical path whenever a page takes a kernel
that is still preheating (a quick reload). This speaks the same small protocol: one
websocket to ``/voila/query/<kernel id>`` that delivers the request's environment
variables as a JSON object.
"""

from __future__ import annotations

import json
import logging
import os

log = logging.getLogger(__name__)

#: Voilà's names (``voila.utils.ENV_VARIABLE``) for what it tells a preheated kernel.
PREHEAT = "VOILA_PREHEAT"
APP_IP = "VOILA_APP_IP"
APP_PORT = "VOILA_APP_PORT"
SERVER_URL = "VOILA_SERVER_URL"
KERNEL_ID = "VOILA_KERNEL_ID"
CONNECT_TIMEOUT_S = 5.0


def in_voila() -> bool:
    """Whether this kernel runs a Voila page (Voila says whether it was preheated)."""
    return PREHEAT in os.environ


def preheating() -> bool:
    """Whether Voilà started this kernel for a pool, before any visitor."""
    return os.environ.get(PREHEAT) == "True"


def query_url() -> str:
    """Where Voilà hands this kernel's visitor over."""
    ip = os.environ.get(APP_IP, "127.0.0.1")
    if ":" in ip:
        ip = f"[{ip}]"  # an IPv6 address
    port = os.environ.get(APP_PORT, "8866")
    base = os.environ.get(SERVER_URL, "/")
    return f"ws://{ip}:{port}{base}voila/query/{os.environ.get(KERNEL_ID, '')}"


def wait_for_visitor() -> bool:
    """Block until a page takes this preheated kernel; then set the request's environment
    variables, as Voilà does. Returns at once (False) outside a preheated kernel, or when
    Voilà cannot be reached (the studio then opens with what it has)."""
    if not preheating():
        return False
    # Imported here: only a preheated kernel needs a websocket client.
    from websockets.exceptions import WebSocketException
    from websockets.sync.client import connect

    try:
        with connect(query_url(), open_timeout=CONNECT_TIMEOUT_S) as ws:
            message = ws.recv()
    except (OSError, TimeoutError, WebSocketException) as exc:
        log.warning("preheated kernel: no word from Voila (%s)", exc)
        return False
    for key, value in json.loads(message).items():
        os.environ[str(key)] = str(value)
    return True
