// The training panel's mean score. It is the mean of recently finished games; on a large
// design no game may finish for the first seconds (or all of a short budget), and a blank
// would read as "nothing happens": until one finishes, the mean score of the games in play
// stands in, marked so.
import { formatInt, type Metrics } from "../../training/metrics";

export interface ShownScore {
  /** The number shown, formatted ("1,024", or "–" when there is none yet). */
  value: string;
  /** The number is the games in play's mean: no game has finished yet. */
  inPlay: boolean;
}

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

export function shownScore(m: Metrics | null | undefined): ShownScore {
  if (finite(m?.mean_score)) return { value: formatInt(m.mean_score), inPlay: false };
  if (finite(m?.playing_score)) return { value: formatInt(m.playing_score), inPlay: true };
  return { value: "–", inPlay: false };
}
