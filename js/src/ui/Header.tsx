// The header: design name (opens the designs sheet), live size, undo/redo, and the
// toolbar whose buttons send kernel commands (compile, train, stop, export).
import { canRedo, canUndo } from "../state/history";
import { shownValidation, syncView } from "../state/selectors";
import { StatusLine, Toolbar } from "./Actions";
import { IconButton } from "./buttons";
import { useStudio, useStudioContext } from "./context";

const selectShown = (s: Parameters<typeof shownValidation>[0]) => shownValidation(s).result;
const selectSource = (s: Parameters<typeof shownValidation>[0]) => shownValidation(s).source;

export function formatParams(params: number): string {
  if (params >= 1e6) return `${(params / 1e6).toFixed(params >= 1e8 ? 0 : 2)} M`;
  if (params >= 1e3) return `${(params / 1e3).toFixed(1)} k`;
  return String(params);
}

export function formatMemory(mb: number): string {
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)} GB` : `${mb} MB`;
}

export function Header() {
  const { controller } = useStudioContext();
  const store = controller.store;
  const name = useStudio((s) => s.doc.name || s.history.present.name);
  const result = useStudio(selectShown);
  const source = useStudio(selectSource);
  const undoable = useStudio((s) => canUndo(s.history));
  const redoable = useStudio((s) => canRedo(s.history));
  const saved = useStudio((s) => s.doc.revision);
  const sync = useStudio((s) => syncView(s).sync);
  const syncClass = useStudio((s) => syncView(s).className);
  return (
    <header className="ms-header">
      <div className="ms-header-row">
        <button
          type="button"
          className="ms-title"
          onClick={() => store.openSheet("designs")}
          aria-label="Designs"
        >
          <span className="ms-title-name" data-testid="design-name">
            {name || "Untitled"}
          </span>
          <span className="ms-title-stats">
            <span data-testid="param-count" data-params={result?.params ?? ""}>
              {result ? formatParams(result.params) : "–"} params
            </span>
            <span className="ms-dot-sep">·</span>
            <span data-testid="memory-estimate" data-mb={result?.estimatedMemory ?? ""}>
              {result ? formatMemory(result.estimatedMemory) : "–"}
            </span>
            <span
              className={syncClass}
              data-testid="sync-state"
              data-sync={sync}
              title={
                sync !== "connecting"
                  ? `validation: ${source}, revision ${saved}`
                  : `connecting to the kernel; validation: ${source}`
              }
            />
          </span>
        </button>
        <button
          type="button"
          className="ms-icon-btn ms-runs-entry"
          data-testid="btn-runs"
          aria-label="Runs"
          onClick={() => store.openSheet("runs")}
        >
          <svg viewBox="0 0 24 24" aria-hidden="true">
            <path d="M4 19h16" />
            <path d="m5 15 4-5 4 3 6-7" />
          </svg>
          <span>Runs</span>
        </button>
        <IconButton
          label="Undo"
          testid="btn-undo"
          disabled={!undoable}
          onClick={() => store.undo()}
        >
          <path d="M9 14 4 9l5-5" />
          <path d="M4 9h10.5a5.5 5.5 0 0 1 0 11H11" />
        </IconButton>
        <IconButton
          label="Redo"
          testid="btn-redo"
          disabled={!redoable}
          onClick={() => store.redo()}
        >
          <path d="m15 14 5-5-5-5" />
          <path d="M20 9H9.5a5.5 5.5 0 0 0 0 11H13" />
        </IconButton>
      </div>
      <Toolbar />
      <StatusLine />
    </header>
  );
}
