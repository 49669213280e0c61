// The Sweep sheet's logic without a DOM: what can be varied (a block's prop of the open
// design, from the catalog, or a training setting, from the kernel's table), the values
// picked for it, the request the kernel checks again (`start_sweep`), and the kernel's
// pushed progress. Plain data in, plain data out; nothing here names a block type or prop.

import { blockSpec, formatValue } from "../../catalog";
import type { SweepJobState } from "../../kernel/sweep";
import type { Catalog, Design, PropSpec, PropValue } from "../../types";
import { checkPropValue } from "../../validation/values";
import { stepValue } from "../controls";
import {
  asPropSpec,
  settingValue,
  stepSetting,
  type TrainingSetting,
  trainingTable,
} from "../settings/model";

/** The kernel's limits (sweeps/request.py): axes, values per axis, trials. */
export const MAX_AXES = 2;
export const MAX_VALUES = 4;
export const MIN_TRIALS = 2;
export const MAX_TRIALS = 8;
/** Seconds per trial offered on the phone. */
export const SECONDS_PRESETS = [5, 30, 120, 600] as const;
export const DEFAULT_SECONDS = 30;

/** One thing a sweep can vary. `key` is the label the kernel's trials carry ("block.prop"
 * for a prop, the setting's name). */
export interface AxisOption {
  key: string;
  label: string;
  spec: PropSpec;
  /** The design's value now (the first value offered). */
  current: PropValue;
  blockId?: string;
  prop?: string;
  setting?: string;
  /** A training setting stepped by multiplying (learning rates). */
  log?: TrainingSetting;
}

export interface Axis {
  key: string;
  values: PropValue[];
}

/** Every prop of the design's blocks and every training setting a sweep may vary (the
 * budget is the sweep's own: seconds per trial). */
export function axisOptions(catalog: Catalog | null, design: Design): AxisOption[] {
  if (!catalog) return [];
  const out: AxisOption[] = [];
  for (const c of design.components) {
    const block = blockSpec(catalog, c.type);
    for (const spec of block?.props ?? []) {
      const v = c.props?.[spec.name];
      out.push({
        key: `${c.id}.${spec.name}`,
        label: `${c.id} · ${spec.name}`,
        spec,
        current: checkPropValue(spec, v) ? spec.default : (v as PropValue),
        blockId: c.id,
        prop: spec.name,
      });
    }
  }
  for (const s of trainingTable(catalog)?.settings ?? []) {
    if (s.optional) continue; // the budget
    const v = settingValue(design, s);
    const spec = asPropSpec(s);
    out.push({
      key: s.name,
      label: s.label,
      spec,
      current: checkPropValue(spec, v) ? spec.default : (v as PropValue),
      setting: s.name,
      log: s.scale === "log" ? s : undefined,
    });
  }
  return out;
}

/** The choices of an enum or bool prop (null: a number, stepped). */
export function discreteChoices(spec: PropSpec): PropValue[] | null {
  if (spec.type === "bool") return [false, true];
  if (spec.type === "enum") return spec.choices ?? [];
  return null;
}

/** The value one step from `value` (+1 up, -1 down), within the option's bounds. */
export function stepOption(o: AxisOption, value: number, dir: 1 | -1): number {
  return o.log ? stepSetting(o.log, value, dir) : stepValue(o.spec, value, dir);
}

/** A value not yet picked, next to the others: one step above the largest (`dir` 1) or
 * below the smallest (-1), within bounds; for enums and bools, another choice. Null: none. */
export function nextValue(o: AxisOption, values: PropValue[], dir: 1 | -1 = 1): PropValue | null {
  const choices = discreteChoices(o.spec);
  if (choices) return choices.find((c) => !values.includes(c)) ?? null;
  const nums = values.filter((v): v is number => typeof v === "number");
  if (!nums.length) return o.current;
  let v = dir > 0 ? Math.max(...nums) : Math.min(...nums);
  for (let i = 0; i < 64; i++) {
    const next = stepOption(o, v, dir);
    if (next === v) return null;
    if (!values.includes(next) && !checkPropValue(o.spec, next)) return next;
    v = next;
  }
  return null;
}

/** A new axis for an option: its current value and the next one. */
export function newAxis(o: AxisOption): Axis {
  const values: PropValue[] = [o.current];
  const next = nextValue(o, values, 1) ?? nextValue(o, values, -1);
  return { key: o.key, values: next === null ? values : toggleValue(values, next) };
}

/** Tap a value: picked -> dropped, not picked -> added (at most MAX_VALUES), sorted. */
export function toggleValue(values: PropValue[], v: PropValue): PropValue[] {
  if (values.includes(v)) return values.filter((x) => x !== v);
  if (values.length >= MAX_VALUES) return values;
  const next = [...values, v];
  return next.every((x) => typeof x === "number") ? (next as number[]).sort((a, b) => a - b) : next;
}

export function trialCount(axes: Axis[]): number {
  return axes.length ? axes.reduce((n, a) => n * a.values.length, 1) : 0;
}

/** Why the sweep cannot start, in one line (null: it can). The kernel checks it again. */
export function sweepProblem(axes: Axis[], options: AxisOption[]): string | null {
  if (!axes.length) return "Pick what to vary.";
  const byKey = new Map(options.map((o) => [o.key, o]));
  for (const a of axes) {
    const o = byKey.get(a.key);
    if (!o) return `${a.key} is no longer in the design.`;
    if (!a.values.length) return `Pick values for ${o.label}.`;
    for (const v of a.values) {
      const problem = checkPropValue(o.spec, v);
      if (problem) return `${o.label} ${problem[1]}.`;
    }
  }
  const n = trialCount(axes);
  if (n < MIN_TRIALS) return "Pick at least two values: one value is a plain run.";
  if (n > MAX_TRIALS) return `${n} trials: a sweep runs at most ${MAX_TRIALS}.`;
  return null;
}

/** `start_sweep`'s arguments. */
export function sweepArgs(
  axes: Axis[],
  options: AxisOption[],
  seconds: number,
): { axes: Record<string, unknown>[]; seconds_per_trial: number } {
  const byKey = new Map(options.map((o) => [o.key, o]));
  return {
    axes: axes.map((a) => {
      const o = byKey.get(a.key);
      return o?.setting
        ? { setting: o.setting, values: a.values }
        : { block_id: o?.blockId, prop: o?.prop, values: a.values };
    }),
    seconds_per_trial: seconds,
  };
}

// --- the kernel's progress -------------------------------------------------------------

/** A trial's values in a row: "hidden 64 · Learning rate 0.003". */
export function formatTrialValues(values: Record<string, unknown>, options: AxisOption[]): string {
  const byKey = new Map(options.map((o) => [o.key, o]));
  return Object.entries(values)
    .map(([k, v]) => `${byKey.get(k)?.spec.name ?? k} ${formatValue(v)}`)
    .join(" · ");
}

export const TRIAL_STATUS: Record<string, string> = {
  pending: "Waiting",
  running: "Training",
  finished: "Finished",
  stopped: "Stopped",
  failed: "Failed",
  invalid: "Invalid",
  "not started": "Not run",
};

/** How far the sweep is: "1 of 2 trials done". */
export function sweepSummary(s: SweepJobState): string {
  const ended = s.trials.filter((t) => t.status !== "pending" && t.status !== "running").length;
  const what = { running: "", finished: "Finished: ", stopped: "Stopped: ", failed: "Failed: " };
  return `${what[s.state] ?? ""}${ended} of ${s.trials.length} trials done`;
}
