// The revision history's parts of the page: the sheet and the read-only revision bar.
import { HistorySheet } from "./HistorySheet";
import { RevisionBar } from "./RevisionBar";
import "./history.css";

export function History() {
  return (
    <>
      <RevisionBar />
      <HistorySheet />
    </>
  );
}
