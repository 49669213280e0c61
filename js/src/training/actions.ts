// What the toolbar allows and what the status line says, from the kernel's status, the
// design's validity and the command in flight. Pure: the rules are unit-tested.
import type { StatusState } from "../types";
import { formatInt, type Metrics } from "./metrics";

export type ActionName = "compile" | "train" | "stop" | "export";

export interface ToolbarInput {
  status: StatusState;
  /** The shown validation says the design is valid. */
  valid: boolean;
  /** The action whose reply the page is waiting for (a second tap must not resend it). */
  pending: ActionName | null;
  /** The kernel's widget is connected (default): before, an action could only time out. */
  connected?: boolean;
}

export interface ToolbarState {
  compile: boolean;
  train: boolean;
  stop: boolean;
  export: boolean;
}

export function toolbarState({
  status,
  valid,
  pending,
  connected = true,
}: ToolbarInput): ToolbarState {
  if (!connected) return { compile: false, train: false, stop: false, export: false };
  const idle = status.state === "idle" && pending === null;
  return {
    // Compiling while training would report "idle" over a live run: one thing at a time.
    compile: idle && valid,
    train: idle && valid,
    stop: status.state === "training" && pending !== "stop",
    // Any time the kernel is not mid-action: the latest checkpoint (or fresh weights).
    export:
      (status.state === "idle" || status.state === "training") &&
      pending !== "export" &&
      pending !== "compile",
  };
}

export interface CompileResult {
  params?: number;
  file?: string;
  request_id?: string | null;
}

export interface ActionError {
  code: string;
  message: string;
  /** Identity, so a dismissed error stays dismissed and a new one shows. */
  key: string;
}

export type StatusTone = "idle" | "busy" | "live" | "ok" | "error";

export interface StatusView {
  tone: StatusTone;
  /** The first, always visible part. */
  text: string;
  /** Secondary detail (may be cut off on a narrow screen). */
  detail: string;
  /** An error the user can dismiss (its key), or null. */
  dismissKey: string | null;
}

const LABELS: Record<StatusState["state"], string> = {
  idle: "Ready",
  compiling: "Compiling…",
  training: "Training",
  stopping: "Stopping…",
  exporting: "Exporting…",
};

/** The status line of a page that booted from its HTML and waits for the kernel. */
export const CONNECTING_VIEW: StatusView = {
  tone: "busy",
  text: "Connecting to the kernel…",
  detail: "edits are kept and sent when it answers",
  dismissKey: null,
};

export function errorKey(status: StatusState): string | null {
  return status.error
    ? `${status.request_id ?? ""}:${status.error.code}:${status.error.message}`
    : null;
}

export function statusView(
  status: StatusState,
  compile: CompileResult | null,
  metrics: Metrics | null,
  actionError: ActionError | null,
  dismissed: string | null,
): StatusView {
  const kernelKey = errorKey(status);
  if (status.error && kernelKey !== dismissed) {
    return { tone: "error", text: status.error.message, detail: "", dismissKey: kernelKey };
  }
  if (actionError && actionError.key !== dismissed) {
    return { tone: "error", text: actionError.message, detail: "", dismissKey: actionError.key };
  }
  const state = status.state;
  if (state === "training") {
    const m = metrics && metrics.state === "training" ? metrics : null;
    const detail =
      m && typeof m.update === "number"
        ? `update ${formatInt(m.update)} · ${formatInt(m.global_step)} moves`
        : "";
    return { tone: "live", text: status.message || LABELS.training, detail, dismissKey: null };
  }
  if (state !== "idle")
    return { tone: "busy", text: status.message || LABELS[state], detail: "", dismissKey: null };
  // The compile that this status reports: the exact count first, the file after it.
  if (
    compile?.request_id &&
    compile.request_id === status.request_id &&
    typeof compile.params === "number"
  ) {
    return {
      tone: "ok",
      text: `Compiled: ${formatInt(compile.params)} parameters`,
      detail: compile.file ?? "",
      dismissKey: null,
    };
  }
  return {
    tone: status.message ? "ok" : "idle",
    text: status.message || LABELS.idle,
    detail: "",
    dismissKey: null,
  };
}
