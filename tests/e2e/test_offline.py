"""The served app never makes a request beyond this machine (no CDN assets): the
Content-Security-Policy makes the browser refuse any before it is sent, and the page works
under it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from conftest import PHONE, Phone  # type: ignore[import-not-found]
from voila_server import free_port, launch, stop  # type: ignore[import-not-found]

LOCAL = {"127.0.0.1", "localhost", "::1", "[::1]"}


def test_no_request_leaves_the_machine(browser, tmp_path: Path) -> None:
    port = free_port()
    server = launch(port=port, workspace=tmp_path)  # its own: nothing else running
    app_url = f"http://127.0.0.1:{port}/"
    context = browser.new_context(**PHONE)
    page = context.new_page()
    requested: list[str] = []
    blocked: dict[str, str | None] = {}
    answered_from_outside: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.on("requestfailed", lambda r: blocked.__setitem__(r.url, r.failure))
    page.on("response", lambda r: answered_from_outside.append(r.url)
            if urlparse(r.url).scheme in ("http", "https")
            and urlparse(r.url).hostname not in LOCAL else None)
    csp_violations: list[str] = []
    page.on("console", lambda m: csp_violations.append(m.text)
            if "Content Security Policy" in m.text and "fontawesome" not in m.text else None)
    try:
        phone = Phone(page, app_url).open()
        assert not phone.errors
        outside = [u for u in requested
                   if urlparse(u).scheme in ("http", "https", "ws", "wss")
                   and urlparse(u).hostname not in LOCAL]
        # Voila's template links a CDN font; the policy stops it in the browser.
        assert all(blocked.get(u) == "csp" for u in outside), (outside, blocked)
        assert answered_from_outside == []
        assert requested, "the page loaded something"
        assert csp_violations == []  # only the template's CDN font link is refused
        csp = page.evaluate("""async () => (await fetch(location.href, {method: 'HEAD'}))
                               .headers.get('content-security-policy')""")
        assert csp and "default-src 'self'" in csp
    finally:
        context.close()
        stop(server)
