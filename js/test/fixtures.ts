// A small catalog for unit tests: the given blocks and meta props, the rest as the kernel
// sends it (constants included, so a test never depends on a value it did not choose).
import type { BlockSpec, Catalog, PropSpec } from "../src/types";

export function testCatalog(blocks: BlockSpec[], meta: PropSpec[] = []): Catalog {
  return {
    version: 1,
    blocks,
    meta,
    limits: {},
    error_codes: {},
    warning_codes: [],
    constants: {
      n_tile_values: 16, n_cells: 16, n_actions: 4, n_max_tile_classes: 16,
      aux_target_width: {}, max_experts: 8, schema_version: 1, max_coordinate: 1e6,
      hard_cap: 100000,
    },
    estimate: {
      train_batch: 1, bytes_per_float: 4, optimizer_copies: 4, index_floats: 2,
      moe_router_floats_per_expert: 16,
    },
  } as Catalog;
}
