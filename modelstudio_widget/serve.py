"""``modelstudio serve``: the phone app, served by Voilà with the settings it needs.

On top of stock Voilà this:
- requires a token whenever it binds beyond loopback (a generated one unless given), and
  prints the URL with it, plus a QR code for the phone;
- sets TCP no-delay on the kernel websocket (stock Voilà waits ~45 ms per round trip for
  Nagle's algorithm; FINDINGS measured 3-4 ms with no-delay);
- raises the iopub message-rate limit (jupyter_server silently drops messages above
  1000/s) and culls idle kernels (a closed phone tab leaks its kernel: voila issue 1458);
- sends a Content-Security-Policy that keeps every request on this server (no CDN);
- points kernels at the workspace through ``$MODELSTUDIO_WORKSPACE``, and preheated ones
  (voila.json) at the address this server listens on (Voila assumes 127.0.0.1);
- serves the app's bundle as static, immutable files (``app_static``) and tells kernels
  where, so the page opens the studio before Voilà's scripts and the widget arrive;
- frees a page's kernel when the page goes away: Voila's unload beacon carries the
  ``_xsrf`` cookie, which stock Voila never sets (voila issue 1458), except for a kernel
  that trains (a reloaded page follows its run; the watchdog ends it).

Training has its own watchdog (the widget stops a run when the page's heartbeat stops),
since a kernel whose thread keeps sending is never idle and never culled.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
import sys
from pathlib import Path
from typing import Any

from modelstudio_widget.app_static import APP_DIR, URL_ENV_VAR, url_path
from modelstudio_widget.app_static_handler import app_static_route
from modelstudio_widget.preheat import APP_IP
from modelstudio_widget.store import Store
from modelstudio_widget.workspace import ENV_VAR, resolve_workspace

PACKAGE_DIR = Path(__file__).resolve().parent
#: Holds voila/templates/<APP_TEMPLATE>: Voila's lab template plus the design preview in
#: the page's HTML (modelstudio_widget/preview.py). Named here, not in voila.json, so that
#: plain ``voila notebooks/model_studio.ipynb`` (which does not know the folder) still works.
JUPYTER_DATA_DIR = PACKAGE_DIR / "share" / "jupyter"
APP_TEMPLATE = "modelstudio"
REPO_DIR = PACKAGE_DIR.parent
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
IOPUB_MSG_RATE_LIMIT = 100_000  # messages/s: effectively never drop a widget update
CULL_IDLE_S = 15 * 60
CULL_INTERVAL_S = 60
#: The page may load and connect only to this server: Voila's lab template links Font
#: Awesome from a CDN (and a phone may be offline); the browser refuses such requests
#: before they leave. Inline and blob: scripts are Voila's and anywidget's own loaders.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:",
    "worker-src 'self' blob:",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self' ws: wss:",  # older Safari does not count ws: as 'self'
    "frame-ancestors 'self'",
    "base-uri 'self'",
    "form-action 'self'",
])


def is_loopback(ip: str) -> bool:
    if ip in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(ip.strip("[]")).is_loopback
    except ValueError:
        return False


def app_files() -> tuple[Path, Path]:
    """(the app notebook, the folder holding voila.json): packaged copy or source checkout."""
    packaged = PACKAGE_DIR / "app"
    if (packaged / "model_studio.ipynb").is_file():
        return packaged / "model_studio.ipynb", packaged
    return REPO_DIR / "notebooks" / "model_studio.ipynb", REPO_DIR


def voila_argv(notebook: Path, *, ip: str, port: int, token: str | None,
               open_browser: bool) -> list[str]:
    """Command-line settings for Voilà (also used by the end-to-end tests)."""
    argv = [
        str(notebook),
        f"--port={port}",
        f"--Voila.ip={ip}",
        "--Voila.open_browser=" + ("True" if open_browser else "False"),
        f"--VoilaConfiguration.template={APP_TEMPLATE}",
        f"--ZMQChannelsWebsocketConnection.iopub_msg_rate_limit={IOPUB_MSG_RATE_LIMIT}",
        "--ZMQChannelsWebsocketConnection.iopub_data_rate_limit=1000000000",
        f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_S}",
        f"--MappingKernelManager.cull_interval={CULL_INTERVAL_S}",
        "--MappingKernelManager.cull_connected=False",
        # Kernels talk over Unix sockets in Voilà's private connection-file folder, not
        # over TCP ports that any local user can reach.
        "--KernelManager.transport=ipc",
    ]
    if token is not None:
        argv.append(f"--token={token}")
    return argv


def query_ip(ip: str) -> str:
    """The address a preheated kernel reaches this server at, for the bound ``ip``."""
    if ip in ("", "0.0.0.0") or ip in LOOPBACK_NAMES:
        return "127.0.0.1"
    if ip == "::":  # tornado binds "::" IPv6-only
        return "::1"
    return ip.strip("[]")


def kernel_trains(store: Store, pid: int | None) -> bool:
    """Whether the kernel process ``pid`` owns a run that is training now."""
    if pid is None:
        return False
    host = socket.gethostname()
    return any(run.status == "running" and run.owner_pid == pid and run.owner_host == host
               for run in store.list_runs())


def kernel_pid(kernel_manager: Any, kernel_id: str) -> int | None:
    try:
        return kernel_manager.get_kernel(kernel_id).provisioner.pid
    except (KeyError, AttributeError):
        return None


def free_kernels_on_unload(store: Store) -> None:
    """Let Voila's unload beacon shut the page's kernel down (a reload, a closed tab), so
    that kernels do not pile up until culling; keep a kernel that trains."""
    import tornado.web
    from voila.handler import VoilaHandler
    from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler

    if getattr(VoilaHandler, "_modelstudio_xsrf", False):
        return
    page = VoilaHandler.get_generator
    shutdown = VoilaShutdownKernelHandler.post

    async def page_with_xsrf_cookie(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.xsrf_token  # noqa: B018 - reading it sets the cookie the beacon sends back
        async for chunk in page(self, *args, **kwargs):
            yield chunk

    @tornado.web.authenticated
    async def shutdown_unless_training(self, kernel_id):  # type: ignore[no-untyped-def]
        if kernel_trains(store, kernel_pid(self.kernel_manager, kernel_id)):
            self.set_status(204)
            self.finish()
            return
        await shutdown(self, kernel_id)

    VoilaHandler.get_generator = page_with_xsrf_cookie  # type: ignore[method-assign]
    VoilaShutdownKernelHandler.post = shutdown_unless_training  # type: ignore[method-assign]
    VoilaHandler._modelstudio_xsrf = True  # type: ignore[attr-defined]


def enable_websocket_nodelay() -> None:
    """Send kernel websocket frames at once instead of waiting for Nagle's algorithm."""
    from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

    if getattr(VoilaKernelWebsocketHandler, "_modelstudio_nodelay", False):
        return
    original_open = VoilaKernelWebsocketHandler.open

    async def open_with_nodelay(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.set_nodelay(True)
        return await original_open(self, *args, **kwargs)

    VoilaKernelWebsocketHandler.open = open_with_nodelay  # type: ignore[method-assign]
    VoilaKernelWebsocketHandler._modelstudio_nodelay = True  # type: ignore[attr-defined]


def serve_app_static(app: Any, folder: Path = APP_DIR) -> None:
    """Serve the app's bundle from ``folder`` beside Voilà's routes, and tell the kernels
    (preheated ones too: they inherit this environment) its URL path. Voilà builds its
    tornado app in ``start()``, its catch-all page route last: this rule goes first."""
    voila_handlers = app.init_handlers
    app.init_handlers = lambda: [app_static_route(app.server_url, folder), *voila_handlers()]
    os.environ[URL_ENV_VAR] = url_path(app.base_url)


def lan_address() -> str:
    """This machine's address on the local network (for the phone's URL), best effort."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET address: no packet is sent by connect()
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def print_banner(url: str, *, qr: bool = True, out=None) -> None:  # type: ignore[no-untyped-def]
    out = out or sys.stdout
    print(f"\n  Model Studio is running at:\n\n    {url}\n", file=out)
    if qr:
        try:
            import segno

            segno.make(url, error="l").terminal(out=out, compact=True)
        except Exception:  # a QR code is a convenience, never a failure
            pass
    print("  Press Ctrl+C to stop.\n", file=out, flush=True)


def trust_app_notebook(notebook: Path) -> bool:
    """Sign the app's own notebook in the user's Jupyter signature store, so Voilà does not
    warn that it is untrusted on every page load. True when it is trusted afterwards."""
    try:
        import nbformat
        from nbformat.sign import NotebookNotary

        nb = nbformat.read(notebook, as_version=4)
        notary = NotebookNotary()
        if not notary.check_signature(nb):
            notary.sign(nb)
        return notary.check_signature(nb)
    except Exception:  # a read-only home: the warning stays, the app works all the same
        return False


def serve(*, ip: str = "127.0.0.1", port: int = 8866, token: str | None = None,
          open_browser: bool = False, workspace: str | os.PathLike[str] | None = None,
          qr: bool = True) -> int:
    """Run the app until interrupted. Returns the exit code."""
    if token == "" and not is_loopback(ip):
        raise SystemExit("refusing to serve beyond loopback without a token: drop --token '' "
                         "to get a generated one")
    if token is None and not is_loopback(ip):
        token = secrets.token_urlsafe(18)
    notebook, config_dir = app_files()
    if not notebook.is_file():
        raise SystemExit(f"the app notebook is missing: {notebook}")
    trust_app_notebook(notebook)
    os.environ[ENV_VAR] = str(resolve_workspace(workspace))
    os.environ[APP_IP] = query_ip(ip)
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(JUPYTER_DATA_DIR), *filter(None, [os.environ.get("JUPYTER_PATH")])])
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # kernels inherit it (FINDINGS: threads)
    enable_websocket_nodelay()
    free_kernels_on_unload(Store.in_workspace(os.environ[ENV_VAR]))

    from voila.app import Voila

    os.chdir(config_dir)  # Voilà reads voila.json from the start directory
    app = Voila()
    app.initialize(voila_argv(notebook, ip=ip, port=port, token=token,
                              open_browser=open_browser))
    serve_app_static(app)
    headers = dict(app.tornado_settings.get("headers", {}))
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    app.tornado_settings = {**app.tornado_settings, "headers": headers}
    host = lan_address() if ip in ("0.0.0.0", "::") else ip
    url = f"http://{host}:{app.port}/" + (f"?token={token}" if token else "")
    print_banner(url, qr=qr and not is_loopback(ip))
    try:
        app.start()
    except KeyboardInterrupt:
        return 0
    return 0

