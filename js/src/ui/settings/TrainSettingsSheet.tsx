// The training settings sheet: the budget (presets or a time / move limit), the seed and
// the PPO knobs, rendered from the kernel's table (catalog.training). Every change is an
// ordinary edit of the design's `training` key: one undo step, autosaved as a revision,
// checked here at once and by the kernel when Train is tapped.
import { type KeyboardEvent, useEffect, useState } from "react";
import { formatCompact } from "../../training/metrics";
import type { Design } from "../../types";
import { useStudio, useStudioContext } from "../context";
import { Choice } from "../controls";
import { StudioSheet } from "../StudioSheet";
import {
  applyPreset,
  asPropSpec,
  type BudgetPreset,
  clearSettings,
  designSettings,
  designTrainer,
  formatDuration,
  hasSettings,
  parseEntry,
  presetOn,
  type SettingsGroup,
  setSetting,
  settingApplies,
  settingsProblems,
  settingValue,
  stepSetting,
  type TrainingSetting,
  type TrainingTable,
  trainingTable,
} from "./model";
import "./settings.css";

const slug = (label: string) =>
  label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");

export function TrainSettingsSheet() {
  const { controller } = useStudioContext();
  const store = controller.store;
  const open = useStudio((s) => s.sheet === "train-settings");
  const catalog = useStudio((s) => s.catalog);
  const design = useStudio((s) => s.history.present);
  const training = useStudio((s) => s.status.state === "training");
  const selected = useStudio((s) => s.selectedNodes);
  // A tap on a block means "edit that block": make way for the inspector.
  useEffect(() => {
    if (selected.length && store.getState().sheet === "train-settings") store.openSheet(null);
  }, [selected, store]);
  if (!open) return null;
  const table = trainingTable(catalog);
  return (
    <StudioSheet
      testid="train-settings"
      className="ms-inspector ms-train-settings"
      title="Training settings"
    >
      {table ? (
        <Settings
          table={table}
          design={design}
          training={training}
          trainer={designTrainer(design, catalog)}
        />
      ) : (
        <p className="ms-doc">This kernel sends no training settings.</p>
      )}
    </StudioSheet>
  );
}

/** The sheet's body where the kernel sent its table. */
function Settings(props: {
  table: TrainingTable;
  design: Design;
  training: boolean;
  trainer: string;
}) {
  const { design, training, trainer } = props;
  // Only what this design's trainer reads: a design ending in an n-tuple value learns by
  // TD(0), which has no use for PPO's knobs.
  const table = {
    ...props.table,
    settings: props.table.settings.filter((s) => settingApplies(s, trainer)),
  };
  const store = useStudioContext().controller.store;
  const problems = settingsProblems(table, design);
  return (
    <>
      <p className="ms-doc">Kept with the design and recorded with each run.</p>
      {trainer === "td" && (
        <p className="ms-doc" data-testid="train-settings-td">
          This design ends in an N-tuple value, so it learns by TD(0), not PPO: only the settings
          TD(0) reads are shown.
        </p>
      )}
      {training && (
        <p className="ms-issue ms-issue-warning">
          A run is training: changes apply to the next one.
        </p>
      )}
      {problems.length > 0 && (
        <p className="ms-issue ms-issue-error" role="alert" data-testid="train-settings-problems">
          {problems.length === 1 ? "1 setting needs" : `${problems.length} settings need`} fixing
          before training: {problems[0][1]}.
        </p>
      )}
      {table.groups.map((g) => (
        <Group key={g.name} group={g} table={table} design={design} problems={problems} />
      ))}
      <div className="ms-actions-row">
        <button
          type="button"
          className="ms-btn"
          data-testid="train-settings-reset"
          disabled={!hasSettings(design)}
          onClick={() => store.edit(clearSettings)}
        >
          Reset to defaults
        </button>
      </div>
    </>
  );
}

function Group(props: {
  group: SettingsGroup;
  table: TrainingTable;
  design: Design;
  problems: [string, string][];
}) {
  const { group, table, design, problems } = props;
  const rows = table.settings.filter((s) => s.group === group.name);
  const named = new Set(rows.map((s) => s.name));
  const presets = table.budget_presets.filter((p) =>
    Object.keys(p.values).every((n) => named.has(n)),
  );
  // A collapsed group opens by itself when it holds a value that is set or wrong.
  const busy = rows.some((s) => designSettings(design)[s.name] !== undefined);
  const [expanded, setExpanded] = useState(!group.collapsed || busy);
  if (!rows.length) return null; // nothing in it that this design's trainer reads
  return (
    <section className="ms-settings-group" data-testid={`settings-group-${group.name}`}>
      <button
        type="button"
        className="ms-settings-group-head"
        aria-expanded={expanded}
        disabled={!group.collapsed}
        onClick={() => setExpanded(!expanded)}
      >
        <span className="ms-settings-group-text">
          <b>{group.label}</b>
          <span className="ms-muted">{group.doc}</span>
        </span>
        {group.collapsed && (
          <span className="ms-settings-caret" aria-hidden="true">
            {expanded ? "−" : "+"}
          </span>
        )}
      </button>
      {expanded && presets.length > 0 && (
        <Presets presets={presets} table={table} design={design} />
      )}
      {expanded &&
        rows.map((s) => (
          <SettingRow
            key={s.name}
            s={s}
            design={design}
            problem={problems.find(([n]) => n === s.name)?.[1] ?? null}
          />
        ))}
    </section>
  );
}

function Presets({
  presets,
  table,
  design,
}: {
  presets: BudgetPreset[];
  table: TrainingTable;
  design: Design;
}) {
  const { controller } = useStudioContext();
  return (
    <div className="ms-presets" role="radiogroup" aria-label="Budget presets">
      {presets.map((p) => {
        const on = presetOn(design, table, p);
        return (
          // biome-ignore lint/a11y/useSemanticElements: preset chips of 44 px buttons, as the ARIA radio pattern allows
          <button
            key={p.label}
            type="button"
            role="radio"
            aria-checked={on}
            className={`ms-preset${on ? " on" : ""}`}
            data-testid={`budget-preset-${slug(p.label)}`}
            onClick={() => controller.store.edit((d) => applyPreset(d, table, p))}
          >
            {p.label}
          </button>
        );
      })}
    </div>
  );
}

function hint(s: TrainingSetting, value: unknown): string {
  if (typeof value !== "number" || !Number.isFinite(value)) return s.optional ? "no limit" : "";
  if (s.unit === "s") return formatDuration(value);
  return s.unit ? `${formatCompact(value)} ${s.unit}` : "";
}

function SettingRow({
  s,
  design,
  problem,
}: {
  s: TrainingSetting;
  design: Design;
  problem: string | null;
}) {
  const { controller } = useStudioContext();
  const store = controller.store;
  const value = settingValue(design, s);
  const own = designSettings(design)[s.name] !== undefined;
  const testid = `${s.group}-${s.name}`;
  const save = (v: number | string | null) => store.edit((d) => setSetting(d, s, v));
  const words = hint(s, value);
  return (
    <div className={`ms-prop ms-setting${own ? " own" : ""}`} data-testid={`setting-${s.name}`}>
      <div className="ms-prop-row">
        <label className="ms-setting-name" htmlFor={s.type === "enum" ? undefined : `ms-${testid}`}>
          {s.label}
          {words && (
            <span className="ms-setting-hint" data-testid={`${testid}-hint`}>
              {words}
            </span>
          )}
        </label>
        {s.type === "enum" ? (
          <Choice spec={asPropSpec(s)} value={String(value)} onChange={save} testid={testid} />
        ) : (
          <NumberField s={s} value={value} onChange={save} testid={testid} />
        )}
      </div>
      <div className="ms-prop-doc">{s.doc}</div>
      {problem && (
        <p className="ms-issue ms-issue-error" data-testid={`${testid}-problem`}>
          {problem}
        </p>
      )}
    </div>
  );
}

/** A number with − / + steppers and the value editable as text (committed on Enter or
 * when the field loses the focus; empty: the default, or no limit). */
function NumberField(props: {
  s: TrainingSetting;
  value: unknown;
  onChange: (v: number | null) => void;
  testid: string;
}) {
  const { s, value, onChange, testid } = props;
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const current = typeof value === "number" ? value : null;
  const shown = draft ?? (value === null || value === undefined ? "" : String(value));
  const commit = () => {
    if (draft === null) return;
    const parsed = parseEntry(s, draft);
    if ("error" in parsed) {
      setError(parsed.error);
      return;
    }
    setDraft(null);
    setError(null);
    onChange(parsed.value);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "Enter") e.currentTarget.blur();
    else if (e.key === "Escape") {
      setDraft(null);
      setError(null);
    }
  };
  const step = (dir: 1 | -1) => {
    setDraft(null);
    setError(null);
    onChange(stepSetting(s, current, dir));
  };
  return (
    <div className="ms-numfield-wrap">
      <div className="ms-stepper ms-numfield">
        <button
          type="button"
          aria-label={`Less ${s.label}`}
          data-testid={`${testid}-dec`}
          disabled={current === null || (s.min !== undefined && current <= s.min)}
          onClick={() => step(-1)}
        >
          −
        </button>
        <input
          id={`ms-${testid}`}
          data-testid={testid}
          inputMode="decimal"
          enterKeyHint="done"
          autoComplete="off"
          value={shown}
          placeholder={s.optional ? "–" : String(s.default ?? "")}
          aria-invalid={error !== null}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={commit}
          onKeyDown={onKeyDown}
        />
        <button
          type="button"
          aria-label={`More ${s.label}`}
          data-testid={`${testid}-inc`}
          disabled={current !== null && s.max !== undefined && current >= s.max}
          onClick={() => step(1)}
        >
          +
        </button>
      </div>
      {error && (
        <span className="ms-numfield-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
