// Watch the agent play (the run sheet's `btn-watch` opens it with `openRun` set): one game
// played greedily by the run's checkpoint arrives whole from the kernel and is animated
// here at the chosen speed, with pause / step / restart and the policy's four move
// probabilities under the board.
import { type CSSProperties, memo, useCallback, useEffect, useReducer, useState } from "react";
import type { CommandError } from "../../kernel/bridge";
import { boardCells } from "../../training/board";
import { formatInt, formatPercent } from "../../training/metrics";
import { useStudio, useStudioContext } from "../context";
import { Sheet } from "../Sheet";
import {
  DEFAULT_SPEED,
  frame,
  isTrajectory,
  MOVE_ARROWS,
  MOVE_NAMES,
  type Playback,
  type PlaybackAction,
  playback,
  SPEEDS,
  START,
  type Trajectory,
} from "./stepper";
import "./evaluate.css";
import { Segmented } from "../controls";

/** Loading a checkpoint can mean importing torch first: seconds, not milliseconds. */
const WATCH_TIMEOUT_MS = 120000;

type Loaded = { game: Trajectory } | { error: string } | null;

export function WatchSheet() {
  const { controller } = useStudioContext();
  const store = controller.store;
  const open = useStudio((s) => s.sheet === "watch");
  const runId = useStudio((s) => s.openRun);
  const [loaded, setLoaded] = useState<Loaded>(null);
  const [request, setRequest] = useState(0); // bumped for a new game

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new request number asks for another game
  useEffect(() => {
    setLoaded(null);
    if (!open || !runId) return;
    let live = true;
    controller.bridge.command("watch_run", { run_id: runId }, WATCH_TIMEOUT_MS).then(
      (r) =>
        live && setLoaded(isTrajectory(r) ? { game: r } : { error: "The kernel sent no game." }),
      (e) => live && setLoaded({ error: (e as CommandError).message || "Could not play a game." }),
    );
    return () => {
      live = false;
    };
  }, [open, runId, request, controller]);

  if (!open || !runId) return null;
  return (
    <Sheet
      open
      modal
      testid="watch-sheet"
      className="ms-eval-sheet"
      title={`Watch ${runId}`}
      onClose={() => store.openSheet("run")}
    >
      {loaded === null && (
        <p className="ms-muted" data-testid="watch-loading">
          Playing a game with the run's checkpoint…
        </p>
      )}
      {loaded && "error" in loaded && (
        <p className="ms-issue ms-issue-error" data-testid="watch-error" role="alert">
          {loaded.error}
        </p>
      )}
      {loaded && "game" in loaded && (
        <Player
          key={loaded.game.seed}
          game={loaded.game}
          onNewGame={() => setRequest((n) => n + 1)}
        />
      )}
    </Sheet>
  );
}

function Player({ game, onNewGame }: { game: Trajectory; onNewGame: () => void }) {
  const [state, dispatch] = useReducer(
    (s: Playback, a: PlaybackAction) => playback(s, a, game.moves),
    START,
  );
  const [speed, setSpeed] = useState(DEFAULT_SPEED);
  const ms = SPEEDS[speed].ms;
  useEffect(() => {
    if (!state.playing) return;
    const timer = setInterval(() => dispatch("tick"), ms);
    return () => clearInterval(timer);
  }, [state.playing, ms]);
  const f = frame(game, state.shown);
  const act = useCallback((a: PlaybackAction) => () => dispatch(a), []);

  return (
    <div className="ms-watch">
      <WatchBoard board={f.board} moves={state.shown} />
      <div className="ms-watch-score" data-testid="watch-score">
        <span>
          Score <b>{formatInt(f.score)}</b>
        </span>
        <span className="ms-muted">
          Move {formatInt(state.shown)} / {formatInt(game.moves)}
        </span>
      </div>
      {f.next ? (
        <MoveProbabilities next={f.next} />
      ) : (
        <div className="ms-watch-final" data-testid="watch-final">
          <span className="ms-muted">
            {game.truncated
              ? `Stopped after ${formatInt(game.moves)} moves`
              : `Game over after ${formatInt(game.moves)} moves`}
          </span>
          <span>
            Final score <b>{formatInt(game.final_score)}</b> · max tile{" "}
            <b>{formatInt(game.max_tile)}</b>
          </span>
        </div>
      )}
      <div className="ms-actions-row ms-watch-controls">
        <button
          type="button"
          className="ms-btn"
          data-testid="btn-watch-restart"
          onClick={act("restart")}
        >
          Restart
        </button>
        <button
          type="button"
          className="ms-btn"
          data-testid="btn-watch-step"
          disabled={f.over}
          onClick={act("step")}
        >
          Step
        </button>
        <button
          type="button"
          className="ms-btn ms-btn-primary"
          data-testid="btn-watch-pause"
          aria-pressed={!state.playing}
          onClick={act("toggle")}
        >
          {state.playing ? "Pause" : f.over ? "Replay" : "Play"}
        </button>
      </div>
      <div className="ms-eval-row">
        <span className="ms-eval-label">Speed</span>
        <Segmented
          options={SPEEDS.map((s, i) => ({ value: i, label: s.label }))}
          value={speed}
          onChange={setSpeed}
          testid="watch-speed"
        />
      </div>
      <button
        type="button"
        className="ms-btn ms-watch-new"
        data-testid="btn-watch-new"
        onClick={onNewGame}
      >
        Another game
      </button>
    </div>
  );
}

/** The game's board (the training panel's tile colours), carrying `data-moves`. */
const WatchBoard = memo(function WatchBoard({ board, moves }: { board: number[]; moves: number }) {
  const cells = boardCells(board) ?? [];
  return (
    <div
      className="ms-board ms-watch-board"
      data-testid="watch-board"
      data-moves={moves}
      role="img"
      aria-label={`The board after ${moves} moves`}
    >
      {cells.map((c, i) => (
        <div
          key={i}
          className={`ms-tile${c.exp ? ` ms-d${Math.min(c.digits, 5)}` : ""}`}
          style={c.exp ? ({ background: c.bg, color: c.fg } as CSSProperties) : undefined}
          data-exp={c.exp}
        >
          {c.label}
        </div>
      ))}
    </div>
  );
});

/** The policy's four probabilities on the board shown; the move it makes is marked. */
function MoveProbabilities({ next }: { next: { action: number; probs: number[] } }) {
  return (
    <div className="ms-watch-probs" data-testid="watch-probs" data-action={next.action}>
      {MOVE_NAMES.map((name, a) => {
        const p = next.probs[a];
        return (
          <div
            key={name}
            className={`ms-watch-prob${next.action === a ? " on" : ""}`}
            data-testid={`watch-prob-${name.toLowerCase()}`}
            data-p={p}
            role="img"
            aria-label={`${name}: ${formatPercent(p)}`}
          >
            <span className="ms-watch-arrow">{MOVE_ARROWS[a]}</span>
            <span className="ms-watch-bar">
              <i style={{ height: `${(p * 100).toFixed(1)}%` }} />
            </span>
            <span className="ms-watch-p">{formatPercent(p)}</span>
          </div>
        );
      })}
    </div>
  );
}
