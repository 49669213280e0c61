// The JS mirror of modelstudio_widget/design/rules.py + estimate.py, for instant feedback
// in the worker. The kernel's answer is the one of record; both run tests/vectors.
// Change them together: same passes in the same order, same codes and messages, same
// parameter and memory numbers. Block semantics come from the catalog the kernel sent;
// only the type-specific rules (as in rules.py) name a type.
import type { BlockSpec, Catalog, Issue, PropSpec, ValidationResult } from "../types";
import { pyFloat, pyLen, pyMod, pyTypeName, show } from "./pyfmt";

/** rules.HARD_CAP: beyond this many components or edges, stop after the size check. */
const HARD_CAP = 100_000;

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Node {
  index: number;
  id: string;
  type: string;
  props: Props;
  width: number;
}

interface Analysis {
  issues: Issue[];
  nodes: Node[];
  edges: [number, number][];
  implicitEmbedding: Map<number, boolean>;
  checkpointed: Set<number>;
}

const isDict = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === "number";
const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

export function checkPropValue(prop: PropSpec, value: unknown): [string, string] | null {
  if (prop.type === "int") {
    if (typeof value !== "number" || !Number.isInteger(value)) {
      return ["PROP_TYPE", `must be a whole number, not ${show(value)}`];
    }
    if (prop.max_code && prop.max !== undefined && value > prop.max) {
      return [prop.max_code, `is ${value}; at most ${Math.trunc(prop.max)} are supported`];
    }
    if ((prop.min !== undefined && value < prop.min) || (prop.max !== undefined && value > prop.max)) {
      return ["PROP_RANGE", `is ${show(value)}; it must be between ${Math.trunc(prop.min ?? 0)} and ${Math.trunc(prop.max ?? 0)}`];
    }
    if (prop.multiple_of && pyMod(value, prop.multiple_of)) {
      const lo = value - pyMod(value, prop.multiple_of);
      const hint = lo >= (prop.min ?? 0) ? `try ${lo} or ${lo + prop.multiple_of}` : `try ${lo + prop.multiple_of}`;
      return [prop.multiple_code || "PROP_RANGE", `is ${value}; it must be a multiple of ${prop.multiple_of} (${hint})`];
    }
    return null;
  }
  if (prop.type === "float") {
    if (!isNumber(value)) return ["PROP_TYPE", `must be a number, not ${show(value)}`];
    if (!Number.isFinite(value)) return ["PROP_TYPE", `must be a finite number, not ${show(value)}`];
    if ((prop.min !== undefined && value < prop.min) || (prop.max !== undefined && value > prop.max)) {
      return ["PROP_RANGE", `is ${show(value)}; it must be between ${fmtBound(prop.min)} and ${fmtBound(prop.max)}`];
    }
    return null;
  }
  if (prop.type === "bool") {
    if (typeof value !== "boolean") return ["PROP_TYPE", `must be true or false, not ${show(value)}`];
    return null;
  }
  const choices = (prop.choices ?? []).join(", ");
  if (typeof value !== "string") return ["PROP_TYPE", `must be one of ${choices}, not ${show(value)}`];
  if (!(prop.choices ?? []).includes(value)) return ["PROP_RANGE", `is ${show(value)}; choose one of ${choices}`];
  return null;
}

const fmtBound = (b: number | undefined) => (b === undefined ? "None" : pyFloat(b));

/** Union-find over stream widths (rules._Widths). */
class Widths {
  parent: number[];
  width: (number | null)[];
  source: number[];
  constructor(n: number) {
    this.parent = Array.from({ length: n }, (_, i) => i);
    this.width = new Array(n).fill(null);
    this.source = Array.from({ length: n }, (_, i) => i);
  }
  find(a: number): number {
    let root = a;
    while (this.parent[root] !== root) root = this.parent[root];
    while (this.parent[a] !== root) {
      const next = this.parent[a];
      this.parent[a] = root;
      a = next;
    }
    return root;
  }
  union(a: number, b: number): [number, number, number, number] | null {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return null;
    const wa = this.width[ra];
    const wb = this.width[rb];
    if (wa !== null && wb !== null && wa !== wb) return [wa, this.source[ra], wb, this.source[rb]];
    this.parent[rb] = ra;
    if (wa === null) {
      this.width[ra] = wb;
      this.source[ra] = this.source[rb];
    }
    return null;
  }
}

export function analyze(design: unknown, catalog: Catalog): Analysis {
  const LIMITS = catalog.limits;
  const WARNING = new Set(catalog.warning_codes);
  const BY_TYPE = new Map<string, BlockSpec>(catalog.blocks.map((b) => [b.type, b]));
  const issues: Issue[] = [];
  const a: Analysis = { issues, nodes: [], edges: [], implicitEmbedding: new Map(), checkpointed: new Set() };
  const err = (code: string, message: string, where: Partial<Issue> = {}) => {
    const issue: Issue = { code, message, severity: WARNING.has(code) ? "warning" : "error" };
    if (where.component_id !== undefined) issue.component_id = where.component_id;
    if (where.edge !== undefined) issue.edge = where.edge;
    if (where.prop !== undefined) issue.prop = where.prop;
    issues.push(issue);
  };

  // --- shape
  if (!isDict(design)) {
    err("BAD_DESIGN", `A design must be a JSON object, not ${pyTypeName(design)}.`);
    return a;
  }
  const comps = design.components;
  const edges = has(design, "edges") ? design.edges : [];
  if (!Array.isArray(comps)) {
    err("BAD_DESIGN", "A design needs a 'components' list.");
    return a;
  }
  if (!Array.isArray(edges)) {
    err("BAD_DESIGN", "'edges' must be a list of [source, target] pairs.");
    return a;
  }
  const version = has(design, "schema_version") ? design.schema_version : 1;
  if (version !== 1) {
    err("BAD_DESIGN", `schema_version is ${show(version)}; this version reads 1.`);
    return a;
  }
  for (const key of ["id", "name"]) {
    if (!has(design, key)) continue;
    const v = design[key];
    const limit = LIMITS[`max_${key}_length`];
    if (typeof v !== "string") err("BAD_DESIGN", `The design's '${key}' must be a string.`);
    else if (pyLen(v) > limit) err("BAD_DESIGN", `The design's '${key}' is longer than ${limit} characters.`);
  }

  let tooLarge = false;
  if (comps.length > LIMITS.max_components) {
    err("TOO_LARGE", `The design has ${comps.length} blocks; the limit is ${LIMITS.max_components}.`);
    tooLarge = true;
  }
  if (edges.length > LIMITS.max_edges) {
    err("TOO_LARGE", `The design has ${edges.length} edges; the limit is ${LIMITS.max_edges}.`);
    tooLarge = true;
  }
  if (comps.length > HARD_CAP || edges.length > HARD_CAP) return a;

  // --- meta (design-level defaults)
  const metaRaw = has(design, "meta") ? design.meta : {};
  const meta: Props = {};
  for (const p of catalog.meta) meta[p.name] = p.default;
  if (!isDict(metaRaw)) {
    err("BAD_DESIGN", `'meta' must be an object such as {"d_model": 128}.`);
  } else {
    for (const prop of catalog.meta) {
      if (!has(metaRaw, prop.name)) continue;
      const problem = checkPropValue(prop, metaRaw[prop.name]);
      if (problem) {
        err(problem[0], `The design's ${prop.name} ${problem[1]}.`, { prop: `meta.${prop.name}` });
        if (problem[0] === "PROP_TYPE" || problem[0] === "PROP_RANGE") continue;
      }
      meta[prop.name] = metaRaw[prop.name];
    }
  }

  // --- components
  const indexOf = new Map<string, number>();
  comps.forEach((comp: unknown, pos: number) => {
    if (!isDict(comp)) {
      err("BAD_DESIGN", `Component #${pos + 1} must be an object with id, type and props.`);
      return;
    }
    const cid = comp.id;
    if (typeof cid !== "string" || !cid.trim() || pyLen(cid) > LIMITS.max_id_length) {
      err("BAD_ID", `Component #${pos + 1} has id ${show(cid)}; an id must be a non-empty string of at most ${LIMITS.max_id_length} characters.`);
      return;
    }
    if (indexOf.has(cid)) {
      err("DUPLICATE_ID", `Two blocks share the id '${show(cid)}'; ids must be unique.`, { component_id: cid });
      return;
    }
    const ctype = comp.type;
    const spec = typeof ctype === "string" ? BY_TYPE.get(ctype) : undefined;
    if (!spec) {
      err("UNKNOWN_TYPE", `${show(cid)}: unknown block type ${show(ctype)}; choose one of ${[...BY_TYPE.keys()].join(", ")}.`, { component_id: cid });
      indexOf.set(cid, -1);
      return;
    }
    const position = comp.position;
    if (position !== undefined && position !== null && !(isDict(position) && ["x", "y"].every((k) => {
      const v = position[k];
      return isNumber(v) && Number.isFinite(v) && Math.abs(v) <= 1e6;
    }))) {
      err("BAD_DESIGN", `${show(cid)}: position must be {x, y} with finite numbers.`, { component_id: cid });
    }
    let raw: unknown = has(comp, "props") ? comp.props : {};
    if (raw === null) raw = {};
    if (!isDict(raw)) {
      err("BAD_DESIGN", `${show(cid)}: props must be an object.`, { component_id: cid });
      raw = {};
    }
    const rawProps = raw as Record<string, unknown>;
    const props: Props = {};
    for (const prop of spec.props) {
      const dflt = prop.meta_default ? (has(meta, prop.meta_default) ? meta[prop.meta_default] : prop.default) : prop.default;
      let value = has(rawProps, prop.name) ? rawProps[prop.name] : dflt;
      const problem = checkPropValue(prop, value);
      if (problem) {
        const where = has(rawProps, prop.name) ? "" : " (from the design's defaults)";
        err(problem[0], `${show(cid)}: ${prop.name} ${problem[1]}${where}.`, { component_id: cid, prop: prop.name });
        if (problem[0] === "PROP_TYPE" || problem[0] === "PROP_RANGE") value = prop.default;
        else if (problem[0] === prop.max_code) value = Math.trunc(prop.max ?? 0); // estimate with the largest allowed value
      }
      props[prop.name] = value;
    }
    for (const name of Object.keys(rawProps)) {
      if (!spec.props.some((p) => p.name === name)) {
        const known = spec.props.map((p) => p.name).join(", ") || "none";
        err("UNKNOWN_PROP", `${show(cid)}: ${spec.label} has no prop ${show(name)} (its props: ${known}).`, { component_id: cid, prop: show(name, 64) });
      }
    }
    if (spec.type === "transformer_layer" && pyMod(props.d_model, props.n_heads)) {
      err("HEADS_DIVIDE_D_MODEL", `${show(cid)}: n_heads ${props.n_heads} does not divide d_model ${props.d_model}.`, { component_id: cid, prop: "n_heads" });
    }
    if (spec.type === "moe_layer" && props.top_k > props.n_experts) {
      err("TOP_K_EXCEEDS_EXPERTS", `${show(cid)}: top_k ${props.top_k} is more than its ${props.n_experts} experts.`, { component_id: cid, prop: "top_k" });
    }
    indexOf.set(cid, a.nodes.length);
    a.nodes.push({ index: a.nodes.length, id: cid, type: spec.type, props, width: 0 });
  });

  const nodes = a.nodes;
  const specOf = nodes.map((n) => BY_TYPE.get(n.type) as BlockSpec);

  // --- edges
  const seen = new Set<string>();
  edges.forEach((edge: unknown, pos: number) => {
    if (!Array.isArray(edge) || edge.length !== 2 || !edge.every((e) => typeof e === "string")) {
      err("BAD_EDGE", `Edge #${pos + 1} must be a [source id, target id] pair, not ${show(edge)}.`);
      return;
    }
    const [src, dst] = edge as [string, string];
    const missing = [src, dst].filter((e) => !indexOf.has(e));
    if (missing.length) {
      err("DANGLING_EDGE", `Edge ${show(src)} → ${show(dst)} names ${missing.map((m) => show(m)).join(" and ")}, which does not exist.`, { edge: [src, dst] });
      return;
    }
    const u = indexOf.get(src) as number;
    const v = indexOf.get(dst) as number;
    if (u < 0 || v < 0) return;
    if (seen.has(`${u},${v}`)) {
      err("DUPLICATE_EDGE", `Edge ${show(src)} → ${show(dst)} appears twice.`, { edge: [src, dst] });
      return;
    }
    if (u === v) {
      err("CYCLE", `${show(src)} is wired to itself.`, { component_id: src, edge: [src, dst] });
      return;
    }
    const su = specOf[u];
    const sv = specOf[v];
    if (!su.outputs.length) {
      err("BAD_CONNECTION", `${show(src)} (${su.label}) has no output; it cannot feed ${show(dst)}.`, { edge: [src, dst] });
      return;
    }
    if (!sv.inputs.length) {
      err("BAD_CONNECTION", `${show(dst)} (${sv.label}) takes no input; remove the edge from ${show(src)}.`, { edge: [src, dst] });
      return;
    }
    if (!(sv.inputs[0].accepts ?? []).includes(su.outputs[0].kind)) {
      err("BAD_CONNECTION", `${show(dst)} (${sv.label}) reads the board itself; connect it straight from a board input, not from ${show(src)}.`, { edge: [src, dst] });
      return;
    }
    seen.add(`${u},${v}`);
    a.edges.push([u, v]);
  });

  // --- inputs and outputs
  const nInputs = nodes.filter((n) => n.type === "board_input").length;
  const outputs = nodes.filter((n) => n.type === "action_output");
  if (nInputs === 0) err("MISSING_INPUT", "Add a Board input block: the network needs the board.");
  if (!outputs.length) err("MISSING_OUTPUT", "Add an Action output block: the network must choose a move.");
  for (const extra of outputs.slice(1)) {
    err("TOO_MANY_OUTPUTS", `${show(extra.id)}: a design has one Action output; remove the others.`, { component_id: extra.id });
  }

  const succ: number[][] = nodes.map(() => []);
  const pred: number[][] = nodes.map(() => []);
  for (const [u, v] of a.edges) {
    succ[u].push(v);
    pred[v].push(u);
  }

  // --- cycles (Kahn)
  const indeg = pred.map((p) => p.length);
  const queue: number[] = [];
  nodes.forEach((_, i) => indeg[i] === 0 && queue.push(i));
  let ordered = 0;
  for (let head = 0; head < queue.length; head++) {
    const u = queue[head];
    ordered++;
    for (const v of succ[u]) if (--indeg[v] === 0) queue.push(v);
  }
  const acyclic = ordered === nodes.length;
  if (!acyclic) {
    const inCycle = nodes.filter((_, i) => indeg[i] > 0).map((n) => n.id);
    const shown = inCycle.slice(0, 6).map((c) => show(c, 20)).join(", ");
    const more = inCycle.length > 6 ? ` and ${inCycle.length - 6} more` : "";
    err("CYCLE", `These blocks form a loop: ${shown}${more}. Signals must flow one way, from the board to the output.`, { component_id: inCycle[0] });
  }

  // --- reachability from a board input
  const reached = nodes.map((n) => n.type === "board_input");
  const bfs: number[] = [];
  nodes.forEach((n, i) => n.type === "board_input" && bfs.push(i));
  for (let head = 0; head < bfs.length; head++) {
    for (const v of succ[bfs[head]]) {
      if (!reached[v]) {
        reached[v] = true;
        bfs.push(v);
      }
    }
  }
  if (nInputs) {
    nodes.forEach((n, i) => {
      if (!reached[i]) err("UNREACHABLE", `${show(n.id)} is not connected to a board input.`, { component_id: n.id });
    });
  }

  // --- blocks whose result is never used (warnings)
  const useful = nodes.map((n) => n.type === "action_output" || n.type === "aux_loss_head");
  const back: number[] = [];
  useful.forEach((u, i) => u && back.push(i));
  for (let head = 0; head < back.length; head++) {
    for (const u of pred[back[head]]) {
      if (!useful[u]) {
        useful[u] = true;
        back.push(u);
      }
    }
  }
  if (outputs.length) {
    nodes.forEach((n, i) => {
      if (reached[i] && !useful[i]) {
        err("DOES_NOT_REACH_OUTPUT", `${show(n.id)} leads nowhere: connect it towards the Action output (or delete it).`, { component_id: n.id });
      }
    });
  }

  // --- stream widths
  const widths = new Widths(nodes.length);
  nodes.forEach((n, i) => {
    if (specOf[i].sets_width) widths.width[i] = n.props.d_model;
  });
  for (const [u, v] of a.edges) {
    if (specOf[v].type === "embedding") continue;
    const clash = widths.union(u, v);
    if (clash) {
      const [w1, s1, w2, s2] = clash;
      err("D_MODEL_MISMATCH", `${show(nodes[u].id)} → ${show(nodes[v].id)}: the stream is ${w1} wide at ${show(nodes[s1].id)} but ${w2} at ${show(nodes[s2].id)}; give connected blocks the same d_model.`, { edge: [nodes[u].id, nodes[v].id], component_id: nodes[v].id });
    }
  }
  nodes.forEach((n, i) => {
    const w = widths.width[widths.find(i)];
    n.width = w !== null ? w : meta.d_model;
    if (n.type === "board_input") a.implicitEmbedding.set(i, succ[i].some((v) => specOf[v].type !== "embedding"));
  });

  // --- routers and checkpoints: what they attach to
  const downstream = (start: number, targetRole: string): number[] => {
    const found: number[] = [];
    const stack = [...succ[start]];
    const visited = new Set([start]);
    while (stack.length) {
      const v = stack.pop() as number;
      if (visited.has(v)) continue;
      visited.add(v);
      const role = specOf[v].role;
      if (role === targetRole && (targetRole !== "layer" || nodes[v].type === "transformer_layer" || nodes[v].type === "moe_layer")) {
        found.push(v);
      } else if (role === "pass") {
        stack.push(...succ[v]);
      }
    }
    return found.sort((x, y) => x - y);
  };
  const routersOf = new Map<number, number[]>();
  nodes.forEach((n, i) => n.type === "moe_layer" && routersOf.set(i, []));
  nodes.forEach((n, i) => {
    if (n.type === "load_balance_router") {
      const moes = downstream(i, "layer").filter((m) => nodes[m].type === "moe_layer");
      if (!moes.length) err("ROUTER_WITHOUT_MOE", `${show(n.id)} feeds no mixture of experts, so it has no effect: wire it into an MoE block.`, { component_id: n.id });
      for (const m of moes) routersOf.get(m)?.push(i);
    } else if (n.type === "grad_checkpoint") {
      const layers = downstream(i, "layer");
      if (!layers.length) err("CHECKPOINT_WITHOUT_LAYER", `${show(n.id)} marks no layer: wire it into a transformer or MoE block.`, { component_id: n.id });
      for (const l of layers) a.checkpointed.add(l);
    }
  });
  for (const [m, routers] of routersOf) {
    if (!routers.length) {
      err("MOE_WITHOUT_LOAD_BALANCING", `${show(nodes[m].id)} has no load-balance router: experts may collapse onto a few. Wire a router into it.`, { component_id: nodes[m].id });
    } else if (routers.length > 1) {
      err("MULTIPLE_ROUTERS", `${show(nodes[m].id)} is fed by ${routers.length} routers; their losses add up.`, { component_id: nodes[m].id });
    }
  }
  void tooLarge;
  return a;
}

// --- estimate.py

function nodeParams(n: Node, c: Catalog, implicit: boolean): number {
  const d = n.width;
  const p = n.props;
  const T = c.constants.n_tile_values;
  const CELLS = c.constants.n_cells;
  const ACTIONS = c.constants.n_actions;
  switch (n.type) {
    case "board_input":
      return implicit ? 2 * T * d : 0;
    case "embedding":
      return T * d + (p.encoding === "onehot" ? d : 0) + (p.positional ? CELLS * d : 0);
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
      const out = p.target === "max_tile" ? T : 1;
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
      return 0;
  }
}

function nodeActivations(n: Node, c: Catalog, b: number, checkpointed: boolean, implicit: boolean): number {
  const t = c.constants.n_cells;
  const d = n.width;
  const p = n.props;
  if (checkpointed) return b * t * d;
  switch (n.type) {
    case "board_input":
      return implicit ? 2 * b * t : 0;
    case "embedding":
      return p.encoding === "learned" ? 2 * b * t : c.constants.n_tile_values * b * t;
    case "transformer_layer": {
      const f = p.ff_mult * d;
      return b * t * (8 * d + 2 * f + 2 * p.n_heads);
    }
    case "moe_layer": {
      const e = p.n_experts;
      const k = p.top_k;
      const f = p.ff_mult * d;
      const per = p.routing === "dense" ? e * (2 * f + d) : k * (2 * f + 3 * d);
      return b * t * (2 * d + per + 16 * e);
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

export function estimate(a: Analysis, catalog: Catalog, batch = catalog.estimate.train_batch): [number, number] {
  const { bytes_per_float, optimizer_copies } = catalog.estimate;
  let params = 0;
  let floats = 0;
  for (const n of a.nodes) {
    const implicit = a.implicitEmbedding.get(n.index) ?? false;
    params += nodeParams(n, catalog, implicit);
    floats += nodeActivations(n, catalog, batch, a.checkpointed.has(n.index), implicit);
  }
  const total = (optimizer_copies * params + floats) * bytes_per_float;
  return [params, Math.ceil(total / 2 ** 20)];
}

/** Validate anything; never throws (rules.validate). */
export function validate(design: unknown, catalog: Catalog): ValidationResult {
  let a: Analysis;
  try {
    a = analyze(design, catalog);
  } catch {
    a = { issues: [{ code: "BAD_DESIGN", message: "The design is nested too deeply to read.", severity: "error" }], nodes: [], edges: [], implicitEmbedding: new Map(), checkpointed: new Set() };
  }
  const [params, memory] = a.nodes.length ? estimate(a, catalog) : [0, 0];
  const issues = a.issues;
  const limits = catalog.limits;
  if (a.nodes.length && !issues.some((i) => i.code === "TOO_LARGE")) {
    if (params > limits.max_params) {
      issues.push({ code: "TOO_LARGE", severity: "error", message: `${(params / 1e6).toFixed(1)} M parameters is over the ${(limits.max_params / 1e6).toFixed(0)} M budget; make layers narrower or fewer.` });
    } else if (memory > limits.max_memory_mb) {
      issues.push({ code: "TOO_LARGE", severity: "error", message: `Training needs about ${memory} MB, over the ${limits.max_memory_mb} MB budget; add gradient checkpoints or shrink the design.` });
    }
  }
  const valid = !issues.some((i) => i.severity === "error");
  return { valid, paramCount: params / 1e6, params, estimatedMemory: memory, errors: issues };
}

/** Sorted unique codes (errors and warnings), as ValidationResult.codes in Python. */
export function codes(r: ValidationResult): string[] {
  return [...new Set(r.errors.map((e) => e.code))].sort();
}
