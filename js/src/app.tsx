// The served app's entry (static/app/app-<hash>.js, loaded by the page's HTML and, through
// the widget's tiny `_esm` loader, by Voilà: the same URL, the same module). Evaluated, it
// boots the studio from the page's snapshot; its render hands that studio to the kernel.
import "./polyfill";
import "@xyflow/react/dist/base.css";
import "./styles.css";
import { BOOTED_EVENT, type BootWindow, boot, bootRender } from "./boot";
import { mountStudio } from "./mount";

const win = window as Window & BootWindow;
try {
  boot(document, win, mountStudio);
} finally {
  // The app's Voilà template holds Voilà's own scripts back until now (booted or not):
  // evaluating them takes ~0.8 s of the main thread, which would come before this module.
  win.__modelstudioEntryRan = true;
  win.dispatchEvent(new Event(BOOTED_EVENT));
}

export default { render: bootRender(win, mountStudio) };
