// The zoom steps that port touch targets follow (restyling 200 blocks per frame is not free).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  BLOCK_H,
  BLOCK_W,
  detailAt,
  nextZoomStep,
  portRooms,
  revealShift,
  zoomStep,
} from "../src/geometry";

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

const card = (id: string, x: number, y: number) => ({ id, position: { x, y } });

test("facing port targets split the gap between two cards", () => {
  // a chain 128 apart (64 between cards), a card beside it, one far below
  const rooms = portRooms([
    card("a", 0, 0),
    card("b", 0, 128),
    card("c", 32, 256 + BLOCK_H),
    card("side", 320, 0),
    card("far", 0, 2000),
  ]);
  assert.deepEqual(rooms.get("a"), { down: 32 });
  assert.deepEqual(
    rooms.get("b"),
    { up: 32, down: 64 },
    "c is 128 below b's bottom edge, a bit to the side",
  );
  assert.deepEqual(rooms.get("c"), { up: 64 });
  assert.equal(rooms.get("side"), undefined, "a card's width away: faces nothing");
  assert.equal(rooms.get("far"), undefined, "beyond any target's reach");
  const stacked = portRooms([card("p", 0, 0), card("q", 0, 32)]);
  assert.deepEqual(
    [stacked.get("p"), stacked.get("q")],
    [{ down: 0 }, { up: 0 }],
    "overlapping cards: the dots only",
  );
});

test("port rooms stay linear-ish on 512 cards in a column grid", () => {
  const cards = Array.from({ length: 512 }, (_, i) =>
    card(`n${i}`, (i % 10) * 256, Math.floor(i / 10) * 128),
  );
  const rooms = portRooms(cards);
  assert.equal(rooms.get("n0")?.down, 32);
  assert.equal(rooms.get("n0")?.up, undefined);
  assert.equal(rooms.get("n511")?.up, 32);
});

test("a selected block is brought into view above the inspector", () => {
  const area = { width: 390, height: 250 };
  const at = (x: number, y: number) => ({ x, y, w: BLOCK_W, h: BLOCK_H });
  const view = { x: 0, y: 0, zoom: 1 };
  assert.deepEqual(revealShift(at(64, 64), view, area), { x: 0, y: 0 }, "in view: stays");
  assert.deepEqual(
    revealShift(at(64, 600), view, area),
    { x: 0, y: 250 - 664 },
    "below: up to the sheet's edge",
  );
  assert.deepEqual(
    revealShift(at(64, -200), view, area),
    { x: 0, y: 232 },
    "above: down a grid step from the top",
  );
  assert.deepEqual(
    revealShift(at(1000, 64), view, area),
    { x: -917, y: 0 },
    "off to the side: centred",
  );
  assert.deepEqual(
    revealShift(at(250, 64), view, area),
    { x: 0, y: 0 },
    "over half in at the side: stays",
  );
  assert.deepEqual(
    revealShift(at(0, 0), { x: -20, y: -100, zoom: 0.5 }, area),
    { x: 0, y: 132 },
    "zoom counts",
  );
});
