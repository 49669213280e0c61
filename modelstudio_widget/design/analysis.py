"""What validation produces: issues, the validation result and the resolved graph.

The types shared by the rules (``rules.py``), the estimates (``estimate.py``) and the code
generator, in a module of their own so that none of them imports another for its types;
with them the union-find the rules resolve stream widths with. The JS worker mirrors this
module in ``js/src/validation/analysis.ts``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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


class Widths:
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
