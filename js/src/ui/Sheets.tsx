// The modal sheets: block actions (long-press), designs, and the conflict choices (saved
// elsewhere; changed while the page connected).
import { type ReactNode, useState } from "react";
import { duplicate, removeElements } from "../state/design";
import type { DesignMeta } from "../types";
import { Icon, IconButton } from "./buttons";
import { useStudio, useStudioContext } from "./context";
import { ConfirmSheet, metaSummary } from "./DesignSheets";
import { Sheet } from "./Sheet";

export function ActionSheet() {
  const { controller } = useStudioContext();
  const store = controller.store;
  const sheet = useStudio((s) => s.sheet);
  const target = useStudio((s) => s.actionTarget);
  if (sheet !== "actions" || !target) return null;
  const close = () => store.openSheet(null);
  return (
    <Sheet open modal testid="action-sheet" title={`Block ${target}`} onClose={close}>
      <div className="ms-menu">
        <button
          type="button"
          data-testid="action-duplicate"
          onClick={() => {
            let id = "";
            store.edit((d) => {
              const r = duplicate(d, target);
              id = r.id;
              return r.design;
            });
            store.openSheet(null);
            if (id) store.select([id]);
          }}
        >
          Duplicate
        </button>
        <button
          type="button"
          data-testid="action-edit"
          onClick={() => {
            store.openSheet(null);
            store.select([target]);
          }}
        >
          Edit props
        </button>
        <button
          type="button"
          className="danger"
          data-testid="action-delete"
          onClick={() => {
            store.edit((d) => removeElements(d, [target], []));
            store.openSheet(null);
          }}
        >
          Delete
        </button>
      </div>
    </Sheet>
  );
}

function when(ts: number | string | null | undefined): string {
  if (ts === null || ts === undefined || ts === "") return "";
  const d = new Date(typeof ts === "number" ? ts * 1000 : ts);
  return Number.isNaN(d.getTime())
    ? ""
    : d.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

export function DesignsSheet() {
  const { controller } = useStudioContext();
  const store = controller.store;
  const sheet = useStudio((s) => s.sheet);
  const designs = useStudio((s) => s.designs);
  const doc = useStudio((s) => s.doc);
  // The kernel's limit (ids.MAX_NAME_CHARS), so the field stops where the kernel would refuse.
  const nameLimit = useStudio((s) => s.catalog?.limits.max_name_length);
  const [name, setName] = useState("");
  const [template, setTemplate] = useState("");
  const [renaming, setRenaming] = useState<string | null>(null);
  const [newName, setNewName] = useState("");
  const [deleting, setDeleting] = useState<DesignMeta | null>(null);
  const catalog = useStudio((s) => s.catalog);
  const meta = useStudio((s) => s.history.present.meta);
  if (sheet !== "designs") return null;
  const close = () => store.openSheet(null);
  const templates = doc.templates ?? [];
  return (
    <>
      <Sheet open modal testid="designs-sheet" title="Designs" onClose={close}>
        {catalog && catalog.meta.length > 0 && (
          <SettingsRow
            testid="open-design-settings"
            name="Design settings"
            detail={metaSummary(catalog, meta)}
            onTap={() => store.openSheet("meta")}
          >
            <path d="M4 7h10M18 7h2M4 17h4M12 17h8" />
            <circle cx="16" cy="7" r="2" />
            <circle cx="10" cy="17" r="2" />
          </SettingsRow>
        )}
        {doc.design_id && (
          <SettingsRow
            testid="btn-history"
            name="Revision history"
            detail={`revision ${doc.revision} · view and restore earlier ones`}
            onTap={() => store.openSheet("history")}
          >
            <path d="M4 12a8 8 0 1 0 2.4-5.7L4 8.6" />
            <path d="M4 4v4.6h4.6M12 8v4l3 2" />
          </SettingsRow>
        )}
        <form
          className="ms-form ms-new-design"
          onSubmit={(e) => {
            e.preventDefault();
            const args: Record<string, unknown> = { name: name.trim() || "Untitled design" };
            if (template) args.template = template;
            void controller.command("new_design", args).then((r) => {
              if (r !== undefined) {
                setName("");
                close();
              }
            });
          }}
        >
          <input
            className="ms-input"
            data-testid="new-design-name"
            placeholder="New design name"
            value={name}
            maxLength={nameLimit}
            onChange={(e) => setName(e.target.value)}
          />
          {templates.length > 0 && (
            <select
              className="ms-select"
              data-testid="new-design-template"
              value={template}
              onChange={(e) => setTemplate(e.target.value)}
            >
              <option value="">Blank</option>
              {templates.map((t) => (
                <option key={t.key} value={t.key}>
                  {t.name}
                </option>
              ))}
            </select>
          )}
          <button className="ms-btn ms-btn-primary" data-testid="new-design" type="submit">
            Create
          </button>
        </form>
        <ul className="ms-list">
          {designs.map((d) => (
            <li
              key={d.id}
              className={d.id === doc.design_id ? "current" : ""}
              data-testid={`design-${d.id}`}
            >
              {renaming === d.id ? (
                <form
                  className="ms-form"
                  onSubmit={(e) => {
                    e.preventDefault();
                    void controller
                      .command("rename_design", { design_id: d.id, name: newName.trim() })
                      .then(() => setRenaming(null));
                  }}
                >
                  <input
                    className="ms-input"
                    data-testid="rename-input"
                    // biome-ignore lint/a11y/noAutofocus: the user just tapped Rename; the field replaces the row they tapped
                    autoFocus
                    value={newName}
                    maxLength={nameLimit}
                    onChange={(e) => setNewName(e.target.value)}
                  />
                  <button className="ms-btn ms-btn-primary" type="submit" data-testid="rename-save">
                    Save
                  </button>
                </form>
              ) : (
                <>
                  <button
                    type="button"
                    className="ms-list-main"
                    data-testid={`open-${d.id}`}
                    onClick={() =>
                      void controller
                        .command("open_design", { design_id: d.id })
                        .then((r) => r !== undefined && close())
                    }
                  >
                    <span className="ms-list-name">{d.name}</span>
                    <span className="ms-muted">
                      rev {d.revision} · {when(d.updated_at)}
                    </span>
                  </button>
                  <IconButton
                    label="Rename"
                    testid={`rename-${d.id}`}
                    onClick={() => {
                      setRenaming(d.id);
                      setNewName(d.name);
                    }}
                  >
                    <path d="M4 20h4L19 9l-4-4L4 16v4Z" />
                    <path d="m13.5 6.5 4 4" />
                  </IconButton>
                  <IconButton
                    label="Delete"
                    testid={`delete-${d.id}`}
                    danger
                    onClick={() => setDeleting(d)}
                  >
                    <path d="M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3" />
                  </IconButton>
                </>
              )}
            </li>
          ))}
        </ul>
      </Sheet>
      {deleting && (
        <ConfirmSheet
          testid="confirm-delete"
          title={`Delete “${deleting.name}”?`}
          confirm="Delete design"
          onCancel={() => setDeleting(null)}
          onConfirm={() => {
            const id = deleting.id;
            setDeleting(null);
            void controller.command("delete_design", { design_id: id });
          }}
        >
          <p>
            It leaves your list of designs
            {deleting.id === doc.design_id ? "; your most recent other design opens instead" : ""}.
          </p>
          <p className="ms-muted">Its training runs and exported files stay in the workspace.</p>
        </ConfirmSheet>
      )}
    </>
  );
}

export function ConflictSheet() {
  const { controller } = useStudioContext();
  const conflict = useStudio((s) => s.doc.conflict);
  const sheet = useStudio((s) => s.sheet);
  if (!conflict || sheet !== "conflict") return null;
  const choose = (choice: "mine" | "theirs") =>
    void controller.command("resolve_conflict", { choice });
  return (
    <ConflictChoice
      testid="conflict"
      title="Saved elsewhere"
      mine={conflict.mine}
      theirs={conflict.theirs}
      labels={["Keep mine", "Load theirs"]}
      onChoose={(mine) => choose(mine ? "mine" : "theirs")}
    >
      This design was saved in another tab (revision {conflict.current_revision}) after you started
      editing. Your edits are not saved yet.
    </ConflictChoice>
  );
}

/** The design edited while the page connected, after the kernel's changed meanwhile. */
export function BootConflictSheet() {
  const { controller } = useStudioContext();
  const held = useStudio((s) => s.heldDesign);
  const kernel = useStudio((s) => s.history.present);
  const sheet = useStudio((s) => s.sheet);
  if (!held || sheet !== "boot-conflict") return null;
  return (
    <ConflictChoice
      testid="boot-conflict"
      title="Changed while connecting"
      mine={held}
      theirs={kernel}
      labels={["Use mine", "Keep the kernel's"]}
      onChoose={(mine) => controller.resolveHeld(mine ? "mine" : "kernel")}
    >
      The kernel's copy of this design changed while the page was connecting. The canvas shows the
      kernel's; your edits from those seconds are not saved yet.
    </ConflictChoice>
  );
}

interface Counted {
  components?: unknown[];
  edges?: unknown[];
}

/** Two versions of a design, the user picks one: mine (primary) or the other. */
function ConflictChoice(props: {
  testid: string;
  title: string;
  mine: Counted;
  theirs: Counted;
  labels: [string, string];
  onChoose: (mine: boolean) => void;
  children: ReactNode;
}) {
  const { controller } = useStudioContext();
  const { testid, mine, theirs, labels, onChoose } = props;
  return (
    <Sheet
      open
      modal
      testid={`${testid}-sheet`}
      title={props.title}
      onClose={() => controller.store.openSheet(null)}
    >
      <p className="ms-doc">{props.children}</p>
      <p className="ms-muted">
        Yours: {mine.components?.length ?? 0} blocks, {mine.edges?.length ?? 0} connections ·
        Theirs: {theirs.components?.length ?? 0} blocks, {theirs.edges?.length ?? 0} connections
      </p>
      <div className="ms-actions-row">
        <button
          type="button"
          className="ms-btn ms-btn-primary"
          data-testid={`${testid}-mine`}
          onClick={() => onChoose(true)}
        >
          {labels[0]}
        </button>
        <button
          type="button"
          className="ms-btn"
          data-testid={`${testid}-theirs`}
          onClick={() => onChoose(false)}
        >
          {labels[1]}
        </button>
      </div>
    </Sheet>
  );
}

/** A row of the designs sheet that opens another sheet: icon (the children), name, detail. */
function SettingsRow(props: {
  testid: string;
  name: string;
  detail: string;
  onTap: () => void;
  children: ReactNode;
}) {
  return (
    <button
      type="button"
      className="ms-settings-row"
      data-testid={props.testid}
      onClick={props.onTap}
    >
      <span className="ms-settings-icon">
        <Icon>{props.children}</Icon>
      </span>
      <span className="ms-settings-text">
        <span className="ms-list-name">{props.name}</span>
        <span className="ms-muted">{props.detail}</span>
      </span>
      <span className="ms-settings-caret" aria-hidden="true">
        ›
      </span>
    </button>
  );
}
