"""The revision history in a wide JupyterLab cell with a mouse (the harness of
test_jupyterlab.py): edit, open the history, view revision 1 with its diff marked,
restore it, undo."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_jupyterlab import Notebook, lab, nb  # type: ignore[import-not-found]  # noqa: F401 - fixtures

pytestmark = pytest.mark.e2e

REVIEW_SHOTS = Path("/work/wt/shots")


def shot(notebook: Notebook, name: str) -> None:
    path = notebook.shot(name)
    if REVIEW_SHOTS.is_dir():
        shutil.copy(path, REVIEW_SHOTS / f"{name}.png")


def test_history_views_restores_and_undoes_in_a_notebook_cell(nb: Notebook):  # noqa: F811
    page = nb.page
    original = nb.state("s.history.present.components.map(c => c.id)")
    nb.by("palette-item-embedding").click()
    page.wait_for_function(
        "() => document.querySelector('.jp-OutputArea-output .ms-root').__studio.store"
        f".getState().history.present.components.length === {len(original) + 1}")
    added = nb.state("s.history.present.components.at(-1).id")
    nb.wait_synced()
    page.wait_for_function("() => document.querySelector('.jp-OutputArea-output .ms-root')"
                           ".__studio.store.getState().doc.revision >= 2")
    edited_revision = nb.state("s.doc.revision")

    nb.by("design-name").click()
    nb.by("btn-history").click()
    nb.by("history-sheet").wait_for()
    assert nb.by(f"revision-{edited_revision}").is_visible()
    shot(nb, "history-jupyterlab-sheet")
    nb.by("revision-1").click()
    nb.by("revision-bar").wait_for()
    assert nb.by(f"block-{added}").get_attribute("data-diff") == "removed"
    assert nb.by("canvas").locator("[data-readonly]").count() == 1
    nb.by("revision-bar").scroll_into_view_if_needed()
    shot(nb, "history-jupyterlab-view")

    # the canvas has the focus: undo and delete keys do nothing behind the view
    seq = nb.state("s.seq")
    nb.by("btn-fit").click()
    page.keyboard.press("Control+z")
    page.keyboard.press("Delete")
    page.wait_for_timeout(300)
    assert nb.state("s.seq") == seq
    assert nb.by("revision-bar").is_visible()

    nb.by("btn-restore").click()
    nb.by("revision-bar").wait_for(state="detached")
    nb.by(f"block-{added}").wait_for(state="detached")
    nb.wait_synced()
    page.wait_for_function("() => document.querySelector('.jp-OutputArea-output .ms-root')"
                           f".__studio.store.getState().doc.revision === {edited_revision + 1}")
    assert nb.state("s.history.present.components.map(c => c.id)") == original

    nb.by("btn-undo").click()
    page.wait_for_function(  # the block may be off screen, and then not in the page
        "() => document.querySelector('.jp-OutputArea-output .ms-root').__studio.store"
        f".getState().history.present.components.some(c => c.id === {added!r})")
    nb.wait_synced()
    assert nb.state("s.history.present.components.length") == len(original) + 1
