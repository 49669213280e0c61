// The training view's pure parts: chart mapping and thinning, the heat colour scale, the
// 2048 board, toolbar/status rules, download blobs, and the controller's action wiring.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { WidgetModel } from "../src/kernel/bridge";
import { heartbeatInterval, StudioController } from "../src/kernel/controller";
import { type ActionName, errorKey, statusView, toolbarState } from "../src/training/actions";
import { boardCells, maxTile, tileColours } from "../src/training/board";
import {
  chartGeometry,
  cleanCurve,
  downsample,
  niceTicks,
  type Point,
  sparkPoints,
} from "../src/training/chart";
import {
  downloadBlob,
  isDownloadMessage,
  safeFilename,
  saveBlob,
  toBytes,
} from "../src/training/download";
import {
  formatLb,
  HEAT_SATURATION,
  heatCells,
  heatColor,
  heatPosition,
} from "../src/training/heat";
import {
  formatCompact,
  formatElapsed,
  formatInt,
  formatPercent,
  formatStat,
  hasRun,
  lossRows,
  tileRates,
} from "../src/training/metrics";
import type { StatusState } from "../src/types";

const status = (state: StatusState["state"], extra: Partial<StatusState> = {}): StatusState => ({
  state,
  message: "",
  request_id: null,
  error: null,
  ...extra,
});

// ---------------------------------------------------------------------------- chart
test("chart: the curve is cleaned of junk and sorted by x", () => {
  const curve = [[3, 30], [1, 10], [2, null], "x", [Number.NaN, 1], [2, 20]];
  assert.deepEqual(cleanCurve(curve), [
    [1, 10],
    [2, 20],
    [3, 30],
  ]);
  assert.deepEqual(cleanCurve(undefined), []);
  assert.deepEqual(cleanCurve({}), []);
});

test("chart: downsampling keeps at most max points, the ends and the extremes", () => {
  const pts: Point[] = Array.from({ length: 1000 }, (_, i) => [i, Math.sin(i / 10) * 100]);
  pts[500] = [500, 9999]; // a spike
  pts[700] = [700, -9999]; // a dip
  const out = downsample(pts, 100);
  assert.ok(out.length <= 100, `${out.length}`);
  assert.deepEqual(out[0], pts[0]);
  assert.deepEqual(out[out.length - 1], pts[999]);
  assert.ok(
    out.some((p) => p[1] === 9999),
    "the spike survives",
  );
  assert.ok(
    out.some((p) => p[1] === -9999),
    "the dip survives",
  );
  for (let i = 1; i < out.length; i++) assert.ok(out[i][0] > out[i - 1][0], "x stays in order");
  const few: Point[] = [
    [0, 1],
    [1, 2],
  ];
  assert.deepEqual(downsample(few, 100), few);
});

test("chart: nice ticks are round and cover the range", () => {
  assert.deepEqual(niceTicks(0, 1000, 4), [0, 500, 1000]);
  const t = niceTicks(0, 1234, 3);
  assert.deepEqual(t, [0, 500, 1000]);
  assert.deepEqual(niceTicks(0.1, 0.35, 3), [0.1, 0.2, 0.3]);
  assert.ok(niceTicks(5, 5, 3).length > 0, "a flat range still gets ticks");
  assert.deepEqual(niceTicks(Number.NaN, 1), []);
});

/** The box the chart tests draw in (pads: left, right, top, bottom). */
const box = {
  width: 300,
  height: 160,
  pad: [40, 10, 10, 20] as [number, number, number, number],
};

test("chart: geometry maps points into the box, y anchored at zero for scores", () => {
  const g = chartGeometry(
    [
      [0, 300],
      [1000, 600],
      [2000, 900],
    ],
    box,
  );
  assert.match(g.line, /^M40\.0,/, "starts at the left pad");
  assert.ok(g.last && Math.abs(g.last.x - 290) < 0.01, "ends at the right pad");
  assert.equal(g.yTicks[0].value, 0, "scores read from zero");
  for (const t of g.yTicks)
    assert.ok(t.y >= 10 - 0.01 && t.y <= 140 + 0.01, `tick ${t.value} at ${t.y}`);
  assert.ok(g.area.endsWith("Z"));
  const empty = chartGeometry([], box);
  assert.equal(empty.line, "");
  assert.equal(empty.last, null);
  const one = chartGeometry([[5, 100]], box);
  assert.ok(
    one.last && Number.isFinite(one.last.x) && Number.isFinite(one.last.y),
    "one point draws",
  );
});

test("chart: a sparkline needs two points and stays inside its box", () => {
  assert.equal(sparkPoints([[0, 1]], 72, 28), "");
  const s = sparkPoints(
    [
      [0, 0],
      [1, 10],
      [2, 5],
    ],
    72,
    28,
  );
  const coords = s.split(" ").map((p) => p.split(",").map(Number));
  assert.equal(coords.length, 3);
  for (const [x, y] of coords) assert.ok(x >= 2 && x <= 70 && y >= 2 && y <= 26, `${x},${y}`);
});

// ---------------------------------------------------------------------------- heat
test("heat: the scale is centred on the uniform share 1/E and saturates at 4x", () => {
  assert.equal(heatPosition(0.25, 4), 0, "uniform is neutral");
  assert.equal(heatPosition(1, 4), 1, "4x uniform is full heat");
  assert.equal(heatPosition(0.0625, 4), -1, "a quarter of uniform is full cold");
  assert.equal(heatPosition(0, 4), -1, "a dead expert is cold");
  assert.equal(heatPosition(0.5, 4), 1 / HEAT_SATURATION, "2x is half way");
  assert.equal(heatPosition(0.125, 2), -1);
  assert.equal(heatPosition(Number.NaN, 4), 0);
  assert.equal(heatPosition(0.3, 0), 0);
});

test("heat: colours run cold (blue) to hot (red) and are valid CSS", () => {
  const rgb = (c: string) => c.match(/\d+/g)!.map(Number);
  const [cr, , cb] = rgb(heatColor(0, 4));
  const [hr, , hb] = rgb(heatColor(1, 4));
  const [nr, ng, nb] = rgb(heatColor(0.25, 4));
  assert.ok(cb > cr, "cold is blue");
  assert.ok(hr > hb, "hot is red");
  assert.ok(Math.max(nr, ng, nb) - Math.min(nr, ng, nb) < 20, "uniform is grey");
  for (const u of [0, 0.1, 0.2, 0.25, 0.3, 0.5, 0.9, 1])
    assert.match(heatColor(u, 4), /^rgb\(\d{1,3}, \d{1,3}, \d{1,3}\)$/);
  // monotone: more usage is never colder
  let last = -2;
  for (let u = 0; u <= 1; u += 0.05) {
    const t = heatPosition(u, 4);
    assert.ok(t >= last);
    last = t;
  }
});

test("heat: cells carry usage, colour and a readable label; junk becomes zero", () => {
  const cells = heatCells([0.5, 0.25, "x", 0.25]);
  assert.equal(cells.length, 4);
  assert.equal(cells[2].usage, 0);
  assert.equal(cells[0].label, "Expert 1: 50.0% (2.00x uniform)");
  assert.deepEqual(heatCells(null), []);
  assert.equal(formatLb(0.011608), "0.0116");
  assert.equal(formatLb(0), "0");
  assert.equal(formatLb(undefined), "–");
});

// ---------------------------------------------------------------------------- board
test("board: exponents become tiles with the classic colours", () => {
  const cells = boardCells([0, 1, 2, 3, 11, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0, 17])!;
  assert.equal(cells.length, 16);
  assert.deepEqual(
    cells.slice(0, 5).map((c) => c.label),
    ["", "2", "4", "8", "2048"],
  );
  assert.equal(cells[1].bg, "#eee4da");
  assert.equal(cells[4].bg, "#edc22e", "2048 gold");
  assert.equal(cells[5].bg, "#3c3a32", "beyond 2048: dark");
  assert.equal(cells[1].fg, "#776e65", "dark digits on light tiles");
  assert.equal(cells[3].fg, "#f9f6f2", "light digits from 8 up");
  assert.equal(cells[15].label, "131072");
  assert.equal(cells[15].digits, 6);
  assert.equal(maxTile(cells), 131072);
  assert.equal(tileColours(0).bg, "");
});

test("board: anything but 16 numbers is no board; bad cells are empty", () => {
  assert.equal(boardCells(null), null);
  assert.equal(boardCells([1, 2, 3]), null);
  const cells = boardCells([-1, 1.5, "2", 99, ...Array(12).fill(1)])!;
  assert.deepEqual(
    cells.slice(0, 4).map((c) => c.exp),
    [0, 0, 0, 0],
  );
  assert.equal(maxTile(null), 0);
});

// ---------------------------------------------------------------------------- metrics
test("metrics: formatting of counts, times, stats, rates and losses", () => {
  assert.equal(formatInt(133221), "133,221");
  assert.equal(formatInt(null), "–");
  assert.equal(formatCompact(1371), "1,371");
  assert.equal(formatCompact(12345), "12.3k");
  assert.equal(formatCompact(4_560_000), "4.56M");
  assert.equal(formatCompact(30000), "30k", "no trailing .0 on axis ticks");
  assert.equal(formatElapsed(42.7), "42 s");
  assert.equal(formatElapsed(187), "3:07");
  assert.equal(formatElapsed(3729), "1:02:09");
  assert.equal(formatElapsed(-1), "–");
  assert.equal(formatStat(0.012345), "0.01235");
  assert.equal(formatStat(0.00001234), "1.23e-5");
  assert.equal(formatStat(null), "–");
  assert.equal(formatPercent(0.5), "50%");
  assert.equal(formatPercent(0.0123), "1.2%");
  assert.equal(formatPercent(0.0001), "<0.1%");
  assert.deepEqual(
    tileRates({ max_tile_rates: { "1024": 0.1, "256": 0.9, "512": 2 } }).map((r) => [
      r.tile,
      r.rate,
    ]),
    [
      [256, 0.9],
      [512, 1],
      [1024, 0.1],
    ],
  );
  assert.deepEqual(
    lossRows({ losses: { value: 0.5, policy: -0.01 } }).map((r) => r.key),
    ["policy", "value"],
  );
  assert.equal(hasRun({}), false);
  assert.equal(hasRun({ run_id: "r1" }), true);
  assert.equal(hasRun(null), false);
});

// ---------------------------------------------------------------------------- toolbar + status
test("toolbar: compile and train need an idle kernel and a valid design", () => {
  const idle = status("idle");
  assert.deepEqual(toolbarState({ status: idle, valid: true, pending: null }), {
    compile: true,
    train: true,
    stop: false,
    export: true,
  });
  assert.deepEqual(
    toolbarState({ status: idle, valid: false, pending: null }),
    { compile: false, train: false, stop: false, export: true },
    "export any time",
  );
});

test("toolbar: while training only stop and export; nothing twice", () => {
  const training = status("training");
  assert.deepEqual(toolbarState({ status: training, valid: true, pending: null }), {
    compile: false,
    train: false,
    stop: true,
    export: true,
  });
  assert.equal(
    toolbarState({ status: training, valid: true, pending: "stop" }).stop,
    false,
    "no second stop",
  );
  assert.equal(
    toolbarState({ status: training, valid: true, pending: "export" }).export,
    false,
    "no second export",
  );
  for (const state of ["compiling", "stopping", "exporting"] as const) {
    const t = toolbarState({ status: status(state), valid: true, pending: null });
    assert.deepEqual(t, { compile: false, train: false, stop: false, export: false }, state);
  }
  const pending: ActionName = "compile";
  assert.equal(toolbarState({ status: status("idle"), valid: true, pending }).train, false);
});

test("status: the compile result's exact count comes first", () => {
  const s = status("idle", { message: "Compiled d_x.py: 234,185 parameters", request_id: "r1" });
  const v = statusView(s, { params: 234185, file: "d_x.py", request_id: "r1" }, null, null, null);
  assert.equal(v.text, "Compiled: 234,185 parameters");
  assert.equal(v.detail, "d_x.py");
  assert.equal(v.tone, "ok");
  // a stale compile result (another request) leaves the kernel's message
  const other = statusView(s, { params: 1, file: "old.py", request_id: "r0" }, null, null, null);
  assert.equal(other.text, s.message);
  assert.equal(statusView(status("idle"), null, null, null, null).text, "Ready");
});

test("status: training shows progress; busy states their message", () => {
  const v = statusView(
    status("training", { message: "Training" }),
    null,
    { state: "training", update: 12, global_step: 24576 },
    null,
    null,
  );
  assert.equal(v.tone, "live");
  assert.equal(v.detail, "update 12 · 24,576 moves");
  assert.equal(
    statusView(status("exporting", { message: "Exporting .onnx" }), null, null, null, null).text,
    "Exporting .onnx",
  );
  assert.equal(statusView(status("stopping"), null, null, null, null).text, "Stopping…");
});

test("status: errors show until dismissed, then the next error shows again", () => {
  const err = status("idle", {
    request_id: "r2",
    error: { code: "INVALID_DESIGN", message: "Fix the design first" },
  });
  const v = statusView(err, null, null, null, null);
  assert.equal(v.tone, "error");
  assert.equal(v.text, "Fix the design first");
  assert.equal(v.dismissKey, errorKey(err));
  const after = statusView(err, null, null, null, v.dismissKey);
  assert.notEqual(after.tone, "error");
  const local = { code: "TIMEOUT", message: "No answer", key: "action-1" };
  assert.equal(statusView(status("idle"), null, null, local, null).text, "No answer");
  assert.equal(statusView(status("idle"), null, null, local, "action-1").tone, "idle");
});

// ---------------------------------------------------------------------------- downloads
test("download: the blob is exactly the view's bytes (offset and length respected)", async () => {
  const backing = new Uint8Array([9, 9, 1, 2, 3, 4, 9]).buffer;
  const view = new DataView(backing, 2, 4);
  assert.deepEqual([...toBytes(view)!], [1, 2, 3, 4]);
  assert.deepEqual([...toBytes(new Uint8Array([5, 6]).buffer)!], [5, 6]);
  assert.equal(toBytes("nope"), null);
  const msg = {
    kind: "download" as const,
    id: "r1",
    filename: "m.onnx",
    mime: "application/octet-stream",
    size: 4,
  };
  const blob = downloadBlob(msg, [view]);
  assert.ok(blob instanceof Blob);
  assert.equal(blob.size, 4);
  assert.equal(blob.type, "application/octet-stream");
  assert.deepEqual([...new Uint8Array(await blob.arrayBuffer())], [1, 2, 3, 4]);
});

test("download: missing or short bytes are an error message, not a broken file", () => {
  const msg = { kind: "download" as const, id: "r1", filename: "m.pt", mime: "", size: 10 };
  assert.match(downloadBlob(msg, []) as string, /without its bytes/);
  assert.match(downloadBlob(msg, [new Uint8Array(3)]) as string, /incomplete \(3 of 10 bytes\)/);
  assert.equal(isDownloadMessage({ kind: "download", filename: "a" }), true);
  assert.equal(isDownloadMessage({ kind: "reply" }), false);
  assert.equal(isDownloadMessage(null), false);
});

test("download: file names lose folders and control characters", () => {
  assert.equal(safeFilename("../../etc/passwd"), "passwd");
  assert.equal(safeFilename("a\\b\\model.onnx"), "model.onnx");
  assert.equal(safeFilename("x\u0000y.pt"), "x_y.pt");
  assert.equal(safeFilename(".."), "download");
  assert.equal(safeFilename(""), "download");
});

test("download: saving clicks a hidden link with the name, then revokes the URL", async () => {
  const clicked: { href: string; download: string }[] = [];
  const body = {
    children: [] as unknown[],
    appendChild(el: unknown) {
      this.children.push(el);
    },
  };
  const doc = {
    body,
    createElement: () => {
      const a = {
        href: "",
        download: "",
        rel: "",
        style: {} as Record<string, string>,
        removed: false,
        click() {
          clicked.push({ href: a.href, download: a.download });
        },
        remove() {
          a.removed = true;
        },
      };
      return a;
    },
  } as unknown as Document;
  const revoked: string[] = [];
  const origRevoke = URL.revokeObjectURL;
  URL.revokeObjectURL = (u: string) => {
    revoked.push(u);
  };
  try {
    saveBlob(new Blob([new Uint8Array([1])]), "dir/model.onnx", doc, 0);
    assert.equal(clicked.length, 1);
    assert.equal(clicked[0].download, "model.onnx");
    assert.match(clicked[0].href, /^blob:/);
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(revoked, [clicked[0].href]);
  } finally {
    URL.revokeObjectURL = origRevoke;
  }
});

// ---------------------------------------------------------------------------- controller
class Model implements WidgetModel {
  sent: Record<string, unknown>[] = [];
  handlers = new Map<string, Set<(...a: unknown[]) => void>>();
  constructor(public values: Record<string, unknown>) {}
  get(name: string) {
    return this.values[name];
  }
  set(name: string, value: unknown) {
    this.values[name] = value;
  }
  save_changes() {}
  on(event: string, cb: (...a: unknown[]) => void) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)?.add(cb);
  }
  off(event: string, cb?: (...a: unknown[]) => void) {
    if (cb) this.handlers.get(event)?.delete(cb);
  }
  send(content: unknown) {
    this.sent.push(content as Record<string, unknown>);
  }
  emit(event: string, ...args: unknown[]) {
    for (const cb of this.handlers.get(event) ?? []) cb(...args);
  }
  reply(id: unknown, ok: boolean, body: Record<string, unknown>) {
    this.emit("msg:custom", { kind: "reply", id, ok, ...body });
  }
}

function controller() {
  const model = new Model({
    catalog: null,
    design: { schema_version: 1, id: "d", name: "D", meta: {}, components: [], edges: [] },
    design_seq: 1,
    validation: null,
    designs: [],
    doc: { design_id: "d", name: "D", revision: 1, saved_at: null, conflict: null, load_seq: 1 },
    status: status("idle"),
    metrics: { run_id: "r1", state: "training" },
    compile_result: {},
  });
  const c = new StudioController(model, "");
  c.start();
  return { model, c };
}

test("controller: a page asks for the complete state when it starts", () => {
  const { model, c } = controller();
  assert.ok(
    model.sent.some((m) => m.name === "resync"),
    "resync sent",
  );
  assert.equal(c.store.getState().metrics?.run_id, "r1", "the snapshot it found is shown");
  model.values.metrics = { run_id: "r2", state: "training", seq: 9 };
  model.emit("change:metrics");
  assert.equal(c.store.getState().metrics?.seq, 9);
  c.dispose();
});

test("controller: an action is sent once; its failure lands in the status line", async () => {
  const { model, c } = controller();
  const first = c.action("train");
  const second = c.action("train");
  assert.equal(model.sent.filter((m) => m.name === "train").length, 1, "a double tap sends once");
  assert.equal(c.store.getState().pending, "train");
  assert.equal(await second, undefined);
  const cmd = model.sent.find((m) => m.name === "train")!;
  model.reply(cmd.id, false, { error: { code: "BUSY", message: "Training is already running" } });
  assert.equal(await first, undefined);
  const s = c.store.getState();
  assert.equal(s.pending, null);
  assert.equal(s.actionError?.code, "BUSY");
  const ok = c.action<{ run_id: string }>("stop");
  const stop = model.sent.find((m) => m.name === "stop")!;
  assert.equal(c.store.getState().actionError, null, "a new action clears the old error");
  model.reply(stop.id, true, { result: { run_id: "r1" } });
  assert.deepEqual(await ok, { run_id: "r1" });
  c.dispose();
});

test("controller: a download message becomes a toast (and a file in a browser)", () => {
  const { model, c } = controller();
  model.emit("msg:custom", { kind: "download", id: "x", filename: "m.pt", mime: "", size: 2 }, [
    new DataView(new Uint8Array([1, 2]).buffer),
  ]);
  assert.equal(c.store.getState().toast?.text, "Downloaded m.pt");
  model.emit("msg:custom", { kind: "download", id: "y", filename: "m.pt", mime: "", size: 5 }, []);
  assert.equal(c.store.getState().toast?.tone, "error");
  c.dispose();
});

test("controller: heartbeats keep pace with the kernel's watchdog", () => {
  assert.equal(heartbeatInterval(90), 10000, "at most every 10 s");
  assert.equal(heartbeatInterval(4), 1333, "three per watchdog period");
  assert.equal(heartbeatInterval(1), 1000, "never more than once a second");
  assert.equal(heartbeatInterval(null), 10000, "no watchdog: the default");
  assert.equal(heartbeatInterval(-5), 10000);
});

test("controller: the first heartbeat goes out at once", () => {
  const { model, c } = controller();
  assert.ok(model.sent.some((m) => m.name === "heartbeat"));
  c.dispose();
});

test("chart: the y range is rounded out to whole steps, gridlines at both ends", () => {
  const g = chartGeometry(
    [
      [0, 300],
      [1000, 955],
    ],
    box,
  );
  assert.deepEqual(
    g.yTicks.map((t) => t.value),
    [0, 500, 1000],
  );
  assert.ok(Math.abs(g.yTicks[2].y - 10) < 0.01, "the top tick sits at the top of the plot");
  assert.ok(Math.abs(g.yTicks[0].y - 140) < 0.01, "zero at the bottom");
  const flat = chartGeometry(
    [
      [0, 50],
      [10, 50],
    ],
    box,
  );
  assert.ok(flat.yTicks.length >= 2, "a flat curve still gets a scale");
});
