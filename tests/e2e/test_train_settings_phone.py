"""Training settings on a phone against ``modelstudio serve``: the sheet renders the
kernel's table, a 15 s budget typed into ``budget-seconds`` is kept with the design, the run
it trains ends by itself (status back to idle, "Finished"), and a bad value is pointed out
on the page and refused by the kernel: nothing trains."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Phone, phone_on, studio_fixture  # type: ignore[import-not-found]

from modelstudio_widget.store import Store

pytestmark = pytest.mark.e2e

# Small rollouts: an iteration takes about a second, so a 15 s budget ends on time.
SERVER_CONFIG = {"num_envs": 64, "num_steps": 32}
BUDGET_S = 15


app = studio_fixture("ms-settings-", SERVER_CONFIG)


@pytest.fixture
def phone(browser: Any, app: tuple[str, Path]) -> Iterator[Phone]:
    with phone_on(browser, app[0]) as p:
        yield p


def shot(phone: Phone, name: str) -> None:
    """A screenshot once the sheets' slide-in animations have finished."""
    phone.page.wait_for_function(
        "() => document.getAnimations().every(a => a.playState !== 'running')")
    phone.shot(name)


def status(phone: Phone) -> tuple[str, str]:
    s = phone.page.get_by_test_id("status")
    return s.get_attribute("data-state") or "", s.inner_text()


def open_settings(phone: Phone) -> Any:
    phone.page.get_by_test_id("btn-train-settings").tap()
    sheet = phone.page.get_by_test_id("train-settings")
    sheet.wait_for()
    return sheet


def test_a_budget_set_on_the_phone_ends_the_run_by_itself(phone: Phone,
                                                          app: tuple[str, Path]) -> None:
    _, ws = app
    page = phone.open().page
    design_id = phone.new_design("Budget", "tiny")
    sheet = open_settings(phone)

    # The sheet is the kernel's table: every setting PPO reads, with the server's defaults;
    # none that only TD(0) reads (this design ends in an action output).
    table = phone.state("s.catalog.training.settings")
    for row in table:
        shown = sheet.get_by_test_id(f"setting-{row['name']}").count()
        if "ppo" not in row["trainers"]:
            assert shown == 0, row["name"]
        else:  # advanced: folded until opened
            assert shown == 1 or row["group"] == "advanced", row["name"]
    assert sheet.get_by_test_id("train-settings-td").count() == 0
    assert page.get_by_test_id("ppo-num_envs").input_value() == str(SERVER_CONFIG["num_envs"])
    assert page.get_by_test_id("budget-preset-until-i-stop").get_attribute(
        "aria-checked") == "true"
    for testid in ("budget-seconds", "budget-seconds-inc", "budget-preset-5-min"):
        box = phone.box(testid)
        assert round(box["height"], 2) >= 44, (testid, box)  # sub-pixel layout: 43.99997
    shot(phone, "settings-sheet")
    page.get_by_test_id("settings-group-ppo").scroll_into_view_if_needed()
    page.get_by_test_id("ppo-learning_rate-inc").tap()
    assert page.get_by_test_id("ppo-learning_rate").input_value() == "0.002"
    page.get_by_test_id("settings-group-advanced").get_by_role("button").first.tap()
    page.get_by_test_id("advanced-gae_lambda").wait_for()
    page.get_by_test_id("btn-undo").tap()  # back to the default learning rate
    assert page.get_by_test_id("ppo-learning_rate").input_value() == "0.001"
    shot(phone, "settings-ppo")

    # A preset is one tap; then a typed 15 s budget replaces it.
    page.get_by_test_id("budget-preset-5-min").tap()
    assert page.get_by_test_id("budget-seconds").input_value() == "300"
    assert page.get_by_test_id("budget-seconds-hint").inner_text() == "5 min"
    field = page.get_by_test_id("budget-seconds")
    field.fill(str(BUDGET_S))
    field.press("Enter")
    assert page.get_by_test_id("budget-seconds-hint").inner_text() == f"{BUDGET_S} s"
    assert "own" in (page.get_by_test_id("btn-train-settings").get_attribute("class") or "")
    phone.wait_synced()
    # Kept with the design: a normal edit, autosaved as a revision; undo works.
    saved = Store.in_workspace(ws).get_design(design_id)
    assert saved.design["training"] == {"seconds": BUDGET_S}
    page.get_by_test_id("btn-undo").tap()
    assert page.get_by_test_id("budget-seconds").input_value() == "300"
    page.get_by_test_id("btn-redo").tap()
    assert page.get_by_test_id("budget-seconds").input_value() == str(BUDGET_S)
    phone.wait_synced()
    shot(phone, "settings-budget-15s")
    sheet.get_by_label("Close").tap()

    # Train: the run ends by itself, within a few seconds of its budget.
    page.get_by_test_id("btn-train").tap()
    page.wait_for_selector("[data-testid=status][data-state=training]", timeout=60_000)
    started = time.monotonic()
    page.wait_for_selector("[data-testid=status][data-state=idle]",
                           timeout=(BUDGET_S + 45) * 1000)
    took = time.monotonic() - started
    assert BUDGET_S - 1 <= took <= BUDGET_S + 15, took
    state, text = status(phone)
    assert "Finished" in text, text
    assert page.get_by_test_id("btn-stop").is_disabled()
    (run,) = Store.in_workspace(ws).list_runs(design_id)
    assert run.status == "finished"
    assert run.design["training"] == {"seconds": BUDGET_S}  # the settings, with the run
    assert run.config["num_envs"] == SERVER_CONFIG["num_envs"]
    assert Store.in_workspace(ws).latest_checkpoint(run.id) is not None
    shot(phone, "settings-run-finished")


def test_a_bad_value_is_pointed_out_and_nothing_trains(phone: Phone,
                                                       app: tuple[str, Path]) -> None:
    _, ws = app
    page = phone.open().page
    page.emulate_media(color_scheme="dark")
    design_id = phone.new_design("Bad budget", "tiny")
    open_settings(phone)
    field = page.get_by_test_id("budget-seconds")
    field.fill("0")
    field.press("Enter")
    problem = page.get_by_test_id("budget-seconds-problem")
    problem.wait_for()
    assert "Time limit is 0; it must be between 1 and 86400" in problem.inner_text()
    assert page.get_by_test_id("train-settings-problems").is_visible()
    # Not a number at all: said at once, nothing saved.
    field.fill("soon")
    field.press("Enter")
    assert "enter a number" in page.get_by_test_id("train-settings").inner_text()
    phone.wait_synced()
    assert Store.in_workspace(ws).get_design(design_id).design["training"] == {"seconds": 0}
    shot(phone, "settings-bad-value")
    page.get_by_test_id("train-settings").get_by_label("Close").tap()

    page.get_by_test_id("btn-train").tap()
    page.wait_for_selector("[data-testid=status][data-tone=error]", timeout=30_000)
    state, text = status(phone)
    assert state == "idle" and "Time limit is 0; it must be between 1 and 86400" in text, text
    assert Store.in_workspace(ws).list_runs(design_id) == []
    shot(phone, "settings-bad-value-refused")

    # Fixed (the preset), it trains.
    open_settings(phone)
    page.get_by_test_id("budget-preset-quick-look-30-s").tap()
    page.get_by_test_id("budget-seconds-problem").wait_for(state="detached")
    assert not page.get_by_test_id("train-settings-problems").is_visible()


def test_the_default_design_learns_by_td_with_its_own_settings(phone: Phone,
                                                               app: tuple[str, Path]) -> None:
    """The app's default design ends in an n-tuple value: the sheet says it learns by
    TD(0) and offers what TD(0) reads (its step size, not PPO's learning rate); a budgeted
    run ends by itself with a TD error in the losses and a score far past random play."""
    _, ws = app
    page = phone.open().page
    design_id = phone.new_design("Look-ahead", "lookahead")
    sheet = open_settings(phone)
    sheet.get_by_test_id("train-settings-td").wait_for()
    for name in ("seconds", "seed", "num_envs", "num_steps", "td_step_size"):
        assert sheet.get_by_test_id(f"setting-{name}").count() == 1, name
    for name in ("learning_rate", "gamma", "ent_coef", "gae_lambda"):
        assert sheet.get_by_test_id(f"setting-{name}").count() == 0, name
    assert sheet.get_by_test_id("settings-group-advanced").count() == 0  # nothing TD reads
    field = page.get_by_test_id("budget-seconds")
    field.fill("8")
    field.press("Enter")
    phone.wait_synced()
    shot(phone, "settings-td")
    sheet.get_by_label("Close").tap()

    page.get_by_test_id("btn-train").tap()
    page.wait_for_selector("[data-testid=status][data-state=training]", timeout=60_000)
    page.wait_for_function(
        "() => document.querySelector('.ms-root').__studio.store.getState()"
        ".metrics?.losses?.td_error > 0", timeout=30_000)
    page.wait_for_selector("[data-testid=status][data-state=idle]", timeout=60_000)
    assert "Finished" in status(phone)[1]
    (run,) = Store.in_workspace(ws).list_runs(design_id)
    assert run.status == "finished" and run.config["td_step_size"] == 0.1
    # Random play averages ~1,100; eight seconds of TD(0) are far past it.
    assert run.summary["mean_score"] > 3000, run.summary
    shot(phone, "td-run-finished")
