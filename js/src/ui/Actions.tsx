// The toolbar's kernel actions (compile, train, stop, export) and the status line under
// it. What is enabled and what the line says are pure rules in training/actions.ts.
import type { ReactNode } from "react";
import { shownValidation } from "../state/selectors";
import type { StudioState } from "../state/store";
import { type ActionName, CONNECTING_VIEW, statusView, toolbarState } from "../training/actions";
import { Icon } from "./buttons";
import { useStudio, useStudioContext } from "./context";
import { TrainSettingsButton } from "./settings/TrainSettingsButton";

const selectValid = (s: StudioState) => shownValidation(s).result?.valid ?? false;

export function Toolbar() {
  const { controller } = useStudioContext();
  const status = useStudio((s) => s.status);
  const valid = useStudio(selectValid);
  const pending = useStudio((s) => s.pending);
  const connected = useStudio((s) => s.connected);
  const can = toolbarState({ status, valid, pending, connected });
  const run = (name: ActionName, args: Record<string, unknown> = {}) =>
    void controller.action(name, args);
  return (
    <div className="ms-toolbar" role="toolbar" aria-label="Model actions">
      <ToolButton
        look=" ms-btn-primary"
        testid="btn-compile"
        enabled={can.compile}
        onClick={() => run("compile")}
      >
        Compile
      </ToolButton>
      <ToolButton testid="btn-train" enabled={can.train} onClick={() => run("train")}>
        <Icon>
          <path d="M7 5v14l12-7z" />
        </Icon>
        Train
      </ToolButton>
      <TrainSettingsButton />
      <ToolButton
        look=" ms-btn-stop"
        testid="btn-stop"
        enabled={can.stop}
        onClick={() => run("stop")}
      >
        <Icon>
          <rect x="6" y="6" width="12" height="12" rx="2" />
        </Icon>
        Stop
      </ToolButton>
      {(["pt", "onnx"] as const).map((format) => (
        <ToolButton
          key={format}
          testid={`btn-export-${format}`}
          enabled={can.export}
          label={`Export .${format}`}
          onClick={() => run("export", { format })}
        >
          .{format}
        </ToolButton>
      ))}
    </div>
  );
}

function ToolButton(props: {
  testid: string;
  enabled: boolean;
  onClick: () => void;
  /** Extra classes after ms-btn, each with its leading space. */
  look?: string;
  label?: string;
  children: ReactNode;
}) {
  const { testid, enabled, onClick, look = "", label, children } = props;
  return (
    <button
      type="button"
      className={`ms-btn${look}`}
      data-testid={testid}
      disabled={!enabled}
      aria-label={label}
      onClick={onClick}
    >
      {children}
    </button>
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
  const connected = useStudio((s) => s.connected);
  const view = connected
    ? statusView(status, compile, metrics, actionError, dismissed)
    : CONNECTING_VIEW;
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
      <span
        className="ms-status-text"
        title={view.detail ? `${view.text} · ${view.detail}` : view.text}
      >
        {view.text}
        {view.detail && <span className="ms-status-detail"> · {view.detail}</span>}
      </span>
      {view.dismissKey && (
        <button
          type="button"
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
