// The anywidget entry of JupyterLab and plain Voilà (widget.js, one file): render({model,
// el}) mounts the studio and returns its cleanup.
import "./polyfill";
import "@xyflow/react/dist/base.css";
import "./styles.css";
import type { WidgetModel } from "./kernel/bridge";
import { mountStudio } from "./mount";

function render({ model, el }: { model: WidgetModel; el: HTMLElement }): () => void {
  return mountStudio(model, el).dispose;
}

export default { render };
