// The experiment loop's sheets (runs, history, training settings, compare with its chart
// library, evaluate and watch, sweep) load after the canvas. In the app build each is a
// chunk of its own, requested as the studio first renders; in the one-file widget.js
// esbuild inlines them (an import() without splitting stays in the bundle). A sheet opened
// before its part has arrived shows a small loading sheet, never a blank one.
import { type LazyExoticComponent, lazy, type ReactNode, Suspense } from "react";
import type { Sheet } from "../state/store";
import { useStudio } from "./context";
import { StudioSheet } from "./StudioSheet";

interface PartProps {
  /** The sheets the part shows: while one is open, the stand-in says what is happening. */
  sheets: Sheet[];
  title: string;
}

/** A sheet component (it takes no props; the failed part's stand-in takes PartProps). */
type View = (props: PartProps) => ReactNode;

interface Part extends PartProps {
  View: LazyExoticComponent<View>;
}

function part(load: () => Promise<View>, sheets: Sheet[], title: string): Part {
  const View = lazy<View>(() =>
    load().then(
      (Loaded) => ({ default: Loaded }),
      (error: unknown) => {
        console.warn(`Model Studio: the ${title} part did not load:`, error);
        return { default: Failed };
      },
    ),
  );
  return { View, sheets, title };
}

function Lazy({ part: { View, sheets, title } }: { part: Part }) {
  return (
    <Suspense fallback={<Waiting sheets={sheets} title={title} failed={false} />}>
      <View sheets={sheets} title={title} />
    </Suspense>
  );
}

function Failed(props: PartProps) {
  return <Waiting {...props} failed />;
}

/** While (or because) the part is not there: a sheet that says so, if one of its is open. */
function Waiting({ sheets, title, failed }: PartProps & { failed: boolean }) {
  const open = useStudio((s) => sheets.includes(s.sheet));
  if (!open) return null;
  return (
    <StudioSheet modal testid="sheet-loading" title={title}>
      <p className="ms-doc" data-failed={failed}>
        {failed
          ? "This part of the studio did not load: reload the page to try again."
          : "Loading…"}
      </p>
    </StudioSheet>
  );
}

const RUNS = part(
  () => import("./runs").then((m) => m.RunSheets),
  ["runs", "run", "confirm-delete-run"],
  "Runs",
);
const HISTORY = part(
  () => import("./history/History").then((m) => m.History),
  ["history"],
  "Revision history",
);
const SETTINGS = part(
  () => import("./settings/TrainSettingsSheet").then((m) => m.TrainSettingsSheet),
  ["train-settings"],
  "Training settings",
);
const COMPARE = part(
  () => import("./compare/CompareSheet").then((m) => m.CompareSheet),
  ["compare"],
  "Compare",
);
const EVALUATE = part(
  () => import("./evaluate/EvaluateSheets").then((m) => m.EvaluateSheets),
  ["evaluate", "watch"],
  "Evaluate",
);
const SWEEP = part(
  () => import("./sweep/SweepSheet").then((m) => m.SweepSheet),
  ["sweep"],
  "Sweep",
);

export const RunSheets = () => <Lazy part={RUNS} />;
export const History = () => <Lazy part={HISTORY} />;
export const TrainSettingsSheet = () => <Lazy part={SETTINGS} />;
export const CompareSheet = () => <Lazy part={COMPARE} />;
export const EvaluateSheets = () => <Lazy part={EVALUATE} />;
export const SweepSheet = () => <Lazy part={SWEEP} />;
