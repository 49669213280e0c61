// Plain data that crosses the wire. The catalog is the kernel's (design/catalog.py):
// nothing here names a block type, a prop or a bound.

export type PropType = "int" | "float" | "bool" | "enum";
export type PropValue = number | boolean | string;

export interface PropSpec {
  name: string;
  type: PropType;
  default: PropValue;
  doc: string;
  min?: number;
  max?: number;
  step?: number;
  choices?: string[];
  meta_default?: string;
  max_code?: string;
  multiple_of?: number;
  multiple_code?: string;
}

export interface PortSpec {
  name: string;
  kind: string;
  accepts?: string[];
}

export interface BlockSpec {
  type: string;
  label: string;
  doc: string;
  role: string;
  color: string;
  sets_width: boolean;
  props: PropSpec[];
  inputs: PortSpec[];
  outputs: PortSpec[];
  /** Output blocks: the algorithm that trains a design ending in this block. */
  trainer?: string;
}

/** The numbers of catalog.py the validator reads besides the block table (one home). */
export interface CatalogConstants {
  n_tile_values: number;
  n_cells: number;
  n_actions: number;
  /** Classes of the max_tile auxiliary target. */
  n_max_tile_classes: number;
  /** Outputs of an aux-loss head per target. */
  aux_target_width: Record<string, number>;
  max_experts: number;
  /** The design format this version reads. */
  schema_version: number;
  /** Largest |x| or |y| of a block's position. */
  max_coordinate: number;
  /** Beyond this many components or edges, validation stops after the size check. */
  hard_cap: number;
  /** The n-tuple block: cells per tuple, symmetric copies, tables per tuple shape. */
  ntuple_cells: number;
  ntuple_symmetries: number;
  ntuple_bases: Record<string, number>;
}

/** The memory estimate's constants (estimate.py reads them from catalog.py too). */
export interface EstimateConstants {
  /** Boards per PPO minibatch. */
  train_batch: number;
  bytes_per_float: number;
  /** Weights, gradients and Adam's two moments. */
  optimizer_copies: number;
  /** Floats a saved int64 index takes. */
  index_floats: number;
  /** Floats an MoE layer saves per token and expert for its router and gate. */
  moe_router_floats_per_expert: number;
}

export interface Catalog {
  version: number;
  blocks: BlockSpec[];
  meta: PropSpec[];
  limits: Record<string, number>;
  error_codes: Record<string, string>;
  warning_codes: string[];
  constants: CatalogConstants;
  estimate: EstimateConstants;
}

export interface Position {
  x: number;
  y: number;
}

export interface Component {
  id: string;
  type: string;
  props: Record<string, unknown>;
  position: Position;
}

export type Edge = [string, string];

export interface Design {
  schema_version: number;
  id: string;
  name: string;
  meta: Record<string, unknown>;
  components: Component[];
  edges: Edge[];
}

export type Severity = "error" | "warning";

export interface Issue {
  code: string;
  message: string;
  severity: Severity;
  component_id?: string;
  edge?: [string, string];
  prop?: string;
}

export interface ValidationResult {
  valid: boolean;
  paramCount: number;
  params: number;
  estimatedMemory: number;
  errors: Issue[];
  seq?: number;
}

export interface DesignMeta {
  id: string;
  name: string;
  revision: number;
  updated_at: string;
}

export interface Conflict {
  current_revision: number;
  theirs: Design;
  mine: Design;
}

export interface DocState {
  design_id: string | null;
  name: string;
  revision: number;
  saved_at: string | null;
  conflict: Conflict | null;
  load_seq: number;
  templates?: { key: string; name: string }[];
}

export interface StatusState {
  state: "idle" | "compiling" | "training" | "stopping" | "exporting";
  message: string;
  request_id: string | null;
  error: { code: string; message: string } | null;
}
