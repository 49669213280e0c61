// The revision history of the open design (btn-history in the designs sheet): every saved
// revision, newest first, with its age, size, validity and the runs trained on it. A tap
// shows that revision read-only on the canvas with its difference to the current design.
import { useCallback, useEffect, useState } from "react";
import { useStudio, useStudioContext } from "../context";
import { StudioSheet } from "../StudioSheet";
import { WindowedList } from "../WindowedList";
import { rowDetail, runCount, validity } from "./format";
import { openRevision, type RevisionRow } from "./revisions";

/** Row height in px (CSS .ms-rev-row matches it): fixed, so the list can be windowed. */
export const ROW_HEIGHT = 68;

interface Listing {
  design_id: string;
  revisions: RevisionRow[];
}

export function HistorySheet() {
  const { controller, canvas } = useStudioContext();
  const store = controller.store;
  const sheet = useStudio((s) => s.sheet);
  const designId = useStudio((s) => s.doc.design_id);
  const current = useStudio((s) => s.doc.revision);
  const name = useStudio((s) => s.doc.name);
  const [rows, setRows] = useState<RevisionRow[] | null>(null);
  const [failed, setFailed] = useState(false);
  const open = sheet === "history";

  // biome-ignore lint/correctness/useExhaustiveDependencies: re-read the rows when the current revision changes (a restore or a save)
  useEffect(() => {
    if (!open || !designId) return;
    let live = true;
    setFailed(false);
    void controller.command<Listing>("list_revisions", { design_id: designId }).then((r) => {
      if (!live) return;
      if (r) setRows(r.revisions);
      else setFailed(true);
    });
    return () => {
      live = false;
    };
  }, [open, designId, current, controller]);

  const show = useCallback(
    (revision: number) => {
      void openRevision(store, (n, a) => controller.command(n, a), revision).then((ok) => {
        if (ok) requestAnimationFrame(() => canvas.current?.fit());
      });
    },
    [store, controller, canvas],
  );

  if (!open) return null;
  return (
    <StudioSheet
      modal
      testid="history-sheet"
      className="ms-history-sheet"
      title={`History · ${name || "Untitled"}`}
    >
      <p className="ms-doc">
        Tap a revision to see it on the canvas, marked where it differs from now; restore it from
        there.
      </p>
      {failed && <p className="ms-issue ms-issue-error">The history could not be loaded.</p>}
      {!rows && !failed && (
        <p className="ms-muted" data-testid="history-loading">
          Loading…
        </p>
      )}
      {rows && <RevisionList rows={rows} current={current} onOpen={show} />}
    </StudioSheet>
  );
}

function RevisionList({
  rows,
  current,
  onOpen,
}: {
  rows: RevisionRow[];
  current: number;
  onOpen: (n: number) => void;
}) {
  const now = Date.now() / 1000;
  return (
    <WindowedList
      className="ms-rev-list"
      testid="revision-list"
      count={rows.length}
      rowHeight={ROW_HEIGHT}
      assumedHeight={ROW_HEIGHT * 8}
    >
      {(start, end) => (
        <ul style={{ height: rows.length * ROW_HEIGHT }}>
          {rows.slice(start, end).map((row, i) => (
            <li key={row.revision} style={{ top: (start + i) * ROW_HEIGHT }}>
              <button
                type="button"
                className="ms-rev-row"
                data-testid={`revision-${row.revision}`}
                onClick={() => onOpen(row.revision)}
              >
                <span className="ms-rev-main">
                  <span className="ms-list-name">
                    Revision {row.revision}
                    {row.revision === current && <span className="ms-rev-badge">current</span>}
                  </span>
                  <span className="ms-muted">{rowDetail(row, now)}</span>
                </span>
                <span className="ms-rev-side">
                  <span className={`ms-rev-valid${row.valid ? "" : " bad"}`} data-valid={row.valid}>
                    {validity(row)}
                  </span>
                  <span
                    className="ms-muted"
                    title={row.runs.join(", ")}
                    data-runs={row.runs.length}
                  >
                    {runCount(row.runs.length)}
                  </span>
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </WindowedList>
  );
}
