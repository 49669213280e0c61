"""A preheated kernel waits for its visitor (modelstudio_widget/preheat.py), speaking
Voilà's query protocol: one websocket message with the request's environment."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from websockets.sync.server import serve

from modelstudio_widget import preheat


@pytest.fixture
def voila_query(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A stand-in for Voilà's /voila/query/<kernel id> socket; yields the paths asked for.
    It answers once a visitor "comes", half a second after the kernel connects."""
    asked: list[str] = []

    def handler(ws) -> None:  # type: ignore[no-untyped-def]
        asked.append(ws.request.path)
        time.sleep(0.5)
        ws.send(json.dumps({"QUERY_STRING": "design=d-1", "SERVER_NAME": "phone.local"}))

    with serve(handler, "127.0.0.1", 0) as server:
        port = server.socket.getsockname()[1]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        monkeypatch.setenv(preheat.PREHEAT, "True")
        monkeypatch.setenv(preheat.APP_PORT, str(port))
        monkeypatch.setenv(preheat.SERVER_URL, "/base/")
        monkeypatch.setenv(preheat.KERNEL_ID, "k-123")
        monkeypatch.delenv("QUERY_STRING", raising=False)
        monkeypatch.delenv("SERVER_NAME", raising=False)
        yield asked
        server.shutdown()


def test_outside_a_preheated_kernel_it_returns_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(preheat.PREHEAT, raising=False)
    assert not preheat.preheating()
    assert preheat.wait_for_visitor() is False
    monkeypatch.setenv(preheat.PREHEAT, "False")  # what Voila sets for a kernel of a visit
    assert preheat.wait_for_visitor() is False


def test_it_waits_for_the_visitor_and_takes_the_request_environment(
        voila_query: list[str]) -> None:
    t0 = time.monotonic()
    assert preheat.wait_for_visitor() is True
    assert time.monotonic() - t0 >= 0.45  # it waited for the visit
    assert voila_query == ["/base/voila/query/k-123"]
    assert os.environ["QUERY_STRING"] == "design=d-1"
    assert os.environ["SERVER_NAME"] == "phone.local"


def test_no_voila_to_ask_means_no_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:  # a port nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv(preheat.PREHEAT, "True")
    monkeypatch.setenv(preheat.APP_PORT, str(port))
    t0 = time.monotonic()
    assert preheat.wait_for_visitor() is False
    assert time.monotonic() - t0 < preheat.CONNECT_TIMEOUT_S
