"""Opening in a blink (issue 13): the served app boots the studio from the page's HTML,
editable before Voilà's scripts and the kernel's widget arrive; an edit made then reaches
the kernel once it connects; a reload takes the app's bundle from the browser's cache."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CHROMIUM, phone_on  # type: ignore[import-not-found]
from voila_server import free_port, launch, stop  # type: ignore[import-not-found]

import modelstudio_widget as ms
from modelstudio_widget.app_static import APP_DIR, IMMUTABLE, MANIFEST, ROUTE
from modelstudio_widget.store import Store

VOILA_MAIN_JS = "**/voila/static/voila.js*"
NODE = "[data-testid=canvas] .react-flow__node"
# The first frame at which the studio is on screen and editable while it still waits for
# the kernel, and the first at which the kernel's widget is connected to it.
MARKS = """(() => {
  const NODE = %s;
  const marks = (window.__bootMarks = {});
  const tick = () => {
    const t = performance.now();
    const boot = window.__modelstudioBoot;
    const sync = document.querySelector("[data-testid=sync-state]");
    if (marks.editable === undefined && document.querySelector(NODE) && sync &&
        sync.dataset.sync === "connecting") marks.editable = t;
    if (marks.connected === undefined && boot && boot.model.connected) marks.connected = t;
    if (marks.connected === undefined) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})()""".replace("%s", json.dumps(NODE))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium at /usr/bin/chromium")
    if not (APP_DIR / MANIFEST).is_file():
        pytest.skip("the app bundle is not built (npm run build)")
    workspace = tmp_path_factory.mktemp("boot-ws")
    Store.in_workspace(workspace).create_design(ms.templates()["moe"])
    port = free_port()
    proc = launch(port=port, workspace=workspace)
    yield f"http://127.0.0.1:{port}/", workspace
    stop(proc)


def test_an_edit_before_the_kernel_connects_reaches_it(served: tuple[str, Path],
                                                       browser: Any) -> None:
    url, workspace = served
    with phone_on(browser, url) as phone:
        page = phone.page
        held: list[Any] = []
        page.route(VOILA_MAIN_JS, lambda route: held.append(route))  # held until released
        page.goto(url, wait_until="commit")
        page.wait_for_selector(NODE, timeout=90_000)
        page.wait_for_selector("[data-testid=sync-state][data-sync=connecting]")
        page.wait_for_selector("[data-testid=param-count][data-params]:not([data-params=''])")
        assert held, "Voila's main script was never requested"
        assert page.evaluate("() => window.__modelstudioBoot.model.connected") is False
        design_id = phone.state("s.doc.design_id")
        before = Store.in_workspace(workspace).get_design(design_id)
        count = len(before.design["components"])

        page.get_by_test_id("palette-item-embedding").tap()  # an edit, kernel or not
        page.wait_for_function(
            "(n) => document.querySelector('.ms-root').__studio.store.getState()"
            ".history.present.components.length === n", arg=count + 1)
        added = phone.state("s.history.present.components.map(c => c.id)")[-1]
        assert Store.in_workspace(workspace).get_design(design_id).revision == before.revision

        for route in held:
            route.continue_()
        phone.wait_synced(timeout=90)
        page.wait_for_selector("[data-testid=sync-state][data-sync=kernel]")
        after = Store.in_workspace(workspace).get_design(design_id)
        assert after.revision > before.revision
        assert added in [c["id"] for c in after.design["components"]]
        assert page.locator(".ms-root").count() == 1  # handed over, not mounted twice
        assert page.get_by_test_id("open-preview").count() == 0


def test_a_reload_takes_the_bundle_from_the_cache(served: tuple[str, Path],
                                                  browser: Any) -> None:
    url, _ = served
    with phone_on(browser, url) as phone:
        page = phone.page
        page.add_init_script(script=MARKS)
        app = []
        page.on("response", lambda r: app.append(r) if f"/{ROUTE}app-" in r.url else None)
        phone.open()
        assert {r.headers["cache-control"] for r in app} == {IMMUTABLE}
        for load in ("cold", "reload"):
            if load == "reload":
                phone.reload()
            # (Phone.open's wait_synced can pass on the snapshot's validation alone.)
            page.wait_for_function("() => window.__bootMarks.connected !== undefined",
                                   timeout=90_000)
            marks = page.evaluate("() => window.__bootMarks")
            assert marks["editable"] < marks["connected"], (load, marks)
            fetched = page.evaluate(
                "(route) => performance.getEntriesByType('resource')"
                ".filter(e => e.name.includes(route))"
                ".map(e => [e.name.split('/').pop(), e.transferSize, e.decodedBodySize])",
                f"/{ROUTE}")
            names = {name for name, _, _ in fetched}
            assert any(n.endswith(".js") for n in names) and any(n.endswith(".css")
                                                                 for n in names)
            for name, transferred, size in fetched:
                assert size > 0, name
                # Nothing came over the network on the reload: not even a 304.
                assert (transferred == 0) == (load == "reload"), (load, name, transferred)
