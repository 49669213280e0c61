// The revision being viewed, with its diff to the current design and how the canvas draws
// it: one hook, so the canvas and the revision bar show the same thing.
import { useMemo, useSyncExternalStore } from "react";
import { type DiffView, diffView } from "../../canvas/diffView";
import { type DesignDiff, diffDesigns } from "../../state/diff";
import { useStudio, useStudioContext } from "../context";
import { type ShownRevision, shelfOf, viewedOf } from "./revisions";

export interface RevisionView {
  shown: ShownRevision;
  /** current -> revision: what restoring it would change. */
  diff: DesignDiff;
  view: DiffView;
}

export function useShownRevision(): ShownRevision | null {
  const { controller } = useStudioContext();
  const shelf = shelfOf(controller.store);
  const shown = useSyncExternalStore(shelf.subscribe, shelf.get);
  const viewedRevision = useStudio((s) => s.viewedRevision);
  const designId = useStudio((s) => s.doc.design_id);
  return viewedOf(shown, viewedRevision, designId);
}

/** The viewed revision against the page's current design (its unsaved edits too). */
export function useRevisionView(): RevisionView | null {
  const shown = useShownRevision();
  const current = useStudio((s) => s.history.present);
  return useMemo(() => {
    if (!shown) return null;
    const diff = diffDesigns(current, shown.design);
    return { shown, diff, view: diffView(shown.design, current, diff) };
  }, [shown, current]);
}
