// The served app's entry (static/app/app-<hash>.js, loaded by the page's HTML and, through
// the widget's tiny `_esm` loader, by Voilà: the same URL, the same module). Evaluated, it
// boots the studio from the page's snapshot; its render hands that studio to the kernel.
import "./polyfill";
import "@xyflow/react/dist/base.css";
import "./styles.css";
import { type BootWindow, boot, bootRender } from "./boot";
import { mountStudio } from "./mount";

const win = window as Window & BootWindow;
boot(document, win, mountStudio);

export default { render: bootRender(win, mountStudio) };
