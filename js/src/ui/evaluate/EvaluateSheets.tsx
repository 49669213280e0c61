// The evaluate part's sheets, mounted together in App.tsx.
import { EvaluateSheet } from "./EvaluateSheet";
import { WatchSheet } from "./WatchSheet";

export function EvaluateSheets() {
  return (
    <>
      <EvaluateSheet />
      <WatchSheet />
    </>
  );
}
