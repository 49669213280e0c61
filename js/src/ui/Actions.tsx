// The toolbar's kernel actions (compile, train, stop, export) and the status line under
// it. What is enabled and what the line says are pure rules in training/actions.ts.
import { shownValidation } from "../state/selectors";
import type { StudioState } from "../state/store";
import { statusView, toolbarState, type ActionName } from "../training/actions";
import { useStudio, useStudioContext } from "./context";
import { TrainSettingsButton } from "./settings/TrainSettingsSheet";

const selectValid = (s: StudioState) => shownValidation(s).result?.valid ?? false;

export function Toolbar() {
  const { controller } = useStudioContext();
  const status = useStudio((s) => s.status);
  const valid = useStudio(selectValid);
  const pending = useStudio((s) => s.pending);
  const can = toolbarState({ status, valid, pending });
  const run = (name: ActionName, args: Record<string, unknown> = {}) => void controller.action(name, args);
  return (
    <div className="ms-toolbar" role="toolbar" aria-label="Model actions">
      <button className="ms-btn ms-btn-primary" data-testid="btn-compile" disabled={!can.compile} onClick={() => run("compile")}>
        Compile
      </button>
      <button className="ms-btn" data-testid="btn-train" disabled={!can.train} onClick={() => run("train")}>
        <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M7 5v14l12-7z" /></svg>
        Train
      </button>
      <TrainSettingsButton />
      <button className="ms-btn ms-btn-stop" data-testid="btn-stop" disabled={!can.stop} onClick={() => run("stop")}>
        <svg viewBox="0 0 24 24" aria-hidden="true"><rect x="6" y="6" width="12" height="12" rx="2" /></svg>
        Stop
      </button>
      <button className="ms-btn" data-testid="btn-export-pt" disabled={!can.export} aria-label="Export .pt" onClick={() => run("export", { format: "pt" })}>
        .pt
      </button>
      <button className="ms-btn" data-testid="btn-export-onnx" disabled={!can.export} aria-label="Export .onnx" onClick={() => run("export", { format: "onnx" })}>
        .onnx
      </button>
    </div>
  );
}

export function StatusLine() {
  const { controller } = useStudioContext();
  const status = useStudio((s) => s.status);
  const compile = useStudio((s) => s.compileResult);
  const metrics = useStudio((s) => s.metrics);
  const actionError = useStudio((s) => s.actionError);
  const dismissed = useStudio((s) => s.dismissedError);
  const pending = useStudio((s) => s.pending);
  const view = statusView(status, compile, metrics, actionError, dismissed);
  return (
    <div
      className={`ms-statusline ms-tone-${view.tone}`}
      data-testid="status"
      data-state={status.state}
      data-tone={view.tone}
      data-pending={pending ?? ""}
      role={view.tone === "error" ? "alert" : "status"}
    >
      <span className="ms-status-dot" aria-hidden="true" />
      <span className="ms-status-text" title={view.detail ? `${view.text} · ${view.detail}` : view.text}>
        {view.text}
        {view.detail && <span className="ms-status-detail"> · {view.detail}</span>}
      </span>
      {view.dismissKey && (
        <button
          className="ms-status-close"
          data-testid="status-dismiss"
          aria-label="Dismiss"
          onClick={() => controller.store.set({ dismissedError: view.dismissKey })}
        >
          ✕
        </button>
      )}
    </div>
  );
}
