// An arrow between two blocks, with the stable test id edge-<src>-<dst>.

import { BaseEdge, type EdgeProps, getBezierPath } from "@xyflow/react";
import { memo } from "react";

function FlowEdgeView(props: EdgeProps) {
  const [path] = getBezierPath(props);
  return (
    <g data-testid={`edge-${props.source}-${props.target}`}>
      <BaseEdge path={path} markerEnd={props.markerEnd} interactionWidth={28} />
    </g>
  );
}

export const FlowEdge = memo(FlowEdgeView);
