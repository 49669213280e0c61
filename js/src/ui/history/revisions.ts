// The revision history's page logic, without React: the rows the kernel lists, the
// revision shown read-only on the canvas (its content, kept per store beside the store's
// `viewedRevision`), and restore as one ordinary edit (one undo step; autosave makes it a
// new revision, so nothing is lost).
import type { StudioStore } from "../../state/store";
import type { Design } from "../../types";

/** One row of `list_revisions` (modelstudio_widget/history.py revision_rows). */
export interface RevisionRow {
  revision: number;
  name: string;
  saved_at: number;
  note: string;
  valid: boolean;
  params: number;
  errors: number;
  warnings: number;
  runs: string[];
}

/** A stored revision fetched for viewing (`get_revision`). */
export interface ShownRevision {
  design_id: string;
  revision: number;
  design: Design;
  valid: boolean;
  params: number;
  errors: number;
}

/** Sends a kernel command; undefined when it failed (the controller has said so). */
export type Command = <T>(name: string, args: Record<string, unknown>) => Promise<T | undefined>;

type Listener = () => void;

/** The content of the revision being viewed, for one store. */
export class RevisionShelf {
  private value: ShownRevision | null = null;
  private listeners = new Set<Listener>();

  get = (): ShownRevision | null => this.value;

  subscribe = (fn: Listener): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  put(value: ShownRevision | null): void {
    this.value = value;
    for (const fn of this.listeners) fn();
  }
}

// One shelf per store: a notebook may show several studios, each viewing its own revision.
const shelves = new WeakMap<StudioStore, RevisionShelf>();

export function shelfOf(store: StudioStore): RevisionShelf {
  let shelf = shelves.get(store);
  if (!shelf) {
    shelf = new RevisionShelf();
    shelves.set(store, shelf);
  }
  return shelf;
}

/** The revision on the canvas: only while the store views it and its design is open. */
export function viewedOf(
  shown: ShownRevision | null,
  viewedRevision: number | null,
  designId: string | null,
): ShownRevision | null {
  return shown && viewedRevision === shown.revision && designId === shown.design_id ? shown : null;
}

/** Fetch a revision of the open design and show it read-only; false if it failed. */
export async function openRevision(
  store: StudioStore,
  command: Command,
  revision: number,
): Promise<boolean> {
  const shown = await command<ShownRevision>("get_revision", { revision });
  if (!shown) return false;
  shelfOf(store).put(shown);
  store.set({
    viewedRevision: shown.revision,
    sheet: null,
    actionTarget: null,
    selectedNodes: [],
    selectedEdges: [],
  });
  return true;
}

export function closeRevision(store: StudioStore): void {
  shelfOf(store).put(null);
  store.set({ viewedRevision: null });
}

/** The revision's content as the current design (keeping its id and name), one undo step. */
export function restoreRevision(store: StudioStore, shown: ShownRevision): boolean {
  const changed = store.edit((present) => ({
    ...shown.design,
    id: present.id,
    name: present.name,
  }));
  closeRevision(store);
  if (changed)
    store.toast(`Restored revision ${shown.revision}: saved as a new revision (Undo goes back)`);
  return changed;
}
