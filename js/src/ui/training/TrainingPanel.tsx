// The live training view. On a phone: a slim peek bar under the canvas (sparkline, mean
// score, moves/s) that a tap or an upward drag turns into a bottom sheet with everything;
// in a wide cell (JupyterLab) a column beside the canvas. Rendered from the latest
// complete snapshot only, so a reloaded page that attached to a run shows it at once.
import { type PointerEvent as ReactPointerEvent, useEffect, useRef, useState } from "react";
import { formatCompact, formatInt, hasRun, isLive, type Metrics } from "../../training/metrics";
import { useStudio, useStudioContext } from "../context";
import { LiveBoard } from "./LiveBoard";
import { MoeSection } from "./MoeSection";
import { ScoreChart, Sparkline } from "./ScoreChart";
import { Losses, StatGrid, TileRates } from "./Stats";
import { shownScore } from "./score";
import { useWidth } from "./useWidth";

/** From this width of the app the panel sits beside the canvas, always open. */
export const SIDE_PANEL_MIN_WIDTH = 720;
/** A drag of the bar by this many pixels opens or closes the sheet. */
const DRAG_PX = 24;

export function TrainingPanel() {
  const metrics = useStudio((s) => s.metrics);
  const open = useStudio((s) => s.panelOpen);
  // The app's width decides the layout (a JupyterLab cell is not the window).
  const [el, setEl] = useState<HTMLElement | null>(null);
  const appWidth = useWidth(el?.closest(".ms-app") ?? null);
  const run = hasRun(metrics);
  const side = run && appWidth >= SIDE_PANEL_MIN_WIDTH;
  // The column takes width from the canvas: fit the design into what is left.
  const { canvas } = useStudioContext();
  useEffect(() => {
    if (!side) return;
    const frame = requestAnimationFrame(() => canvas.current?.fit());
    return () => cancelAnimationFrame(frame);
  }, [side, canvas]);
  if (!run) return null;
  const mode = side ? "side" : open ? "open" : "peek";
  return (
    <aside
      ref={setEl}
      className={`ms-train ms-train-${mode}`}
      data-testid="training-panel"
      data-mode={mode}
    >
      <PanelBar m={metrics} mode={mode} />
      {mode !== "peek" && <PanelBody m={metrics} />}
    </aside>
  );
}

function stateLabel(m: Metrics): string {
  if (m.state === "training") return "Training";
  if (m.state === "stopping") return "Stopping";
  if (m.status === "failed") return "Failed";
  return m.status === "finished" ? "Finished" : "Stopped";
}

/** The bar: the whole panel when collapsed, its header when open. Tap or drag to toggle. */
function PanelBar({ m, mode }: { m: Metrics; mode: "side" | "open" | "peek" }) {
  const { controller } = useStudioContext();
  const store = controller.store;
  const drag = useRef<{ y: number; id: number } | null>(null);
  const moved = useRef(false);
  const [offset, setOffset] = useState(0);
  const live = isLive(m);
  const score = shownScore(m);

  const onPointerDown = (e: ReactPointerEvent) => {
    if (mode === "side") return;
    drag.current = { y: e.clientY, id: e.pointerId };
    moved.current = false;
    e.currentTarget.setPointerCapture?.(e.pointerId);
  };
  const onPointerMove = (e: ReactPointerEvent) => {
    const d = drag.current;
    if (!d || d.id !== e.pointerId) return;
    const dy = e.clientY - d.y;
    if (Math.abs(dy) > 6) moved.current = true;
    // Follow the finger a little (rubber band), the release decides.
    setOffset(Math.max(-60, Math.min(60, dy)) / 2);
  };
  const onPointerEnd = (e: ReactPointerEvent) => {
    const d = drag.current;
    if (!d || d.id !== e.pointerId) return;
    drag.current = null;
    setOffset(0);
    const dy = e.clientY - d.y;
    if (dy < -DRAG_PX && mode === "peek") store.set({ panelOpen: true });
    else if (dy > DRAG_PX && mode === "open") store.set({ panelOpen: false });
  };
  const onClick = () => {
    if (mode === "side") return;
    if (moved.current) {
      moved.current = false;
      return;
    }
    store.set({ panelOpen: mode === "peek" });
  };

  return (
    <button
      type="button"
      className="ms-train-bar"
      data-testid="train-peek"
      aria-expanded={mode !== "peek"}
      aria-label={
        mode === "peek" ? "Show training" : mode === "open" ? "Hide training" : "Training"
      }
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerEnd}
      onPointerCancel={onPointerEnd}
      onClick={onClick}
      style={offset ? { transform: `translateY(${offset}px)` } : undefined}
    >
      {mode !== "side" && <span className="ms-grip" aria-hidden="true" />}
      <span className={`ms-live${live ? " on" : ""}`} aria-hidden="true" />
      <span className="ms-train-state">
        <b>{stateLabel(m)}</b>
        <span>
          {m.attached ? "in another window · " : ""}
          {formatInt(m.global_step)} moves
        </span>
      </span>
      <Sparkline curve={m.score_curve} />
      <span className="ms-peek-num" data-testid="peek-mean" data-in-play={score.inPlay}>
        <b>{score.value}</b>
        <span>{score.inPlay ? "in play" : "mean"}</span>
      </span>
      <span className="ms-peek-num" data-testid="peek-sps">
        <b>{formatCompact(m.env_steps_per_second)}</b>
        <span>moves/s</span>
      </span>
      {mode !== "side" && (
        <svg className="ms-chevron" viewBox="0 0 24 24" aria-hidden="true">
          <path d={mode === "peek" ? "m6 15 6-6 6 6" : "m6 9 6 6 6-6"} />
        </svg>
      )}
    </button>
  );
}

function PanelBody({ m }: { m: Metrics }) {
  return (
    <div className="ms-train-body">
      {m.error && <p className="ms-issue ms-issue-warning">{m.error}</p>}
      <StatGrid m={m} />
      <div className="ms-section-title">
        Mean score <span className="ms-muted">· by moves played</span>
      </div>
      <ScoreChart curve={m.score_curve} />
      <div className="ms-train-row">
        <LiveBoard board={m.board} />
        <TileRates rates={m.max_tile_rates} />
      </div>
      <MoeSection moe={m.moe} />
      <Losses losses={m.losses} />
    </div>
  );
}
