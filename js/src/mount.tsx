// The one way the studio goes on a page: a controller on a widget model (anywidget's, or
// the stand-in a page booted from its HTML uses) and the React tree in an element. Both
// entries use it: index.tsx (render in JupyterLab and plain Voilà) and app.tsx (the app).
import workerSource from "virtual:worker-source";
import { createRoot } from "react-dom/client";
import type { MountedStudio } from "./boot";
import type { WidgetModel } from "./kernel/bridge";
import { StudioController } from "./kernel/controller";
import { App } from "./ui/App";
import { type CanvasApi, StudioContext } from "./ui/context";

// The app page's HTML carries a preview of the design (modelstudio_widget/preview.py) for
// the seconds before this bundle runs; the studio opens over it, then it goes.
const OPEN_PREVIEW = '[data-testid="open-preview"]';

function dropOpenPreview(): void {
  const drop = () =>
    requestAnimationFrame(() =>
      requestAnimationFrame(() => document.querySelector(OPEN_PREVIEW)?.remove()),
    );
  drop();
  // An entry that runs while the page still parses may come before the preview does.
  if (document.readyState === "loading")
    document.addEventListener("DOMContentLoaded", drop, { once: true });
}

/** Mount the studio into `el`; `connecting`: the model is a stand-in, the kernel not there yet. */
export function mountStudio(
  model: WidgetModel,
  el: HTMLElement,
  connecting = false,
): MountedStudio {
  const fullscreen = Boolean(model.get("fullscreen"));
  const controller = new StudioController(model, workerSource, !connecting);
  controller.start();
  const canvas: { current: CanvasApi | null } = { current: null };
  el.classList.add("ms-root");
  // For automation and debugging: the controller hangs off the widget's element.
  (el as HTMLElement & { __studio?: StudioController }).__studio = controller;
  if (fullscreen) document.documentElement.classList.add("ms-fullscreen");
  const root = createRoot(el);
  root.render(
    <StudioContext.Provider value={{ controller, canvas }}>
      <App fullscreen={fullscreen} />
    </StudioContext.Provider>,
  );
  if (fullscreen) dropOpenPreview();
  return {
    flush: () => controller.flush(),
    handOver: (handover) => controller.handOver(handover),
    dispose: () => {
      root.unmount();
      controller.dispose();
      el.classList.remove("ms-root");
    },
  };
}
