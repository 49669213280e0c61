// Evaluate a run (the run sheet's `btn-evaluate` opens it with `openRun` set): play N full
// games with its latest checkpoint in the kernel's background, with progress and cancel;
// the result (mean +- standard error, best, max-tile rates) is stored with the run.
import { useEffect, useState, useSyncExternalStore } from "react";
import { type EvaluationResult, progressFraction } from "../../kernel/evaluation";
import { formatInt } from "../../training/metrics";
import { useStudio, useStudioContext } from "../context";
import { Sheet } from "../Sheet";
import { TileRates } from "../training/Stats";
import "./evaluate.css";
import { Segmented } from "../controls";

/** The sizes offered: the kernel's GAME_CHOICES (it refuses others), 200 by default. */
export const GAME_CHOICES = [100, 200, 1000] as const;
export const DEFAULT_GAMES = 200;

/** "6,612 ± 143": the mean score and its standard error. */
export function formatMeanSe(r: Pick<EvaluationResult, "mean_score" | "se">): string {
  return `${formatInt(r.mean_score)} ± ${formatInt(r.se)}`;
}

function useEvaluation() {
  const { controller } = useStudioContext();
  const tracker = controller.evaluation;
  return useSyncExternalStore(tracker.subscribe, tracker.getState);
}

export function EvaluateSheet() {
  const { controller } = useStudioContext();
  const store = controller.store;
  const open = useStudio((s) => s.sheet === "evaluate");
  const runId = useStudio((s) => s.openRun);
  const job = useEvaluation();
  const [games, setGames] = useState<number>(DEFAULT_GAMES);
  const [stored, setStored] = useState<EvaluationResult | null>(null);

  // The run's latest stored evaluation (from an earlier visit, or another window).
  useEffect(() => {
    setStored(null);
    if (!open || !runId) return;
    let live = true;
    controller.bridge
      .command<{ evaluations: EvaluationResult[] }>("list_evaluations", { run_id: runId })
      .then(
        (r) => live && setStored(r.evaluations[0] ?? null),
        () => undefined,
      );
    return () => {
      live = false;
    };
  }, [open, runId, controller]);

  if (!open || !runId) return null;
  const mine = job.runId === runId;
  const running = !!job.job && mine;
  const otherRunning = !!job.job && !mine;
  const result =
    mine && job.result?.run_id === runId && (!stored || job.result.id >= stored.id)
      ? job.result
      : stored;
  const error = job.errorRun === runId ? job.error : null;
  const back = () => store.openSheet("run");

  return (
    <Sheet
      open
      modal
      testid="evaluate-sheet"
      className="ms-eval-sheet"
      title={`Evaluate ${runId}`}
      onClose={back}
    >
      <p className="ms-doc">
        Plays full games with the run's latest checkpoint, always the most likely move, and stores
        the result with the run.
      </p>
      <div className="ms-eval-row">
        <span className="ms-eval-label">Games</span>
        <Segmented
          options={GAME_CHOICES.map((n) => ({ value: n, label: String(n) }))}
          value={games}
          onChange={setGames}
          testid="eval-games"
          optionTestid="eval-games"
          disabled={running}
        />
      </div>
      {running ? (
        <div
          className="ms-eval-progress"
          data-testid="eval-progress"
          data-done={job.done}
          data-total={job.games}
        >
          <div
            className="ms-eval-bar"
            role="progressbar"
            aria-valuemin={0}
            aria-valuemax={job.games}
            aria-valuenow={job.done}
          >
            <i style={{ width: `${(progressFraction(job) * 100).toFixed(1)}%` }} />
          </div>
          <div className="ms-eval-row">
            <span className="ms-muted">
              {job.cancelling
                ? "Cancelling…"
                : job.playing
                  ? `${formatInt(job.done)} of ${formatInt(job.games)} games played`
                  : "Loading the checkpoint…"}
            </span>
            <button
              type="button"
              className="ms-btn ms-btn-danger"
              data-testid="btn-eval-cancel"
              disabled={job.cancelling}
              onClick={() => controller.cancelEvaluation()}
            >
              Cancel
            </button>
          </div>
        </div>
      ) : (
        <button
          type="button"
          className="ms-btn ms-btn-primary ms-eval-start"
          data-testid="btn-eval-start"
          disabled={otherRunning}
          onClick={() => void controller.evaluate(runId, games)}
        >
          {otherRunning ? `Evaluating ${job.runId}…` : `Play ${formatInt(games)} games`}
        </button>
      )}
      {error && !running && (
        <p className="ms-issue ms-issue-error" data-testid="eval-error" role="alert">
          {error}
        </p>
      )}
      {result && <EvaluationNumbers result={result} fresh={result === job.result} />}
    </Sheet>
  );
}

function EvaluationNumbers({ result, fresh }: { result: EvaluationResult; fresh: boolean }) {
  const when = new Date(result.created_at * 1000).toLocaleString(undefined, {
    dateStyle: "medium",
    timeStyle: "short",
  });
  return (
    <div
      className="ms-eval-result"
      data-testid="eval-result"
      data-mean={result.mean_score}
      data-se={result.se}
      data-games={result.games}
    >
      <div className="ms-section-title">
        {fresh ? "Result" : "Last evaluation"}{" "}
        <span className="ms-muted">
          {formatInt(result.games)} games · {when}
        </span>
      </div>
      <div className="ms-stats">
        <div className="ms-stat ms-eval-mean">
          <b data-testid="eval-mean">{formatMeanSe(result)}</b>
          <span>Mean score ± standard error</span>
        </div>
        <div className="ms-stat">
          <b>{formatInt(result.best_score)}</b>
          <span>Best score</span>
        </div>
      </div>
      {result.step !== null && (
        <p className="ms-muted ms-eval-step">
          Checkpoint after {formatInt(result.step)} training moves.
        </p>
      )}
      <TileRates rates={result.max_tile_rates} />
    </div>
  );
}
