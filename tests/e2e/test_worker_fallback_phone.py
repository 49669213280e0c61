"""When the page cannot run its validation worker, it says so and shows the kernel's
validation instead; blocks still turn red, from the kernel's answer.

The worker is broken from outside the app, before any of its code runs (an init script
wraps the browser's ``Worker`` for ``blob:`` URLs, which is how the page starts it), in
the three ways a browser can fail it: creation refused (what a Content-Security-Policy
without ``worker-src blob:`` does), a worker whose script crashes, a worker that never
answers."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import PHONE, Phone  # type: ignore[import-not-found]

pytestmark = pytest.mark.e2e

BREAK_WORKERS = """(() => {
  const mode = %r;
  const Real = window.Worker;
  window.Worker = function (url, options) {
    if (!String(url).startsWith("blob:")) return new Real(url, options);
    if (mode === "blocked") {
      throw new DOMException("Refused to create a worker from '" + url + "' because it"
        + " violates the Content Security Policy directive: worker-src 'none'.", "SecurityError");
    }
    const body = mode === "crashes" ? "throw new Error('validator failed to load');"
                                    : "self.onmessage = () => {};";
    return new Real(URL.createObjectURL(new Blob([body], { type: "text/javascript" })), options);
  };
  window.Worker.prototype = Real.prototype;
})();"""


@pytest.fixture(params=["blocked", "crashes", "silent"])
def phone_without_workers(request: Any, browser: Any, app_url: str):
    ctx = browser.new_context(**PHONE)
    ctx.add_init_script(BREAK_WORKERS % request.param)
    page = ctx.new_page()
    p = Phone(page, app_url)
    yield p
    ctx.close()
    # a worker that crashes reports its own error to the page: that one is expected
    unexpected = [e for e in p.errors if "validator failed to load" not in e]
    assert not unexpected, f"page errors: {unexpected}"


def test_without_a_worker_the_kernel_validates_and_blocks_still_turn_red(phone_without_workers):
    phone = phone_without_workers
    page = phone.page
    page.goto(phone.url)  # whatever design opens (other tests' leftovers), even an empty one
    page.get_by_test_id("canvas").wait_for(timeout=60_000)
    phone.wait_synced()
    banner = page.get_by_test_id("banner-worker")
    banner.wait_for()  # at once, or after the answer timeout for a silent worker
    assert phone.state("s.worker") == "failed"
    assert "kernel" in banner.text_content()

    phone.new_design("No worker", "transformer")
    tid = phone.state("s.history.present.components.find(c => c.type === 'transformer_layer').id")
    page.get_by_test_id(f"block-{tid}").tap()
    page.get_by_test_id("inspector").wait_for()
    heads = int(page.get_by_test_id("prop-n_heads-value").text_content())
    width = phone.state(f"s.history.present.components.find(c => c.id === '{tid}').props.d_model")
    assert width % (heads - 1) != 0, "the test needs heads that do not divide the width"
    page.get_by_test_id("prop-n_heads-dec").tap()
    # the error comes from the kernel: nothing local was ever computed
    page.wait_for_function(f"() => document.querySelector('[data-testid=block-{tid}]')"
                           ".dataset.state === 'error'")
    phone.wait_synced()
    assert phone.state("s.local") is None
    assert phone.state("s.worker") == "failed"
    assert "HEADS_DIVIDE_D_MODEL" in phone.state("s.kernel.errors.map(e => e.code)")
    assert page.locator(".ms-sync-kernel").count() == 1  # the header's source dot
    assert page.get_by_test_id("banner").is_visible()
    assert banner.is_visible()
    page.get_by_test_id("inspector").get_by_label("Close").tap()
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")
    phone.shot("phone-worker-fallback")

    # and back: undo, the kernel clears it
    page.get_by_test_id("btn-undo").tap()
    page.wait_for_function(f"() => document.querySelector('[data-testid=block-{tid}]')"
                           ".dataset.state === 'ok'")
    phone.wait_synced()
    assert phone.state("s.kernel.valid") is True
