// The app page's early boot (contract of issue 13). The page's HTML carries the widget's
// trait values (`<script type="application/json" id="ms-boot">`); the app entry mounts the
// full studio from them at once, on a stand-in model (kernel/deferred.ts), seconds before
// Voilà's scripts and the kernel's widget arrive. The widget's render then hands the
// booted studio over to the kernel's model instead of mounting a second one.
import type { WidgetModel } from "./kernel/bridge";
import { DeferredModel, type Handover } from "./kernel/deferred";

export const BOOT_ELEMENT_ID = "ms-boot";
export const BOOT_VERSION = 1;
/** Fired on the window once the entry has run (booted or not): Voilà's scripts start then
 * (modelstudio_widget/share/jupyter/voila/templates/modelstudio/index.html.j2). */
export const BOOTED_EVENT = "modelstudio:booted";

/** A studio on the page, as the entries need it. */
export interface MountedStudio {
  /** Send an edit still waiting for its debounce now. */
  flush(): void;
  /** The kernel's model took over (see DeferredModel.connect). */
  handOver(handover: Handover): void;
  dispose(): void;
}

export type Mount = (model: WidgetModel, el: HTMLElement, connecting: boolean) => MountedStudio;

export interface Booted {
  model: DeferredModel;
  studio: MountedStudio;
  /** The element the booted studio lives in (appended to the body). */
  el: HTMLElement;
}

/** Where the boot is kept: one per page, whichever copy of the entry runs. */
export interface BootWindow {
  __modelstudioBoot?: Booted;
  /** The entry has run (booted or not): what BOOTED_EVENT said, for a late listener. */
  __modelstudioEntryRan?: boolean;
}

export type BootDocument = Pick<Document, "getElementById" | "createElement" | "body">;

/** The snapshot's traits, or null (with a warning) when the text is not a version 1 boot. */
export function parseBoot(text: string): Record<string, unknown> | null {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    console.warn("Model Studio: the page's boot data is not JSON:", e);
    return null;
  }
  const boot = data as { version?: unknown; traits?: unknown } | null;
  const traits = boot?.traits;
  if (
    boot?.version !== BOOT_VERSION ||
    !traits ||
    typeof traits !== "object" ||
    Array.isArray(traits)
  ) {
    console.warn(
      "Model Studio: the page's boot data is not a version 1 boot; waiting for the kernel",
    );
    return null;
  }
  return traits as Record<string, unknown>;
}

/**
 * Mount the studio from the page's boot data, if it has any and no boot ran yet. Without
 * it (or with unreadable data) nothing happens: the preview stays and render mounts.
 */
export function boot(doc: BootDocument, win: BootWindow, mount: Mount): Booted | null {
  if (win.__modelstudioBoot) return null;
  const text = doc.getElementById(BOOT_ELEMENT_ID)?.textContent;
  if (text === null || text === undefined) return null;
  const traits = parseBoot(text);
  if (!traits) return null;
  const model = new DeferredModel(traits);
  const el = doc.createElement("div");
  doc.body.appendChild(el);
  let studio: MountedStudio;
  try {
    studio = mount(model, el, true);
  } catch (e) {
    console.warn("Model Studio: the early boot failed; waiting for the kernel:", e);
    el.remove();
    return null;
  }
  const booted = { model, studio, el };
  win.__modelstudioBoot = booted;
  return booted;
}

/**
 * The widget's render: the booted studio is handed the kernel's model (once); otherwise
 * (no boot, or a second view) the studio mounts into the view's element.
 */
export function bootRender(
  win: BootWindow,
  mount: Mount,
): (ctx: { model: WidgetModel; el: HTMLElement }) => () => void {
  return ({ model, el }) => {
    const booted = win.__modelstudioBoot;
    if (!booted || booted.model.connected) return mount(model, el, false).dispose;
    // An edit still in its debounce goes into the queue first, so the hand-over sees it.
    booted.studio.flush();
    booted.studio.handOver(booted.model.connect(model));
    return () => {
      booted.studio.dispose();
      booted.el.remove();
    };
  };
}
