// One block on the canvas. Kept shallow (FINDINGS: rich blocks cost paint at 200 blocks);
// below SUBLINE_ZOOM it drops its second line, below LOD_ZOOM it is a plain coloured
// rectangle (the handles stay, hidden, for the edges).

import { Handle, type Node, type NodeProps, Position, useStore } from "@xyflow/react";
import { type CSSProperties, memo } from "react";
import { summary } from "../catalog";
import { detailAt } from "../geometry";
import type { BlockState } from "../state/selectors";
import { MOE_TYPE } from "../training/heat";
import type { BlockSpec, Component } from "../types";
import type { DiffMark } from "./diffView";
import { MoeHeat } from "./MoeHeat";

export interface BlockData extends Record<string, unknown> {
  component: Component;
  spec: BlockSpec | undefined;
  state: BlockState;
  /** Validation messages about this block, joined (also its identity for re-renders). */
  messages: string;
  /** Canvas units its port targets may reach out (half the gap to a facing card). */
  roomUp?: number;
  roomDown?: number;
  /** Its difference to the current design, when a stored revision is shown. */
  diff?: DiffMark;
}

export type BlockNodeType = Node<BlockData, "block">;

// A string: the card re-renders when the level changes, not on every zoom frame.
const detailSelector = (s: { transform: [number, number, number] }) => detailAt(s.transform[2]);

function BlockNodeView({
  id,
  data,
  positionAbsoluteX,
  positionAbsoluteY,
  selected,
}: NodeProps<BlockNodeType>) {
  const detail = useStore(detailSelector);
  const lod = detail === "rect";
  const { spec, component, state } = data;
  const style = {
    "--c": spec?.color ?? "#94a3b8",
    "--room-up": data.roomUp === undefined ? undefined : `${data.roomUp}px`,
    "--room-down": data.roomDown === undefined ? undefined : `${data.roomDown}px`,
  } as CSSProperties;
  const hasIn = !spec || spec.inputs.length > 0;
  const hasOut = !spec || spec.outputs.length > 0;
  return (
    <div
      className={`ms-block${lod ? " ms-lod" : detail === "title" ? " ms-brief" : ""}${selected ? " ms-selected" : ""}${component.type === MOE_TYPE ? " ms-moe" : ""}${data.diff ? ` ms-diff-${data.diff}` : ""}`}
      data-testid={`block-${id}`}
      data-x={Math.round(positionAbsoluteX)}
      data-y={Math.round(positionAbsoluteY)}
      data-state={state}
      data-diff={data.diff}
      title={data.messages || undefined}
      style={style}
    >
      {hasIn && (
        <Handle
          type="target"
          position={Position.Top}
          className="ms-port"
          data-testid={`port-in-${id}`}
        />
      )}
      {!lod && <div className="ms-block-title">{spec?.label ?? component.type}</div>}
      {detail === "full" && (
        <div className="ms-block-sub">
          {id}
          {spec?.props.length ? ` · ${summary(spec, component.props, 2)}` : ""}
        </div>
      )}
      {!lod && component.type === MOE_TYPE && <MoeHeat id={id} />}
      {hasOut && (
        <Handle
          type="source"
          position={Position.Bottom}
          className="ms-port"
          data-testid={`port-out-${id}`}
        />
      )}
    </div>
  );
}

export const BlockNode = memo(BlockNodeView);
