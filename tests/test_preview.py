"""The first-paint preview of the open design (modelstudio_widget/preview.py)."""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

import modelstudio_widget as ms
from modelstudio_widget.preview import CARD_W, OpenPreview, preview_html


def parse(markup: str) -> ElementTree.Element:
    # The preview is well-formed XML as well as HTML: a parser that fails on a stray "<"
    # catches unescaped user text.
    return ElementTree.fromstring(markup)


def test_every_block_and_arrow_of_a_template_is_drawn_with_its_label() -> None:
    design = ms.templates()["moe"]
    root = parse(preview_html(design))
    blocks = {g.get("data-testid") for g in root.iter("g")}
    assert blocks == {f"preview-block-{c['id']}" for c in design["components"]}
    labels = {b["type"]: b["label"] for b in ms.catalog()["blocks"]}
    texts = [t.text for t in root.iter("text")]
    assert sorted(texts) == sorted(labels[c["type"]] for c in design["components"])
    assert len([p for p in root.iter("path")]) == len(design["edges"])
    assert root.find("header").text == design["name"]


def test_the_view_box_holds_every_card() -> None:
    design = {"components": [
        {"id": "a", "type": "board_input", "position": {"x": -300, "y": 40}},
        {"id": "b", "type": "action_output", "position": {"x": 500, "y": 900}}],
        "edges": [["a", "b"]]}
    svg = parse(preview_html(design)).find("svg")
    left, top, width, height = map(float, svg.get("viewBox").split())
    assert left < -300 and top < 40
    assert left + width > 500 + CARD_W and top + height > 900


def test_user_strings_are_escaped() -> None:
    design = {"name": "<script>alert(1)</script>", "components": [
        {"id": 'x"><script>', "type": "<img src=x onerror=alert(1)>",
         "position": {"x": 0, "y": 0}}], "edges": []}
    markup = preview_html(design)
    assert "<script>" not in markup and "<img" not in markup
    root = parse(markup)
    assert root.find("header").text == design["name"]


def test_broken_designs_still_draw() -> None:
    design = {"components": [
        {"id": "a", "type": "board_input", "position": {"x": float("nan"), "y": "12"}},
        {"id": "b", "type": "embedding", "position": {"x": 1e300, "y": None}},
        {"id": "c", "type": "embedding"}, "not a component"],
        "edges": [["a", "b"], ["a", "missing"], "nonsense", ["b"]]}
    root = parse(preview_html(design))
    assert len(list(root.iter("g"))) == 3
    assert len(list(root.iter("path"))) == 1
    view_box = root.find("svg").get("viewBox")
    assert re.fullmatch(r"-?\d+ -?\d+ \d+ \d+", view_box), view_box
    assert parse(preview_html({})).find("header").text == "Untitled"


def test_the_notebook_output_is_the_preview_marked_for_the_app_template() -> None:
    from IPython.core.formatters import DisplayFormatter

    design = ms.default_design()
    data, metadata = DisplayFormatter().format(OpenPreview(design))
    assert data["text/html"] == preview_html(design)
    assert metadata == {"modelstudio": "preview"}  # what the template looks for
    template = (Path(ms.__file__).parent / "share/jupyter/voila/templates/modelstudio"
                / "index.html.j2").read_text()
    assert 'output.metadata.get("modelstudio") == "preview"' in template
