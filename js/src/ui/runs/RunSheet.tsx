// One run: its full score curve and numbers, and what can be done with it: resume (a
// stopped or interrupted run), export (.pt / .onnx), evaluate, watch, open the revision it
// trained, delete (after a confirmation sheet whose Cancel comes first).
import { useState } from "react";
import { EXPORT_TIMEOUT_MS } from "../../kernel/controller";
import { formatInt } from "../../training/metrics";
import { useStudio, useStudioContext } from "../context";
import { ConfirmSheet } from "../DesignSheets";
import { StudioSheet } from "../StudioSheet";
import { ScoreChart } from "../training/ScoreChart";
import { formatDuration, formatRate, formatStarted, ROW_TILES, type RunDetail } from "./format";
import { RevisionButton } from "./RevisionButton";
import { StatusChip } from "./RunsSheet";
import { useRunDetail } from "./useRuns";

export function RunSheet() {
  const { controller } = useStudioContext();
  const store = controller.store;
  const sheet = useStudio((s) => s.sheet);
  const runId = useStudio((s) => s.openRun);
  const open = sheet === "run" || sheet === "confirm-delete-run";
  const { data, failed } = useRunDetail(open, runId);
  const [busy, setBusy] = useState<string | null>(null);
  if (!open || !runId) return null;
  const detail = data && data.run.id === runId ? data : null;

  const act = async (name: string, args: Record<string, unknown>, then?: () => void) => {
    setBusy(name);
    const timeout = name === "export_run" ? EXPORT_TIMEOUT_MS : undefined;
    const done = await controller.command(name, { run_id: runId, ...args }, timeout);
    setBusy(null);
    if (done !== undefined) then?.();
  };
  const resume = () =>
    void act("resume_run", {}, () => {
      store.toast("Training resumed");
      store.openSheet(null);
    });
  const remove = () =>
    void act("delete_run", {}, () => {
      const { selectedRuns } = store.getState();
      store.set({ openRun: null, selectedRuns: selectedRuns.filter((id) => id !== runId) });
      store.toast("Run deleted");
      store.openSheet("runs");
    });

  return (
    <>
      <StudioSheet
        testid="run-sheet"
        className="ms-runs-sheet ms-run-sheet"
        title={<RunTitle detail={detail} runId={runId} />}
      >
        <button
          type="button"
          className="ms-run-back"
          data-testid="btn-runs-back"
          onClick={() => store.openSheet("runs")}
        >
          ‹ All runs
        </button>
        {detail ? (
          <RunBody detail={detail} />
        ) : (
          <p className="ms-muted" data-testid="run-loading">
            {failed
              ? "This run could not be read (deleted in another window?)."
              : "Reading the run…"}
          </p>
        )}
        <div className="ms-run-actions">
          {detail?.run.resumable && (
            <button
              type="button"
              className="ms-btn ms-btn-primary"
              data-testid="btn-resume"
              disabled={busy !== null}
              onClick={resume}
            >
              Resume training
            </button>
          )}
          <button
            type="button"
            className="ms-btn"
            data-testid="btn-evaluate"
            disabled={!detail}
            onClick={() => store.openSheet("evaluate")}
          >
            Evaluate
          </button>
          <button
            type="button"
            className="ms-btn"
            data-testid="btn-watch"
            disabled={!detail}
            onClick={() => store.openSheet("watch")}
          >
            Watch it play
          </button>
          {detail && <RevisionButton run={detail.run} />}
          <button
            type="button"
            className="ms-btn"
            data-testid="btn-export-run-pt"
            disabled={!detail || busy !== null}
            onClick={() => void act("export_run", { format: "pt" })}
          >
            {busy === "export_run" ? "Exporting…" : "Export .pt"}
          </button>
          <button
            type="button"
            className="ms-btn"
            data-testid="btn-export-run-onnx"
            disabled={!detail || busy !== null}
            onClick={() => void act("export_run", { format: "onnx" })}
          >
            {busy === "export_run" ? "Exporting…" : "Export .onnx"}
          </button>
          <button
            type="button"
            className="ms-btn ms-btn-danger"
            data-testid="btn-delete-run"
            disabled={!detail || detail.run.status === "training" || busy !== null}
            onClick={() => store.openSheet("confirm-delete-run")}
          >
            Delete run
          </button>
        </div>
      </StudioSheet>
      {sheet === "confirm-delete-run" && (
        <ConfirmSheet
          title="Delete this run?"
          confirm="Delete run"
          testid="confirm-delete-run"
          onConfirm={remove}
          onCancel={() => store.openSheet("run")}
        >
          <p>Its curve, numbers, checkpoints and evaluations are deleted for good.</p>
          <p className="ms-muted">
            The design and its other runs stay; files you exported stay too.
          </p>
        </ConfirmSheet>
      )}
    </>
  );
}

function RunTitle({ detail, runId }: { detail: RunDetail | null; runId: string }) {
  const r = detail?.run;
  return (
    <span className="ms-run-title">
      {r && <StatusChip status={r.status} />}
      <span>{r ? `${r.design_name || "Run"} · ${formatStarted(r.started_at)}` : "Run"}</span>
      <span className="ms-muted" data-testid="run-id">
        {runId}
      </span>
    </span>
  );
}

function RunBody({ detail }: { detail: RunDetail }) {
  const r = detail.run;
  const evaluation = r.evaluation as { mean_score?: number; se?: number; games?: number } | null;
  return (
    <>
      {r.error && (
        <p className="ms-issue ms-issue-error" data-testid="run-error">
          {r.error.trim().split("\n").pop()}
        </p>
      )}
      <div className="ms-run-stats" data-testid="run-stats">
        <Stat id="mean" label="Mean score" value={formatInt(r.mean_score)} />
        <Stat id="best" label="Best score" value={formatInt(r.best_score)} />
        <Stat id="moves" label="Moves" value={formatInt(r.moves)} />
        <Stat id="duration" label="Trained" value={formatDuration(r.duration_s)} />
        <Stat id="started" label="Started" value={formatStarted(r.started_at)} />
        <Stat id="revision" label="Revision" value={r.revision ? String(r.revision) : "–"} />
        {ROW_TILES.map((t) => (
          <Stat
            key={t}
            id={`rate-${t}`}
            label={`Reached ${t}`}
            value={formatRate(r.tile_rates[t])}
          />
        ))}
      </div>
      {evaluation && typeof evaluation.mean_score === "number" && (
        <p className="ms-doc" data-testid="run-evaluation">
          Evaluated over {formatInt(evaluation.games)} games: {formatInt(evaluation.mean_score)} ±{" "}
          {formatInt(evaluation.se)}
        </p>
      )}
      <div className="ms-section-title">
        Mean score <span className="ms-muted">· by moves played</span>
      </div>
      <ScoreChart curve={detail.curve} />
    </>
  );
}

function Stat({ id, label, value }: { id: string; label: string; value: string }) {
  return (
    <div className="ms-run-stat" data-testid={`run-stat-${id}`}>
      <span className="ms-muted">{label}</span>
      <b>{value}</b>
    </div>
  );
}
