// An arrow between two blocks, with the stable test id edge-<src>-<dst>.
import { memo } from "react";
import { BaseEdge, getBezierPath, type EdgeProps } from "@xyflow/react";

function FlowEdgeView(props: EdgeProps) {
  const [path] = getBezierPath(props);
  return (
    <g data-testid={`edge-${props.source}-${props.target}`}>
      <BaseEdge path={path} markerEnd={props.markerEnd} interactionWidth={28} />
    </g>
  );
}

export const FlowEdge = memo(FlowEdgeView);
