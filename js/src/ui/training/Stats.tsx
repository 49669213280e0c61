// The numbers of a run: headline stats, max-tile rates and losses.
import { memo } from "react";
import { tileColours } from "../../training/board";
import {
  formatCompact,
  formatElapsed,
  formatInt,
  formatPercent,
  lossRows,
  type Metrics,
  tileRates,
} from "../../training/metrics";
import { shownScore } from "./score";

function StatGridView({ m }: { m: Metrics }) {
  // Until a game has finished: the games in play's mean, labelled so (a tile is too narrow
  // for "812 (in play)").
  const score = shownScore(m);
  const stats: [string, string, string][] = [
    ["mean", score.inPlay ? "Score in play" : "Mean score", score.value],
    ["best", "Best score", formatInt(m.best_score)],
    ["episodes", "Games", formatInt(m.episodes)],
    ["sps", "Moves / s", formatCompact(m.env_steps_per_second)],
    ["elapsed", "Elapsed", formatElapsed(m.elapsed_s)],
    ["update", "Updates", formatInt(m.update)],
  ];
  return (
    <div className="ms-stats" data-testid="train-stats">
      {stats.map(([key, label, value]) => (
        <div key={key} className="ms-stat" data-testid={`stat-${key}`}>
          <b>{value}</b>
          <span>{label}</span>
        </div>
      ))}
    </div>
  );
}

export const StatGrid = memo(StatGridView);

function TileRatesView({ rates }: { rates: Metrics["max_tile_rates"] }) {
  const rows = tileRates({ max_tile_rates: rates });
  return (
    <div className="ms-rates" data-testid="tile-rates">
      <div className="ms-section-title">Games reaching</div>
      {rows.map((r) => (
        <div key={r.tile} className="ms-rate" data-tile={r.tile} data-rate={r.rate}>
          <span className="ms-rate-tile">{r.tile}</span>
          <span className="ms-rate-bar">
            <i
              style={{
                width: `${(r.rate * 100).toFixed(1)}%`,
                background: tileColours(Math.round(Math.log2(r.tile))).bg || undefined,
              }}
            />
          </span>
          <span className="ms-rate-val">{formatPercent(r.rate)}</span>
        </div>
      ))}
    </div>
  );
}

export const TileRates = memo(TileRatesView);

function LossesView({ losses }: { losses: Metrics["losses"] }) {
  const rows = lossRows({ losses });
  if (!rows.length) return null;
  return (
    <div className="ms-losses" data-testid="losses">
      <div className="ms-section-title">Losses</div>
      <div className="ms-loss-grid">
        {rows.map((r) => (
          <div key={r.key} className="ms-loss" data-loss={r.key}>
            <span>{r.label}</span>
            <b>{r.value}</b>
          </div>
        ))}
      </div>
    </div>
  );
}

export const Losses = memo(LossesView);
