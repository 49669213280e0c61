// Expert usage per MoE block in the training panel, with the colour legend the canvas
// strips share (uniform 1/E is neutral).
import { memo } from "react";
import { formatLb, heatCells, heatGradient } from "../../training/heat";
import { lbLoss, type Metrics } from "../../training/metrics";

function MoeSectionView({ moe }: { moe: Metrics["moe"] }) {
  const blocks = Object.entries(moe?.expert_usage ?? {}).filter(
    ([, u]) => Array.isArray(u) && u.length,
  );
  if (!blocks.length) return null;
  return (
    <div className="ms-moe" data-testid="moe-panel">
      <div className="ms-section-title">
        Expert usage <span className="ms-muted">· load-balance term {formatLb(lbLoss(moe))}</span>
      </div>
      {blocks.map(([id, usage]) => (
        <div key={id} className="ms-moe-row">
          <span className="ms-moe-id">{id}</span>
          <span className="ms-moe-cells">
            {heatCells(usage).map((c) => (
              <i key={c.expert} style={{ background: c.color }} title={c.label}>
                {Math.round(c.usage * 100)}
              </i>
            ))}
          </span>
        </div>
      ))}
      <div
        className="ms-legend"
        role="img"
        aria-label="Colour scale: ¼× to 4× the uniform share 1/E"
      >
        <span>¼×</span>
        <i style={{ background: heatGradient() }} />
        <span>4×</span>
        <em>share vs. uniform 1/E (%)</em>
      </div>
    </div>
  );
}

export const MoeSection = memo(MoeSectionView);
