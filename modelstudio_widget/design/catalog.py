"""The block catalog: the one table of block types, their props and their ports.

Everything else reads this table: validation (Python and, through the widget, the JS
worker), the estimates, code generation and the editor's palette and inspector. A block
type, a prop, a bound or a default is defined here and nowhere else.

Port kinds:
- ``board``: the raw 4x4 board of tile exponents (only ``board_input`` produces it).
- ``tokens``: the residual stream, 16 tokens (one per cell) of width ``d_model``.

A ``board`` output wired into a ``tokens`` input gets an implicit learned tile + position
embedding of the stream's width; an ``embedding`` block makes that choice explicit, and an
``ntuple`` block (role ``encoder`` too) reads the board through n-tuple lookup tables.
A design ends in one ``output`` block: an ``action_output`` (policy and value heads,
trained by PPO) or an ``ntuple_value`` (a look-ahead over the four moves' afterstates
valued by n-tuple tables, trained by TD(0): ``training/td.py``).
A block with several incoming edges receives the sum of its inputs.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Literal

from modelstudio_widget.ids import MAX_ID_CHARS, MAX_NAME_CHARS

PropType = Literal["int", "float", "bool", "enum"]

#: Tile exponents the engine produces: 0 (empty) .. 15 (32768).
N_TILE_VALUES = 16
#: Tokens per board (one per cell).
N_CELLS = 16
#: Actions: up, right, down, left.
N_ACTIONS = 4
#: Classes of the ``max_tile`` auxiliary target (tile exponents).
N_MAX_TILE_CLASSES = N_TILE_VALUES
#: Outputs of an aux-loss head per target: class logits, or one regressed value.
AUX_TARGET_WIDTH = {"max_tile": N_MAX_TILE_CLASSES, "future_score": 1}
#: Experts a mixture-of-experts layer may have (``TOO_MANY_EXPERTS`` beyond).
MAX_EXPERTS = 8
#: The design format this version reads (``design["schema_version"]``).
SCHEMA_VERSION = 1
#: Largest |x| or |y| of a block's canvas position.
MAX_COORDINATE = 1e6
#: Beyond this many components or edges validation stops after the size check: nothing
#: useful can be said about such a payload and walking it would only cost the kernel time.
HARD_CAP = 100_000

#: Memory estimate inputs (design/estimate.py): boards per PPO minibatch (the trainer's
#: default minibatch uses the same constant), float32, and weights + gradients + Adam's
#: two moments.
TRAIN_BATCH = 512
BYTES_PER_FLOAT = 4
OPTIMIZER_COPIES = 4
#: Floats a saved int64 index takes (tile indices of a learned embedding).
INDEX_FLOATS = 2
#: Floats an MoE layer saves per token and expert for its router and gate (measured).
MOE_ROUTER_FLOATS_PER_EXPERT = 16

#: The n-tuple block's tuples: each shape is a list of base tuples (ordered board cells,
#: row-major 0..15), each expanded to its 8 symmetric copies (rotations and reflections of
#: the board) that share one table. Lines: an outer and an inner row (with their copies:
#: all 4 rows and 4 columns, both directions); squares: a corner, an edge and the centre
#: 2x2 square (all 9 squares). Szubert & Jaskowski (2014) built their 2048 player on such
#: tuples (FINDINGS).
NTUPLE_CELLS = 4
NTUPLE_BASES: dict[str, tuple[tuple[int, ...], ...]] = {
    "lines": ((0, 1, 2, 3), (4, 5, 6, 7)),
    "squares": ((0, 1, 4, 5), (1, 2, 5, 6), (5, 6, 9, 10)),
    "lines_squares": ((0, 1, 2, 3), (4, 5, 6, 7), (0, 1, 4, 5), (1, 2, 5, 6), (5, 6, 9, 10)),
}
#: The board's 8 symmetries as maps of (row, column) on the 4x4 board.
NTUPLE_SYMMETRIES = (
    lambda r, c: (r, c), lambda r, c: (c, 3 - r), lambda r, c: (3 - r, 3 - c),
    lambda r, c: (3 - c, r), lambda r, c: (r, 3 - c), lambda r, c: (3 - r, c),
    lambda r, c: (c, r), lambda r, c: (3 - c, 3 - r),
)


def ntuple_instances(shape: str) -> tuple[list[list[int]], list[int]]:
    """(ordered cells of every symmetric copy, the base tuple whose table each one reads)."""
    cells: list[list[int]] = []
    table: list[int] = []
    for base, tup in enumerate(NTUPLE_BASES[shape]):
        for sym in NTUPLE_SYMMETRIES:
            cells.append([4 * r + c for r, c in (sym(i // 4, i % 4) for i in tup)])
            table.append(base)
    return cells, table


#: Roles say how validation and code generation treat a block.
#: ``input`` produces the board; ``encoder`` turns it into tokens; ``layer`` transforms
#: tokens (and is what routers and checkpoints attach to); ``pass`` hands tokens on
#: unchanged (configuring or observing the stream); ``output`` ends the network.
Role = Literal["input", "encoder", "layer", "pass", "output"]


@dataclass(frozen=True)
class Prop:
    name: str
    type: PropType
    default: Any
    doc: str
    min: float | None = None
    max: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    #: Name of the design-level ``meta`` entry that overrides the default, if any.
    meta_default: str | None = None
    #: Error code for a value above ``max`` when a rule has a code of its own.
    max_code: str | None = None
    #: A value must be a multiple of this (the rule's code is ``multiple_code``).
    multiple_of: int | None = None
    multiple_code: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "type": self.type, "default": self.default,
                             "doc": self.doc}
        if self.min is not None:
            d["min"] = self.min
        if self.max is not None:
            d["max"] = self.max
        if self.step is not None:
            d["step"] = self.step
        if self.choices:
            d["choices"] = list(self.choices)
        if self.meta_default:
            d["meta_default"] = self.meta_default
        if self.max_code:
            d["max_code"] = self.max_code
        if self.multiple_of:
            d["multiple_of"] = self.multiple_of
            d["multiple_code"] = self.multiple_code
        return d


@dataclass(frozen=True)
class Port:
    name: str
    kind: Literal["board", "tokens"]
    #: Input ports: kinds they accept. Output ports: unused.
    accepts: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "kind": self.kind}
        if self.accepts:
            d["accepts"] = list(self.accepts)
        return d


@dataclass(frozen=True)
class BlockType:
    type: str
    label: str
    doc: str
    role: Role
    color: str
    props: tuple[Prop, ...] = ()
    inputs: tuple[Port, ...] = ()
    outputs: tuple[Port, ...] = ()
    #: True when the block has a ``d_model`` prop that fixes the stream width.
    sets_width: bool = False
    #: Output blocks: the algorithm that trains a design ending in this block ("ppo" or
    #: "td"; ``training/settings.py`` says which settings each one reads).
    trainer: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def reads_board(self) -> bool:
        """Whether the block reads the raw board (so it has no stream width to agree on)."""
        return bool(self.inputs) and self.inputs[0].accepts == ("board",)

    def prop(self, name: str) -> Prop | None:
        for p in self.props:
            if p.name == name:
                return p
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "label": self.label,
            "doc": self.doc,
            "role": self.role,
            "color": self.color,
            "sets_width": self.sets_width,
            "props": [p.to_dict() for p in self.props],
            "inputs": [p.to_dict() for p in self.inputs],
            "outputs": [p.to_dict() for p in self.outputs],
            **({"trainer": self.trainer} if self.trainer else {}),
        }


# Shared prop definitions (one definition, several blocks).
D_MODEL = Prop("d_model", "int", 128, "Width of the residual stream (a multiple of 8).",
               min=8, max=1024, step=8, meta_default="d_model",
               multiple_of=8, multiple_code="D_MODEL_MULTIPLE_OF_8")
# The n-tuple blocks' table props: the encoder (rows of width d) and the value output (one
# number per row) read the same tuples; the value output tells all 16 tile classes apart
# by default (its rows are 1 float, not d).
NTUPLE_TUPLES = Prop("tuples", "enum", "lines_squares", "lines: rows and columns; squares: "
                     "the nine 2x2 squares; lines_squares: both (5 tables).",
                     choices=tuple(NTUPLE_BASES))


def ntuple_classes(default: int) -> Prop:
    return Prop("classes", "int", default, "Tile classes a table tells apart: tiles above "
                "2^(classes - 1) share the last class (a table has classes^4 rows).",
                min=8, max=16, step=1)


TOKENS_IN = (Port("in", "tokens", accepts=("tokens", "board")),)
TOKENS_OUT = (Port("out", "tokens"),)

BLOCKS: tuple[BlockType, ...] = (
    BlockType(
        "board_input", "Board input",
        "The 4x4 board as tile exponents (0 = empty, 11 = the 2048 tile).",
        role="input", color="#3b82f6",
        outputs=(Port("out", "board"),),
    ),
    BlockType(
        "embedding", "Embedding",
        "Turns the board into 16 tokens: one vector per cell from its tile, plus its position.",
        role="encoder", color="#06b6d4", sets_width=True,
        props=(
            D_MODEL,
            Prop("encoding", "enum", "learned", "learned: a vector per tile value; "
                 "onehot: a linear map of the one-hot tile.", choices=("learned", "onehot")),
            Prop("positional", "bool", True, "Add a learned vector per board cell."),
        ),
        inputs=(Port("in", "board", accepts=("board",)),), outputs=TOKENS_OUT,
    ),
    BlockType(
        "ntuple", "N-tuple",
        "Turns the board into 16 tokens with learned lookup tables over 4-cell tuples (rows, "
        "columns, 2x2 squares) and their symmetric copies, the features behind the "
        "strongest 2048 programs: each cell's token sums the rows of the tuples it is in.",
        role="encoder", color="#14b8a6", sets_width=True,
        props=(
            D_MODEL,
            NTUPLE_TUPLES,
            ntuple_classes(12),
        ),
        inputs=(Port("in", "board", accepts=("board",)),), outputs=TOKENS_OUT,
    ),
    BlockType(
        "transformer_layer", "Transformer layer",
        "Pre-norm self-attention across the 16 cells, then a feed-forward MLP, each residual.",
        role="layer", color="#8b5cf6", sets_width=True,
        props=(
            D_MODEL,
            Prop("n_heads", "int", 4, "Attention heads; must divide d_model.", min=1, max=64,
                 step=1, meta_default="n_heads"),
            Prop("ff_mult", "int", 4, "Feed-forward hidden width as a multiple of d_model.",
                 min=1, max=8, step=1),
            Prop("activation", "enum", "gelu", "Feed-forward nonlinearity.",
                 choices=("gelu", "relu")),
            Prop("dropout", "float", 0.0, "Dropout on attention and MLP outputs.",
                 min=0.0, max=0.5, step=0.05),
        ),
        inputs=TOKENS_IN, outputs=TOKENS_OUT,
    ),
    BlockType(
        "moe_layer", "Mixture of experts",
        "Pre-norm feed-forward layer with several expert MLPs; a router sends each token "
        "to its top-k experts.",
        role="layer", color="#f59e0b", sets_width=True,
        props=(
            D_MODEL,
            Prop("n_experts", "int", 4, f"Number of expert MLPs (at most {MAX_EXPERTS}).",
                 min=1, max=MAX_EXPERTS, step=1, max_code="TOO_MANY_EXPERTS"),
            Prop("top_k", "int", 2, "Experts each token is sent to (at most n_experts).",
                 min=1, max=MAX_EXPERTS, step=1),
            Prop("ff_mult", "int", 2, "Expert hidden width as a multiple of d_model.",
                 min=1, max=8, step=1),
            Prop("routing", "enum", "dense", "dense: every expert computes, a top-k gate "
                 "mixes (static shapes, exports cleanly); sparse: only chosen experts compute.",
                 choices=("dense", "sparse")),
        ),
        inputs=TOKENS_IN, outputs=TOKENS_OUT,
    ),
    BlockType(
        "load_balance_router", "Load-balance router",
        "Wire it into a mixture of experts: adds the Switch load-balancing loss (and an "
        "optional router z-loss) of that MoE to training, so experts share the work.",
        role="pass", color="#ef4444",
        props=(
            Prop("coef", "float", 0.01, "Weight of the load-balancing loss.",
                 min=0.0, max=1.0, step=0.005),
            Prop("z_coef", "float", 0.0, "Weight of the router z-loss (keeps router logits "
                 "small).", min=0.0, max=0.1, step=0.001),
        ),
        inputs=TOKENS_IN, outputs=TOKENS_OUT,
    ),
    BlockType(
        "aux_loss_head", "Aux-loss head",
        "Reads the stream it sits on and learns an extra prediction target; its loss is "
        "added to training. Tokens pass through unchanged.",
        role="pass", color="#10b981",
        props=(
            Prop("target", "enum", "max_tile", "max_tile: the largest tile `horizon` moves "
                 "ahead; future_score: log of the score gained over the next `horizon` moves.",
                 choices=("max_tile", "future_score")),
            Prop("horizon", "int", 16, "How many moves ahead the target looks (at most 32: "
                 "targets come from one training rollout of 64 moves).",
                 min=1, max=32, step=1),
            Prop("coef", "float", 0.1, "Weight of the auxiliary loss.",
                 min=0.0, max=10.0, step=0.05),
        ),
        inputs=TOKENS_IN, outputs=TOKENS_OUT,
    ),
    BlockType(
        "grad_checkpoint", "Gradient checkpoint",
        "Marks the layer(s) it feeds: their activations are recomputed in the backward "
        "pass instead of stored, trading compute for memory.",
        role="pass", color="#64748b",
        inputs=TOKENS_IN, outputs=TOKENS_OUT,
    ),
    BlockType(
        "ntuple_value", "N-tuple value",
        "Picks each move by looking one move ahead: the move's merge reward plus the value "
        "of the board it leads to, read from n-tuple lookup tables (one number per row, "
        "rows, columns and 2x2 squares with their symmetric copies). Trained by TD(0) on "
        "afterstates, the method behind the strongest 2048 programs, not by PPO: an agent "
        "that reaches 2048 within minutes.",
        role="output", color="#0f766e", trainer="td",
        props=(
            NTUPLE_TUPLES,
            ntuple_classes(16),
        ),
        inputs=(Port("in", "board", accepts=("board",)),),
    ),
    BlockType(
        "action_output", "Action output",
        "Policy and value heads: 4 move logits (up, right, down, left) and a state value.",
        role="output", color="#ec4899", trainer="ppo",
        props=(
            Prop("pool", "enum", "flatten", "flatten: the heads see every cell; mean: they see "
                 "the average token.", choices=("flatten", "mean")),
            Prop("hidden", "int", 0, "Width of a shared hidden layer before the heads "
                 "(0 = none).", min=0, max=1024, step=32),
        ),
        inputs=(Port("in", "tokens", accepts=("tokens", "board")),),
    ),
)

BY_TYPE: dict[str, BlockType] = {b.type: b for b in BLOCKS}
#: The block types a design may end in (exactly one of them).
OUTPUT_TYPES: tuple[str, ...] = tuple(b.type for b in BLOCKS if b.role == "output")

#: Design-level settings (``design["meta"]``): defaults that blocks inherit.
META_PROPS: tuple[Prop, ...] = (
    Prop("d_model", "int", 128, "Default stream width for new blocks and for an implicit "
         "embedding.", min=8, max=1024, step=8,
         multiple_of=8, multiple_code="D_MODEL_MULTIPLE_OF_8"),
    Prop("n_heads", "int", 4, "Default attention heads for new transformer layers.",
         min=1, max=64, step=1),
)
META_BY_NAME: dict[str, Prop] = {p.name: p for p in META_PROPS}

#: Size budget: designs beyond these are refused (``TOO_LARGE``) before anything is built.
LIMITS = {
    "max_components": 512,
    "max_edges": 2048,
    "max_params": 50_000_000,
    "max_memory_mb": 8192,
    "max_id_length": MAX_ID_CHARS,
    "max_name_length": MAX_NAME_CHARS,
}

#: Error codes and what they mean (stable; tests and users rely on them).
ERROR_CODES: dict[str, str] = {
    "BAD_DESIGN": "Not a design at all (wrong shape or type).",
    "UNKNOWN_TYPE": "A component's type is not in the catalog.",
    "DUPLICATE_ID": "Two components share an id.",
    "BAD_ID": "A component id is empty, too long or not a string.",
    "DANGLING_EDGE": "An edge names a component that does not exist.",
    "BAD_EDGE": "An edge is not a pair of component ids.",
    "DUPLICATE_EDGE": "The same edge appears twice.",
    "BAD_CONNECTION": "An edge joins ports that do not fit (e.g. into a board input).",
    "PROP_TYPE": "A prop has the wrong type.",
    "PROP_RANGE": "A prop is outside its bounds or choices.",
    "UNKNOWN_PROP": "A prop the block type does not have.",
    "D_MODEL_MULTIPLE_OF_8": "d_model is not a multiple of 8.",
    "HEADS_DIVIDE_D_MODEL": "n_heads does not divide d_model.",
    "TOO_MANY_EXPERTS": f"More than {MAX_EXPERTS} experts.",
    "TOP_K_EXCEEDS_EXPERTS": "top_k is larger than n_experts.",
    "D_MODEL_MISMATCH": "Connected blocks disagree on the stream width.",
    "MISSING_INPUT": "No board_input block.",
    "MISSING_OUTPUT": "No output block (action_output or ntuple_value).",
    "TOO_MANY_OUTPUTS": "More than one output block.",
    "CYCLE": "The graph has a cycle.",
    "UNREACHABLE": "A component is not reachable from a board input.",
    "TOO_LARGE": "The design exceeds the size budget.",
    # Warnings
    "DOES_NOT_REACH_OUTPUT": "A block's result flows into neither the output nor an aux head.",
    "MOE_WITHOUT_LOAD_BALANCING": "A mixture of experts with no load-balance router.",
    "ROUTER_WITHOUT_MOE": "A load-balance router that feeds no mixture of experts.",
    "MULTIPLE_ROUTERS": "Several routers feed the same mixture of experts.",
    "CHECKPOINT_WITHOUT_LAYER": "A gradient checkpoint that marks no layer.",
}

WARNING_CODES = frozenset({
    "DOES_NOT_REACH_OUTPUT", "MOE_WITHOUT_LOAD_BALANCING", "ROUTER_WITHOUT_MOE",
    "MULTIPLE_ROUTERS", "CHECKPOINT_WITHOUT_LAYER",
})


def catalog() -> dict[str, Any]:
    """The catalog as plain JSON-ready data (what the page receives)."""
    return copy.deepcopy(_CATALOG_DATA)


_CATALOG_DATA: dict[str, Any] = {
    "version": 1,
    "blocks": [b.to_dict() for b in BLOCKS],
    "meta": [p.to_dict() for p in META_PROPS],
    "limits": dict(LIMITS),
    "error_codes": dict(ERROR_CODES),
    "warning_codes": sorted(WARNING_CODES),
    # The numbers the JS validator (js/src/validation/) needs besides the table: it reads
    # them here, so each has one home.
    "constants": {
        "n_tile_values": N_TILE_VALUES,
        "n_cells": N_CELLS,
        "n_actions": N_ACTIONS,
        "n_max_tile_classes": N_MAX_TILE_CLASSES,
        "aux_target_width": dict(AUX_TARGET_WIDTH),
        "max_experts": MAX_EXPERTS,
        "ntuple_cells": NTUPLE_CELLS,
        "ntuple_symmetries": len(NTUPLE_SYMMETRIES),
        "ntuple_bases": {shape: len(bases) for shape, bases in NTUPLE_BASES.items()},
        "schema_version": SCHEMA_VERSION,
        "max_coordinate": MAX_COORDINATE,
        "hard_cap": HARD_CAP,
    },
    "estimate": {
        "train_batch": TRAIN_BATCH,
        "bytes_per_float": BYTES_PER_FLOAT,
        "optimizer_copies": OPTIMIZER_COPIES,
        "index_floats": INDEX_FLOATS,
        "moe_router_floats_per_expert": MOE_ROUTER_FLOATS_PER_EXPERT,
    },
}
