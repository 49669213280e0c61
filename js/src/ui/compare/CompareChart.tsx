// The compared runs' score curves overlaid, drawn by uPlot (canvas: fast with six curves of
// 400 points), themed from the page's CSS variables. uPlot follows the mouse itself; a
// finger on the chart moves its cursor too, and the legend shows the values under it.
import { useEffect, useState } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { formatCompact, formatInt } from "../../training/metrics";
import { useWidth } from "../training/useWidth";
import {
  alignSeries,
  type ComparedRun,
  drawnCurves,
  formatX,
  runColour,
  TIME_TICK_STEPS_S,
  type XAxis,
} from "./series";

const HEIGHT = 220;

function themeColour(el: Element, name: string, fallback: string): string {
  return getComputedStyle(el).getPropertyValue(name).trim() || fallback;
}

function chartOptions(
  el: HTMLElement,
  runs: ComparedRun[],
  axis: XAxis,
  width: number,
): uPlot.Options {
  const muted = themeColour(el, "--muted", "#94a3b8");
  const grid = themeColour(el, "--grid", "#2a3454");
  const axisStyle = {
    stroke: muted,
    grid: { stroke: grid, width: 1 },
    ticks: { stroke: grid, width: 1 },
    font: "12px system-ui, sans-serif",
  };
  return {
    width,
    height: HEIGHT,
    scales: { x: { time: false } },
    cursor: { drag: { x: false, y: false }, points: { size: 8 } },
    legend: { live: true },
    series: [
      { label: axis === "moves" ? "Moves" : "Time", value: (_u, v) => formatX(axis, v) },
      ...runs.map((r, i) => ({
        label: r.label,
        stroke: runColour(i),
        width: 2,
        spanGaps: true,
        value: (_u: uPlot, v: number | null) => formatInt(v),
      })),
    ],
    axes: [
      {
        ...axisStyle,
        space: 64,
        incrs: axis === "minutes" ? TIME_TICK_STEPS_S : undefined,
        values: (_u, ticks) => ticks.map((v) => formatX(axis, v)),
      },
      { ...axisStyle, size: 48, values: (_u, ticks) => ticks.map((v) => formatCompact(v)) },
    ],
  };
}

/** A finger on the plotting area moves the cursor (uPlot itself listens to the mouse). */
function followFinger(u: uPlot): () => void {
  const onTouch = (e: TouchEvent) => {
    const t = e.touches[0];
    if (!t) return;
    const r = u.over.getBoundingClientRect();
    u.setCursor({
      left: Math.min(r.width, Math.max(0, t.clientX - r.left)),
      top: Math.min(r.height, Math.max(0, t.clientY - r.top)),
    });
  };
  u.over.addEventListener("touchstart", onTouch, { passive: true });
  u.over.addEventListener("touchmove", onTouch, { passive: true });
  return () => {
    u.over.removeEventListener("touchstart", onTouch);
    u.over.removeEventListener("touchmove", onTouch);
  };
}

export function CompareChart({ runs, axis }: { runs: ComparedRun[]; axis: XAxis }) {
  const [el, setEl] = useState<HTMLDivElement | null>(null);
  const [plot, setPlot] = useState<uPlot | null>(null);
  const width = Math.floor(useWidth(el));

  // biome-ignore lint/correctness/useExhaustiveDependencies: built once the chart has a width; later widths only resize it (below)
  useEffect(() => {
    if (!el || width <= 0) return;
    const u = new uPlot(chartOptions(el, runs, axis, width), alignSeries(runs, axis), el);
    const unfollow = followFinger(u);
    setPlot(u);
    return () => {
      unfollow();
      u.destroy();
      setPlot(null);
    };
    // The width only resizes (below): a rebuild would drop the cursor.
  }, [el, runs, axis, width > 0]);

  useEffect(() => {
    if (plot && width > 0) plot.setSize({ width, height: HEIGHT });
  }, [plot, width]);

  return (
    <div
      ref={setEl}
      className="ms-compare-chart"
      data-testid="compare-chart"
      data-series={plot ? drawnCurves(runs) : 0}
      data-axis={axis}
      role="img"
      aria-label={`Mean score of ${runs.length} runs over ${axis}`}
    />
  );
}
