// anywidget 0.11's front end calls AbortSignal.any (Safari >= 17.4, Chrome >= 116); older
// phone browsers lack it and the view would not render. Imported first by the entry.
type AnySignal = typeof AbortSignal & { any?: (signals: AbortSignal[]) => AbortSignal };

const AS = (globalThis as { AbortSignal?: AnySignal }).AbortSignal;
if (AS && typeof AS.any !== "function") {
  AS.any = (signals: AbortSignal[]): AbortSignal => {
    const controller = new AbortController();
    for (const s of signals) {
      if (s.aborted) {
        controller.abort(s.reason);
        return controller.signal;
      }
    }
    for (const s of signals) {
      s.addEventListener("abort", () => controller.abort(s.reason), {
        once: true,
        signal: controller.signal,
      });
    }
    return controller.signal;
  };
}

export {};
