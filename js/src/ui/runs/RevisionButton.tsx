// A button that opens the revision a run trained in the history view (the run sheet and the
// compare sheet have one per run).
import type { ReactNode } from "react";
import { useStudioContext } from "../context";
import { hasRevision, openRunRevision, type TrainedOn } from "./revision";

export function RevisionButton(props: {
  run: TrainedOn & { id: string };
  className?: string;
  children?: ReactNode;
}) {
  const { controller, canvas } = useStudioContext();
  const { run, className = "ms-btn", children } = props;
  if (!hasRevision(run)) return null;
  const open = () =>
    void openRunRevision(controller.store, (n, a) => controller.command(n, a), run).then(
      (ok) => ok && requestAnimationFrame(() => canvas.current?.fit()),
    );
  return (
    <button
      type="button"
      className={className}
      data-testid={`btn-open-revision-${run.id}`}
      onClick={open}
    >
      {children ?? `Open revision ${run.revision}`}
    </button>
  );
}
