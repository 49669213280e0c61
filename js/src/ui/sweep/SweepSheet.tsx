// The Sweep sheet: vary one or two things of the open design (a block's prop or a training
// setting) over a few values, a fixed time per trial, start and stop; a progress row per
// trial while the kernel runs the sweep on Ray in its background. Every trial is a run of
// the design tagged with the sweep, so the runs and compare sheets show the results.
import { useEffect, useState, useSyncExternalStore } from "react";
import { formatValue } from "../../catalog";
import type { SweepJobState } from "../../kernel/sweep";
import { formatCompact, formatInt } from "../../training/metrics";
import type { PropValue } from "../../types";
import { useStudio, useStudioContext } from "../context";
import { Segmented } from "../controls";
import { StudioSheet } from "../StudioSheet";
import {
  type Axis,
  type AxisOption,
  axisOptions,
  DEFAULT_SECONDS,
  discreteChoices,
  formatTrialValues,
  MAX_AXES,
  MAX_VALUES,
  newAxis,
  nextValue,
  SECONDS_PRESETS,
  sweepArgs,
  sweepProblem,
  sweepSummary,
  TRIAL_STATUS,
  toggleValue,
  trialCount,
} from "./model";
import "./sweep.css";

function formatSeconds(s: number): string {
  return s < 60 ? `${s} s` : `${s / 60} min`;
}

export function SweepSheet() {
  const { controller } = useStudioContext();
  const store = controller.store;
  const tracker = controller.sweep;
  const job = useSyncExternalStore(tracker.subscribe, tracker.getState);
  const open = useStudio((s) => s.sheet === "sweep");
  const catalog = useStudio((s) => s.catalog);
  const design = useStudio((s) => s.history.present);
  const [axes, setAxes] = useState<Axis[] | null>(null);
  const [seconds, setSeconds] = useState<number>(DEFAULT_SECONDS);

  // The kernel's sweep when this page did not start it (reopened, another view).
  useEffect(() => {
    if (!open || tracker.getState() || tracker.starting) return;
    controller.bridge.command<{ sweep: SweepJobState | null }>("sweep_status").then(
      (r) => r?.sweep && tracker.take(r.sweep),
      () => undefined,
    );
  }, [open, tracker, controller]);

  if (!open) return null;
  const options = axisOptions(catalog, design);
  const byKey = new Map(options.map((o) => [o.key, o]));
  const firstNumber = options.find((o) => !discreteChoices(o.spec) && o.blockId) ?? options[0];
  const picked = (axes ?? (firstNumber ? [newAxis(firstNumber)] : [])).filter((a) =>
    byKey.has(a.key),
  );
  const running = job?.state === "running" || tracker.starting;
  const problem = sweepProblem(picked, options);
  const trials = trialCount(picked);

  const setAxis = (i: number, axis: Axis | null) => {
    const next = [...picked];
    if (axis) next[i] = axis;
    else next.splice(i, 1);
    setAxes(next);
  };
  const start = () => {
    const { id, reply } = controller.bridge.request<SweepJobState>(
      "start_sweep",
      sweepArgs(picked, options, seconds),
      120000,
    );
    tracker.follow(id);
    reply.then(
      (s) => tracker.take(s),
      (e: Error) => tracker.refused(id, e.message),
    );
  };
  const stop = () => controller.bridge.notify("stop_sweep");

  return (
    <StudioSheet testid="sweep-sheet" className="ms-sweep-sheet" title="Sweep">
      <p className="ms-doc">
        Trains the design once per combination of values, each trial a run tagged with the sweep.
      </p>
      {picked.map((axis, i) => (
        <AxisCard
          key={`${i}-${axis.key}`}
          index={i}
          axis={axis}
          options={options}
          taken={picked.filter((_, j) => j !== i).map((a) => a.key)}
          disabled={running}
          onChange={(a) => setAxis(i, a)}
          onRemove={picked.length > 1 ? () => setAxis(i, null) : undefined}
        />
      ))}
      {picked.length < MAX_AXES && !running && (
        <button
          type="button"
          className="ms-btn ms-sweep-add-axis"
          data-testid="sweep-add-axis"
          onClick={() => {
            // A training setting second, one stepped by multiplying (a learning rate) first.
            const free = options.filter((x) => x.setting && !picked.some((a) => a.key === x.key));
            const o = free.find((x) => x.log) ?? free[0];
            if (o) setAxes([...picked, newAxis(o)]);
          }}
        >
          + Vary a second thing
        </button>
      )}
      <div className="ms-sweep-row">
        <span className="ms-sweep-label">Per trial</span>
        <Segmented
          options={SECONDS_PRESETS.map((s) => ({ value: s, label: formatSeconds(s) }))}
          value={seconds}
          onChange={setSeconds}
          testid="sweep-seconds"
          optionTestid="sweep-seconds"
          label="Seconds per trial"
          disabled={running}
        />
      </div>
      <p
        className={problem ? "ms-issue ms-issue-warning" : "ms-muted ms-sweep-plan"}
        data-testid="sweep-plan"
      >
        {problem ??
          `${trials} trials × ${formatSeconds(seconds)} each, side by side on this machine`}
      </p>
      {running ? (
        <button
          type="button"
          className="ms-btn ms-btn-danger ms-sweep-go"
          data-testid="btn-sweep-stop"
          disabled={tracker.starting}
          onClick={stop}
        >
          {tracker.starting ? "Starting…" : "Stop sweep"}
        </button>
      ) : (
        <button
          type="button"
          className="ms-btn ms-btn-primary ms-sweep-go"
          data-testid="btn-sweep-start"
          disabled={problem !== null}
          onClick={start}
        >
          Start {trials} trials
        </button>
      )}
      {tracker.error && (
        <p className="ms-issue ms-issue-error" data-testid="sweep-error" role="alert">
          {tracker.error}
        </p>
      )}
      {job && <Progress job={job} options={options} onRuns={() => store.openSheet("runs")} />}
    </StudioSheet>
  );
}

function AxisCard(props: {
  index: number;
  axis: Axis;
  options: AxisOption[];
  taken: string[];
  disabled: boolean;
  onChange: (a: Axis) => void;
  onRemove?: () => void;
}) {
  const { index, axis, options, taken, disabled, onChange, onRemove } = props;
  const option = options.find((o) => o.key === axis.key);
  if (!option) return null;
  const choices = discreteChoices(option.spec);
  const set = (values: PropValue[]) => onChange({ ...axis, values });
  const lower = choices ? null : nextValue(option, axis.values, -1);
  const higher = choices ? null : nextValue(option, axis.values, 1);
  const full = axis.values.length >= MAX_VALUES;
  const groups = new Map<string, AxisOption[]>();
  for (const o of options) {
    const g = o.blockId ?? "Training";
    groups.set(g, [...(groups.get(g) ?? []), o]);
  }
  return (
    <div className="ms-sweep-axis" data-testid={`sweep-axis-${index}`}>
      <div className="ms-sweep-row">
        <select
          className="ms-select"
          data-testid={`sweep-axis-${index}-key`}
          aria-label="What to vary"
          value={axis.key}
          disabled={disabled}
          onChange={(e) => {
            const o = options.find((x) => x.key === e.target.value);
            if (o) onChange(newAxis(o));
          }}
        >
          {[...groups].map(([group, list]) => (
            <optgroup key={group} label={group}>
              {list.map((o) => (
                <option key={o.key} value={o.key} disabled={taken.includes(o.key)}>
                  {o.label}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
        {onRemove && !disabled && (
          <button
            type="button"
            className="ms-icon-btn"
            aria-label="Remove this axis"
            data-testid={`sweep-axis-${index}-remove`}
            onClick={onRemove}
          >
            ✕
          </button>
        )}
      </div>
      <fieldset className="ms-sweep-values" aria-label="Values">
        {lower !== null && !full && !disabled && (
          <ValueChip
            testid={`sweep-lower-${index}`}
            label={`− ${formatValue(lower)}`}
            onClick={() => set(toggleValue(axis.values, lower))}
          />
        )}
        {(choices ?? axis.values).map((v) => (
          <ValueChip
            key={String(v)}
            testid={`sweep-value-${index}-${String(v)}`}
            label={formatValue(v)}
            on={axis.values.includes(v)}
            removable={!choices}
            disabled={disabled || (!axis.values.includes(v) && full)}
            onClick={() => set(toggleValue(axis.values, v))}
          />
        ))}
        {higher !== null && !full && !disabled && (
          <ValueChip
            testid={`sweep-higher-${index}`}
            label={`+ ${formatValue(higher)}`}
            onClick={() => set(toggleValue(axis.values, higher))}
          />
        )}
      </fieldset>
    </div>
  );
}

function ValueChip(props: {
  testid: string;
  label: string;
  on?: boolean;
  removable?: boolean;
  disabled?: boolean;
  onClick: () => void;
}) {
  const { testid, label, on, removable, disabled, onClick } = props;
  return (
    <button
      type="button"
      className={`ms-sweep-chip${on ? " on" : ""}`}
      data-testid={testid}
      aria-pressed={on === undefined ? undefined : on}
      disabled={disabled}
      onClick={onClick}
    >
      {label}
      {on && removable && <span aria-hidden="true"> ✕</span>}
    </button>
  );
}

function Progress(props: { job: SweepJobState; options: AxisOption[]; onRuns: () => void }) {
  const { job, options, onRuns } = props;
  return (
    <div className="ms-sweep-progress" data-testid="sweep-progress" data-state={job.state}>
      <p className="ms-sweep-summary" data-testid="sweep-summary">
        {sweepSummary(job)}
      </p>
      {job.error && (
        <p className="ms-issue ms-issue-error" role="alert">
          {job.error}
        </p>
      )}
      {job.trials.map((t) => (
        <div
          key={t.trial}
          className="ms-sweep-trial"
          data-testid={`sweep-trial-${t.trial}`}
          data-status={t.status}
        >
          <span className="ms-sweep-trial-values">{formatTrialValues(t.values, options)}</span>
          <span className={`ms-run-status ms-sweep-status-${t.status.replace(" ", "-")}`}>
            {TRIAL_STATUS[t.status] ?? t.status}
          </span>
          <span className="ms-sweep-trial-nums">
            <b>{t.mean_score === null ? "–" : formatInt(t.mean_score)}</b> ·{" "}
            {formatCompact(t.moves)} moves
          </span>
        </div>
      ))}
      {job.state !== "running" && (
        <button
          type="button"
          className="ms-btn ms-sweep-go"
          data-testid="btn-sweep-runs"
          onClick={onRuns}
        >
          See the runs
        </button>
      )}
    </div>
  );
}
