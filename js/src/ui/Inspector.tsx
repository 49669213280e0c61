// The inspector: a bottom sheet that edits the selected block's props.
import type { CSSProperties } from "react";
import { blockSpec } from "../catalog";
import { duplicate, removeElements, setProp } from "../state/design";
import { issuesByBlock, shownValidation } from "../state/selectors";
import { useStudio, useStudioContext } from "./context";
import { PropEditor } from "./controls";
import { Sheet } from "./Sheet";

const selectResult = (s: Parameters<typeof shownValidation>[0]) => shownValidation(s).result;

export function Inspector() {
  const { controller } = useStudioContext();
  const store = controller.store;
  const selected = useStudio((s) => (s.selectedNodes.length === 1 ? s.selectedNodes[0] : null));
  const sheet = useStudio((s) => s.sheet);
  const component = useStudio((s) => s.history.present.components.find((c) => c.id === selected));
  const catalog = useStudio((s) => s.catalog);
  const result = useStudio(selectResult);
  if (!component || !catalog || sheet !== null) return null;
  const spec = blockSpec(catalog, component.type);
  const issues = issuesByBlock(result).get(component.id)?.issues ?? [];
  const general = issues.filter((i) => !i.prop);
  const close = () => store.select([]);
  return (
    <Sheet
      open
      testid="inspector"
      className="ms-inspector"
      onClose={close}
      title={
        <span
          className="ms-insp-title"
          style={{ "--c": spec?.color ?? "#94a3b8" } as CSSProperties}
        >
          <span className="ms-chip-swatch" />
          {spec?.label ?? component.type}
          <span className="ms-muted"> {component.id}</span>
        </span>
      }
    >
      {spec && <p className="ms-doc">{spec.doc}</p>}
      {general.map((i, n) => (
        <p key={n} className={`ms-issue ms-issue-${i.severity}`}>
          {i.message}
        </p>
      ))}
      {spec?.props.map((p) => {
        const propIssues = issues.filter((i) => i.prop === p.name);
        return (
          <div className="ms-prop" key={p.name}>
            <div className="ms-prop-row">
              <span className="ms-prop-name">{p.name}</span>
              <PropEditor
                spec={p}
                value={component.props[p.name] ?? p.default}
                testid={`prop-${p.name}`}
                onChange={(v) => store.edit((d) => setProp(d, component.id, p.name, v))}
              />
            </div>
            <div className="ms-prop-doc">{p.doc}</div>
            {propIssues.map((i, n) => (
              <p key={n} className={`ms-issue ms-issue-${i.severity}`}>
                {i.message}
              </p>
            ))}
          </div>
        );
      })}
      <div className="ms-actions-row">
        <button
          type="button"
          className="ms-btn"
          data-testid="inspector-duplicate"
          onClick={() => {
            let id = "";
            store.edit((d) => {
              const r = duplicate(d, component.id);
              id = r.id;
              return r.design;
            });
            if (id) store.select([id]);
          }}
        >
          Duplicate
        </button>
        <button
          type="button"
          className="ms-btn ms-btn-danger"
          data-testid="inspector-delete"
          onClick={() => store.edit((d) => removeElements(d, [component.id], []))}
        >
          Delete
        </button>
      </div>
    </Sheet>
  );
}
