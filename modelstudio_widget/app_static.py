"""The app's bundle as static files: what the server serves, and what the kernel puts into
the page so that the studio opens before Voilà's scripts and the kernel's widget arrive.

``npm run build`` writes, beside the single-file ``static/widget.js`` (JupyterLab and plain
Voilà keep using it), the folder ``static/app/``: a content-hashed ESM entry, its chunks
and stylesheet, and ``manifest.json`` naming the entry, the stylesheet and the chunks the
entry imports statically (``preload``: optional). ``modelstudio
serve`` serves that folder at ``<base_url>modelstudio/static/`` (immutable: a file's name
changes exactly when its bytes do, so a reload fetches nothing) and tells its kernels that
URL path through ``$MODELSTUDIO_APP_STATIC``. A kernel that has both (the variable and the
manifest) then:

- writes a boot snapshot (the widget's synced traits) and links to the bundle into the
  page's HTML, next to the design preview (``OpenPreview``): the page's own module script
  mounts the studio from the snapshot, editable, while Voilà still loads;
- gives the widget a tiny loader as ``_esm`` that imports the same entry URL (the same
  module instance), so the widget's ``render`` connects the studio already on screen.

Without either, nothing changes: ``_esm`` is ``widget.js`` and the page has no snapshot.
The serving itself (tornado) is ``app_static_handler``: kernels import this module and
need no web framework.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ipywidgets
from jupyter_client.jsonutil import json_clean, json_default

APP_DIR = Path(__file__).resolve().parent / "static" / "app"
MANIFEST = "manifest.json"
#: The URL path (absolute, ending in "/") where the server serves ``APP_DIR``.
URL_ENV_VAR = "MODELSTUDIO_APP_STATIC"
#: Where that is under the server's base URL.
ROUTE = "modelstudio/static/"
#: The only names served: a file directly in the folder, with one of these extensions.
FILE_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.(js|css|json)$")
#: A URL path the loader may import from (nothing to escape, nothing to break out of).
URL_PATH_RE = re.compile(r"^/([A-Za-z0-9._~-]+/)*$")
CONTENT_TYPES = {"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
                 "json": "application/json; charset=utf-8"}
#: Content-hashed files never change; the manifest names the current ones.
IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"
BOOT_ID = "ms-boot"
BOOT_VERSION = 1
#: Synced traits every widget has (layout, the model's and view's names): not the studio's.
WIDGET_TRAITS = frozenset(ipywidgets.DOMWidget.class_trait_names(sync=True))
#: A script element ends at "</script" and HTML reads "<!--" in it; JSON may say each of
#: these characters as a \u escape instead (U+2028/9: old JavaScript parsers' line ends).
SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                  "\u2028": "\\u2028", "\u2029": "\\u2029"}


def cache_control(name: str) -> str:
    return NO_CACHE if name == MANIFEST else IMMUTABLE


def content_type(name: str) -> str:
    return CONTENT_TYPES[name.rsplit(".", 1)[-1]]


def url_path(base_url: str) -> str:
    """The URL path of the served folder under the server's ``base_url``."""
    return "/" + "/".join(filter(None, [*base_url.split("/"), *ROUTE.split("/")])) + "/"


@dataclass(frozen=True)
class AppBundle:
    """The built app as the page reaches it: the folder's URL path and the file names of
    the entry, its stylesheet and the chunks it imports statically (from the manifest)."""

    url: str
    js: str
    css: str
    preload: tuple[str, ...] = ()

    @property
    def js_url(self) -> str:
        return self.url + self.js

    @property
    def css_url(self) -> str:
        return self.url + self.css


def served_bundle(folder: Path = APP_DIR,
                  environ: Mapping[str, str] = os.environ) -> AppBundle | None:
    """The bundle, when this kernel's server serves it (``$MODELSTUDIO_APP_STATIC``) and
    the build made it (the manifest); None otherwise, or when either is not as expected."""
    url = environ.get(URL_ENV_VAR)
    if not url or not URL_PATH_RE.match(url):
        return None
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        js, css = manifest["js"], manifest["css"]
        preload = tuple(manifest.get("preload", ()))
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    names = (js, css, *preload)
    if not all(isinstance(n, str) and FILE_NAME_RE.match(n) for n in names):
        return None
    if not (js.endswith(".js") and css.endswith(".css")
            and all(n.endswith(".js") for n in preload)):
        return None
    return AppBundle(url, js, css, preload)


@functools.cache
def kernel_bundle() -> AppBundle | None:
    """``served_bundle()`` as this process first saw it: the widget's loader and the page's
    snapshot must name the same entry, even where a build replaced the manifest since."""
    return served_bundle()


def loader_source(bundle: AppBundle) -> str:
    """The widget's ``_esm`` in the served app: imports the page's app module (the same URL
    as the page's module script, so the same instance) and lets it render."""
    entry = json.dumps(bundle.js_url)
    return (
        "// Model Studio: the app's bundle, served as static files (app_static.py).\n"
        f"const entry = new URL({entry}, location.href).href;\n"
        "export default {\n"
        "  async render(ctx) {\n"
        "    const app = await import(entry);\n"
        "    return app.default.render(ctx);\n"
        "  },\n"
        "};\n")


def widget_assets(static: Path, bundle: AppBundle | None) -> tuple[str | Path, str | Path]:
    """The widget's (``_esm``, ``_css``): the loader and no CSS (the page links it) where
    the app ``bundle`` is served, else the single-file bundle in ``static``."""
    if bundle is None:
        return static / "widget.js", static / "widget.css"
    return loader_source(bundle), ""


def boot_traits(widget: ipywidgets.Widget) -> dict[str, Any]:
    """The widget's own synced traits (not anywidget's ``_esm``/``_css``, not layout), as
    ``get_state`` gives them to the page."""
    names = [n for n in widget.trait_names(sync=True)
             if not n.startswith("_") and n not in WIDGET_TRAITS]
    return widget.get_state(key=sorted(names))


def script_json(value: Any) -> str:
    """``value`` as JSON that can stand inside a ``<script>`` element as is, encoded as
    the kernel's messages encode it (jupyter_client's fallback for what JSON cannot say)."""
    try:
        text = json.dumps(value, default=json_default, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        text = json.dumps(json_clean(value), default=json_default, ensure_ascii=False,
                          allow_nan=False)
    return re.sub("[<>&\u2028\u2029]", lambda m: SCRIPT_ESCAPES[m.group()], text)


def boot_html(bundle: AppBundle, traits: Mapping[str, Any]) -> str:
    """The stylesheet, the entry's chunks to preload (fetched beside the entry, not only
    once it has arrived), the boot snapshot and the app's module script, for the page's
    HTML. The snapshot comes before the script: an async module may run as soon as it is
    loaded (from the cache: at once), before the rest of the HTML is parsed."""
    snapshot = script_json({"version": BOOT_VERSION, "traits": dict(traits)})
    preloads = "".join(f'<link rel="modulepreload" href="{bundle.url}{name}">'
                       for name in bundle.preload)
    return (f'<link rel="stylesheet" href="{bundle.css_url}">{preloads}'
            f'<script type="application/json" id="{BOOT_ID}">{snapshot}</script>'
            f'<script type="module" async src="{bundle.js_url}"></script>')
