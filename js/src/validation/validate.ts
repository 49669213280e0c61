// The JS mirror of modelstudio_widget/design/rules.py, for instant feedback in the worker.
// The kernel's answer is the one of record; both run tests/vectors. The same passes under
// the same names (camelCase), in the same order, with the same helpers: checkShape,
// checkComponents, checkEdges, checkGraph, checkWidths, checkAttachments, then estimate
// (estimate.ts) with checkBudget. Same codes and messages, same parameter and memory
// numbers. Block semantics and every number come from the catalog the kernel sent; only
// the type-specific rules (as in rules.py) name a type.
import type { BlockSpec, Catalog, CatalogConstants, Issue, ValidationResult } from "../types";
import { type Analysis, emptyAnalysis, type Props, Widths } from "./analysis";
import { checkBudget, estimate } from "./estimate";
import { pyLen, pyMod, pyTypeName, show } from "./pyfmt";
import { checkPropValue, isDict, positionOk } from "./values";

/** Codes of a prop value the rules cannot use at all (the block falls back to the default). */
const UNUSABLE = ["PROP_TYPE", "PROP_RANGE"];

const has = (o: object, k: string) => Object.hasOwn(o, k);

type Where = Pick<Issue, "component_id" | "edge" | "prop">;

/** What the passes share: the analysis they fill in and what they learn on the way. */
export class Context {
  a: Analysis = emptyAnalysis();
  /** Design-level defaults (design.meta), checked. */
  meta: Props = {};
  /** Component id -> node index (-1: a known id whose block is unusable). */
  indexOf = new Map<string, number>();
  /** Catalog entry of each node. */
  specOf: BlockSpec[] = [];
  succ: number[][] = [];
  pred: number[][] = [];
  tooLarge = false;
  readonly catalog: Catalog;
  readonly limits: Record<string, number>;
  readonly constants: CatalogConstants;
  readonly byType: Map<string, BlockSpec>;
  private readonly warnings: Set<string>;

  constructor(catalog: Catalog) {
    this.catalog = catalog;
    this.limits = catalog.limits;
    this.constants = catalog.constants;
    this.byType = new Map(catalog.blocks.map((b) => [b.type, b]));
    this.warnings = new Set(catalog.warning_codes);
  }

  err(code: string, message: string, where: Where = {}): void {
    const issue: Issue = { code, message, severity: this.warnings.has(code) ? "warning" : "error" };
    if (where.component_id !== undefined) issue.component_id = where.component_id;
    if (where.edge !== undefined) issue.edge = where.edge;
    if (where.prop !== undefined) issue.prop = where.prop;
    this.a.issues.push(issue);
  }
}

// --- shape

/** The design's outer shape and size -> [components, edges], or null to stop here. */
export function checkShape(c: Context, design: unknown): [unknown[], unknown[]] | null {
  if (!isDict(design)) {
    c.err("BAD_DESIGN", `A design must be a JSON object, not ${pyTypeName(design)}.`);
    return null;
  }
  const comps = design.components;
  const edges = has(design, "edges") ? design.edges : [];
  if (!Array.isArray(comps)) {
    c.err("BAD_DESIGN", "A design needs a 'components' list.");
    return null;
  }
  if (!Array.isArray(edges)) {
    c.err("BAD_DESIGN", "'edges' must be a list of [source, target] pairs.");
    return null;
  }
  const schemaVersion = c.constants.schema_version;
  const version = has(design, "schema_version") ? design.schema_version : schemaVersion;
  if (version !== schemaVersion) {
    c.err("BAD_DESIGN", `schema_version is ${show(version)}; this version reads ${schemaVersion}.`);
    return null;
  }
  for (const key of ["id", "name"]) {
    const limit = c.limits[`max_${key}_length`];
    if (!has(design, key)) continue;
    const v = design[key];
    if (typeof v !== "string") c.err("BAD_DESIGN", `The design's '${key}' must be a string.`);
    else if (pyLen(v) > limit)
      c.err("BAD_DESIGN", `The design's '${key}' is longer than ${limit} characters.`);
  }
  // Training settings are checked by the settings sheet and the kernel's check when a run
  // starts; here only their shape, so that a design always carries an object there (or nothing).
  const training = has(design, "training") ? design.training : null;
  if (training !== null && !isDict(training)) {
    c.err("BAD_DESIGN", `The design's 'training' must be an object such as {"seconds": 60}.`);
  }
  if (comps.length > c.limits.max_components) {
    c.err(
      "TOO_LARGE",
      `The design has ${comps.length} blocks; the limit is ${c.limits.max_components}.`,
    );
    c.tooLarge = true;
  }
  if (edges.length > c.limits.max_edges) {
    c.err("TOO_LARGE", `The design has ${edges.length} edges; the limit is ${c.limits.max_edges}.`);
    c.tooLarge = true;
  }
  if (comps.length > c.constants.hard_cap || edges.length > c.constants.hard_cap) return null;
  return [comps, edges];
}

// --- components

/** Design-level defaults, then each block: id, type, position, props, per-type rules. */
export function checkComponents(
  c: Context,
  design: Record<string, unknown>,
  comps: unknown[],
): void {
  readMeta(c, has(design, "meta") ? design.meta : {});
  comps.forEach((comp, pos) => {
    readComponent(c, pos, comp);
  });
  c.specOf = c.a.nodes.map((n) => c.byType.get(n.type) as BlockSpec);
}

function readMeta(c: Context, metaRaw: unknown): void {
  c.meta = {};
  for (const p of c.catalog.meta) c.meta[p.name] = p.default;
  if (!isDict(metaRaw)) {
    c.err("BAD_DESIGN", `'meta' must be an object such as {"d_model": 128}.`);
    return;
  }
  for (const prop of c.catalog.meta) {
    if (!has(metaRaw, prop.name)) continue;
    const problem = checkPropValue(prop, metaRaw[prop.name]);
    if (problem) {
      c.err(problem[0], `The design's ${prop.name} ${problem[1]}.`, { prop: `meta.${prop.name}` });
      if (UNUSABLE.includes(problem[0])) continue;
    }
    c.meta[prop.name] = metaRaw[prop.name];
  }
}

function readComponent(c: Context, pos: number, comp: unknown): void {
  if (!isDict(comp)) {
    c.err("BAD_DESIGN", `Component #${pos + 1} must be an object with id, type and props.`);
    return;
  }
  const cid = comp.id;
  if (typeof cid !== "string" || !cid.trim() || pyLen(cid) > c.limits.max_id_length) {
    c.err(
      "BAD_ID",
      `Component #${pos + 1} has id ${show(cid)}; an id must be a non-empty string of at most ${c.limits.max_id_length} characters.`,
    );
    return;
  }
  if (c.indexOf.has(cid)) {
    c.err("DUPLICATE_ID", `Two blocks share the id '${show(cid)}'; ids must be unique.`, {
      component_id: cid,
    });
    return;
  }
  const ctype = comp.type;
  const spec = typeof ctype === "string" ? c.byType.get(ctype) : undefined;
  if (!spec) {
    c.err(
      "UNKNOWN_TYPE",
      `${show(cid)}: unknown block type ${show(ctype)}; choose one of ${[...c.byType.keys()].join(", ")}.`,
      { component_id: cid },
    );
    c.indexOf.set(cid, -1); // known id, unusable block: edges to it are not dangling
    return;
  }
  const position = comp.position;
  if (
    position !== undefined &&
    position !== null &&
    !positionOk(position, c.constants.max_coordinate)
  ) {
    c.err("BAD_DESIGN", `${show(cid)}: position must be {x, y} with finite numbers.`, {
      component_id: cid,
    });
  }
  let raw: unknown = has(comp, "props") ? comp.props : {};
  if (raw === null) raw = {};
  if (!isDict(raw)) {
    c.err("BAD_DESIGN", `${show(cid)}: props must be an object.`, { component_id: cid });
    raw = {};
  }
  const props = effectiveProps(c, cid, spec, raw as Record<string, unknown>);
  checkTypeRules(c, cid, spec, props);
  c.indexOf.set(cid, c.a.nodes.length);
  c.a.nodes.push({ index: c.a.nodes.length, id: cid, type: spec.type, props, width: 0 });
}

/** The block's props with defaults filled in; a value that breaks a rule is reported. */
function effectiveProps(
  c: Context,
  cid: string,
  spec: BlockSpec,
  raw: Record<string, unknown>,
): Props {
  const props: Props = {};
  for (const prop of spec.props) {
    const dflt =
      prop.meta_default && has(c.meta, prop.meta_default)
        ? c.meta[prop.meta_default]
        : prop.default;
    let value = has(raw, prop.name) ? raw[prop.name] : dflt;
    const problem = checkPropValue(prop, value);
    if (problem) {
      const where = has(raw, prop.name) ? "" : " (from the design's defaults)";
      c.err(problem[0], `${show(cid)}: ${prop.name} ${problem[1]}${where}.`, {
        component_id: cid,
        prop: prop.name,
      });
      if (UNUSABLE.includes(problem[0])) value = prop.default;
      else if (problem[0] === prop.max_code) value = Math.trunc(prop.max ?? 0); // estimate with the largest allowed value
    }
    props[prop.name] = value;
  }
  for (const name of Object.keys(raw)) {
    if (!spec.props.some((p) => p.name === name)) {
      const known = spec.props.map((p) => p.name).join(", ") || "none";
      c.err(
        "UNKNOWN_PROP",
        `${show(cid)}: ${spec.label} has no prop ${show(name)} (its props: ${known}).`,
        { component_id: cid, prop: show(name, 64) },
      );
    }
  }
  return props;
}

/** Rules between the props of one block type. */
function checkTypeRules(c: Context, cid: string, spec: BlockSpec, props: Props): void {
  if (spec.type === "transformer_layer" && pyMod(props.d_model, props.n_heads)) {
    c.err(
      "HEADS_DIVIDE_D_MODEL",
      `${show(cid)}: n_heads ${props.n_heads} does not divide d_model ${props.d_model}.`,
      { component_id: cid, prop: "n_heads" },
    );
  }
  if (spec.type === "moe_layer" && props.top_k > props.n_experts) {
    c.err(
      "TOP_K_EXCEEDS_EXPERTS",
      `${show(cid)}: top_k ${props.top_k} is more than its ${props.n_experts} experts.`,
      { component_id: cid, prop: "top_k" },
    );
  }
}

// --- edges

/** Each edge names two usable blocks, once, and joins ports that fit. */
export function checkEdges(c: Context, edges: unknown[]): void {
  const seen = new Set<string>();
  edges.forEach((edge, pos) => {
    if (!Array.isArray(edge) || edge.length !== 2 || !edge.every((e) => typeof e === "string")) {
      c.err(
        "BAD_EDGE",
        `Edge #${pos + 1} must be a [source id, target id] pair, not ${show(edge)}.`,
      );
      return;
    }
    const [src, dst] = edge as [string, string];
    const missing = [src, dst].filter((e) => !c.indexOf.has(e));
    if (missing.length) {
      c.err(
        "DANGLING_EDGE",
        `Edge ${show(src)} → ${show(dst)} names ${missing.map((m) => show(m)).join(" and ")}, which does not exist.`,
        { edge: [src, dst] },
      );
      return;
    }
    const u = c.indexOf.get(src) as number;
    const v = c.indexOf.get(dst) as number;
    if (u < 0 || v < 0) return; // an unknown-type block: already reported
    if (seen.has(`${u},${v}`)) {
      c.err("DUPLICATE_EDGE", `Edge ${show(src)} → ${show(dst)} appears twice.`, {
        edge: [src, dst],
      });
      return;
    }
    if (u === v) {
      c.err("CYCLE", `${show(src)} is wired to itself.`, { component_id: src, edge: [src, dst] });
      return;
    }
    const problem = connectionProblem(c.specOf[u], c.specOf[v], src, dst);
    if (problem) {
      c.err("BAD_CONNECTION", problem, { edge: [src, dst] });
      return;
    }
    seen.add(`${u},${v}`);
    c.a.edges.push([u, v]);
  });
}

/** Why the output of `su` cannot feed `sv` (null when it can). */
function connectionProblem(su: BlockSpec, sv: BlockSpec, src: string, dst: string): string | null {
  if (!su.outputs.length)
    return `${show(src)} (${su.label}) has no output; it cannot feed ${show(dst)}.`;
  if (!sv.inputs.length)
    return `${show(dst)} (${sv.label}) takes no input; remove the edge from ${show(src)}.`;
  if (!(sv.inputs[0].accepts ?? []).includes(su.outputs[0].kind)) {
    return `${show(dst)} (${sv.label}) reads the board itself; connect it straight from a board input, not from ${show(src)}.`;
  }
  return null;
}

// --- graph

/** Inputs and outputs, cycles, reachability, unused blocks; true when acyclic. */
export function checkGraph(c: Context): boolean {
  const nodes = c.a.nodes;
  c.succ = nodes.map(() => []);
  c.pred = nodes.map(() => []);
  for (const [u, v] of c.a.edges) {
    c.succ[u].push(v);
    c.pred[v].push(u);
  }
  const [nInputs, nOutputs] = checkInputsAndOutputs(c);
  const acyclic = checkCycles(c);
  const reached = checkReachable(c, nInputs);
  checkUseful(c, reached, nOutputs);
  return acyclic;
}

function checkInputsAndOutputs(c: Context): [number, number] {
  const nInputs = c.a.nodes.filter((n) => n.type === "board_input").length;
  const outputs = c.a.nodes.filter((_, i) => c.specOf[i].role === "output");
  if (nInputs === 0)
    c.err("MISSING_INPUT", "Add a Board input block: the network needs the board.");
  if (!outputs.length)
    c.err(
      "MISSING_OUTPUT",
      "Add an Action output (or N-tuple value) block: the network must choose a move.",
    );
  for (const extra of outputs.slice(1)) {
    c.err(
      "TOO_MANY_OUTPUTS",
      `${show(extra.id)}: a design has one output block; remove the others.`,
      { component_id: extra.id },
    );
  }
  return [nInputs, outputs.length];
}

/** Kahn's algorithm: is there a topological order? If not, a CYCLE naming the blocks in loops. */
function checkCycles(c: Context): boolean {
  const nodes = c.a.nodes;
  const indeg = c.pred.map((p) => p.length);
  const queue = nodes.flatMap((_, i) => (indeg[i] === 0 ? [i] : []));
  for (let head = 0; head < queue.length; head++) {
    for (const v of c.succ[queue[head]]) if (--indeg[v] === 0) queue.push(v);
  }
  if (queue.length === nodes.length) return true;
  const inCycle = nodes.filter((_, i) => indeg[i] > 0).map((n) => n.id);
  const shown = inCycle
    .slice(0, 6)
    .map((cid) => show(cid, 20))
    .join(", ");
  const more = inCycle.length > 6 ? ` and ${inCycle.length - 6} more` : "";
  c.err(
    "CYCLE",
    `These blocks form a loop: ${shown}${more}. Signals must flow one way, from the board to the output.`,
    { component_id: inCycle[0] },
  );
  return false;
}

/** Blocks reached from a board input; the others are UNREACHABLE. */
function checkReachable(c: Context, nInputs: number): boolean[] {
  const nodes = c.a.nodes;
  const reached = nodes.map((n) => n.type === "board_input");
  const queue = nodes.flatMap((n, i) => (n.type === "board_input" ? [i] : []));
  for (let head = 0; head < queue.length; head++) {
    for (const v of c.succ[queue[head]]) {
      if (!reached[v]) {
        reached[v] = true;
        queue.push(v);
      }
    }
  }
  if (nInputs) {
    nodes.forEach((n, i) => {
      if (!reached[i])
        c.err("UNREACHABLE", `${show(n.id)} is not connected to a board input.`, {
          component_id: n.id,
        });
    });
  }
  return reached;
}

/** Warn about reached blocks whose result flows into neither the output nor a head. */
function checkUseful(c: Context, reached: boolean[], nOutputs: number): void {
  const nodes = c.a.nodes;
  const useful = nodes.map((n, i) => c.specOf[i].role === "output" || n.type === "aux_loss_head");
  const queue = nodes.flatMap((_, i) => (useful[i] ? [i] : []));
  for (let head = 0; head < queue.length; head++) {
    for (const u of c.pred[queue[head]]) {
      if (!useful[u]) {
        useful[u] = true;
        queue.push(u);
      }
    }
  }
  if (nOutputs) {
    nodes.forEach((n, i) => {
      if (reached[i] && !useful[i]) {
        c.err(
          "DOES_NOT_REACH_OUTPUT",
          `${show(n.id)} leads nowhere: connect it towards the output (or delete it).`,
          { component_id: n.id },
        );
      }
    });
  }
}

// --- widths

/** Whether a block reads the raw board (catalog.BlockType.reads_board). */
function readsBoard(spec: BlockSpec): boolean {
  const accepts = spec.inputs[0]?.accepts ?? [];
  return accepts.length === 1 && accepts[0] === "board";
}

/** Connected tokens ports agree on d_model; sets each node's width. True when they do. */
export function checkWidths(c: Context): boolean {
  const { nodes } = c.a;
  const { specOf } = c;
  const widths = new Widths(nodes.length);
  nodes.forEach((n, i) => {
    if (specOf[i].sets_width) widths.width[i] = n.props.d_model;
  });
  let widthsOk = true;
  for (const [u, v] of c.a.edges) {
    if (readsBoard(specOf[v])) continue; // no width to agree on
    const clash = widths.union(u, v);
    if (clash) {
      widthsOk = false;
      const [w1, s1, w2, s2] = clash;
      c.err(
        "D_MODEL_MISMATCH",
        `${show(nodes[u].id)} → ${show(nodes[v].id)}: the stream is ${w1} wide at ${show(nodes[s1].id)} but ${w2} at ${show(nodes[s2].id)}; give connected blocks the same d_model.`,
        { edge: [nodes[u].id, nodes[v].id], component_id: nodes[v].id },
      );
    }
  }
  nodes.forEach((n, i) => {
    const w = widths.width[widths.find(i)];
    n.width = w !== null ? w : c.meta.d_model;
    if (n.type === "board_input")
      c.a.implicitEmbedding.set(
        i,
        c.succ[i].some((v) => !readsBoard(specOf[v])),
      );
  });
  return widthsOk;
}

// --- attachments

/** What each router and checkpoint configures; MoE layers and their routers. (rules.py
 * also sums each MoE's loss weights over its routers, for the code generator.) */
export function checkAttachments(c: Context): void {
  const nodes = c.a.nodes;
  const routersOf = new Map<number, number[]>();
  nodes.forEach((n, i) => {
    if (n.type === "moe_layer") routersOf.set(i, []);
  });
  nodes.forEach((n, i) => {
    if (n.type === "load_balance_router") {
      const moes = downstream(c, i, "layer").filter((m) => nodes[m].type === "moe_layer");
      if (!moes.length)
        c.err(
          "ROUTER_WITHOUT_MOE",
          `${show(n.id)} feeds no mixture of experts, so it has no effect: wire it into an MoE block.`,
          { component_id: n.id },
        );
      for (const m of moes) routersOf.get(m)?.push(i);
    } else if (n.type === "grad_checkpoint") {
      const layers = downstream(c, i, "layer");
      if (!layers.length)
        c.err(
          "CHECKPOINT_WITHOUT_LAYER",
          `${show(n.id)} marks no layer: wire it into a transformer or MoE block.`,
          { component_id: n.id },
        );
      for (const l of layers) c.a.checkpointed.add(l);
    }
  });
  for (const [m, routers] of routersOf) {
    if (!routers.length) {
      c.err(
        "MOE_WITHOUT_LOAD_BALANCING",
        `${show(nodes[m].id)} has no load-balance router: experts may collapse onto a few. Wire a router into it.`,
        { component_id: nodes[m].id },
      );
    } else if (routers.length > 1) {
      c.err(
        "MULTIPLE_ROUTERS",
        `${show(nodes[m].id)} is fed by ${routers.length} routers; their losses add up.`,
        { component_id: nodes[m].id },
      );
    }
  }
}

/** Blocks of a role reached from `start` through pass-through blocks only. */
function downstream(c: Context, start: number, targetRole: string): number[] {
  const found: number[] = [];
  const stack = [...c.succ[start]];
  const visited = new Set([start]);
  while (stack.length) {
    const v = stack.pop() as number;
    if (visited.has(v)) continue;
    visited.add(v);
    const role = c.specOf[v].role;
    const type = c.a.nodes[v].type;
    if (
      role === targetRole &&
      (targetRole !== "layer" || type === "transformer_layer" || type === "moe_layer")
    ) {
      found.push(v);
    } else if (role === "pass") {
      stack.push(...c.succ[v]);
    }
  }
  return found.sort((x, y) => x - y);
}

// --- driver

/** Run every rule; return the issues and the resolved graph. */
export function analyze(design: unknown, catalog: Catalog): Analysis {
  const c = new Context(catalog);
  const shape = checkShape(c, design);
  if (shape === null) return c.a;
  const [comps, edges] = shape;
  checkComponents(c, design as Record<string, unknown>, comps);
  checkEdges(c, edges);
  // rules.py also keeps the topological order and whether the graph is resolved (acyclic,
  // widths agree, not too large): only the code generator, which the worker lacks, needs them.
  checkGraph(c);
  checkWidths(c);
  checkAttachments(c);
  return c.a;
}

/** TOO_LARGE when the estimate is over the parameter or memory budget. */
/** Validate anything; never throws (rules.validate). */
export function validate(design: unknown, catalog: Catalog): ValidationResult {
  let a: Analysis;
  try {
    a = analyze(design, catalog);
  } catch {
    a = emptyAnalysis([
      {
        code: "BAD_DESIGN",
        message: "The design is nested too deeply to read.",
        severity: "error",
      },
    ]);
  }
  const [params, memory] = a.nodes.length ? estimate(a, catalog) : [0, 0];
  if (a.nodes.length) checkBudget(a.issues, params, memory, catalog.limits);
  const valid = !a.issues.some((i) => i.severity === "error");
  return { valid, paramCount: params / 1e6, params, estimatedMemory: memory, errors: a.issues };
}

/** Sorted unique codes (errors and warnings), as ValidationResult.codes in Python. */
export function codes(r: ValidationResult): string[] {
  return [...new Set(r.errors.map((e) => e.code))].sort();
}
