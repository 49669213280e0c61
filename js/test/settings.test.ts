// Training settings on the page: the instant check agrees with the kernel's check of
// record (training/settings.py) on the kernel's own table; edits are ordinary undoable
// design edits; steppers, presets and typed entries.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { emptyDesign } from "../src/state/design";
import { initHistory } from "../src/state/history";
import { StudioStore } from "../src/state/store";
import type { Catalog, Design } from "../src/types";
import type { TrainingSetting, TrainingTable } from "../src/ui/settings/model";
import * as settings from "../src/ui/settings/model";

const {
  applyPreset,
  clearSettings,
  designSettings,
  formatDuration,
  parseEntry,
  presetOn,
  setSetting,
  settingsProblems,
  settingValue,
  stepSetting,
  trainingTable,
} = settings;

import { fromPython, ROOT } from "./python";

// Values the page could send: in bounds, at and past them, wrong types, unknown names.
const CASES: unknown[] = [
  {},
  { seconds: 15, learning_rate: 0.0005, seed: 3 },
  { seconds: 1, steps: 1000 },
  { seconds: 0 },
  { seconds: 86400.5 },
  { seconds: "15" },
  { num_envs: true },
  { num_envs: 64.5 },
  { num_envs: 4096, num_steps: 1 },
  { num_envs: 4097 },
  { gamma: 1, ent_coef: 0 },
  { gamma: null, vf_coef: 1 },
  { reward_transform: "raw" },
  { reward_transform: "sqrt" },
  { reward_transform: 1 },
  { bogus: 1, seed: -1 },
  { steps: 999 },
  { learning_rate: [0.001] },
  [30],
  "fast",
];

const PROBE = `
import json, sys
from modelstudio_widget.training.settings import SettingsError, check_settings, training_catalog
out = []
for raw in json.load(sys.stdin):
    try:
        check_settings(raw)
        out.append([])
    except SettingsError as exc:
        out.append([list(p) for p in exc.problems])
json.dump({"table": training_catalog(), "problems": out}, sys.stdout)
`;

function kernel(): { table: TrainingTable; problems: [string, string][][] } {
  const out = execFileSync(process.env.PYTHON ?? "python3", ["-c", PROBE], {
    input: JSON.stringify(CASES),
    cwd: ROOT,
    env: { ...process.env, OMP_NUM_THREADS: "1", MODELSTUDIO_TRAIN_CONFIG: "" },
  });
  return JSON.parse(out.toString());
}

const answer = kernel();
const table = answer.table;
const byName = (name: string): TrainingSetting => {
  const s = table.settings.find((x) => x.name === name);
  assert.ok(s, name);
  return s;
};
const withSettings = (training: unknown): Design => ({ ...emptyDesign(), training }) as Design;

test("the page's check says what the kernel's says, case by case, word for word", () => {
  CASES.forEach((raw, i) => {
    const page = settingsProblems(table, withSettings(raw));
    assert.deepEqual(page, answer.problems[i], `case ${i}: ${JSON.stringify(raw)}`);
  });
});

test("a problem names the setting and what is wrong", () => {
  const [[name, message]] = settingsProblems(table, withSettings({ seconds: 0 }));
  assert.equal(name, "seconds");
  assert.match(message, /Time limit is 0; it must be between 1 and 86400/);
  assert.match(settingsProblems(table, withSettings({ num_envs: true }))[0][1], /whole number/);
  assert.deepEqual(settingsProblems(table, emptyDesign()), []);
});

test("the table comes from the catalog; the page names no setting itself", () => {
  assert.equal(trainingTable(null), null);
  assert.equal(trainingTable({ blocks: [] } as unknown as Catalog), null);
  assert.equal(trainingTable({ training: table } as unknown as Catalog), table);
});

test("a value is the design's, else the server's default", () => {
  const lr = byName("learning_rate");
  assert.equal(settingValue(emptyDesign(), lr), lr.default);
  assert.equal(settingValue(withSettings({ learning_rate: 0.002 }), lr), 0.002);
  assert.equal(settingValue(withSettings({ learning_rate: null }), lr), lr.default);
  assert.equal(settingValue(withSettings([1]), lr), lr.default);
});

test("settings are an undoable edit; the default or empty leaves the design without them", () => {
  const store = new StudioStore({ history: initHistory(emptyDesign()) });
  const seconds = byName("seconds");
  assert.ok(store.edit((d) => setSetting(d, seconds, 15)));
  assert.deepEqual(designSettings(store.design), { seconds: 15 });
  assert.ok(!store.edit((d) => setSetting(d, seconds, 15)), "the same value changes nothing");
  assert.ok(store.edit((d) => setSetting(d, byName("seed"), 4)));
  store.undo();
  assert.deepEqual(designSettings(store.design), { seconds: 15 });
  assert.ok(store.edit((d) => setSetting(d, seconds, null)));
  assert.equal("training" in store.design, false);
  const lr = byName("learning_rate");
  assert.equal("training" in setSetting(emptyDesign(), lr, lr.default as number), false);
  assert.equal("training" in clearSettings(withSettings({ seed: 1 })), false);
});

test("a budget preset sets its values in one edit and shows as on", () => {
  const quick = table.budget_presets.find((p) => p.values.seconds === 30);
  const forever = table.budget_presets.find((p) =>
    Object.values(p.values).every((v) => v === null),
  );
  assert.ok(quick && forever);
  const d = applyPreset(withSettings({ steps: 5000, seed: 2 }), table, quick);
  assert.deepEqual(designSettings(d), { seconds: 30, seed: 2 });
  assert.ok(presetOn(d, table, quick) && !presetOn(d, table, forever));
  const e = applyPreset(d, table, forever);
  assert.deepEqual(designSettings(e), { seed: 2 });
  assert.ok(presetOn(e, table, forever));
});

test("steppers stay in bounds; log settings multiply, linear ones add", () => {
  const envs = byName("num_envs");
  assert.equal(stepSetting(envs, 256, 1), 512);
  assert.equal(stepSetting(envs, 256, -1), 128);
  assert.equal(stepSetting(envs, envs.max as number, 1), envs.max);
  assert.equal(stepSetting(envs, 1, -1), 1);
  const lr = byName("learning_rate");
  assert.equal(stepSetting(lr, 0.001, 1), 0.002);
  assert.equal(stepSetting(lr, 0.0003, -1), 0.00015);
  const gamma = byName("gamma");
  assert.equal(stepSetting(gamma, 0.99, 1), 0.991);
  assert.equal(stepSetting(gamma, gamma.max as number, 1), gamma.max);
  const seconds = byName("seconds");
  assert.equal(stepSetting(seconds, null, 1), seconds.step, "an empty budget starts at one step");
  assert.equal(stepSetting(byName("steps"), null, 1), byName("steps").min);
  for (const s of table.settings.filter((x) => x.type !== "enum")) {
    for (const v of [s.min as number, s.max as number]) {
      for (const dir of [1, -1] as const) {
        const next = stepSetting(s, v, dir);
        assert.ok(next >= (s.min as number) && next <= (s.max as number), `${s.name} ${v} ${dir}`);
        assert.equal(settingsProblems(table, withSettings({ [s.name]: next })).length, 0, s.name);
      }
    }
  }
});

test("typed entries: numbers are kept (even out of bounds), empty is the default", () => {
  const seconds = byName("seconds");
  assert.deepEqual(parseEntry(seconds, " 15 "), { value: 15 });
  assert.deepEqual(parseEntry(seconds, "1,800"), { value: 1800 });
  assert.deepEqual(parseEntry(seconds, "-5"), { value: -5 });
  assert.deepEqual(parseEntry(seconds, ""), { value: null });
  assert.ok("error" in parseEntry(seconds, "soon"));
  assert.ok("error" in parseEntry(seconds, "Infinity"));
});

test("a budget reads in words", () => {
  assert.equal(formatDuration(15), "15 s");
  assert.equal(formatDuration(300), "5 min");
  assert.equal(formatDuration(5400), "1 h 30 min");
  assert.equal(formatDuration(90), "1 min 30 s");
});

test("a design shows the settings its trainer reads: TD(0) for an n-tuple value, else PPO", () => {
  const { catalog, templates } = fromPython([]);
  const lookahead = templates.lookahead as Design;
  const tiny = templates.tiny as Design;
  assert.equal(settings.designTrainer(lookahead, catalog), "td");
  assert.equal(settings.designTrainer(tiny, catalog), "ppo");
  assert.equal(settings.designTrainer(emptyDesign(), catalog), "ppo");
  const shown = (trainer: string) =>
    table.settings.filter((s) => settings.settingApplies(s, trainer)).map((s) => s.name);
  assert.deepEqual(shown("td"), [
    "seconds",
    "steps",
    "seed",
    "num_envs",
    "num_steps",
    "td_step_size",
  ]);
  assert.ok(shown("ppo").includes("learning_rate") && !shown("ppo").includes("td_step_size"));
  assert.ok(shown("ppo").includes("seconds") && shown("ppo").includes("num_envs"));
});
