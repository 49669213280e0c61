// The runs part's sheets, mounted once in App: the list, one run, and its delete question.
import { RunSheet } from "./RunSheet";
import { RunsSheet } from "./RunsSheet";

export function RunSheets() {
  return (
    <>
      <RunsSheet />
      <RunSheet />
    </>
  );
}
