// The compare sheet's pure parts: curves aligned on one x axis (moves or minutes), the
// final-numbers cells and the "what differs" lines.
import assert from "node:assert/strict";
import { test } from "node:test";
import { diffDesigns } from "../src/state/diff";
import {
  alignSeries,
  type ComparedRun,
  type CurvePoint,
  differenceLines,
  drawnCurves,
  formatX,
  METRIC_COLUMNS,
  metricCells,
  RUN_COLOURS,
  runColour,
  TIME_TICK_STEPS_S,
} from "../src/ui/compare/series";

function run(id: string, curve: CurvePoint[]): ComparedRun {
  return {
    id,
    label: id,
    tag: id,
    design_id: "d-1",
    design_name: "D",
    revision: 1,
    status: "finished",
    curve,
    metrics: { moves: 0, duration_s: 0, mean_score: null, best_score: null, tile_rates: {} },
  };
}

const a = run("r-a", [
  [1000, 100, 60],
  [2000, 200, 120],
  [3000, 300, 180],
]);
const b = run("r-b", [
  [1500, 50, 30],
  [3000, 250, 90],
]);

test("compare: curves share one sorted x axis of moves, on their lines inside their span", () => {
  const [xs, ya, yb] = alignSeries([a, b], "moves");
  assert.deepEqual(xs, [1000, 1500, 2000, 3000]);
  assert.deepEqual(ya, [100, 150, 200, 300]);
  assert.deepEqual(yb, [null, 50, 50 + 200 / 3, 250]);
});

test("compare: the minutes axis reads each run's training seconds, shown as a clock", () => {
  const [xs, ya, yb] = alignSeries([a, b], "minutes");
  assert.deepEqual(xs, [30, 60, 90, 120, 180]);
  assert.deepEqual(ya, [null, 100, 150, 200, 300]);
  assert.deepEqual(yb, [50, 150, 250, null, null]);
  assert.equal(formatX("minutes", 90), "1:30");
  assert.equal(formatX("minutes", 15.4), "15 s");
  assert.ok(
    TIME_TICK_STEPS_S.every((s) => Number.isInteger(s)),
    "whole seconds: uPlot rounds ticks to them",
  );
  assert.equal(formatX("moves", 12345), "12.3k");
  assert.equal(formatX("moves", null), "–");
});

test("compare: junk points are skipped and a run without points draws no curve", () => {
  const junk = run("r-j", [[1, Number.NaN, 1], [2, 5, 2], "x" as unknown as CurvePoint]);
  const empty = run("r-e", []);
  const [xs, yj, ye] = alignSeries([junk, empty], "moves");
  assert.deepEqual(xs, [2]);
  assert.deepEqual(yj, [5]);
  assert.deepEqual(ye, [null]);
  assert.equal(drawnCurves([a, b, empty]), 2);
});

test("compare: six runs get six different colours", () => {
  assert.equal(new Set(Array.from({ length: 6 }, (_, i) => runColour(i))).size, 6);
  assert.equal(RUN_COLOURS.length, 6);
});

test("compare: a run's final numbers fill the table's columns", () => {
  const cells = metricCells({
    moves: 1_250_000,
    duration_s: 95,
    mean_score: 2345.6,
    best_score: 8000,
    tile_rates: { "512": 0.5, "1024": 0.125, "2048": null },
  });
  assert.equal(cells.length, METRIC_COLUMNS.length);
  assert.deepEqual(cells, ["2,346", "8,000", "1.25M", "2 min", "50%", "13%", "–", "–"]);
  const evaluatedRun = metricCells({
    moves: 10,
    duration_s: 1,
    mean_score: 1,
    best_score: 1,
    tile_rates: {},
    evaluation: { mean_score: 3021.4, se: 41.6, games: 200 },
  });
  assert.equal(evaluatedRun[METRIC_COLUMNS.indexOf("Evaluated")], "3,021 ± 42");
});

test("compare: what differs lists blocks, props, edges and settings, not mere moves", () => {
  const base = {
    meta: { d_model: 64 },
    components: [
      { id: "in", type: "board_input", props: {}, position: { x: 0, y: 0 } },
      {
        id: "t1",
        type: "transformer_layer",
        props: { n_heads: 4 } as Record<string, number>,
        position: { x: 0, y: 96 },
      },
      { id: "out", type: "action_output", props: {}, position: { x: 0, y: 192 } },
    ],
    edges: [
      ["in", "t1"],
      ["t1", "out"],
    ],
  };
  // d_model doubled, the first block moved, t1's heads doubled, an MoE block between t1 and out
  const other = structuredClone(base);
  other.meta.d_model = 128;
  other.components[0].position.x = 50;
  other.components[1].props.n_heads = 8;
  other.components.splice(2, 0, {
    id: "m1",
    type: "moe_layer",
    props: {},
    position: { x: 0, y: 150 },
  });
  other.edges = [
    ["in", "t1"],
    ["t1", "m1"],
    ["m1", "out"],
  ];
  const lines = differenceLines({
    run_id: "r-b",
    base_run_id: "r-a",
    design: diffDesigns(base, other),
    settings: { learning_rate: [0.001, 0.0003], "budget.seconds": [30, null] },
  });
  assert.deepEqual(lines, [
    "+ block m1",
    "t1.n_heads: 4 → 8",
    "+ edge m1 → out",
    "+ edge t1 → m1",
    "− edge t1 → out",
    "d_model: 64 → 128",
    "learning_rate: 0.001 → 0.0003",
    "budget.seconds: 30 → –",
  ]);
  const same = diffDesigns(base, base);
  assert.deepEqual(
    differenceLines({ run_id: "r-c", base_run_id: "r-a", design: same, settings: {} }),
    [],
  );
});
