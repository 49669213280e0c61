// The compare sheet: the runs ticked in the runs sheet (selectedRuns, 2 to 6) side by side:
// their score curves overlaid (moves or minutes), a table of their final numbers, and what
// differs from the first run to each other one (design and settings), and a way to the
// revision each run trained (opened in the history view; another design's opens first).
import { useEffect, useState } from "react";
import type { CommandError } from "../../kernel/bridge";
import { useStudio, useStudioContext } from "../context";
import { statusLabel } from "../runs/format";
import { RevisionButton } from "../runs/RevisionButton";
import { Sheet } from "../Sheet";
import { CompareChart } from "./CompareChart";
import {
  type Comparison,
  differenceLines,
  METRIC_COLUMNS,
  metricCells,
  runColour,
  type XAxis,
} from "./series";
import "./compare.css";
import { Segmented } from "../controls";

type Loaded = { key: string; comparison?: Comparison; error?: string };

function useComparison(open: boolean, runIds: string[]): Loaded | null {
  const { controller } = useStudioContext();
  const key = runIds.join(",");
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  useEffect(() => {
    if (!open) return;
    let current = true;
    setLoaded(null);
    controller.bridge.command<Comparison>("compare_runs", { run_ids: key.split(",") }).then(
      (comparison) => current && setLoaded({ key, comparison }),
      (e: CommandError) =>
        current && setLoaded({ key, error: e.message || "The runs could not be compared." }),
    );
    return () => {
      current = false;
    };
  }, [open, key, controller]);
  return loaded?.key === key ? loaded : null;
}

export function CompareSheet() {
  const { controller } = useStudioContext();
  const open = useStudio((s) => s.sheet === "compare");
  const runIds = useStudio((s) => s.selectedRuns);
  const [axis, setAxis] = useState<XAxis>("moves");
  const loaded = useComparison(open, runIds);
  if (!open) return null;
  const comparison = loaded?.comparison;
  return (
    <Sheet
      open
      modal
      testid="compare-sheet"
      className="ms-compare"
      title={`Compare ${runIds.length} runs`}
      onClose={() => controller.store.openSheet("runs")}
    >
      {!loaded && (
        <p className="ms-muted" data-testid="compare-loading">
          Loading the runs…
        </p>
      )}
      {loaded?.error && (
        <p className="ms-issue ms-issue-error" role="alert" data-testid="compare-error">
          {loaded.error}
        </p>
      )}
      {comparison && (
        <>
          <div className="ms-compare-bar">
            <span className="ms-compare-caption">Mean score</span>
            <Segmented
              options={[
                { value: "moves" as const, label: "Moves" },
                { value: "minutes" as const, label: "Minutes" },
              ]}
              value={axis}
              onChange={setAxis}
              optionTestid="compare-x"
              label="x axis"
            />
          </div>
          <CompareChart runs={comparison.runs} axis={axis} />
          <MetricsTable comparison={comparison} />
          <Differences comparison={comparison} />
          <Revisions comparison={comparison} />
        </>
      )}
    </Sheet>
  );
}

function RunName({ index, label }: { index: number; label: string }) {
  return (
    <span className="ms-compare-run">
      <span
        className="ms-chip-swatch"
        style={{ background: runColour(index) }}
        aria-hidden="true"
      />
      <span className="ms-compare-label">{label}</span>
    </span>
  );
}

function MetricsTable({ comparison }: { comparison: Comparison }) {
  return (
    <div className="ms-compare-table-wrap">
      <table className="ms-compare-table" data-testid="compare-table">
        <thead>
          <tr>
            <th scope="col">Run</th>
            {METRIC_COLUMNS.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {comparison.runs.map((r, i) => (
            <tr key={r.id} data-testid={`compare-row-${r.id}`}>
              <th scope="row">
                <RunName index={i} label={r.design_name || r.label} />
                <span className="ms-muted ms-compare-status">
                  {r.tag} · {statusLabel(r.status)}
                </span>
              </th>
              {metricCells(r.metrics).map((cell, j) => (
                <td key={METRIC_COLUMNS[j]}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Differences({ comparison }: { comparison: Comparison }) {
  const { runs } = comparison;
  const index = new Map(runs.map((r, i) => [r.id, i]));
  return (
    <section className="ms-compare-diffs" aria-label="What differs">
      <h3 className="ms-compare-heading">What differs from {runs[0]?.label}</h3>
      {comparison.differences.map((d) => {
        const i = index.get(d.run_id) ?? 0;
        const lines = differenceLines(d);
        return (
          <div key={d.run_id} className="ms-compare-diff" data-testid={`compare-diff-${d.run_id}`}>
            <RunName index={i} label={runs[i]?.label ?? d.run_id} />
            {lines.length === 0 ? (
              <p className="ms-muted">Same design and settings.</p>
            ) : (
              <ul>
                {lines.map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            )}
          </div>
        );
      })}
    </section>
  );
}

/** One button per run: the revision it trained, opened in the history view. */
function Revisions({ comparison }: { comparison: Comparison }) {
  const { runs } = comparison;
  return (
    <section className="ms-compare-revisions" aria-label="Revisions">
      <h3 className="ms-compare-heading">The revision each run trained</h3>
      {runs.map((r, i) => (
        <RevisionButton key={r.id} run={r} className="ms-btn ms-compare-revision">
          <RunName index={i} label={r.label} />
          <span className="ms-compare-open">Open rev {r.revision} ›</span>
        </RevisionButton>
      ))}
    </section>
  );
}
