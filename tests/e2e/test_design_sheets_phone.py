"""Sheets about a whole design, on a phone against a real Voilà server and kernel: the
design settings (the catalog's ``meta`` defaults) and the confirmation before a delete."""

from __future__ import annotations

import pytest

from modelstudio_widget.store import Store

pytestmark = pytest.mark.e2e


def shot(phone, name: str) -> None:
    """A screenshot once the sheets' slide-in animations have finished."""
    phone.page.wait_for_function(
        "() => document.getAnimations().every(a => a.playState !== 'running')")
    phone.shot(name)


def wait_state(phone, bid: str, state: str) -> None:
    phone.page.wait_for_function(
        f"() => document.querySelector('[data-testid=block-{bid}]').dataset.state === '{state}'")


def test_design_settings_edit_the_defaults_through_the_normal_edit_path(phone, app_workspace):
    page = phone.open().page
    design_id = phone.new_design("Settings", "transformer")
    layers = phone.state("s.history.present.components"
                         ".filter(c => c.type === 'transformer_layer').map(c => c.id)")
    wide = phone.state("s.history.present.components"
                       ".filter(c => 'd_model' in c.props).map(c => c.id)")  # embedding too
    assert layers
    d0, h0 = phone.state("[s.history.present.meta.d_model, s.history.present.meta.n_heads]")
    d1, h1 = d0 + 8, h0 + 1  # one step each (the catalog's steps: 8 and 1)
    assert d1 % h1 != 0, "the test needs heads that do not divide the width"
    page.get_by_test_id("design-name").tap()
    row = page.get_by_test_id("open-design-settings")
    assert f"d_model {d0}" in row.text_content() and f"n_heads {h0}" in row.text_content()
    shot(phone, "phone-designs-sheet")
    row.tap()
    sheet = page.get_by_test_id("meta-sheet")
    sheet.wait_for()
    # one stepper per catalog meta prop, bounded and stepped as the catalog says
    for name in phone.state("s.catalog.meta.map(m => m.name)"):
        assert sheet.get_by_test_id(f"meta-{name}").is_visible(), name
    assert page.get_by_test_id("meta-d_model-value").text_content() == str(d0)
    page.get_by_test_id("meta-d_model-inc").tap()
    assert page.get_by_test_id("meta-d_model-value").text_content() == str(d1)
    assert phone.state("s.history.present.meta.d_model") == d1
    # the blocks that still say d0 are pointed out, with the way to follow the default
    off = page.get_by_test_id("meta-off-d_model")
    assert f"{len(wide)} blocks use {d0}" in off.text_content()
    assert f"Set all to {d1}" in off.text_content()
    shot(phone, "phone-design-settings-apply")
    phone.wait_synced()
    assert Store.in_workspace(app_workspace).get_design(design_id).design["meta"]["d_model"] == d1

    # not modal: the header's undo is in reach; undo and redo move the stepper too
    page.get_by_test_id("btn-undo").tap()
    assert page.get_by_test_id("meta-d_model-value").text_content() == str(d0)
    page.get_by_test_id("btn-redo").tap()
    assert page.get_by_test_id("meta-d_model-value").text_content() == str(d1)

    # h1 heads do not divide d1: once applied to the blocks, the kernel marks them red
    page.get_by_test_id("meta-n_heads-inc").tap()
    assert page.get_by_test_id("meta-n_heads-value").text_content() == str(h1)
    page.get_by_test_id("meta-apply-d_model").tap()
    page.get_by_test_id("meta-apply-n_heads").tap()
    page.get_by_test_id("meta-off-n_heads").wait_for(state="detached")
    for bid in layers:
        wait_state(phone, bid, "error")
    phone.wait_synced()
    kernel_codes = phone.state("s.kernel.errors.map(e => e.code)")
    assert "HEADS_DIVIDE_D_MODEL" in kernel_codes
    assert phone.state("s.kernel.errors.filter(e => e.code === 'HEADS_DIVIDE_D_MODEL')"
                       ".map(e => e.component_id).sort()") == sorted(layers)
    shot(phone, "phone-design-settings")
    # a new block takes the design's defaults (the sheet covers the palette, as the
    # inspector does: close it first)
    sheet.get_by_label("Close").tap()
    sheet.wait_for(state="detached")
    page.get_by_test_id("palette-item-transformer_layer").tap()
    added = phone.state("s.history.present.components.at(-1)")
    assert added["props"]["d_model"] == d1 and added["props"]["n_heads"] == h1

    # each tap was one undo step: undo back to valid blocks
    for _ in range(3):  # the new block, applying n_heads, applying d_model
        page.get_by_test_id("btn-undo").tap()
    for bid in layers:
        wait_state(phone, bid, "ok")
    phone.wait_synced()
    assert phone.state("s.kernel.valid") is True
    # a tap on a block makes way for the inspector
    page.get_by_test_id(f"block-{layers[0]}").tap()
    page.get_by_test_id("inspector").wait_for()
    assert page.get_by_test_id("meta-sheet").count() == 0


def test_deleting_a_design_asks_first_in_a_sheet(phone, app_workspace):
    page = phone.open().page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    keep = phone.new_design("Keep me", "tiny")  # what opens next: not empty (phone.open)
    doomed = phone.new_design("Delete me", "tiny")
    page.get_by_test_id("design-name").tap()
    page.get_by_test_id(f"delete-{doomed}").tap()
    confirm = page.get_by_test_id("confirm-delete")
    confirm.wait_for()
    assert "Delete me" in confirm.text_content()
    # Cancel is the default (focused); the destructive button is red
    assert page.evaluate("() => document.activeElement.dataset.testid") == "confirm-delete-cancel"
    red = page.get_by_test_id("confirm-delete-confirm").evaluate(
        "el => getComputedStyle(el).backgroundColor")
    r, g, b = (int(x) for x in red[red.index("(") + 1:red.index(")")].split(",")[:3])
    assert r > 180 and g < 100 and b < 100, red
    shot(phone, "phone-confirm-delete")
    page.get_by_test_id("confirm-delete-cancel").tap()
    confirm.wait_for(state="detached")
    assert page.get_by_test_id("designs-sheet").is_visible()
    assert page.get_by_test_id(f"design-{doomed}").count() == 1

    # Escape cancels too (a keyboard next to the phone)
    page.get_by_test_id(f"delete-{doomed}").tap()
    confirm.wait_for()
    page.keyboard.press("Escape")
    confirm.wait_for(state="detached")
    assert page.get_by_test_id("designs-sheet").is_visible()

    page.get_by_test_id(f"delete-{doomed}").tap()
    page.get_by_test_id("confirm-delete-confirm").tap()
    page.get_by_test_id(f"design-{doomed}").wait_for(state="detached")
    assert page.get_by_test_id(f"design-{keep}").count() == 1
    ids = [m.id for m in Store.in_workspace(app_workspace).list_designs()]
    assert doomed not in ids and keep in ids
    # the open design was the deleted one: another opened
    page.wait_for_function(f"() => document.querySelector('.ms-root').__studio.store"
                           f".getState().doc.design_id !== {doomed!r}")
    assert dialogs == []
