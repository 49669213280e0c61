"""The canvas on a phone (390x844, touch) against a real Voilà server and kernel."""

from __future__ import annotations

import time

import pytest

import modelstudio_widget as ms
from modelstudio_widget.store import Store

pytestmark = pytest.mark.e2e

TOOLBAR = ["btn-undo", "btn-redo", "btn-compile", "btn-train", "btn-train-settings",
           "btn-stop", "btn-export-pt", "btn-export-onnx"]



def blocks(phone) -> list[str]:
    return phone.state("s.history.present.components.map(c => c.id)")


def test_phone_layout(phone):
    page = phone.open().page
    vh = 844
    canvas = phone.box("canvas")
    assert canvas["height"] >= 0.7 * vh, canvas
    # no page scroll
    assert page.evaluate("() => document.scrollingElement.scrollHeight") <= vh
    for testid in [*TOOLBAR, "palette", "status", "param-count", "memory-estimate"]:
        assert page.get_by_test_id(testid).is_visible(), testid
    for testid in TOOLBAR:
        b = phone.box(testid)
        assert b["width"] >= 44 and b["height"] >= 44, (testid, b)
        # on screen, not scrolled off the end of the toolbar
        assert b["x"] >= 0 and b["x"] + b["width"] <= 390, (testid, b)
    catalog_types = page.evaluate(
        "() => document.querySelector('.ms-root').__studio.store.getState()"
        ".catalog.blocks.map(b => b.type)")
    for t in catalog_types:
        assert page.get_by_test_id(f"palette-item-{t}").count() == 1, t
        assert phone.box(f"palette-item-{t}")["height"] >= 44
    # ports: two facing cards (the default template's first two) split the gap between them: a
    # finger in the upper part gets the output above, in the lower part the input below
    # (44 x 44 with no card near: test_port_targets_stay_44_px_at_every_zoom)
    source, target = ms.default_design()["edges"][0]
    out_id, in_id = f"port-out-{source}", f"port-in-{target}"
    out_port, in_port = page.get_by_test_id(out_id), page.get_by_test_id(in_id)
    out_box, in_box = out_port.bounding_box(), in_port.bounding_box()
    top, bottom = (out_box["y"] + out_box["height"] / 2, in_box["y"] + in_box["height"] / 2)
    assert bottom - top > 40, (top, bottom)  # the template's cards are 64 apart
    x = out_box["x"] + out_box["width"] / 2 + 20
    hit = "([x, y]) => document.elementFromPoint(x, y).closest('.react-flow__handle')?.dataset.testid"
    assert page.evaluate(hit, [x, top + 0.4 * (bottom - top)]) == out_id
    assert page.evaluate(hit, [x, top + 0.6 * (bottom - top)]) == in_id
    # and no port's target covers the dot of another port
    covered = page.evaluate(
        "() => [...document.querySelectorAll('.react-flow__handle')].filter(h => {"
        " const r = h.getBoundingClientRect();"
        " const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);"
        " return !(hit && (hit === h || h.contains(hit))); }).map(h => h.dataset.testid)")
    assert covered == []
    assert float(page.get_by_test_id("param-count").get_attribute("data-params")) > 0
    # the instant checks run (the app's Content-Security-Policy lets the blob: worker start)
    page.wait_for_function("() => document.querySelector('.ms-root').__studio.store"
                           ".getState().worker === 'ok'")
    assert page.get_by_test_id("banner-worker").count() == 0
    phone.shot("phone-start")


def test_add_connect_undo_redo_and_the_kernel_keeps_it(phone, app_workspace):
    page = phone.open().page
    design_id = phone.new_design("Tap to connect")
    assert blocks(phone) == []
    page.get_by_test_id("palette-item-board_input").tap()
    page.get_by_test_id("palette-item-action_output").tap()
    ids = blocks(phone)
    assert len(ids) == 2
    src, dst = ids
    page.get_by_test_id(f"block-{dst}").wait_for()
    # tap-to-connect: the output port of one block, then the input port of the other
    page.get_by_test_id(f"port-out-{src}").tap()
    page.get_by_test_id(f"port-in-{dst}").tap()
    # attached, not visible: a straight vertical edge has an empty bounding box
    page.get_by_test_id(f"edge-{src}-{dst}").wait_for(state="attached")
    phone.wait_synced()
    phone.shot("phone-connected")

    page.get_by_test_id("btn-undo").tap()
    page.get_by_test_id(f"edge-{src}-{dst}").wait_for(state="detached")
    page.get_by_test_id("btn-redo").tap()
    page.get_by_test_id(f"edge-{src}-{dst}").wait_for(state="attached")
    phone.wait_synced()
    assert phone.state("s.kernel.valid") is True
    stored = Store.in_workspace(app_workspace).get_design(design_id).design
    assert stored["edges"] == [[src, dst]]
    assert [c["id"] for c in stored["components"]] == ids


def test_drag_snaps_to_the_grid_and_undoes(phone):
    page = phone.open().page
    phone.new_design("Drag me", "transformer")
    bid = blocks(phone)[1]
    block = page.get_by_test_id(f"block-{bid}")
    x0, y0 = int(block.get_attribute("data-x")), int(block.get_attribute("data-y"))
    cx, cy = phone.centre(f"block-{bid}")
    z = phone.zoom()
    start = (cx - 60 * z, cy)  # the card's body, clear of its ports
    phone.drag(start, (start[0] + 75 * z, start[1] + 101 * z))
    page.wait_for_function(f"() => document.querySelector('[data-testid=block-{bid}]')"
                           f".dataset.x !== '{x0}'")
    x1, y1 = int(block.get_attribute("data-x")), int(block.get_attribute("data-y"))
    assert (x1 % 32, y1 % 32) == (0, 0), (x1, y1)
    assert (x1, y1) != (x0, y0)
    assert abs(x1 - x0 - 75) <= 16 and abs(y1 - y0 - 101) <= 16
    assert phone.state(f"s.history.present.components.find(c => c.id === '{bid}').position") \
        == {"x": x1, "y": y1}
    page.get_by_test_id("btn-undo").tap()
    page.wait_for_function(f"() => document.querySelector('[data-testid=block-{bid}]')"
                           f".dataset.x === '{x0}'")
    assert int(block.get_attribute("data-y")) == y0


def test_pinch_zooms_within_bounds_on_the_canvas_and_on_blocks(phone):
    page = phone.open().page
    canvas = phone.box("canvas")
    # on the bare canvas (a column left of the blocks)
    empty = (canvas["x"] + 30, canvas["y"] + canvas["height"] / 2)
    z0 = phone.zoom()
    phone.pinch(empty, 80, 240, horizontal=False)
    z1 = phone.zoom()
    assert z1 > z0 * 1.3, (z0, z1)
    phone.pinch(empty, 40, 600, horizontal=False)
    phone.pinch(empty, 40, 600, horizontal=False)
    assert phone.zoom() == pytest.approx(2.0)
    phone.pinch(empty, 600, 40, horizontal=False)
    phone.pinch(empty, 600, 40, horizontal=False)
    phone.pinch(empty, 600, 40, horizontal=False)
    assert phone.zoom() == pytest.approx(0.25)
    # zoomed out, one path draws every arrow in place of React Flow's edges
    n_edges = len(phone.state("s.history.present.edges"))
    assert n_edges > 0
    lod = page.get_by_test_id("lod-edges")
    lod.wait_for()
    assert int(lod.get_attribute("data-edges")) == n_edges
    edges_display = "() => getComputedStyle(document.querySelector('.react-flow__edges')).display"
    assert page.evaluate(edges_display) == "none"
    picked = page.get_by_test_id("lod-picked")
    assert not picked.get_attribute("d")
    page.evaluate("() => { const st = document.querySelector('.ms-root').__studio.store;"
                  " st.select([], [st.getState().history.present.edges[0]]); }")
    page.wait_for_function(  # a selected edge stays marked when zoomed out
        "() => document.querySelector('[data-testid=lod-picked]').getAttribute('d')")
    page.evaluate("() => document.querySelector('.ms-root').__studio.store.select([], [])")
    phone.shot("phone-zoomed-out")
    # both fingers on a block (stock React Flow ignores this; FINDINGS)
    page.get_by_test_id("btn-fit").tap()
    time.sleep(0.4)
    lod.wait_for(state="detached")
    assert page.evaluate(edges_display) != "none"
    bid = blocks(phone)[0]
    z2 = phone.zoom()
    cx, cy = phone.centre(f"block-{bid}")
    phone.pinch((cx, cy), 40, 100)
    z3 = phone.zoom()
    assert z3 > z2 * 1.5, (z2, z3)
    assert z3 <= 2.0


PORT_TARGET_MISSES = """el => {
  // Points of a 44 x 44 px area out of the card from the dot's centre (on the card's
  // edge) that do not reach the port.
  const r = el.getBoundingClientRect(), cx = r.left + r.width / 2;
  const y0 = r.top + r.height / 2;
  const dir = el.classList.contains('react-flow__handle-bottom') ? 1 : -1;
  const misses = [];
  for (const dx of [-21.5, 0, 21.5]) for (const dy of [0, 21.5, 43]) {
    const x = cx + dx, y = y0 + dir * dy, hit = document.elementFromPoint(x, y);
    if (!(hit && (hit === el || el.contains(hit)))) misses.push([dx, dy]);
  }
  return misses; }"""


def test_port_targets_stay_44_px_at_every_zoom(phone):
    page = phone.open().page
    phone.new_design("Ports")
    page.get_by_test_id("palette-item-embedding").tap()
    bid = blocks(phone)[0]
    page.get_by_test_id(f"block-{bid}").wait_for()
    canvas = phone.box("canvas")
    fingers = (canvas["x"] + canvas["width"] / 2, canvas["y"] + canvas["height"] / 2)
    seen = set()
    # out in small steps (the targets follow the zoom's step, not every frame), then in
    for ratio, pinches in ((0.88, 7), (1.15, 11)):
        for _ in range(pinches):
            phone.pinch(fingers, 200, 200 * ratio, horizontal=False)
            time.sleep(0.35)  # the step settles 150 ms after the gesture
            z = phone.zoom()
            if z < 0.4:  # plain rectangles: ports hidden
                continue
            seen.add(round(z, 2))
            for side in ("in", "out"):
                misses = phone.page.get_by_test_id(f"port-{side}-{bid}").evaluate(
                    PORT_TARGET_MISSES)
                assert misses == [], (side, z, misses)
    assert min(seen) < 0.55 and max(seen) > 1.5, seen


def test_invalid_d_model_turns_the_block_red_and_survives_a_reload(phone, app_workspace):
    page = phone.open().page
    design_id = phone.new_design("Bad width", "transformer")
    tid = phone.state("s.history.present.components.find(c => c.type === 'transformer_layer').id")
    page.get_by_test_id(f"block-{tid}").tap()
    page.get_by_test_id("inspector").wait_for()
    # the stepper moves by the catalog's step (8): 3 heads do not divide d_model -> error
    heads = int(page.get_by_test_id("prop-n_heads-value").text_content())
    page.get_by_test_id("prop-n_heads-dec").tap()
    assert int(page.get_by_test_id("prop-n_heads-value").text_content()) == heads - 1
    # a crafted edit: d_model 100 (no stepper reaches it)
    page.evaluate(
        "([id]) => { const st = document.querySelector('.ms-root').__studio.store;"
        " st.edit(d => ({...d, components: d.components.map(c => c.id === id ?"
        " {...c, props: {...c.props, d_model: 100, n_heads: 4}} : c)})); }", [tid])
    page.wait_for_function(f"() => document.querySelector('[data-testid=block-{tid}]')"
                           ".dataset.state === 'error'")
    banner = page.get_by_test_id("banner")
    banner.wait_for()
    assert "error" in banner.text_content()
    banner.locator(".ms-banner-head").tap()  # expand: issues grouped by severity and code
    text = banner.text_content()
    assert "D_MODEL_MULTIPLE_OF_8" in text and "multiple of 8" in text, text
    phone.wait_synced()
    codes = phone.state("s.kernel.errors.map(e => e.code)")
    assert "D_MODEL_MULTIPLE_OF_8" in codes
    phone.shot("phone-invalid-d-model")
    stored = Store.in_workspace(app_workspace).get_design(design_id).design
    props = next(c for c in stored["components"] if c["id"] == tid)["props"]
    assert props["d_model"] == 100

    phone.reload()
    assert phone.state("s.doc.design_id") == design_id
    page.wait_for_function(f"() => document.querySelector('[data-testid=block-{tid}]')"
                           ".dataset.state === 'error'", timeout=5000)
    assert phone.state(f"s.history.present.components.find(c => c.id === '{tid}')"
                       ".props.d_model") == 100


def test_long_press_opens_the_action_sheet_with_duplicate_first(phone):
    page = phone.open().page
    phone.new_design("Long press", "transformer")
    before = blocks(phone)
    bid = before[1]
    phone.hold(phone.centre(f"block-{bid}"), 0.65)
    sheet = page.get_by_test_id("action-sheet")
    sheet.wait_for()
    first = sheet.locator(".ms-menu button").first
    assert first.text_content() == "Duplicate"
    phone.shot("phone-long-press")
    first.tap()
    sheet.wait_for(state="detached")
    after = blocks(phone)
    assert len(after) == len(before) + 1
    copy_id = after[-1]
    page.get_by_test_id(f"block-{copy_id}").wait_for()


def viewport(phone) -> tuple[float, float, float]:
    """The canvas viewport (x, y, zoom): flow point p shows at canvas origin + p*zoom + (x, y)."""
    return tuple(phone.page.evaluate(
        "() => { const m = new DOMMatrixReadOnly(getComputedStyle("
        "document.querySelector('.react-flow__viewport')).transform);"
        " return [m.e, m.f, m.a]; }"))


def test_drag_a_block_out_of_the_palette_lands_under_the_finger(phone):
    page = phone.open().page
    phone.new_design("Drag out")  # empty: no fit may be pending for the first block
    start = phone.centre("palette-item-embedding")
    canvas = phone.box("canvas")
    end = (canvas["x"] + canvas["width"] / 2 + 21, canvas["y"] + canvas["height"] / 3 + 7)
    vx, vy, z = viewport(phone)
    phone.drag(start, end, steps=12)
    page.wait_for_function("() => document.querySelectorAll('.react-flow__node').length === 1")
    comp = phone.state("s.history.present.components[0]")
    assert comp["type"] == "embedding"
    pos = comp["position"]
    assert pos["x"] % 32 == 0 and pos["y"] % 32 == 0
    # the drop point in flow coordinates is the card's centre, give or take the snapping
    box = phone.box(f"block-{comp['id']}")
    w, h = box["width"] / z, box["height"] / z
    fx = (end[0] - canvas["x"] - vx) / z
    fy = (end[1] - canvas["y"] - vy) / z
    assert abs(pos["x"] + w / 2 - fx) <= 32 and abs(pos["y"] + h / 2 - fy) <= 32, (pos, fx, fy)
    # and the view did not move: on screen the card sits under the finger
    time.sleep(0.3)
    assert viewport(phone) == pytest.approx((vx, vy, z))
    box = phone.box(f"block-{comp['id']}")
    assert abs(box["x"] + box["width"] / 2 - end[0]) <= 32 * z
    assert abs(box["y"] + box["height"] / 2 - end[1]) <= 32 * z
