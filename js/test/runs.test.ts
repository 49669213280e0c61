// The runs sheet's pure parts: formatting a run's row, the compare selection, which rows a
// scrolled list renders (100 runs), and the sparkline drawn from a run summary.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cleanCurve, type Point, sparkPoints } from "../src/training/chart";
import {
  anyTraining,
  COMPARE_MAX,
  canCompare,
  formatDuration,
  formatRate,
  formatStarted,
  keepListed,
  type RunSummary,
  statusLabel,
  tickedText,
  toggleSelected,
} from "../src/ui/runs/format";
import { visibleRows } from "../src/ui/virtual";

test("runs: durations read as seconds, minutes, hours", () => {
  assert.equal(formatDuration(0), "0 s");
  assert.equal(formatDuration(44.6), "45 s");
  assert.equal(formatDuration(60), "1 min");
  assert.equal(formatDuration(12 * 60 + 20), "12 min");
  assert.equal(formatDuration(3600 + 5 * 60), "1 h 05 min");
  for (const bad of [null, undefined, Number.NaN, -1, "5"]) assert.equal(formatDuration(bad), "–");
});

test("runs: start times are relative to today", () => {
  const now = new Date(2026, 10, 20, 18, 30); // a Friday
  const at = (d: Date) => d.getTime() / 1000;
  assert.equal(formatStarted(at(new Date(2026, 10, 20, 9, 5)), now), "09:05");
  assert.equal(formatStarted(at(new Date(2026, 10, 17, 14, 0)), now), "Tue 14:00");
  assert.equal(formatStarted(at(new Date(2026, 9, 3, 7, 45)), now), "3 Oct 07:45");
  assert.equal(formatStarted(Number.NaN, now), "–");
});

test("runs: rates are whole percents, tiny ones never read as 0%", () => {
  assert.equal(formatRate(0), "0%");
  assert.equal(formatRate(0.125), "13%");
  assert.equal(formatRate(0.001), "<1%");
  assert.equal(formatRate(1), "100%");
  assert.equal(formatRate(null), "–");
  assert.equal(statusLabel("interrupted"), "Interrupted");
  assert.equal(statusLabel("something-new"), "something-new");
});

test("runs: ticking keeps order, unticks, and stops at six", () => {
  let sel: string[] = [];
  for (const id of ["a", "b", "c"]) sel = toggleSelected(sel, id);
  assert.deepEqual(sel, ["a", "b", "c"]);
  sel = toggleSelected(sel, "b");
  assert.deepEqual(sel, ["a", "c"]);
  assert.ok(canCompare(sel) && !canCompare(["a"]) && !canCompare([]));
  for (const id of ["d", "e", "f", "g", "h"]) sel = toggleSelected(sel, id);
  assert.equal(sel.length, COMPARE_MAX);
  assert.deepEqual(sel, ["a", "c", "d", "e", "f", "g"]);
  assert.ok(canCompare(sel) && !canCompare([...sel, "h"]));
});

test("runs: a ticked run deleted elsewhere drops out of the selection", () => {
  const sel = ["a", "b"];
  const ofD1 = () => "d1";
  const list = (...ids: string[]) => ({ designId: "d1", runs: ids.map((id) => ({ id })) });
  assert.equal(keepListed(sel, list("a", "b"), ofD1), sel); // unchanged: same array
  assert.deepEqual(keepListed(sel, list("b"), ofD1), ["b"]);
});

test("runs: ticks of another design's runs survive opening a design, and are counted", () => {
  const designOf = (id: string) => ({ a1: "dA", a2: "dA", b1: "dB" })[id];
  const sel = ["a1", "a2", "b1"];
  const listB = { designId: "dB", runs: [{ id: "b1" }, { id: "b2" }] };
  assert.equal(keepListed(sel, listB, designOf), sel);
  assert.equal(tickedText(sel, listB.runs), "3 ticked (2 in other designs)");
  assert.equal(tickedText(["a1", "b1"], listB.runs), "2 ticked (1 in another design)");
  assert.equal(tickedText(["b1"], listB.runs), "1 ticked");
  assert.equal(tickedText(sel, null), "3 ticked"); // not listed yet: nothing to say
  // Design A listed again without a2 (deleted in another window): only that tick goes.
  assert.deepEqual(keepListed(sel, { designId: "dA", runs: [{ id: "a1" }] }, designOf), [
    "a1",
    "b1",
  ]);
});

test("runs: a list of 100 runs renders only the rows in view", () => {
  const row = 88;
  const [first, end] = visibleRows(0, 600, row, 100);
  assert.equal(first, 0);
  assert.ok(end - first <= 20 && end * row >= 600, `${first}..${end}`);
  const [f2, e2] = visibleRows(50 * row + 10, 600, row, 100);
  assert.ok(f2 <= 50 && e2 > 50 + 600 / row && e2 - f2 <= 20, `${f2}..${e2}`);
  const [f3, e3] = visibleRows(1e6, 600, row, 100); // scrolled past the end (a shrunk list)
  assert.ok(e3 <= 100 && f3 <= e3);
  assert.deepEqual(visibleRows(0, 600, row, 0), [0, 0]);
  assert.deepEqual(visibleRows(0, 600, row, 3), [0, 3]);
});

test("runs: the summary's sparkline draws as a polyline", () => {
  const spark: [number, number][] = Array.from({ length: 32 }, (_, i) => [i * 1000, 100 + i * i]);
  const pts = sparkPoints(cleanCurve(spark) as Point[], 64, 22).split(" ");
  assert.equal(pts.length, 32);
  const ys = pts.map((p) => Number(p.split(",")[1]));
  assert.ok(ys[0] > ys[31], "a rising score goes up");
  assert.equal(sparkPoints(cleanCurve([[0, 5]]) as Point[], 64, 22), ""); // too short: none
});

test("runs: the list refreshes while one of its runs trains", () => {
  const run = (status: RunSummary["status"]) => ({ status }) as RunSummary;
  assert.ok(anyTraining([run("finished"), run("training")]));
  assert.ok(!anyTraining([run("stopped"), run("interrupted")]));
});
