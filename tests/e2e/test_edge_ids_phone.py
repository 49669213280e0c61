"""Edges between blocks whose ids hold "->" (component ids are free strings), on a phone
against a real Voilà server and kernel: a tapped edge is the one selected, and deleting it
removes exactly that edge from the kernel's design."""

from __future__ import annotations

import pytest

import modelstudio_widget as ms
from modelstudio_widget.store import Store

pytestmark = pytest.mark.e2e

#: The tiny template's three blocks renamed: joined by "->", the edge "a->b" -> "b"
#: reads "a->b->b", which splits into "a" -> "b", an edge the design does not have.
IDS = {"board": "a", "embed": "a->b", "policy": "b"}
#: Card corners: the middle card offset so both arrows run diagonally (a straight vertical
#: arrow has an empty bounding box) with their midpoints in the open between the cards.
POSITIONS = {"a": (0, 0), "a->b": (96, 192), "b": (0, 384)}


def arrow_design() -> dict:
    design = ms.templates()["tiny"]
    for c in design["components"]:
        c["id"] = IDS[c["id"]]
        c["position"] = dict(zip(("x", "y"), POSITIONS[c["id"]], strict=True))
    design["edges"] = [[IDS[a], IDS[b]] for a, b in design["edges"]]
    assert design["edges"] == [["a", "a->b"], ["a->b", "b"]]
    assert ms.validate(design).valid
    return design


def open_design(phone, design_id: str) -> None:
    """Open a stored design through the designs sheet, as a user would."""
    page = phone.page
    if phone.state("s.doc.design_id") != design_id:
        page.get_by_test_id("design-name").tap()
        page.get_by_test_id(f"open-{design_id}").tap()
        page.wait_for_function(
            "id => document.querySelector('.ms-root').__studio.store.getState()"
            ".doc.design_id === id", arg=design_id)
    phone.wait_synced()


def test_deleting_an_edge_between_ids_with_arrows_removes_exactly_that_edge(
        phone, app_workspace):
    design_id = Store.in_workspace(app_workspace).create_design(
        arrow_design(), name="Arrow ids").id
    page = phone.open().page
    open_design(phone, design_id)
    for bid in IDS.values():
        page.get_by_test_id(f"block-{bid}").wait_for()
    assert phone.zoom() >= 0.6  # full cards and tappable arrows (not the zoomed-out paths)

    # tap the arrow "a->b" -> "b" halfway along (the curve passes its box's centre)
    edge = page.get_by_test_id("edge-a->b-b")
    box = edge.bounding_box()
    assert box and box["width"] > 20 and box["height"] > 20, box
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    bar = page.get_by_test_id("edge-bar")
    bar.wait_for()
    assert phone.state("s.selectedEdges") == [["a->b", "b"]]
    assert "a->b → b" in bar.text_content()
    phone.shot("phone-edge-ids-selected")

    page.get_by_test_id("edge-delete").tap()
    edge.wait_for(state="detached")
    bar.wait_for(state="detached")
    page.get_by_test_id("edge-a-a->b").wait_for(state="attached")
    assert phone.state("s.history.present.edges") == [["a", "a->b"]]
    phone.wait_synced()
    stored = Store.in_workspace(app_workspace).get_design(design_id).design
    assert stored["edges"] == [["a", "a->b"]]
    assert [c["id"] for c in stored["components"]] == list(IDS.values())
