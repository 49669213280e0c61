// The revision a run trained, opened in the history view (read-only on the canvas, marked
// where it differs from now). A run of another design opens that design first: the
// history view shows revisions of the open design.
import type { StudioStore } from "../../state/store";
import { type Command, openRevision } from "../history/revisions";

/** What a run says about where it trained (a run summary or a compared run). */
export interface TrainedOn {
  design_id: string | null;
  revision: number | null;
}

/** Whether the run's revision can be opened (ms.train without a stored design: no). */
export function hasRevision(run: TrainedOn): run is { design_id: string; revision: number } {
  return !!run.design_id && typeof run.revision === "number" && run.revision > 0;
}

/** Open the revision the run trained in; false if it could not be (the command said why). */
export async function openRunRevision(
  store: StudioStore,
  command: Command,
  run: TrainedOn,
): Promise<boolean> {
  if (!hasRevision(run)) return false;
  if (store.getState().doc.design_id !== run.design_id) {
    // The kernel publishes the opened document before it replies: once this resolves the
    // page holds the design, and the revision fetched next is one of its own.
    const opened = await command("open_design", { design_id: run.design_id });
    if (opened === undefined) return false;
  }
  return openRevision(store, command, run.revision);
}
