// Floating banners over the canvas: validation issues grouped by severity and kind (tap
// to expand, tap an issue to select its block), and notes about the checks themselves.
import { type ReactNode, useMemo, useState } from "react";
import { groupIssues, shownValidation } from "../state/selectors";
import type { Sheet } from "../state/store";
import { useStudio, useStudioContext } from "./context";

const selectResult = (s: Parameters<typeof shownValidation>[0]) => shownValidation(s).result;

export function Banners() {
  const { controller } = useStudioContext();
  const store = controller.store;
  const result = useStudio(selectResult);
  const worker = useStudio((s) => s.worker);
  const conflict = useStudio((s) => s.doc.conflict);
  const held = useStudio((s) => s.heldDesign !== null);
  const [open, setOpen] = useState(false);
  const groups = useMemo(() => groupIssues(result), [result]);
  const errors = groups.filter((g) => g.severity === "error");
  const warnings = groups.filter((g) => g.severity === "warning");
  const nErr = errors.reduce((n, g) => n + g.issues.length, 0);
  const nWarn = warnings.reduce((n, g) => n + g.issues.length, 0);
  const first = (errors[0] ?? warnings[0])?.issues[0];
  const tone = nErr ? "error" : nWarn ? "warning" : "ok";

  return (
    <div className="ms-banners">
      {worker === "failed" && (
        <div
          className="ms-banner ms-banner-info"
          data-testid="banner-worker"
          title="This browser could not start the validation worker: each edit is checked by the kernel, a moment later."
        >
          Instant checks off: the kernel checks each edit
        </div>
      )}
      {conflict && (
        <ChoiceBanner testid="banner-conflict" sheet="conflict">
          Saved in another tab: tap to choose which version to keep.
        </ChoiceBanner>
      )}
      {held && (
        <ChoiceBanner testid="banner-boot-conflict" sheet="boot-conflict">
          Changed while connecting: tap to choose which version to keep.
        </ChoiceBanner>
      )}
      {(nErr > 0 || nWarn > 0) && (
        <div
          className={`ms-banner ms-banner-${tone}${open ? " open" : ""}`}
          data-testid="banner"
          data-errors={nErr}
          data-warnings={nWarn}
        >
          <button
            type="button"
            className="ms-banner-head"
            onClick={() => setOpen(!open)}
            aria-expanded={open}
          >
            <span className="ms-banner-count">
              {nErr > 0 && (
                <b>
                  {nErr} {nErr === 1 ? "error" : "errors"}
                </b>
              )}
              {nErr > 0 && nWarn > 0 && " · "}
              {nWarn > 0 && (
                <span>
                  {nWarn} {nWarn === 1 ? "warning" : "warnings"}
                </span>
              )}
            </span>
            {!open && first && <span className="ms-banner-first">{first.message}</span>}
            <span className="ms-banner-caret">{open ? "▴" : "▾"}</span>
          </button>
          {open && (
            <div className="ms-banner-body">
              {groups.map((g) => (
                <div key={`${g.severity}:${g.code}`} className={`ms-group ms-group-${g.severity}`}>
                  <div className="ms-group-code">{g.code}</div>
                  {g.issues.map((i, n) => {
                    const target = i.component_id ?? i.edge?.[1];
                    return (
                      <button
                        type="button"
                        key={n}
                        className="ms-group-issue"
                        onClick={() => {
                          if (target) store.select([target]);
                          setOpen(false);
                        }}
                      >
                        {i.message}
                      </button>
                    );
                  })}
                </div>
              ))}
            </div>
          )}
        </div>
      )}
    </div>
  );
}

/** Two versions wait for the user's choice: the banner reopens the sheet that asks. */
function ChoiceBanner(props: { testid: string; sheet: Sheet; children: ReactNode }) {
  const { store } = useStudioContext().controller;
  return (
    <button
      type="button"
      className="ms-banner ms-banner-warning"
      data-testid={props.testid}
      onClick={() => store.openSheet(props.sheet)}
    >
      {props.children}
    </button>
  );
}
