// The anywidget entry: render({model, el}) mounts the studio and returns its cleanup.
import "./polyfill";
import "@xyflow/react/dist/base.css";
import "./styles.css";
import workerSource from "virtual:worker-source";
import { createRoot } from "react-dom/client";
import type { WidgetModel } from "./kernel/bridge";
import { StudioController } from "./kernel/controller";
import { App } from "./ui/App";
import { type CanvasApi, StudioContext } from "./ui/context";

// The app page's HTML carries a preview of the design (modelstudio_widget/preview.py) for
// the seconds before this bundle runs; the studio opens over it, then it goes.
const OPEN_PREVIEW = '[data-testid="open-preview"]';

function dropOpenPreview(): void {
  requestAnimationFrame(() =>
    requestAnimationFrame(() => document.querySelector(OPEN_PREVIEW)?.remove()),
  );
}

function render({ model, el }: { model: WidgetModel; el: HTMLElement }): () => void {
  const fullscreen = Boolean(model.get("fullscreen"));
  const controller = new StudioController(model, workerSource);
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
  return () => {
    root.unmount();
    controller.dispose();
    el.classList.remove("ms-root");
  };
}

export default { render };
