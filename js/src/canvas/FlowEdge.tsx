// An arrow between two blocks, with the stable test id edge-<src>-<dst> (and data-diff
// when a stored revision is shown with its difference to the current design).

import { BaseEdge, type EdgeProps, getBezierPath } from "@xyflow/react";
import { memo } from "react";

function FlowEdgeView(props: EdgeProps) {
  const [path] = getBezierPath(props);
  return (
    <g
      data-testid={`edge-${props.source}-${props.target}`}
      data-diff={(props.data?.diff as string | undefined) ?? undefined}
    >
      <BaseEdge path={path} markerEnd={props.markerEnd} interactionWidth={28} />
    </g>
  );
}

export const FlowEdge = memo(FlowEdgeView);
