// Every run of the open design, newest first: one fixed-height row each (status, time,
// duration, moves, revision, scores, tile rates, sparkline), a tick to pick runs to
// compare (ticks of other designs' runs stay: open another design and tick more). Only the
// rows in view are rendered, so a design with 100 runs scrolls smoothly.
import { useEffect, useState } from "react";
import { formatValue } from "../../catalog";
import { formatCompact, formatInt } from "../../training/metrics";
import { useStudio, useStudioContext } from "../context";
import { StudioSheet } from "../StudioSheet";
import { Sparkline } from "../training/ScoreChart";
import { WindowedList } from "../WindowedList";
import {
  COMPARE_MAX,
  COMPARE_MIN,
  canCompare,
  formatDuration,
  formatRate,
  formatStarted,
  keepListed,
  ROW_TILES,
  type RunSummary,
  statusLabel,
  tickedText,
  toggleSelected,
} from "./format";
import { useRunList } from "./useRuns";
import "./runs.css";

/** Row height in px (the CSS of .ms-run-row matches). */
export const RUN_ROW_PX = 88;

export function RunsSheet() {
  const { controller } = useStudioContext();
  const store = controller.store;
  const open = useStudio((s) => s.sheet === "runs");
  const selected = useStudio((s) => s.selectedRuns);
  const { data: list, failed } = useRunList(open);
  const runs = list?.runs ?? null;
  // The design of each ticked run: a tick survives opening another design, and drops out
  // only when its own design's list no longer has it.
  const [designs] = useState(() => new Map<string, string | null>());

  useEffect(() => {
    if (!list) return;
    for (const r of list.runs) designs.set(r.id, r.design_id);
    const selected = store.getState().selectedRuns;
    const kept = keepListed(selected, list, (id) => designs.get(id));
    if (kept !== selected) store.set({ selectedRuns: kept });
  }, [list, store, designs]);

  if (!open) return null;
  const openRun = (id: string) => {
    store.set({ openRun: id });
    store.openSheet("run");
  };
  const tick = (id: string) =>
    store.set({ selectedRuns: toggleSelected(store.getState().selectedRuns, id) });
  const title = runs ? `Runs · ${runs.length}` : "Runs";
  return (
    <StudioSheet testid="runs-sheet" className="ms-runs-sheet" title={title}>
      <div className="ms-runs-bar">
        <button
          type="button"
          className="ms-btn"
          data-testid="btn-sweep"
          onClick={() => store.openSheet("sweep")}
        >
          Sweep…
        </button>
        <span className="ms-muted" data-testid="compare-hint">
          {selected.length
            ? tickedText(selected, runs)
            : `Tick ${COMPARE_MIN}–${COMPARE_MAX} runs to compare`}
        </span>
        <button
          type="button"
          className="ms-btn ms-btn-primary"
          data-testid="btn-compare"
          disabled={!canCompare(selected)}
          onClick={() => store.openSheet("compare")}
        >
          Compare
        </button>
      </div>
      {runs === null ? (
        <p className="ms-muted" data-testid="runs-loading">
          {failed ? "The runs could not be read." : "Reading the runs…"}
        </p>
      ) : runs.length === 0 ? (
        <p className="ms-muted" data-testid="runs-empty">
          No runs yet: tap Train to start one. Runs started from Python (ms.train) show here too.
        </p>
      ) : (
        <RunRows runs={runs} selected={selected} onOpen={openRun} onTick={tick} />
      )}
    </StudioSheet>
  );
}

function RunRows(props: {
  runs: RunSummary[];
  selected: string[];
  onOpen: (id: string) => void;
  onTick: (id: string) => void;
}) {
  const { runs, selected, onOpen, onTick } = props;
  const now = new Date();
  return (
    <WindowedList
      className="ms-runs-list"
      testid="runs-list"
      count={runs.length}
      rowHeight={RUN_ROW_PX}
      assumedHeight={600}
    >
      {(first, end) => (
        <div
          style={{ height: runs.length * RUN_ROW_PX, position: "relative" }}
          className="ms-runs-rows"
        >
          {runs.slice(first, end).map((r, i) => (
            <RunRow
              key={r.id}
              run={r}
              top={(first + i) * RUN_ROW_PX}
              now={now}
              ticked={selected.includes(r.id)}
              onOpen={onOpen}
              onTick={onTick}
            />
          ))}
        </div>
      )}
    </WindowedList>
  );
}

function RunRow(props: {
  run: RunSummary;
  top: number;
  now: Date;
  ticked: boolean;
  onOpen: (id: string) => void;
  onTick: (id: string) => void;
}) {
  const { run: r, top, now, ticked, onOpen, onTick } = props;
  return (
    <div className="ms-run-row" style={{ top }} data-testid={`run-${r.id}`} data-status={r.status}>
      <button
        type="button"
        className={`ms-run-select${ticked ? " on" : ""}`}
        data-testid={`select-${r.id}`}
        aria-pressed={ticked}
        aria-label={ticked ? "Untick for comparison" : "Tick for comparison"}
        onClick={() => onTick(r.id)}
      >
        <span aria-hidden="true">{ticked ? "✓" : ""}</span>
      </button>
      <button
        type="button"
        className="ms-run-main"
        aria-label={`Run ${r.id}, ${statusLabel(r.status)}`}
        onClick={() => onOpen(r.id)}
      >
        <span className="ms-run-line">
          <StatusChip status={r.status} />
          <span className="ms-run-when">{formatStarted(r.started_at, now)}</span>
          <span className="ms-muted">{r.revision ? `rev ${r.revision}` : ""}</span>
          <Sparkline curve={r.sparkline} width={64} height={22} />
        </span>
        <span className="ms-run-line ms-run-nums">
          <span>
            <b data-testid="run-mean">{formatInt(r.mean_score)}</b> mean
          </span>
          <span>
            <b>{formatInt(r.best_score)}</b> best
          </span>
          <span>{formatDuration(r.duration_s)}</span>
          <span>{formatCompact(r.moves)} moves</span>
        </span>
        <span className="ms-run-line ms-run-rates">
          {ROW_TILES.map((t) => (
            <span key={t}>
              {t} <b>{formatRate(r.tile_rates[t])}</b>
            </span>
          ))}
          {evaluated(r) !== null && (
            <span data-testid="run-eval">
              eval <b>{formatInt(evaluated(r))}</b>
            </span>
          )}
          {r.sweep && <SweepTag sweep={r.sweep} />}
        </span>
      </button>
    </div>
  );
}

/** The sweep a run is a trial of (its config's "sweep" entry: name, id, values). */
function SweepTag({ sweep }: { sweep: Record<string, unknown> }) {
  const name = typeof sweep.name === "string" ? sweep.name : "sweep";
  const values = sweep.values && typeof sweep.values === "object" ? sweep.values : {};
  // The values the trial tried say more in a row than the sweep's name (its title).
  const tried = Object.entries(values)
    .map(([k, v]) => `${k.split(".").pop()} ${formatValue(v)}`)
    .join(" · ");
  return (
    <span
      className="ms-run-sweep"
      data-testid="run-sweep"
      data-sweep={typeof sweep.id === "string" ? sweep.id : ""}
      title={`${name}: ${tried}`}
    >
      {tried || name}
    </span>
  );
}

/** The mean score of the run's latest evaluation (the evaluate sheet stores it), if any. */
function evaluated(r: RunSummary): number | null {
  const mean = r.evaluation?.mean_score;
  return typeof mean === "number" && Number.isFinite(mean) ? mean : null;
}

export function StatusChip({ status }: { status: string }) {
  return (
    <span className={`ms-run-status ms-run-status-${status}`} data-testid="run-status">
      {statusLabel(status)}
    </span>
  );
}
