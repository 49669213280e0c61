"""The revision history on a phone against a real Voilà server and kernel: edit the design,
open the history from the designs sheet, view an earlier revision read-only with its diff
marked on the canvas, restore it (a new revision, equal to the old content) and undo."""

from __future__ import annotations

import copy
import shutil
import time
from pathlib import Path

import pytest

from modelstudio_widget.design.templates import templates
from modelstudio_widget.store import Store

pytestmark = pytest.mark.e2e

#: Screenshots for the people who review the sheets (the conftest's go to artifacts/).
REVIEW_SHOTS = Path("/work/wt/shots")


def shot(phone, name: str) -> None:
    """A screenshot once the sheets' slide-in animations have finished."""
    phone.page.wait_for_function(
        "() => document.getAnimations().every(a => a.playState !== 'running')")
    path = phone.shot(name)
    if REVIEW_SHOTS.is_dir():
        shutil.copy(path, REVIEW_SHOTS / f"{name}.png")


def open_history(phone) -> None:
    page = phone.page
    page.get_by_test_id("design-name").tap()
    page.get_by_test_id("btn-history").tap()
    page.get_by_test_id("history-sheet").wait_for()
    page.get_by_test_id("revision-list").wait_for()


def latest(workspace: Path, design_id: str):
    return Store.in_workspace(workspace).get_design(design_id)


def test_view_an_earlier_revision_read_only_restore_it_and_undo(phone, app_workspace):
    page = phone.open().page
    design_id = phone.new_design("History", "tiny")
    first = latest(app_workspace, design_id)
    assert first.revision == 1
    run_id = Store.in_workspace(app_workspace).create_run(
        design_id, design=first.design, config={}, design_revision=1)

    # two edits: a prop of the policy head and a new block
    page.get_by_test_id("block-policy").tap()
    page.get_by_test_id("inspector").wait_for()
    hidden0 = phone.state("s.history.present.components.find(c => c.id === 'policy').props.hidden")
    page.get_by_test_id("prop-hidden-inc").tap()
    page.get_by_test_id("inspector").get_by_label("Close").tap()
    page.get_by_test_id("palette-item-embedding").tap()
    added = phone.state("s.history.present.components.at(-1).id")
    phone.wait_synced()
    page.wait_for_function("() => { const s = document.querySelector('.ms-root').__studio"
                           ".store.getState(); return s.doc.revision >= 2; }")
    edited = latest(app_workspace, design_id)
    assert edited.revision >= 2 and len(edited.design["components"]) == 4

    open_history(phone)
    rows = page.locator("[data-testid^=revision-]:not([data-testid=revision-list])")
    assert rows.count() == edited.revision
    row1 = page.get_by_test_id("revision-1")
    assert "1 run" in row1.text_content() and "valid" in row1.text_content()
    assert run_id in (row1.locator("[data-runs]").get_attribute("title") or "")
    assert phone.box("revision-1")["height"] >= 44
    assert "current" in page.get_by_test_id(f"revision-{edited.revision}").text_content()
    shot(phone, "history-sheet")

    # open revision 1: read-only, the diff drawn on it
    row1.tap()
    bar = page.get_by_test_id("revision-bar")
    bar.wait_for()
    assert "read-only" in bar.text_content()
    assert page.get_by_test_id("history-sheet").count() == 0
    assert phone.state("s.viewedRevision") == 1
    assert page.get_by_test_id("block-policy").get_attribute("data-diff") == "changed"
    assert page.get_by_test_id(f"block-{added}").get_attribute("data-diff") == "removed"
    assert page.get_by_test_id("block-board").get_attribute("data-diff") is None
    changes = page.get_by_test_id("revision-changes").text_content()
    assert "policy" in changes and "hidden" in changes and str(hidden0) in changes
    assert page.locator("[data-testid=canvas] [data-readonly]").count() == 1
    shot(phone, "history-revision-view")
    page.emulate_media(color_scheme="dark")
    shot(phone, "history-revision-view-dark")
    page.emulate_media(color_scheme="light")

    # read-only: a drag moves nothing and no edit goes to the kernel
    seq = phone.state("s.seq")
    before = page.get_by_test_id("block-board").get_attribute("data-x")
    start = phone.centre("block-board")
    phone.drag(start, (start[0] + 90, start[1] + 60), rest=True)
    time.sleep(0.4)
    assert phone.state("s.seq") == seq
    assert page.get_by_test_id("block-board").get_attribute("data-x") == before
    assert phone.state("s.selectedNodes") == []
    assert latest(app_workspace, design_id).revision == edited.revision

    # restore: a new revision with the old content, the same design
    page.get_by_test_id("btn-restore").tap()
    bar.wait_for(state="detached")
    phone.wait_synced()
    page.wait_for_function(
        f"() => document.querySelector('.ms-root').__studio.store.getState().doc.revision"
        f" === {edited.revision + 1}")
    restored = latest(app_workspace, design_id)
    assert restored.revision == edited.revision + 1
    assert restored.design["components"] == first.design["components"]
    assert restored.design["edges"] == first.design["edges"]
    assert restored.design["meta"] == first.design["meta"]
    assert page.get_by_test_id(f"block-{added}").count() == 0
    assert page.get_by_test_id("block-policy").get_attribute("data-diff") is None
    shot(phone, "history-restored")

    # undo goes back to the edited design (and autosave records that too)
    page.get_by_test_id("btn-undo").tap()
    page.get_by_test_id(f"block-{added}").wait_for()
    phone.wait_synced()
    page.wait_for_function(
        f"() => document.querySelector('.ms-root').__studio.store.getState().doc.revision"
        f" === {edited.revision + 2}")
    back = latest(app_workspace, design_id)
    assert back.design["components"] == edited.design["components"]


def test_300_revisions_open_and_scroll_with_only_the_visible_rows_drawn(phone, app_workspace):
    store = Store.in_workspace(app_workspace)
    design = {**copy.deepcopy(templates()["tiny"]), "name": "Long history"}
    record = store.create_design(design)
    for n in range(1, 300):
        design["components"][-1]["props"]["hidden"] = 16 + (n % 40) * 8
        store.save_design(record.id, design, base_revision=n)
    page = phone.open().page  # the most recently saved design opens
    page.wait_for_function("() => document.querySelector('[data-testid=design-name]')"
                           ".textContent === 'Long history'")
    phone.wait_synced()
    started = time.perf_counter()
    open_history(phone)
    page.get_by_test_id("revision-300").wait_for()
    opened_ms = (time.perf_counter() - started) * 1000
    listing = page.get_by_test_id("revision-list")
    assert listing.get_attribute("data-count") == "300"
    drawn = int(listing.get_attribute("data-rendered") or 0)
    assert 0 < drawn <= 40, drawn
    started = time.perf_counter()
    for top in range(0, 300 * 68, 68 * 25):  # scroll down in 25-row steps
        listing.evaluate(f"el => {{ el.scrollTop = {top}; }}")
        page.wait_for_timeout(16)
    listing.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    page.get_by_test_id("revision-1").wait_for()
    scrolled_ms = (time.perf_counter() - started) * 1000
    assert int(listing.get_attribute("data-rendered") or 0) <= 40
    print(f"\n300 revisions: sheet open {opened_ms:.0f} ms, scrolled through {scrolled_ms:.0f} ms")
    shot(phone, "history-300")
