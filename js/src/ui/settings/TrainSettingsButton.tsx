// The toolbar's way into the training settings: an icon button, marked when the design
// carries its own settings and red when one of them is out of bounds. (Kept apart from the
// sheet so the toolbar does not pull in the sheet's styles.)
import { useStudio, useStudioContext } from "../context";
import { hasSettings, settingsProblems, trainingTable } from "./model";

/** The toolbar's entry to the sheet (next to Train); accented when the design has settings
 * of its own, red when one of them is wrong. */
export function TrainSettingsButton() {
  const { controller } = useStudioContext();
  const store = controller.store;
  const catalog = useStudio((s) => s.catalog);
  const design = useStudio((s) => s.history.present);
  const table = trainingTable(catalog);
  const bad = table ? settingsProblems(table, design).length > 0 : false;
  const tone = bad ? " ms-btn-danger" : hasSettings(design) ? " own" : "";
  const open = () => {
    store.select([]); // the inspector makes way
    store.openSheet("train-settings");
  };
  return (
    <button
      type="button"
      className={`ms-btn ms-btn-settings${tone}`}
      data-testid="btn-train-settings"
      aria-label="Training settings"
      onClick={open}
    >
      <svg viewBox="0 0 24 24" aria-hidden="true">
        <path d="M4 7h10M18 7h2M4 17h4M12 17h8" />
        <circle cx="16" cy="7" r="2" />
        <circle cx="10" cy="17" r="2" />
      </svg>
    </button>
  );
}
