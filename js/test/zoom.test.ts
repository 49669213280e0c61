// The zoom steps that port touch targets follow (restyling 200 blocks per frame is not free).
import assert from "node:assert/strict";
import { test } from "node:test";
import { detailAt, nextZoomStep, zoomStep } from "../src/geometry";

test("zoom steps are quarter octaves, rounded down (targets never shrink below 44 px)", () => {
  assert.equal(zoomStep(1), 1);
  assert.equal(zoomStep(0.999), 0.8409);
  assert.equal(zoomStep(1.2), 1.1892);
  assert.equal(zoomStep(2), 2);
  assert.equal(zoomStep(0.25), 0.25);
  for (let z = 0.25; z <= 2; z += 0.01) {
    const s = zoomStep(z);
    assert.ok(s <= z + 1e-9 && z / s < 2 ** 0.25 + 1e-6, `${z} -> ${s}`);
  }
  assert.equal(zoomStep(Number.NaN), 1);
  assert.equal(zoomStep(0), 1);
});

test("a step holds while the zoom stays near it (no restyle per gesture around zoom 1)", () => {
  assert.equal(nextZoomStep(null, 0.999), 0.8409, "no step yet: the plain step");
  assert.equal(nextZoomStep(1, 0.98), 1, "a little below: kept (targets sized for it)");
  assert.equal(nextZoomStep(1, 0.95), 0.8409, "below 0.97: the new step (targets would shrink)");
  assert.equal(nextZoomStep(1, 1.2), 1, "a little above: kept (targets larger)");
  assert.equal(nextZoomStep(1, 0.85), 0.8409, "well below: the new step");
  assert.equal(nextZoomStep(1, 1.3), 1.1892, "well above: the new step");
  let step = nextZoomStep(null, 1); // fitView lands at zoom 1
  let changes = 0;
  for (let i = 0; i < 40; i++) {
    const z = i % 2 ? 1.14 : 0.99; // a pinch back and forth around zoom 1
    const next = nextZoomStep(step, z);
    if (next !== step) changes++;
    step = next;
  }
  assert.equal(changes, 0, "no restyle, not one per gesture");
});

test("cards lose detail as the zoom drops: full, then title only, then a rectangle", () => {
  assert.equal(detailAt(1), "full");
  assert.equal(detailAt(0.6), "full");
  assert.equal(detailAt(0.59), "title");
  assert.equal(detailAt(0.4), "title");
  assert.equal(detailAt(0.39), "rect");
  assert.equal(detailAt(0.25), "rect");
});
