// Training settings on the page: the kernel's table (catalog.training, from
// training/settings.py), the design's values (design.training), the instant check that
// mirrors the kernel's check of record, and the edits the sheet makes. Pure functions over
// plain data (no components), so they are testable in node. Nothing here names a setting.

import type { Catalog, Design, PropSpec } from "../../types";
import { checkPropValue, isDict } from "../../validation/values";
import { stepValue } from "../controls";

export type SettingValue = number | string;

export interface TrainingSetting {
  name: string;
  label: string;
  group: string;
  type: "int" | "float" | "enum";
  /** This server's default (PPOConfig's, or $MODELSTUDIO_TRAIN_CONFIG's); null: no limit. */
  default: SettingValue | null;
  doc: string;
  unit: string;
  /** "log": a stepper tap multiplies or divides by `step`; "linear": adds or subtracts it. */
  scale: "linear" | "log";
  /** May be left empty (the budget: no limit). */
  optional: boolean;
  min?: number;
  max?: number;
  step?: number;
  choices?: string[];
  /** The trainers that read it ("ppo", "td"); absent: PPO's. */
  trainers?: string[];
}

export interface SettingsGroup {
  name: string;
  label: string;
  doc: string;
  /** Shown folded until opened (rarely changed settings). */
  collapsed?: boolean;
}

export interface BudgetPreset {
  label: string;
  values: Record<string, SettingValue | null>;
}

export interface TrainingTable {
  settings: TrainingSetting[];
  groups: SettingsGroup[];
  budget_presets: BudgetPreset[];
}

/** A design that may carry its training settings (the kernel keeps them with it). */
export type TrainedDesign = Design & { training?: unknown };

/** The kernel's table of settings, when it sent one. */
export function trainingTable(catalog: Catalog | null): TrainingTable | null {
  const table = (catalog as (Catalog & { training?: TrainingTable }) | null)?.training;
  return table && Array.isArray(table.settings) ? table : null;
}

/** The design's own settings (name -> value as stored; {} when it has none). */
/** The algorithm that trains `design`: its output block's (catalog `trainer`), else PPO. */
export function designTrainer(design: Design, catalog: Catalog | null): string {
  for (const c of design.components ?? []) {
    const spec = catalog?.blocks.find((b) => b.type === c.type);
    if (spec?.role === "output" && spec.trainer) return spec.trainer;
  }
  return "ppo";
}

/** Whether a design trained by `trainer` reads setting `s`. */
export function settingApplies(s: TrainingSetting, trainer: string): boolean {
  return (s.trainers ?? ["ppo"]).includes(trainer);
}

export function designSettings(design: Design): Record<string, unknown> {
  const raw = (design as TrainedDesign).training;
  return isDict(raw) ? raw : {};
}

/** What a run would use: the design's value, else the server's default (null: no limit). */
export function settingValue(design: Design, s: TrainingSetting): unknown {
  const v = designSettings(design)[s.name];
  return v === undefined || v === null ? s.default : v;
}

/** Why `value` cannot be setting `s` (null: it can; null and undefined are the default):
 * the block props' check, as the kernel's check of record (training/settings.py) runs it,
 * so both say the same words. */
export function settingProblem(s: TrainingSetting, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const problem = checkPropValue(asPropSpec(s), value);
  return problem ? `${s.label} ${problem[1]}` : null;
}

/** Every problem of a design's settings, as [name, message] (unknown names included). */
export function settingsProblems(table: TrainingTable, design: Design): [string, string][] {
  const raw = (design as TrainedDesign).training;
  if (raw === undefined || raw === null) return [];
  if (!isDict(raw)) return [["", "Training settings must be an object of name -> value"]];
  const byName = new Map(table.settings.map((s) => [s.name, s]));
  const out: [string, string][] = [];
  for (const name of Object.keys(raw))
    if (!byName.has(name)) out.push([name, `'${name}' is not a training setting`]);
  for (const [name, value] of Object.entries(raw)) {
    const s = byName.get(name);
    const problem = s && settingProblem(s, value);
    if (problem) out.push([name, problem]);
  }
  return out;
}

/** The design with setting `name` set; null (or the default) leaves it to the default,
 * and a design left with no settings carries no `training` key. One edit. */
export function setSetting(design: Design, s: TrainingSetting, value: SettingValue | null): Design {
  return setSettings(design, [[s, value]]);
}

function setSettings(design: Design, changes: [TrainingSetting, SettingValue | null][]): Design {
  const before = designSettings(design);
  const next: Record<string, unknown> = { ...before };
  for (const [s, value] of changes) {
    if (value === null || value === s.default) delete next[s.name];
    else next[s.name] = value;
  }
  const keys = Object.keys(next);
  if (keys.length === Object.keys(before).length && keys.every((k) => before[k] === next[k]))
    return design;
  return keys.length ? ({ ...design, training: next } as Design) : clearSettings(design);
}

/** Whether the design carries settings of its own (anything under `training`). */
export function hasSettings(design: Design): boolean {
  return (design as TrainedDesign).training !== undefined;
}

/** The design back on the server's defaults: no `training` key (one edit). */
export function clearSettings(design: Design): Design {
  if (!hasSettings(design)) return design;
  const { training: _dropped, ...rest } = design as TrainedDesign;
  return rest as Design;
}

/** The design with a budget preset's values (one edit). */
export function applyPreset(design: Design, table: TrainingTable, preset: BudgetPreset): Design {
  const byName = new Map(table.settings.map((s) => [s.name, s]));
  const changes: [TrainingSetting, SettingValue | null][] = [];
  for (const [name, value] of Object.entries(preset.values)) {
    const s = byName.get(name);
    if (s) changes.push([s, value]);
  }
  return setSettings(design, changes);
}

/** The preset the design's budget matches, if any. */
export function presetOn(design: Design, table: TrainingTable, preset: BudgetPreset): boolean {
  const byName = new Map(table.settings.map((s) => [s.name, s]));
  return Object.entries(preset.values).every(([name, value]) => {
    const s = byName.get(name);
    return s !== undefined && settingValue(design, s) === value;
  });
}

/** Three significant digits: a log step lands on readable numbers (0.002, not 0.00200000001). */
function round3(x: number): number {
  return Number(x.toPrecision(3));
}

/** The value one stepper tap up (+1) or down (-1), kept within the setting's bounds; an
 * empty optional setting starts from its smallest useful value. */
export function stepSetting(s: TrainingSetting, value: number | null, dir: 1 | -1): number {
  const step = s.step ?? 1;
  const lo = s.min ?? -Infinity;
  const hi = s.max ?? Infinity;
  if (value === null) return Math.min(hi, Math.max(lo, s.scale === "log" ? lo : step));
  if (s.scale === "log") {
    let next = dir > 0 ? round3(value * step) : round3(value / step);
    if (value === 0 && dir > 0) next = lo > 0 ? lo : step;
    if (s.type === "int") next = dir > 0 ? Math.max(Math.round(next), value + 1) : Math.round(next);
    return Math.min(hi, Math.max(lo, next));
  }
  return stepValue(asPropSpec(s), value, dir);
}

/** The setting as the inspector's controls take it (steppers, choices). */
export function asPropSpec(s: TrainingSetting): PropSpec {
  return {
    name: s.name,
    type: s.type,
    default: s.default ?? 0,
    doc: s.doc,
    min: s.min,
    max: s.max,
    step: s.step,
    choices: s.choices,
  };
}

/** Text typed into a number field -> the value to save (null: empty, i.e. the default or
 * no limit), or why it is not a number at all. Out-of-bounds numbers are saved: the
 * check says what is wrong and the kernel refuses to train with them. */
export function parseEntry(
  s: TrainingSetting,
  text: string,
): { value: number | null } | { error: string } {
  const t = text.trim().replace(/[\s,_]/g, "");
  if (!t) return { value: null };
  const v = Number(t);
  if (!Number.isFinite(v)) return { error: `${s.label}: enter a number` };
  return { value: v };
}

/** "45 s", "5 min", "1 h 30 min": a budget in words. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Number(seconds.toFixed(1))} s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const sec = Math.round(seconds % 60);
  const parts = [h ? `${h} h` : "", m ? `${m} min` : "", sec ? `${sec} s` : ""].filter(Boolean);
  return parts.join(" ");
}
