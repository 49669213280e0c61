// Sheets about the design as a whole: its settings (the catalog's `meta` props, the
// defaults new blocks take) and the confirmation before a design is deleted.
import { type KeyboardEvent, type ReactNode, useEffect, useRef } from "react";
import { formatValue } from "../catalog";
import { setMeta } from "../state/design";
import { applyMetaToBlocks, blocksOffMeta, metaValue } from "../state/meta";
import { shownValidation } from "../state/selectors";
import type { Catalog } from "../types";
import { useStudio, useStudioContext } from "./context";
import { PropEditor } from "./controls";
import { Sheet } from "./Sheet";
import { StudioSheet } from "./StudioSheet";
import "./designSheets.css";

const selectResult = (s: Parameters<typeof shownValidation>[0]) => shownValidation(s).result;

/** The design's settings at a glance ("d_model 128 · n_heads 4"). */
export function metaSummary(catalog: Catalog, meta: Record<string, unknown> | undefined): string {
  return catalog.meta
    .map((spec) => `${spec.name} ${formatValue(metaValue(spec, meta))}`)
    .join(" · ");
}

/**
 * The design's settings. Not modal, like the inspector: the canvas stays in view (blocks
 * turn red as a value breaks them) and the header's undo stays in reach. Every change is
 * an ordinary edit: one undo step, synced to the kernel, validated in both places.
 */
export function MetaSheet() {
  const { controller } = useStudioContext();
  const store = controller.store;
  const sheet = useStudio((s) => s.sheet);
  const catalog = useStudio((s) => s.catalog);
  const design = useStudio((s) => s.history.present);
  const result = useStudio(selectResult);
  const selected = useStudio((s) => s.selectedNodes);
  const open = sheet === "meta";
  // A tap on a block means "edit that block": make way for the inspector.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (selected.length && store.getState().sheet === "meta") store.openSheet(null);
  }, [selected, store]);
  if (!open || !catalog) return null;
  const meta = design.meta ?? {};
  return (
    <StudioSheet testid="meta-sheet" className="ms-inspector ms-meta-sheet" title="Design settings">
      <p className="ms-doc">
        Defaults that new blocks start from. Blocks that leave a setting unset use it too.
      </p>
      {catalog.meta.map((spec) => {
        const value = metaValue(spec, meta);
        const issues = (result?.errors ?? []).filter((i) => i.prop === `meta.${spec.name}`);
        const off = blocksOffMeta(design, catalog, spec.name);
        return (
          <div className="ms-prop" key={spec.name} data-testid={`meta-row-${spec.name}`}>
            <div className="ms-prop-row">
              <span className="ms-prop-name">{spec.name}</span>
              <PropEditor
                spec={spec}
                value={value}
                testid={`meta-${spec.name}`}
                onChange={(v) => store.edit((d) => setMeta(d, spec.name, v))}
              />
            </div>
            <div className="ms-prop-doc">{spec.doc}</div>
            {issues.map((i, n) => (
              <p key={n} className={`ms-issue ms-issue-${i.severity}`}>
                {i.message}
              </p>
            ))}
            {off.length > 0 && (
              <div className="ms-meta-off" data-testid={`meta-off-${spec.name}`}>
                <span>
                  {off.length === 1 ? "1 block uses" : `${off.length} blocks use`}{" "}
                  {distinct(off.map((f) => f.value))}
                </span>
                <button
                  type="button"
                  className="ms-btn ms-btn-small"
                  data-testid={`meta-apply-${spec.name}`}
                  onClick={() => store.edit((d) => applyMetaToBlocks(d, catalog, spec.name))}
                >
                  Set all to {formatValue(value)}
                </button>
              </div>
            )}
          </div>
        );
      })}
    </StudioSheet>
  );
}

function distinct(values: unknown[]): string {
  const seen = [...new Set(values.map(formatValue))];
  return seen.length <= 3 ? seen.join(", ") : `${seen.slice(0, 3).join(", ")}, …`;
}

/**
 * A question before something that cannot be undone here. Sits above any open sheet;
 * Cancel has the focus (Enter and Escape cancel); the destructive button is red.
 */
export function ConfirmSheet(props: {
  title: string;
  children: ReactNode;
  confirm: string;
  testid: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const { title, children, confirm, testid, onConfirm, onCancel } = props;
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => cancelRef.current?.focus({ preventScroll: true }), []);
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === "Escape") {
      e.stopPropagation();
      e.preventDefault();
      onCancel();
    } else if (e.key === "Delete" || e.key === "Backspace") {
      // Never the canvas's "delete the selection" while a question is open.
      e.stopPropagation();
    }
  };
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: catches the keys of the question's buttons as they bubble up
    <div className="ms-confirm-layer" onKeyDown={onKeyDown}>
      <Sheet open modal testid={testid} className="ms-confirm" title={title} onClose={onCancel}>
        <div className="ms-confirm-text">{children}</div>
        <div className="ms-confirm-actions">
          <button
            type="button"
            ref={cancelRef}
            className="ms-btn ms-btn-default"
            data-testid={`${testid}-cancel`}
            onClick={onCancel}
          >
            Cancel
          </button>
          <button
            type="button"
            className="ms-btn ms-btn-destructive"
            data-testid={`${testid}-confirm`}
            onClick={onConfirm}
          >
            {confirm}
          </button>
        </div>
      </Sheet>
    </div>
  );
}
