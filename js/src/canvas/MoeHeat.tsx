// The MoE heat strip on a moe_layer block: one cell per expert, coloured by its share of
// the routing against the uniform 1/E (training/heat.ts), and the load-balance term.
// One element per expert and no nesting: 200 cards must stay cheap to paint (FINDINGS).
import { memo } from "react";
import type { StudioState } from "../state/store";
import { formatLb, heatCells } from "../training/heat";
import { lbLoss } from "../training/metrics";
import { useStudio } from "../ui/context";

/** This block's usage from the latest snapshot, if that run trains the open design. */
export function blockUsage(s: StudioState, id: string): number[] | undefined {
  const m = s.metrics;
  if (!m?.moe?.expert_usage || (m.design_id && s.doc.design_id && m.design_id !== s.doc.design_id))
    return undefined;
  const u = m.moe.expert_usage[id];
  return Array.isArray(u) && u.length ? u : undefined;
}

const selectLb = (s: StudioState) => lbLoss(s.metrics?.moe);

function MoeHeatView({ id }: { id: string }) {
  const usage = useStudio((s) => blockUsage(s, id));
  const lb = useStudio(selectLb);
  if (!usage) return null;
  const cells = heatCells(usage);
  return (
    <div
      className="ms-heat"
      data-testid={`moe-heat-${id}`}
      data-lb={typeof lb === "number" ? lb : ""}
    >
      {cells.map((c) => (
        <i key={c.expert} style={{ background: c.color }} data-usage={c.usage} title={c.label} />
      ))}
      <span title="Load-balance term">lb {formatLb(lb)}</span>
    </div>
  );
}

export const MoeHeat = memo(MoeHeatView);
