// The JS mirror of modelstudio_widget/design/estimate.py: exact parameter counts and the
// training-memory estimate, in closed form. Every constant comes from the catalog.
import type { Catalog, Issue } from "../types";
import type { Analysis, Node } from "./analysis";

/** Exact parameter count of one block. */
export function nodeParams(n: Node, c: Catalog, implicitEmbedding = false): number {
  const {
    n_tile_values: TILES,
    n_cells: CELLS,
    n_actions: ACTIONS,
    aux_target_width,
  } = c.constants;
  const d = n.width;
  const p = n.props;
  switch (n.type) {
    case "board_input":
      return implicitEmbedding ? (TILES + CELLS) * d : 0; // tile + position
    case "embedding": {
      const tile = TILES * d + (p.encoding === "onehot" ? d : 0);
      return tile + (p.positional ? CELLS * d : 0);
    }
    case "ntuple": {
      const { ntuple_bases, ntuple_cells } = c.constants;
      return ntuple_bases[p.tuples] * p.classes ** ntuple_cells * d;
    }
    case "ntuple_value": {
      // one number per table row
      const { ntuple_bases, ntuple_cells } = c.constants;
      return ntuple_bases[p.tuples] * p.classes ** ntuple_cells;
    }
    case "transformer_layer": {
      const f = p.ff_mult * d;
      return 4 * d * d + 2 * d * f + f + 9 * d;
    }
    case "moe_layer": {
      const e = p.n_experts;
      const h = p.ff_mult * d;
      return e * (2 * d * h + h + d) + d * e + e + 2 * d;
    }
    case "aux_loss_head": {
      const out = aux_target_width[p.target];
      return 2 * d + d * out + out;
    }
    case "action_output": {
      const features = p.pool === "flatten" ? CELLS * d : d;
      const hidden = p.hidden;
      const heads = hidden
        ? features * hidden + hidden + (ACTIONS + 1) * (hidden + 1)
        : (ACTIONS + 1) * (features + 1);
      return 2 * d + heads;
    }
    default:
      return 0; // router, checkpoint: configuration only
  }
}

/** Floats a block keeps for the backward pass (see estimate.py's docstring). */
export function nodeActivations(
  n: Node,
  c: Catalog,
  batch: number,
  checkpointed = false,
  implicitEmbedding = false,
): number {
  const { index_floats: INDEX, moe_router_floats_per_expert: ROUTER } = c.estimate;
  const b = batch;
  const t = c.constants.n_cells;
  const d = n.width;
  const p = n.props;
  if (checkpointed) return b * t * d;
  switch (n.type) {
    case "board_input":
      return implicitEmbedding ? INDEX * b * t : 0;
    case "embedding":
      return p.encoding === "learned" ? INDEX * b * t : c.constants.n_tile_values * b * t;
    case "ntuple": {
      // each tuple copy's row index, and the cell-copy incidence matrix
      const { ntuple_bases, ntuple_symmetries } = c.constants;
      const copies = ntuple_bases[p.tuples] * ntuple_symmetries;
      return INDEX * b * copies + t * copies;
    }
    case "ntuple_value": {
      // each afterstate's tuple-copy row indices
      const { ntuple_bases, ntuple_symmetries, n_actions } = c.constants;
      return INDEX * b * n_actions * ntuple_bases[p.tuples] * ntuple_symmetries;
    }
    case "transformer_layer": {
      const f = p.ff_mult * d;
      return b * t * (8 * d + 2 * f + 2 * p.n_heads);
    }
    case "moe_layer": {
      const e = p.n_experts;
      const k = p.top_k;
      const f = p.ff_mult * d;
      const per = p.routing === "dense" ? e * (2 * f + d) : k * (2 * f + 3 * d);
      return b * t * (2 * d + per + ROUTER * e);
    }
    case "aux_loss_head":
      return b * (2 * t + d);
    case "action_output": {
      const pooled = p.pool === "flatten" ? b * t * d : b * d;
      return b * t * d + 2 * b * t + pooled + b * p.hidden;
    }
    default:
      return 0;
  }
}

/** [exact parameter count, training memory in MiB] of an analysed design. */
export function estimate(
  a: Analysis,
  c: Catalog,
  batch = c.estimate.train_batch,
): [number, number] {
  const { bytes_per_float, optimizer_copies } = c.estimate;
  let params = 0;
  let floats = 0;
  for (const n of a.nodes) {
    const implicit = a.implicitEmbedding.get(n.index) ?? false;
    params += nodeParams(n, c, implicit);
    floats += nodeActivations(n, c, batch, a.checkpointed.has(n.index), implicit);
  }
  const total = (optimizer_copies * params + floats) * bytes_per_float;
  return [params, Math.ceil(total / 2 ** 20)];
}

/** TOO_LARGE when the estimate is over the parameter or memory budget (estimate.check_budget). */
export function checkBudget(
  issues: Issue[],
  params: number,
  memory: number,
  limits: Record<string, number>,
): void {
  if (issues.some((i) => i.code === "TOO_LARGE")) return;
  if (params > limits.max_params) {
    issues.push({
      code: "TOO_LARGE",
      severity: "error",
      message: `${(params / 1e6).toFixed(1)} M parameters is over the ${(limits.max_params / 1e6).toFixed(0)} M budget; make layers narrower or fewer.`,
    });
  } else if (memory > limits.max_memory_mb) {
    issues.push({
      code: "TOO_LARGE",
      severity: "error",
      message: `Training needs about ${memory} MB, over the ${limits.max_memory_mb} MB budget; add gradient checkpoints or shrink the design.`,
    });
  }
}
