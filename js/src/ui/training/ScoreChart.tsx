// The mean-score chart (SVG: crisp at any pixel ratio, themed by CSS variables) and the
// peek bar's sparkline. The maths lives in training/chart.ts.
import { memo, useMemo, useState } from "react";
import { chartGeometry, cleanCurve, type Point, sparkPoints } from "../../training/chart";
import { formatCompact } from "../../training/metrics";
import { useWidth } from "./useWidth";

const HEIGHT = 168;
const PAD: [number, number, number, number] = [40, 12, 10, 22];

function ScoreChartView({ curve }: { curve: unknown }) {
  const [el, setEl] = useState<HTMLDivElement | null>(null);
  const width = useWidth(el);
  const points = useMemo(() => cleanCurve(curve), [curve]);
  const geo = useMemo(
    () =>
      chartGeometry(
        points,
        { width: width || 320, height: HEIGHT, pad: PAD },
        Math.max(8, Math.floor(width || 320)),
      ),
    [points, width],
  );
  const [pl, pr, , pb] = PAD;
  const w = width || 320;
  return (
    <div
      ref={setEl}
      className="ms-chart"
      data-testid="score-chart"
      data-points={points.length}
      role="img"
      aria-label={`Mean score over ${points.length} points`}
    >
      {points.length === 0 ? (
        <div className="ms-chart-empty">The curve starts when the first games end…</div>
      ) : (
        <svg aria-hidden="true" width={w} height={HEIGHT} viewBox={`0 0 ${w} ${HEIGHT}`}>
          {geo.yTicks.map((t) => (
            <g key={`y${t.value}`}>
              <line className="ms-chart-grid" x1={pl} x2={w - pr} y1={t.y} y2={t.y} />
              <text className="ms-chart-label" x={pl - 6} y={t.y + 4} textAnchor="end">
                {formatCompact(t.value)}
              </text>
            </g>
          ))}
          {geo.xTicks.map((t) => (
            <text
              key={`x${t.value}`}
              className="ms-chart-label"
              x={t.x}
              y={HEIGHT - pb + 16}
              textAnchor="middle"
            >
              {formatCompact(t.value)}
            </text>
          ))}
          <path className="ms-chart-area" d={geo.area} />
          <path className="ms-chart-line" d={geo.line} />
          {geo.last && <circle className="ms-chart-dot" cx={geo.last.x} cy={geo.last.y} r={3.5} />}
        </svg>
      )}
    </div>
  );
}

export const ScoreChart = memo(ScoreChartView);

function SparklineView({
  curve,
  width = 72,
  height = 28,
}: {
  curve: unknown;
  width?: number;
  height?: number;
}) {
  const pts = useMemo(
    () => sparkPoints(cleanCurve(curve) as Point[], width, height),
    [curve, width, height],
  );
  return (
    <svg
      className="ms-spark"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      data-testid="score-sparkline"
      aria-hidden="true"
    >
      {pts ? (
        <polyline points={pts} />
      ) : (
        <line x1={2} x2={width - 2} y1={height - 2} y2={height - 2} />
      )}
    </svg>
  );
}

export const Sparkline = memo(SparklineView);
