"""Validation of record: every rule a design must satisfy, with stable error codes.

``validate(anything)`` never raises: whatever arrives (from the page, a file, a notebook)
comes back as a :class:`ValidationResult`. ``analyze`` does the same work and also returns
the resolved graph (effective props, topological order, stream widths, which MoE each
router configures, which layers are checkpointed) that the estimates and the code
generator build on, so a rule is decided in exactly one place.

The rules run as named passes, in this order: ``check_shape``, ``check_components``,
``check_edges``, ``check_graph``, ``check_widths``, ``check_attachments``, then
``estimate`` (with ``check_budget``). The JS worker (``js/src/validation/validate.ts``)
has the same passes under the same names, in the same order, so the two read side by side;
both run the shared vectors in ``tests/vectors``. Change them together.

All passes are linear in the size of the graph (union-find for widths, Kahn's algorithm for
cycles, breadth-first search for reachability), so a 10,000-block payload is answered in
milliseconds.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from modelstudio_widget.design.analysis import Analysis, Issue, Node, ValidationResult, Widths
from modelstudio_widget.design.catalog import (
    BY_TYPE,
    HARD_CAP,
    LIMITS,
    META_BY_NAME,
    OUTPUT_TYPES,
    SCHEMA_VERSION,
    WARNING_CODES,
    BlockType,
)
from modelstudio_widget.design.estimate import check_budget, estimate
from modelstudio_widget.design.values import check_prop_value, position_ok, show

#: Codes of a prop value the rules cannot use at all (the block falls back to the default).
UNUSABLE = ("PROP_TYPE", "PROP_RANGE")


@dataclass
class Context:
    """What the passes share: the analysis they fill in and what they learn on the way."""
    a: Analysis = field(default_factory=lambda: Analysis([]))
    #: design-level defaults (``design["meta"]``), checked.
    meta: dict[str, Any] = field(default_factory=dict)
    #: component id -> node index (-1: a known id whose block is unusable).
    index_of: dict[str, int] = field(default_factory=dict)
    spec_of: list[BlockType] = field(default_factory=list)  # catalog entry of each node
    succ: list[list[int]] = field(default_factory=list)
    pred: list[list[int]] = field(default_factory=list)
    too_large: bool = False

    def err(self, code: str, message: str, **where: Any) -> None:
        severity = "warning" if code in WARNING_CODES else "error"
        self.a.issues.append(Issue(code, message, severity, **where))


# --- shape -------------------------------------------------------------------------------

def check_shape(c: Context, design: Any) -> tuple[list[Any], list[Any]] | None:
    """The design's outer shape and size -> (components, edges), or None to stop here."""
    if not isinstance(design, dict):
        c.err("BAD_DESIGN", f"A design must be a JSON object, not {type(design).__name__}.")
        return None
    comps = design.get("components")
    edges = design.get("edges", [])
    if not isinstance(comps, list):
        c.err("BAD_DESIGN", "A design needs a 'components' list.")
        return None
    if not isinstance(edges, list):
        c.err("BAD_DESIGN", "'edges' must be a list of [source, target] pairs.")
        return None
    version = design.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION or type(version) is not int:
        c.err("BAD_DESIGN", f"schema_version is {show(version)}; this version reads "
              f"{SCHEMA_VERSION}.")
        return None
    for key in ("id", "name"):
        limit = LIMITS[f"max_{key}_length"]
        if key in design and not isinstance(design[key], str):
            c.err("BAD_DESIGN", f"The design's '{key}' must be a string.")
        elif key in design and len(design[key]) > limit:
            c.err("BAD_DESIGN", f"The design's '{key}' is longer than {limit} characters.")
    # Training settings are checked by training/settings.py when a run starts; here only
    # their shape, so that a design always carries an object there (or nothing).
    if design.get("training") is not None and not isinstance(design["training"], dict):
        c.err("BAD_DESIGN", "The design's 'training' must be an object such as "
              "{\"seconds\": 60}.")
    if len(comps) > LIMITS["max_components"]:
        c.err("TOO_LARGE", f"The design has {len(comps)} blocks; the limit is "
              f"{LIMITS['max_components']}.")
        c.too_large = True
    if len(edges) > LIMITS["max_edges"]:
        c.err("TOO_LARGE", f"The design has {len(edges)} edges; the limit is "
              f"{LIMITS['max_edges']}.")
        c.too_large = True
    if len(comps) > HARD_CAP or len(edges) > HARD_CAP:
        return None
    return comps, edges


# --- components --------------------------------------------------------------------------

def check_components(c: Context, design: dict[str, Any], comps: list[Any]) -> None:
    """Design-level defaults, then each block: id, type, position, props, per-type rules."""
    read_meta(c, design.get("meta", {}))
    for pos, comp in enumerate(comps):
        read_component(c, pos, comp)
    c.spec_of = [BY_TYPE[n.type] for n in c.a.nodes]


def read_meta(c: Context, meta_raw: Any) -> None:
    c.meta = {name: p.default for name, p in META_BY_NAME.items()}
    if not isinstance(meta_raw, dict):
        c.err("BAD_DESIGN", "'meta' must be an object such as {\"d_model\": 128}.")
        return
    for name, prop in META_BY_NAME.items():
        if name in meta_raw:
            problem = check_prop_value(prop, meta_raw[name])
            if problem:
                c.err(problem[0], f"The design's {name} {problem[1]}.", prop=f"meta.{name}")
                if problem[0] in UNUSABLE:
                    continue
            c.meta[name] = meta_raw[name]


def read_component(c: Context, pos: int, comp: Any) -> None:
    if not isinstance(comp, dict):
        c.err("BAD_DESIGN", f"Component #{pos + 1} must be an object with id, type and props.")
        return
    cid = comp.get("id")
    if not isinstance(cid, str) or not cid.strip() or len(cid) > LIMITS["max_id_length"]:
        c.err("BAD_ID", f"Component #{pos + 1} has id {show(cid)}; an id must be a "
              f"non-empty string of at most {LIMITS['max_id_length']} characters.")
        return
    if cid in c.index_of:
        c.err("DUPLICATE_ID", f"Two blocks share the id '{show(cid)}'; ids must be unique.",
              component_id=cid)
        return
    ctype = comp.get("type")
    spec = BY_TYPE.get(ctype) if isinstance(ctype, str) else None
    if spec is None:
        c.err("UNKNOWN_TYPE", f"{show(cid)}: unknown block type {show(ctype)}; choose one "
              f"of {', '.join(BY_TYPE)}.", component_id=cid)
        c.index_of[cid] = -1  # known id, unusable block: edges to it are not dangling
        return
    position = comp.get("position")
    if position is not None and not position_ok(position):
        c.err("BAD_DESIGN", f"{show(cid)}: position must be {{x, y}} with finite numbers.",
              component_id=cid)
    raw = comp.get("props", {})
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        c.err("BAD_DESIGN", f"{show(cid)}: props must be an object.", component_id=cid)
        raw = {}
    props = effective_props(c, cid, spec, raw)
    check_type_rules(c, cid, spec, props)
    c.index_of[cid] = len(c.a.nodes)
    c.a.nodes.append(Node(len(c.a.nodes), cid, spec.type, props))


def effective_props(c: Context, cid: str, spec: BlockType, raw: dict[str, Any]) -> dict[str, Any]:
    """The block's props with defaults filled in; a value that breaks a rule is reported."""
    props: dict[str, Any] = {}
    for prop in spec.props:
        default = c.meta.get(prop.meta_default, prop.default) if prop.meta_default \
            else prop.default
        value = raw.get(prop.name, default)
        problem = check_prop_value(prop, value)
        if problem:
            where = "" if prop.name in raw else " (from the design's defaults)"
            c.err(problem[0], f"{show(cid)}: {prop.name} {problem[1]}{where}.",
                  component_id=cid, prop=prop.name)
            if problem[0] in UNUSABLE:
                value = prop.default
            elif problem[0] == prop.max_code:
                value = int(prop.max or 0)  # estimate with the largest allowed value
        props[prop.name] = value
    for name in raw:
        if spec.prop(name) is None:
            known = ", ".join(p.name for p in spec.props) or "none"
            c.err("UNKNOWN_PROP", f"{show(cid)}: {spec.label} has no prop {show(name)} "
                  f"(its props: {known}).", component_id=cid, prop=show(name, 64))
    return props


def check_type_rules(c: Context, cid: str, spec: BlockType, props: dict[str, Any]) -> None:
    """Rules between the props of one block type."""
    if spec.type == "transformer_layer" and props["d_model"] % props["n_heads"]:
        c.err("HEADS_DIVIDE_D_MODEL", f"{show(cid)}: n_heads {props['n_heads']} does not "
              f"divide d_model {props['d_model']}.", component_id=cid, prop="n_heads")
    if spec.type == "moe_layer" and props["top_k"] > props["n_experts"]:
        c.err("TOP_K_EXCEEDS_EXPERTS", f"{show(cid)}: top_k {props['top_k']} is more than "
              f"its {props['n_experts']} experts.", component_id=cid, prop="top_k")


# --- edges -------------------------------------------------------------------------------

def check_edges(c: Context, edges: list[Any]) -> None:
    """Each edge names two usable blocks, once, and joins ports that fit."""
    seen: set[tuple[int, int]] = set()
    for pos, edge in enumerate(edges):
        if (not isinstance(edge, (list, tuple)) or len(edge) != 2
                or not all(isinstance(e, str) for e in edge)):
            c.err("BAD_EDGE", f"Edge #{pos + 1} must be a [source id, target id] pair, not "
                  f"{show(edge)}.")
            continue
        src, dst = edge
        missing = [e for e in (src, dst) if e not in c.index_of]
        if missing:
            c.err("DANGLING_EDGE", f"Edge {show(src)} → {show(dst)} names "
                  f"{' and '.join(show(m) for m in missing)}, which does not exist.",
                  edge=(src, dst))
            continue
        u, v = c.index_of[src], c.index_of[dst]
        if u < 0 or v < 0:
            continue  # an unknown-type block: already reported
        if (u, v) in seen:
            c.err("DUPLICATE_EDGE", f"Edge {show(src)} → {show(dst)} appears twice.",
                  edge=(src, dst))
            continue
        if u == v:
            c.err("CYCLE", f"{show(src)} is wired to itself.", component_id=src,
                  edge=(src, dst))
            continue
        problem = connection_problem(c.spec_of[u], c.spec_of[v], src, dst)
        if problem:
            c.err("BAD_CONNECTION", problem, edge=(src, dst))
            continue
        seen.add((u, v))
        c.a.edges.append((u, v))


def connection_problem(su: BlockType, sv: BlockType, src: str, dst: str) -> str | None:
    """Why the output of ``su`` cannot feed ``sv`` (None when it can)."""
    if not su.outputs:
        return f"{show(src)} ({su.label}) has no output; it cannot feed {show(dst)}."
    if not sv.inputs:
        return f"{show(dst)} ({sv.label}) takes no input; remove the edge from {show(src)}."
    if su.outputs[0].kind not in sv.inputs[0].accepts:
        return (f"{show(dst)} ({sv.label}) reads the board itself; connect it straight "
                f"from a board input, not from {show(src)}.")
    return None


# --- graph -------------------------------------------------------------------------------

def check_graph(c: Context) -> bool:
    """Inputs and outputs, cycles, reachability, unused blocks; True when acyclic."""
    nodes = c.a.nodes
    c.succ = [[] for _ in nodes]
    c.pred = [[] for _ in nodes]
    for u, v in c.a.edges:
        c.succ[u].append(v)
        c.pred[v].append(u)
    n_inputs, n_outputs = check_inputs_and_outputs(c)
    acyclic = check_cycles(c)
    reached = check_reachable(c, n_inputs)
    check_useful(c, reached, n_outputs)
    return acyclic


def check_inputs_and_outputs(c: Context) -> tuple[int, int]:
    n_inputs = sum(1 for n in c.a.nodes if n.type == "board_input")
    outputs = [n for n in c.a.nodes if n.type in OUTPUT_TYPES]
    if n_inputs == 0:
        c.err("MISSING_INPUT", "Add a Board input block: the network needs the board.")
    if not outputs:
        c.err("MISSING_OUTPUT", "Add an Action output (or N-tuple value) block: the network "
              "must choose a move.")
    for extra in outputs[1:]:
        c.err("TOO_MANY_OUTPUTS", f"{show(extra.id)}: a design has one output block; "
              "remove the others.", component_id=extra.id)
    return n_inputs, len(outputs)


def check_cycles(c: Context) -> bool:
    """Kahn's algorithm: the topological order, or a CYCLE naming the blocks in loops."""
    nodes = c.a.nodes
    indeg = [len(p) for p in c.pred]
    queue = deque(i for i in range(len(nodes)) if indeg[i] == 0)
    order: list[int] = []
    while queue:
        u = queue.popleft()
        order.append(u)
        for v in c.succ[u]:
            indeg[v] -= 1
            if indeg[v] == 0:
                queue.append(v)
    if len(order) == len(nodes):
        c.a.order = order
        return True
    in_cycle = [nodes[i].id for i in range(len(nodes)) if indeg[i] > 0]
    shown = ", ".join(show(cid, 20) for cid in in_cycle[:6])
    more = f" and {len(in_cycle) - 6} more" if len(in_cycle) > 6 else ""
    c.err("CYCLE", f"These blocks form a loop: {shown}{more}. Signals must flow one way, "
          "from the board to the output.", component_id=in_cycle[0])
    return False


def check_reachable(c: Context, n_inputs: int) -> list[bool]:
    """Blocks reached from a board input; the others are UNREACHABLE."""
    nodes = c.a.nodes
    reached = [n.type == "board_input" for n in nodes]
    queue = deque(i for i, n in enumerate(nodes) if n.type == "board_input")
    while queue:
        u = queue.popleft()
        for v in c.succ[u]:
            if not reached[v]:
                reached[v] = True
                queue.append(v)
    if n_inputs:
        for i, n in enumerate(nodes):
            if not reached[i]:
                c.err("UNREACHABLE", f"{show(n.id)} is not connected to a board input.",
                      component_id=n.id)
    return reached


def check_useful(c: Context, reached: list[bool], n_outputs: int) -> None:
    """Warn about reached blocks whose result flows into neither the output nor a head."""
    nodes = c.a.nodes
    useful = [n.type in (*OUTPUT_TYPES, "aux_loss_head") for n in nodes]
    queue = deque(i for i in range(len(nodes)) if useful[i])
    while queue:
        v = queue.popleft()
        for u in c.pred[v]:
            if not useful[u]:
                useful[u] = True
                queue.append(u)
    if n_outputs:
        for i, n in enumerate(nodes):
            if reached[i] and not useful[i]:
                c.err("DOES_NOT_REACH_OUTPUT", f"{show(n.id)} leads nowhere: connect it "
                      "towards the output (or delete it).", component_id=n.id)


# --- widths ------------------------------------------------------------------------------

def check_widths(c: Context) -> bool:
    """Connected tokens ports agree on d_model; sets each node's width. True when they do."""
    nodes, spec_of = c.a.nodes, c.spec_of
    widths = Widths(len(nodes))
    for i, n in enumerate(nodes):
        if spec_of[i].sets_width:
            widths.width[i] = n.props["d_model"]
    widths_ok = True
    for u, v in c.a.edges:
        if spec_of[v].reads_board:
            continue  # no width to agree on
        clash = widths.union(u, v)
        if clash:
            widths_ok = False
            w1, s1, w2, s2 = clash
            c.err("D_MODEL_MISMATCH", f"{show(nodes[u].id)} → {show(nodes[v].id)}: the "
                  f"stream is {w1} wide at {show(nodes[s1].id)} but {w2} at "
                  f"{show(nodes[s2].id)}; give connected blocks the same d_model.",
                  edge=(nodes[u].id, nodes[v].id), component_id=nodes[v].id)
    for i, n in enumerate(nodes):
        w = widths.width[widths.find(i)]
        n.width = w if w is not None else c.meta["d_model"]
        if n.type == "board_input":
            c.a.implicit_embedding[i] = any(not spec_of[v].reads_board for v in c.succ[i])
    return widths_ok


# --- attachments -------------------------------------------------------------------------

def check_attachments(c: Context) -> None:
    """What each router and checkpoint configures; MoE layers and their routers."""
    nodes = c.a.nodes
    routers_of: dict[int, list[int]] = {i: [] for i, n in enumerate(nodes)
                                        if n.type == "moe_layer"}
    for i, n in enumerate(nodes):
        if n.type == "load_balance_router":
            moes = [m for m in downstream(c, i, "layer") if nodes[m].type == "moe_layer"]
            if not moes:
                c.err("ROUTER_WITHOUT_MOE", f"{show(n.id)} feeds no mixture of experts, so "
                      "it has no effect: wire it into an MoE block.", component_id=n.id)
            for m in moes:
                routers_of[m].append(i)
        elif n.type == "grad_checkpoint":
            layers = downstream(c, i, "layer")
            if not layers:
                c.err("CHECKPOINT_WITHOUT_LAYER", f"{show(n.id)} marks no layer: wire it "
                      "into a transformer or MoE block.", component_id=n.id)
            c.a.checkpointed.update(layers)
    for m, routers in routers_of.items():
        if not routers:
            c.err("MOE_WITHOUT_LOAD_BALANCING", f"{show(nodes[m].id)} has no load-balance "
                  "router: experts may collapse onto a few. Wire a router into it.",
                  component_id=nodes[m].id)
        elif len(routers) > 1:
            c.err("MULTIPLE_ROUTERS", f"{show(nodes[m].id)} is fed by {len(routers)} "
                  "routers; their losses add up.", component_id=nodes[m].id)
        c.a.moe_losses[m] = (sum(nodes[r].props["coef"] for r in routers),
                             sum(nodes[r].props["z_coef"] for r in routers))


def downstream(c: Context, start: int, target_role: str) -> list[int]:
    """Blocks of a role reached from ``start`` through pass-through blocks only."""
    found, stack, visited = [], list(c.succ[start]), {start}
    while stack:
        v = stack.pop()
        if v in visited:
            continue
        visited.add(v)
        role = c.spec_of[v].role
        if role == target_role and (target_role != "layer" or c.a.nodes[v].type in
                                    ("transformer_layer", "moe_layer")):
            found.append(v)
        elif role == "pass":
            stack.extend(c.succ[v])
    return sorted(found)


# --- driver ------------------------------------------------------------------------------

def analyze(design: Any) -> Analysis:
    """Run every rule; return the issues and the resolved graph."""
    c = Context()
    shape = check_shape(c, design)
    if shape is None:
        return c.a
    comps, edges = shape
    check_components(c, design, comps)
    check_edges(c, edges)
    acyclic = check_graph(c)
    widths_ok = check_widths(c)
    check_attachments(c)
    c.a.resolved = acyclic and widths_ok and not c.too_large
    return c.a


def validate(design: Any) -> ValidationResult:
    """Validate anything; never raises. See the module docstring."""
    try:
        a = analyze(design)
    except RecursionError:  # pragma: no cover - defensive: deeply nested junk
        a = Analysis([Issue("BAD_DESIGN", "The design is nested too deeply to read.")])
    params, memory = estimate(a) if a.nodes else (0, 0)
    if a.nodes:
        check_budget(a.issues, params, memory)
    valid = not any(i.severity == "error" for i in a.issues)
    return ValidationResult(valid, params / 1e6, params, memory, a.issues)
