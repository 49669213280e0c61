"""Validation of record: every rule a design must satisfy, with stable error codes.

``validate(anything)`` never raises: whatever arrives (from the page, a file, a notebook)
comes back as a :class:`ValidationResult`. ``analyze`` does the same work and also returns
the resolved graph (effective props, topological order, stream widths, which MoE each
router configures, which layers are checkpointed) that the estimates and the code
generator build on, so a rule is decided in exactly one place.

The JS worker (``js/src/validate.ts``) mirrors this module; both run the shared vectors in
``tests/vectors``. Change them together.

All passes are linear in the size of the graph (union-find for widths, Kahn's algorithm for
cycles, breadth-first search for reachability), so a 10,000-block payload is answered in
milliseconds.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from modelstudio_widget.design.catalog import BY_TYPE, LIMITS, META_BY_NAME, WARNING_CODES, Prop

#: Beyond this many components or edges we stop after the size check: nothing useful can
#: be said about such a payload and walking it would only cost the kernel time.
HARD_CAP = 100_000


@dataclass(frozen=True)
class Issue:
    code: str
    message: str
    severity: str = "error"
    component_id: str | None = None
    edge: tuple[str, str] | None = None
    prop: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"code": self.code, "message": self.message,
                             "severity": self.severity}
        if self.component_id is not None:
            d["component_id"] = self.component_id
        if self.edge is not None:
            d["edge"] = list(self.edge)
        if self.prop is not None:
            d["prop"] = self.prop
        return d


@dataclass
class ValidationResult:
    valid: bool
    paramCount: float  # millions, exact: params / 1e6
    params: int
    estimatedMemory: int  # MB (MiB) for one training minibatch, see estimate.py
    errors: list[Issue] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        """Sorted unique codes of all issues (errors and warnings)."""
        return sorted({i.code for i in self.errors})

    @property
    def error_codes(self) -> list[str]:
        return sorted({i.code for i in self.errors if i.severity == "error"})

    def to_dict(self) -> dict[str, Any]:
        return {"valid": self.valid, "paramCount": self.paramCount, "params": self.params,
                "estimatedMemory": self.estimatedMemory,
                "errors": [i.to_dict() for i in self.errors]}

    def __bool__(self) -> bool:
        return self.valid


@dataclass
class Node:
    """A component after validation: effective props (defaults filled in)."""
    index: int
    id: str
    type: str
    props: dict[str, Any]
    width: int = 0  # stream width of its tokens (board_input: of its implicit embedding)


@dataclass
class Analysis:
    """Everything validation learned about a design."""
    issues: list[Issue]
    nodes: list[Node] = field(default_factory=list)
    edges: list[tuple[int, int]] = field(default_factory=list)  # index pairs, deduplicated
    order: list[int] = field(default_factory=list)  # topological order (empty if cyclic)
    #: board_input index -> True when it feeds a tokens input (implicit embedding).
    implicit_embedding: dict[int, bool] = field(default_factory=dict)
    #: moe index -> (load-balancing coef, z-loss coef), summed over its routers.
    moe_losses: dict[int, tuple[float, float]] = field(default_factory=dict)
    #: indices of layers that run under gradient checkpointing.
    checkpointed: set[int] = field(default_factory=set)
    #: True when widths, order and props are all known (estimates are meaningful).
    resolved: bool = False

    @property
    def ok(self) -> bool:
        return not any(i.severity == "error" for i in self.issues)

    def inputs_of(self) -> list[list[int]]:
        ins: list[list[int]] = [[] for _ in self.nodes]
        for u, v in self.edges:
            ins[v].append(u)
        return ins


def _show(value: Any, limit: int = 40) -> str:
    """A short, printable rendering of a user value for messages."""
    text = value if isinstance(value, str) else repr(value)
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_number(v: Any) -> bool:
    return type(v) in (int, float)


def check_prop_value(prop: Prop, value: Any) -> tuple[str, str] | None:
    """Type, bounds and choices of one prop value -> (code, reason) or None when fine."""
    if prop.type == "int":
        if type(value) is not int:
            return "PROP_TYPE", f"must be a whole number, not {_show(value)}"
        if prop.max_code and prop.max is not None and value > prop.max:
            return prop.max_code, f"is {value}; at most {int(prop.max)} are supported"
        if (prop.min is not None and value < prop.min) or (prop.max is not None
                                                           and value > prop.max):
            return "PROP_RANGE", (f"is {_show(value)}; it must be between "
                                  f"{int(prop.min or 0)} and {int(prop.max or 0)}")
        if prop.multiple_of and value % prop.multiple_of:
            lo = value - value % prop.multiple_of
            hint = f"try {lo} or {lo + prop.multiple_of}" if lo >= (prop.min or 0) else \
                f"try {lo + prop.multiple_of}"
            return prop.multiple_code or "PROP_RANGE", (
                f"is {value}; it must be a multiple of {prop.multiple_of} ({hint})")
        return None
    if prop.type == "float":
        if not _is_number(value):
            return "PROP_TYPE", f"must be a number, not {_show(value)}"
        if not math.isfinite(value):
            return "PROP_TYPE", f"must be a finite number, not {_show(value)}"
        if (prop.min is not None and value < prop.min) or (prop.max is not None
                                                           and value > prop.max):
            return "PROP_RANGE", f"is {_show(value)}; it must be between {prop.min} and {prop.max}"
        return None
    if prop.type == "bool":
        if type(value) is not bool:
            return "PROP_TYPE", f"must be true or false, not {_show(value)}"
        return None
    # enum
    if type(value) is not str:
        return "PROP_TYPE", f"must be one of {', '.join(prop.choices)}, not {_show(value)}"
    if value not in prop.choices:
        return "PROP_RANGE", f"is {_show(value)}; choose one of {', '.join(prop.choices)}"
    return None


class _Widths:
    """Union-find over stream widths: connected tokens ports must agree on d_model."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))
        self.width: list[int | None] = [None] * n
        self.source: list[int] = list(range(n))  # node that fixed the class's width

    def find(self, a: int) -> int:
        root = a
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[a] != root:  # path compression
            self.parent[a], a = root, self.parent[a]
        return root

    def fix(self, a: int, width: int) -> None:
        self.width[a] = width

    def union(self, a: int, b: int) -> tuple[int, int, int, int] | None:
        """Join two classes; on a width conflict return (w_a, src_a, w_b, src_b)."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        wa, wb = self.width[ra], self.width[rb]
        if wa is not None and wb is not None and wa != wb:
            return wa, self.source[ra], wb, self.source[rb]
        self.parent[rb] = ra
        if wa is None:
            self.width[ra], self.source[ra] = wb, self.source[rb]
        return None


def analyze(design: Any) -> Analysis:
    """Run every rule; return the issues and the resolved graph."""
    issues: list[Issue] = []

    def err(code: str, message: str, **where: Any) -> None:
        severity = "warning" if code in WARNING_CODES else "error"
        issues.append(Issue(code, message, severity, **where))

    a = Analysis(issues)

    # --- shape -----------------------------------------------------------------------
    if not isinstance(design, dict):
        err("BAD_DESIGN", f"A design must be a JSON object, not {type(design).__name__}.")
        return a
    comps = design.get("components")
    edges = design.get("edges", [])
    if not isinstance(comps, list):
        err("BAD_DESIGN", "A design needs a 'components' list.")
        return a
    if not isinstance(edges, list):
        err("BAD_DESIGN", "'edges' must be a list of [source, target] pairs.")
        return a
    version = design.get("schema_version", 1)
    if version != 1 or type(version) is not int:
        err("BAD_DESIGN", f"schema_version is {_show(version)}; this version reads 1.")
        return a
    for key in ("id", "name"):
        if key in design and not isinstance(design[key], str):
            err("BAD_DESIGN", f"The design's '{key}' must be a string.")
        elif key in design and len(design[key]) > LIMITS[f"max_{key}_length"]:
            err("BAD_DESIGN", f"The design's '{key}' is longer than "
                f"{LIMITS[f'max_{key}_length']} characters.")

    too_large = False
    if len(comps) > LIMITS["max_components"]:
        err("TOO_LARGE", f"The design has {len(comps)} blocks; the limit is "
            f"{LIMITS['max_components']}.")
        too_large = True
    if len(edges) > LIMITS["max_edges"]:
        err("TOO_LARGE", f"The design has {len(edges)} edges; the limit is "
            f"{LIMITS['max_edges']}.")
        too_large = True
    if len(comps) > HARD_CAP or len(edges) > HARD_CAP:
        return a

    # --- meta (design-level defaults) ------------------------------------------------
    meta_raw = design.get("meta", {})
    meta: dict[str, Any] = {name: p.default for name, p in META_BY_NAME.items()}
    if not isinstance(meta_raw, dict):
        err("BAD_DESIGN", "'meta' must be an object such as {\"d_model\": 128}.")
    else:
        for name, prop in META_BY_NAME.items():
            if name in meta_raw:
                problem = check_prop_value(prop, meta_raw[name])
                if problem:
                    err(problem[0], f"The design's {name} {problem[1]}.", prop=f"meta.{name}")
                    if problem[0] in ("PROP_TYPE", "PROP_RANGE"):
                        continue
                meta[name] = meta_raw[name]

    # --- components ------------------------------------------------------------------
    index_of: dict[str, int] = {}
    for pos, comp in enumerate(comps):
        if not isinstance(comp, dict):
            err("BAD_DESIGN", f"Component #{pos + 1} must be an object with id, type and props.")
            continue
        cid = comp.get("id")
        if not isinstance(cid, str) or not cid.strip() or len(cid) > LIMITS["max_id_length"]:
            err("BAD_ID", f"Component #{pos + 1} has id {_show(cid)}; an id must be a "
                f"non-empty string of at most {LIMITS['max_id_length']} characters.")
            continue
        if cid in index_of:
            err("DUPLICATE_ID", f"Two blocks share the id '{_show(cid)}'; ids must be unique.",
                component_id=cid)
            continue
        ctype = comp.get("type")
        spec = BY_TYPE.get(ctype) if isinstance(ctype, str) else None
        if spec is None:
            err("UNKNOWN_TYPE", f"{_show(cid)}: unknown block type {_show(ctype)}; choose one "
                f"of {', '.join(BY_TYPE)}.", component_id=cid)
            index_of[cid] = -1  # known id, unusable block: edges to it are not dangling
            continue
        position = comp.get("position")
        if position is not None and not (
                isinstance(position, dict) and all(
                    _is_number(position.get(k)) and math.isfinite(position[k])
                    and abs(position[k]) <= 1e6 for k in ("x", "y"))):
            err("BAD_DESIGN", f"{_show(cid)}: position must be {{x, y}} with finite numbers.",
                component_id=cid)
        raw = comp.get("props", {})
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            err("BAD_DESIGN", f"{_show(cid)}: props must be an object.", component_id=cid)
            raw = {}
        props: dict[str, Any] = {}
        for prop in spec.props:
            default = meta.get(prop.meta_default, prop.default) if prop.meta_default \
                else prop.default
            value = raw.get(prop.name, default)
            problem = check_prop_value(prop, value)
            if problem:
                where = "" if prop.name in raw else " (from the design's defaults)"
                err(problem[0], f"{_show(cid)}: {prop.name} {problem[1]}{where}.",
                    component_id=cid, prop=prop.name)
                if problem[0] in ("PROP_TYPE", "PROP_RANGE"):
                    value = prop.default
                elif problem[0] == prop.max_code:
                    value = int(prop.max or 0)  # estimate with the largest allowed value
            props[prop.name] = value
        for name in raw:
            if spec.prop(name) is None:
                known = ", ".join(p.name for p in spec.props) or "none"
                err("UNKNOWN_PROP", f"{_show(cid)}: {spec.label} has no prop {_show(name)} "
                    f"(its props: {known}).", component_id=cid, prop=_show(name, 64))
        if spec.type == "transformer_layer" and props["d_model"] % props["n_heads"]:
            err("HEADS_DIVIDE_D_MODEL", f"{_show(cid)}: n_heads {props['n_heads']} does not "
                f"divide d_model {props['d_model']}.", component_id=cid, prop="n_heads")
        if spec.type == "moe_layer" and props["top_k"] > props["n_experts"]:
            err("TOP_K_EXCEEDS_EXPERTS", f"{_show(cid)}: top_k {props['top_k']} is more than "
                f"its {props['n_experts']} experts.", component_id=cid, prop="top_k")
        index_of[cid] = len(a.nodes)
        a.nodes.append(Node(len(a.nodes), cid, spec.type, props))

    nodes = a.nodes
    spec_of = [BY_TYPE[n.type] for n in nodes]

    # --- edges -----------------------------------------------------------------------
    seen: set[tuple[int, int]] = set()
    for pos, edge in enumerate(edges):
        if (not isinstance(edge, (list, tuple)) or len(edge) != 2
                or not all(isinstance(e, str) for e in edge)):
            err("BAD_EDGE", f"Edge #{pos + 1} must be a [source id, target id] pair, not "
                f"{_show(edge)}.")
            continue
        src, dst = edge
        missing = [e for e in (src, dst) if e not in index_of]
        if missing:
            err("DANGLING_EDGE", f"Edge {_show(src)} → {_show(dst)} names "
                f"{' and '.join(_show(m) for m in missing)}, which does not exist.",
                edge=(src, dst))
            continue
        u, v = index_of[src], index_of[dst]
        if u < 0 or v < 0:
            continue  # an unknown-type block: already reported
        if (u, v) in seen:
            err("DUPLICATE_EDGE", f"Edge {_show(src)} → {_show(dst)} appears twice.",
                edge=(src, dst))
            continue
        if u == v:
            err("CYCLE", f"{_show(src)} is wired to itself.", component_id=src, edge=(src, dst))
            continue
        su, sv = spec_of[u], spec_of[v]
        if not su.outputs:
            err("BAD_CONNECTION", f"{_show(src)} ({su.label}) has no output; it cannot feed "
                f"{_show(dst)}.", edge=(src, dst))
            continue
        if not sv.inputs:
            err("BAD_CONNECTION", f"{_show(dst)} ({sv.label}) takes no input; remove the edge "
                f"from {_show(src)}.", edge=(src, dst))
            continue
        if su.outputs[0].kind not in sv.inputs[0].accepts:
            err("BAD_CONNECTION", f"{_show(dst)} ({sv.label}) reads the board itself; connect "
                f"it straight from a board input, not from {_show(src)}.", edge=(src, dst))
            continue
        seen.add((u, v))
        a.edges.append((u, v))

    # --- inputs and outputs ----------------------------------------------------------
    n_inputs = sum(1 for n in nodes if n.type == "board_input")
    outputs = [n for n in nodes if n.type == "action_output"]
    if n_inputs == 0:
        err("MISSING_INPUT", "Add a Board input block: the network needs the board.")
    if not outputs:
        err("MISSING_OUTPUT", "Add an Action output block: the network must choose a move.")
    for extra in outputs[1:]:
        err("TOO_MANY_OUTPUTS", f"{_show(extra.id)}: a design has one Action output; remove "
            "the others.", component_id=extra.id)

    succ: list[list[int]] = [[] for _ in nodes]
    pred: list[list[int]] = [[] for _ in nodes]
    for u, v in a.edges:
        succ[u].append(v)
        pred[v].append(u)

    # --- cycles (Kahn) ---------------------------------------------------------------
    indeg = [len(p) for p in pred]
    queue = deque(i for i in range(len(nodes)) if indeg[i] == 0)
    order: list[int] = []
    while queue:
        u = queue.popleft()
        order.append(u)
        for v in succ[u]:
            indeg[v] -= 1
            if indeg[v] == 0:
                queue.append(v)
    acyclic = len(order) == len(nodes)
    if not acyclic:
        in_cycle = [nodes[i].id for i in range(len(nodes)) if indeg[i] > 0]
        shown = ", ".join(_show(c, 20) for c in in_cycle[:6])
        more = f" and {len(in_cycle) - 6} more" if len(in_cycle) > 6 else ""
        err("CYCLE", f"These blocks form a loop: {shown}{more}. Signals must flow one way, "
            "from the board to the output.", component_id=in_cycle[0])
    else:
        a.order = order

    # --- reachability from a board input ---------------------------------------------
    reached = [False] * len(nodes)
    queue = deque(i for i, n in enumerate(nodes) if n.type == "board_input")
    for i in queue:
        reached[i] = True
    while queue:
        u = queue.popleft()
        for v in succ[u]:
            if not reached[v]:
                reached[v] = True
                queue.append(v)
    if n_inputs:
        for i, n in enumerate(nodes):
            if not reached[i]:
                err("UNREACHABLE", f"{_show(n.id)} is not connected to a board input.",
                    component_id=n.id)

    # --- blocks whose result is never used (warnings) --------------------------------
    useful = [n.type in ("action_output", "aux_loss_head") for n in nodes]
    queue = deque(i for i in range(len(nodes)) if useful[i])
    while queue:
        v = queue.popleft()
        for u in pred[v]:
            if not useful[u]:
                useful[u] = True
                queue.append(u)
    if outputs:
        for i, n in enumerate(nodes):
            if reached[i] and not useful[i]:
                err("DOES_NOT_REACH_OUTPUT", f"{_show(n.id)} leads nowhere: connect it towards "
                    "the Action output (or delete it).", component_id=n.id)

    # --- stream widths ---------------------------------------------------------------
    widths = _Widths(len(nodes))
    for i, n in enumerate(nodes):
        if spec_of[i].sets_width:
            widths.fix(i, n.props["d_model"])
    widths_ok = True
    for u, v in a.edges:
        if spec_of[v].type == "embedding":
            continue  # reads the raw board: no width to agree on
        clash = widths.union(u, v)
        if clash:
            widths_ok = False
            w1, s1, w2, s2 = clash
            err("D_MODEL_MISMATCH", f"{_show(nodes[u].id)} → {_show(nodes[v].id)}: the stream "
                f"is {w1} wide at {_show(nodes[s1].id)} but {w2} at {_show(nodes[s2].id)}; "
                "give connected blocks the same d_model.",
                edge=(nodes[u].id, nodes[v].id), component_id=nodes[v].id)
    for i, n in enumerate(nodes):
        w = widths.width[widths.find(i)]
        n.width = w if w is not None else meta["d_model"]
        if n.type == "board_input":
            a.implicit_embedding[i] = any(spec_of[v].type != "embedding" for v in succ[i])

    # --- routers and checkpoints: what they attach to --------------------------------
    def downstream(start: int, target_role: str) -> list[int]:
        """Blocks of a role reached from ``start`` through pass-through blocks only."""
        found, stack, visited = [], list(succ[start]), {start}
        while stack:
            v = stack.pop()
            if v in visited:
                continue
            visited.add(v)
            role = spec_of[v].role
            if role == target_role and (target_role != "layer" or nodes[v].type in
                                        ("transformer_layer", "moe_layer")):
                found.append(v)
            elif role == "pass":
                stack.extend(succ[v])
        return sorted(found)

    routers_of: dict[int, list[int]] = {i: [] for i, n in enumerate(nodes)
                                        if n.type == "moe_layer"}
    for i, n in enumerate(nodes):
        if n.type == "load_balance_router":
            moes = [m for m in downstream(i, "layer") if nodes[m].type == "moe_layer"]
            if not moes:
                err("ROUTER_WITHOUT_MOE", f"{_show(n.id)} feeds no mixture of experts, so it "
                    "has no effect: wire it into an MoE block.", component_id=n.id)
            for m in moes:
                routers_of[m].append(i)
        elif n.type == "grad_checkpoint":
            layers = downstream(i, "layer")
            if not layers:
                err("CHECKPOINT_WITHOUT_LAYER", f"{_show(n.id)} marks no layer: wire it into a "
                    "transformer or MoE block.", component_id=n.id)
            a.checkpointed.update(layers)
    for m, routers in routers_of.items():
        if not routers:
            err("MOE_WITHOUT_LOAD_BALANCING", f"{_show(nodes[m].id)} has no load-balance "
                "router: experts may collapse onto a few. Wire a router into it.",
                component_id=nodes[m].id)
        elif len(routers) > 1:
            err("MULTIPLE_ROUTERS", f"{_show(nodes[m].id)} is fed by {len(routers)} routers; "
                "their losses add up.", component_id=nodes[m].id)
        a.moe_losses[m] = (sum(nodes[r].props["coef"] for r in routers),
                           sum(nodes[r].props["z_coef"] for r in routers))

    a.resolved = acyclic and widths_ok and not too_large
    return a


def validate(design: Any) -> ValidationResult:
    """Validate anything; never raises. See the module docstring."""
    from modelstudio_widget.design.estimate import estimate

    try:
        a = analyze(design)
    except RecursionError:  # pragma: no cover - defensive: deeply nested junk
        a = Analysis([Issue("BAD_DESIGN", "The design is nested too deeply to read.")])
    params, memory = estimate(a) if a.nodes else (0, 0)
    issues = a.issues
    if a.nodes and not any(i.code == "TOO_LARGE" for i in issues):
        if params > LIMITS["max_params"]:
            issues.append(Issue("TOO_LARGE", f"{params / 1e6:.1f} M parameters is over the "
                                f"{LIMITS['max_params'] / 1e6:.0f} M budget; make layers "
                                "narrower or fewer."))
        elif memory > LIMITS["max_memory_mb"]:
            issues.append(Issue("TOO_LARGE", f"Training needs about {memory} MB, over the "
                                f"{LIMITS['max_memory_mb']} MB budget; add gradient "
                                "checkpoints or shrink the design."))
    valid = not any(i.severity == "error" for i in issues)
    return ValidationResult(valid, params / 1e6, params, memory, issues)
