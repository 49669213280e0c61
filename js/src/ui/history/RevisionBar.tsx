// The bar over the header while a stored revision is on the canvas: says it is read-only,
// what restoring it would change (marks legend and the changed props), Restore and Close.
// It covers the header, so undo and the toolbar cannot edit the design behind the view.
import { useEffect, useRef, useState } from "react";
import { changeLines, markSummary } from "../../canvas/diffView";
import { isEmpty } from "../../state/diff";
import { useStudio, useStudioContext } from "../context";
import { closeRevision, restoreRevision } from "./revisions";
import { useRevisionView } from "./useRevisionView";

/** Changed props listed before "n more" (the bar must leave the canvas visible). */
const SHOWN_LINES = 3;

/** The page's editing keys (App.tsx): while a revision is shown they would edit behind it. */
export function isEditKey(e: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey">): boolean {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.toLowerCase();
  return (
    (mod && (key === "z" || key === "y")) ||
    ["delete", "backspace", "arrowleft", "arrowright", "arrowup", "arrowdown"].includes(key)
  );
}

export function RevisionBar() {
  const { controller, canvas } = useStudioContext();
  const store = controller.store;
  const viewedRevision = useStudio((s) => s.viewedRevision);
  const currentRevision = useStudio((s) => s.doc.revision);
  const revision = useRevisionView();
  const [expanded, setExpanded] = useState(false);
  const bar = useRef<HTMLElement>(null);
  // The view may have been fitted to the ghosts or panned: show the design as it is now.
  const leave = (restore: boolean) => {
    if (restore && revision) restoreRevision(store, revision.shown);
    else closeRevision(store);
    requestAnimationFrame(() => canvas.current?.fit());
  };

  // Another design opened (or this one deleted) while viewing: the view ends.
  useEffect(() => {
    if (viewedRevision !== null && !revision) closeRevision(store);
  }, [viewedRevision, revision, store]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: another revision opens folded
  useEffect(() => setExpanded(false), [viewedRevision]);

  // Caught on the way down to the page's key handler: Escape closes the view, and the
  // editing keys do nothing (nor reach JupyterLab) until it is closed.
  const viewing = revision !== null;
  useEffect(() => {
    const app = viewing ? bar.current?.closest<HTMLElement>(".ms-app") : null;
    if (!app) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.target instanceof Element && e.target.closest("input, select, textarea")) return;
      if (e.key === "Escape") closeRevision(store);
      else if (!isEditKey(e)) return;
      e.preventDefault();
      e.stopPropagation();
    };
    app.addEventListener("keydown", onKey, true);
    return () => app.removeEventListener("keydown", onKey, true);
  }, [viewing, store]);

  if (!revision) return null;
  const { diff, view } = revision;
  const number = revision.shown.revision;
  const same = isEmpty(diff);
  const lines = changeLines(diff);
  const listed = expanded ? lines : lines.slice(0, SHOWN_LINES);
  const summary = markSummary(view);
  return (
    <section
      ref={bar}
      className="ms-rev-bar"
      data-testid="revision-bar"
      data-revision={number}
      aria-label={`Revision ${number}, read-only`}
    >
      <div className="ms-rev-bar-head">
        <div className="ms-rev-bar-title">
          <strong>Viewing revision {number} — read-only</strong>
          <span className="ms-muted">
            {same
              ? `Same as the current design (revision ${currentRevision})`
              : `vs current (rev ${currentRevision}): ${summary || "settings differ"}`}
          </span>
        </div>
        <button
          type="button"
          className="ms-icon-btn"
          aria-label="Close revision"
          data-testid="btn-close-revision"
          onClick={() => leave(false)}
        >
          ✕
        </button>
      </div>
      {!same && (
        <div className="ms-rev-legend" aria-hidden="true">
          <span className="ms-rev-key added">only in rev {number}</span>
          <span className="ms-rev-key removed">only now</span>
          <span className="ms-rev-key changed">changed</span>
        </div>
      )}
      {lines.length > 0 && (
        <ul className="ms-rev-changes" data-testid="revision-changes">
          {listed.map((l) => (
            <li key={`${l.where}.${l.what}`} data-where={l.where} data-prop={l.what}>
              <span className="ms-rev-where">{l.where}</span> {l.what}:{" "}
              <span className="ms-rev-now">{l.now}</span> →{" "}
              <span className="ms-rev-then">{l.earlier}</span>
            </li>
          ))}
          {lines.length > SHOWN_LINES && (
            <li>
              <button
                type="button"
                className="ms-link"
                data-testid="revision-changes-more"
                onClick={() => setExpanded(!expanded)}
              >
                {expanded ? "Show fewer" : `${lines.length - SHOWN_LINES} more`}
              </button>
            </li>
          )}
        </ul>
      )}
      <button
        type="button"
        className="ms-btn ms-btn-primary ms-rev-restore"
        data-testid="btn-restore"
        disabled={same}
        onClick={() => leave(true)}
      >
        Restore revision {number}
      </button>
    </section>
  );
}
