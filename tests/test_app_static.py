"""The app's bundle as static files (modelstudio_widget/app_static.py and
app_static_handler.py): what is served and how it is cached, which bundle a kernel sees,
the widget's loader, and the boot snapshot in the page's HTML."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import tornado.web
from jupyter_client.jsonutil import json_clean
from tornado_serving import fake_build, request, serving

from modelstudio_widget import ModelStudio
from modelstudio_widget.app_static import (
    IMMUTABLE,
    MANIFEST,
    NO_CACHE,
    URL_ENV_VAR,
    URL_PATH_RE,
    AppBundle,
    boot_traits,
    kernel_bundle,
    loader_source,
    served_bundle,
    url_path,
    widget_assets,
)
from modelstudio_widget.app_static_handler import app_static_route
from modelstudio_widget.preview import OpenPreview, preview_html
from modelstudio_widget.widget import STATIC

URL = "/modelstudio/static/"
#: Every synced trait the page's controller and App read at start (js/src/kernel/).
STUDIO_TRAITS = {"catalog", "doc", "design", "design_seq", "designs", "status", "validation",
                 "metrics", "compile_result", "fullscreen"}


@pytest.fixture
def build(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    folder = tmp_path / "app"
    return folder, fake_build(folder)


# ---------------------------------------------------------------- serving
def test_files_are_served_with_their_type_and_cached_for_good(build: Any) -> None:
    folder, manifest = build
    with serving(tornado.web.Application([app_static_route("/", folder)])) as port:
        for name, ctype in [(manifest["js"], "text/javascript"), ("chunk-XY90zz00.js",
                            "text/javascript"), (manifest["css"], "text/css")]:
            status, headers, body = request(port, URL + name)
            assert status == 200, name
            assert body == (folder / name).read_bytes()
            assert headers["content-type"].split(";")[0] == ctype
            assert headers["cache-control"] == IMMUTABLE
            assert headers["x-content-type-options"] == "nosniff"
        status, headers, body = request(port, URL + "manifest.json")
        assert status == 200 and json.loads(body) == manifest
        assert headers["content-type"].split(";")[0] == "application/json"
        assert headers["cache-control"] == NO_CACHE
        # Revalidating the manifest costs a 304, no body.
        status, _, body = request(port, URL + "manifest.json",
                                  headers={"If-None-Match": headers["etag"]})
        assert status == 304 and body == b""
        status, headers, body = request(port, URL + manifest["js"], method="HEAD")
        assert status == 200 and body == b"" and headers["cache-control"] == IMMUTABLE


def test_built_files_go_out_gzipped_to_a_client_that_accepts_it(build: Any) -> None:
    folder, manifest = build
    with serving(tornado.web.Application([app_static_route("/", folder)])) as port:
        for name in (manifest["js"], manifest["css"]):
            status, headers, body = request(port, URL + name,
                                            headers={"Accept-Encoding": "br, gzip;q=0.9"})
            assert status == 200 and headers["content-encoding"] == "gzip"
            assert gzip.decompress(body) == (folder / name).read_bytes()
            assert headers["cache-control"] == IMMUTABLE
            assert headers["vary"] == "Accept-Encoding"
            assert int(headers["content-length"]) == len(body)
            assert request(port, URL + name, headers={
                "Accept-Encoding": "gzip", "If-None-Match": headers["etag"]})[0] == 304
            status, headers, body = request(port, URL + name, method="HEAD",
                                            headers={"Accept-Encoding": "gzip"})
            assert status == 200 and body == b"" and headers["content-encoding"] == "gzip"
            # Without the header, the bytes as they are.
            status, headers, body = request(port, URL + name)
            assert "content-encoding" not in headers and body == (folder / name).read_bytes()
        # A rebuilt file (new bytes under the same name in a test) is compressed anew.
        name = manifest["js"]
        (folder / name).write_text("export default { render: () => () => 2 };\n")
        body = request(port, URL + name, headers={"Accept-Encoding": "gzip"})[2]
        assert gzip.decompress(body) == (folder / name).read_bytes()
        # The manifest is small and revalidated: never compressed.
        _, headers, _ = request(port, URL + MANIFEST, headers={"Accept-Encoding": "gzip"})
        assert "content-encoding" not in headers
        assert request(port, URL + "../x.js", headers={"Accept-Encoding": "gzip"})[0] == 404


def test_only_build_file_names_directly_in_the_folder_are_served(build: Any,
                                                                  tmp_path: Path) -> None:
    folder, manifest = build
    (tmp_path / "secret.js").write_text("secret")
    (folder / "sub").mkdir()
    (folder / "sub" / "x.js").write_text("x")
    (folder / "folder.js").mkdir()
    (folder / "notes.txt").write_text("x")
    (folder / ".hidden.js").write_text("x")
    (folder / "sp ace.js").write_text("x")
    with serving(tornado.web.Application([app_static_route("/", folder)])) as port:
        for path in ["../secret.js", "..%2fsecret.js", "%2e%2e/secret.js", "sub/x.js",
                     "sub%2fx.js", "folder.js", "notes.txt", ".hidden.js", "sp%20ace.js",
                     "missing-123.js", "", "app-AB12cd34.js/", "app-AB12cd34.js%00"]:
            status, _, body = request(port, URL + path)
            assert status == 404, path
            assert b"secret" not in body
        for method in ("POST", "PUT", "DELETE"):
            assert request(port, URL + manifest["js"], method=method)[0] == 405


def test_the_route_sits_under_the_servers_url_prefix(build: Any) -> None:
    folder, manifest = build
    with serving(tornado.web.Application([app_static_route("/studio/", folder)])) as port:
        assert request(port, "/studio" + URL + manifest["js"])[0] == 200
        assert request(port, URL + manifest["js"])[0] == 404


@pytest.mark.parametrize("base,path", [("/", "/modelstudio/static/"),
                                       ("/studio/", "/studio/modelstudio/static/"),
                                       ("/a/b", "/a/b/modelstudio/static/")])
def test_the_url_path_told_to_kernels_follows_the_base_url(base: str, path: str) -> None:
    assert url_path(base) == path
    assert URL_PATH_RE.match(path)


# ---------------------------------------------------------------- which bundle
def test_a_bundle_needs_the_url_variable_and_the_manifest(build: Any, tmp_path: Path) -> None:
    folder, manifest = build
    assert served_bundle(folder, {}) is None  # JupyterLab, plain voila
    assert served_bundle(tmp_path / "no-build", {URL_ENV_VAR: URL}) is None
    bundle = served_bundle(folder, {URL_ENV_VAR: URL})
    assert bundle == AppBundle(URL, manifest["js"], manifest["css"], ("chunk-XY90zz00.js",))
    assert bundle.js_url == URL + manifest["js"] and bundle.css_url == URL + manifest["css"]
    # "preload" is optional.
    (folder / "manifest.json").write_text(json.dumps({"js": "a.js", "css": "a.css"}))
    assert served_bundle(folder, {URL_ENV_VAR: URL}) == AppBundle(URL, "a.js", "a.css")


@pytest.mark.parametrize("url", ["modelstudio/static/", "/modelstudio/static", "//evil.com/",
                                 "/a b/", '/a"/', "/a/</script>/", "javascript:alert(1)//",
                                 "https://cdn.example/"])
def test_an_odd_url_variable_means_no_bundle(build: Any, url: str) -> None:
    assert served_bundle(build[0], {URL_ENV_VAR: url}) is None


@pytest.mark.parametrize("manifest", ['{"js": "../x.js", "css": "app.css"}',
                                      '{"js": "app.js\\"", "css": "app.css"}',
                                      '{"js": "app.css", "css": "app.css"}',
                                      '{"js": "app.js", "css": "app.js"}',
                                      '{"js": "app.js"}', '{"js": 1, "css": "a.css"}',
                                      '["app.js"]', "not json", "",
                                      '{"js": "a.js", "css": "a.css", "preload": "c.js"}',
                                      '{"js": "a.js", "css": "a.css", "preload": ["c.css"]}',
                                      '{"js": "a.js", "css": "a.css", "preload": ["../c.js"]}',
                                      '{"js": "a.js", "css": "a.css", "preload": [null]}',
                                      '{"js": "a.js", "css": "a.css", "preload": 3}'])
def test_an_odd_manifest_means_no_bundle(build: Any, manifest: str) -> None:
    folder = build[0]
    (folder / "manifest.json").write_text(manifest)
    assert served_bundle(folder, {URL_ENV_VAR: URL}) is None


def test_without_a_bundle_the_widget_uses_the_single_file_build(workspace: Path) -> None:
    assert widget_assets(STATIC, None) == (STATIC / "widget.js", STATIC / "widget.css")
    # This test process has no $MODELSTUDIO_APP_STATIC: the page gets what it always got.
    assert kernel_bundle() is None
    studio = ModelStudio()
    state = studio.get_state(key=["_esm", "_css"])
    studio.close()
    assert state == {"_esm": (STATIC / "widget.js").read_text(),
                     "_css": (STATIC / "widget.css").read_text()}


# ---------------------------------------------------------------- the loader
def test_the_loader_imports_the_entry_and_delegates_render(build: Any,
                                                           tmp_path: Path) -> None:
    folder, manifest = build
    bundle = AppBundle(folder.as_posix() + "/", manifest["js"], manifest["css"])
    esm, css = widget_assets(STATIC, bundle)
    assert esm == loader_source(bundle) and css == ""
    assert json.dumps(bundle.js_url) in esm
    node = shutil.which("node")
    if node is None:
        pytest.skip("no node to run the loader")
    # The entry as the page reaches it: a path on the page's origin (here file:///).
    (tmp_path / "loader.mjs").write_text(esm)
    (folder / manifest["js"]).write_text(
        "globalThis.evaluated = (globalThis.evaluated || 0) + 1;\n"
        "export default { render: (ctx) => () => `cleaned ${ctx.el}` };\n")
    script = ("globalThis.location = { href: 'file:///' };\n"
              "const loader = (await import('./loader.mjs')).default;\n"
              "const cleanup = await loader.render({ el: 'el1' });\n"
              "await loader.render({ el: 'el2' });\n"
              f"const direct = await import(new URL({json.dumps(bundle.js_url)}, "
              "location.href).href);\n"
              "console.log(JSON.stringify([cleanup(), globalThis.evaluated, "
              "typeof direct.default.render]));\n")
    (tmp_path / "run.mjs").write_text(script)
    out = subprocess.run([node, str(tmp_path / "run.mjs")], capture_output=True, text=True,
                         timeout=30, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    # render's cleanup comes back; one module instance, however often it is imported.
    assert json.loads(out.stdout) == ["cleaned el1", 1, "function"]


# ---------------------------------------------------------------- the boot snapshot
class Elements(HTMLParser):
    """Start tags in order (name, attributes) and each script's text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self.scripts.append("")
            self.in_script = True

    def handle_endtag(self, tag: str) -> None:
        self.in_script = self.in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self.in_script:
            self.scripts[-1] += data


def elements(markup: str) -> Elements:
    parsed = Elements()
    parsed.feed(markup)
    parsed.close()
    return parsed


@pytest.fixture
def studio(workspace: Path) -> ModelStudio:
    s = ModelStudio(fullscreen=True)
    yield s
    s.close()


def test_the_page_gets_the_preview_the_snapshot_and_the_links(studio: ModelStudio) -> None:
    bundle = AppBundle(URL, "app-1.js", "app-2.css", ("chunk-3.js", "chunk-4.js"))
    markup = OpenPreview(studio, bundle).html()
    assert markup.startswith(preview_html(studio.current_design))  # painted first, as before
    parsed = elements(markup)
    tags = [(t, a.get("id") or a.get("type") or a.get("rel"), a.get("href") or a.get("src"))
            for t, a in parsed.tags if t in ("link", "script")]
    # The snapshot precedes the module: a cached module may run before the rest is parsed.
    assert tags == [("link", "stylesheet", URL + "app-2.css"),
                    ("link", "modulepreload", URL + "chunk-3.js"),
                    ("link", "modulepreload", URL + "chunk-4.js"),
                    ("script", "ms-boot", None), ("script", "module", URL + "app-1.js")]
    assert "async" in parsed.tags[-1][1]
    boot = json.loads(parsed.scripts[0])
    assert boot["version"] == 1
    assert set(boot["traits"]) == STUDIO_TRAITS
    assert boot["traits"] == json.loads(json.dumps(studio.get_state(key=sorted(STUDIO_TRAITS))))
    assert boot["traits"]["fullscreen"] is True
    assert boot["traits"]["design"] == studio.current_design


def test_every_synced_trait_of_the_studio_is_in_the_snapshot(studio: ModelStudio) -> None:
    own = {n for n in studio.trait_names(sync=True) if not n.startswith("_")}
    assert set(boot_traits(studio)) == own - {"layout", "tabbable", "tooltip"}
    assert set(boot_traits(studio)) == STUDIO_TRAITS


def test_a_hostile_design_name_stays_data(studio: ModelStudio) -> None:
    name = "</script><script>alert(1)</script><!-- & <b>"
    studio.handle_message({"kind": "command", "id": "r1", "name": "new_design",
                           "args": {"name": name}})
    assert studio.doc["name"] == name
    # Names refuse line separators; a status message may carry them (old parsers' line ends).
    studio.status = {**studio.status, "message": "a\u2028b\u2029c"}
    markup = OpenPreview(studio, AppBundle(URL, "app-1.js", "app-2.css")).html()
    assert "<script>alert" not in markup and "<!--" not in markup and "<b>" not in markup
    assert "\u2028" not in markup and "\u2029" not in markup
    parsed = elements(markup)
    assert [t for t, _ in parsed.tags].count("script") == 2  # the snapshot's and the module
    boot = json.loads(parsed.scripts[0])
    assert boot["traits"]["design"]["name"] == name
    assert boot["traits"]["doc"]["name"] == name
    assert boot["traits"]["status"]["message"] == "a\u2028b\u2029c"


def test_what_json_cannot_say_is_sent_as_the_kernel_sends_it(studio: ModelStudio) -> None:
    studio.metrics = {"loss": float("nan"), "best": float("inf"), "step": 3}
    parsed = elements(OpenPreview(studio, AppBundle(URL, "a.js", "a.css")).html())

    def refuse(constant: str) -> None:
        raise ValueError(constant)  # JSON.parse in the page knows no NaN

    metrics = json.loads(parsed.scripts[0], parse_constant=refuse)["traits"]["metrics"]
    assert metrics == json_clean(studio.metrics)  # jupyter_client's fallback for messages
    assert metrics["step"] == 3


def test_without_a_bundle_the_page_is_as_before(studio: ModelStudio) -> None:
    assert kernel_bundle() is None
    assert OpenPreview(studio).html() == preview_html(studio.current_design)
    # A design alone (no widget) never boots, bundle or not.
    design = studio.current_design
    assert OpenPreview(design, AppBundle(URL, "a.js", "a.css")).html() == preview_html(design)
