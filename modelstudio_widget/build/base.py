"""The hand-written base every generated model extends, and the model config.

A generated ``GeneratedModel`` only defines ``__init__`` (which blocks, with which literal
settings) and ``wire`` (how they connect). Everything else — input handling, the public
``forward`` contract, the training-time extras and losses — lives here, written by hand.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from modelstudio_widget.build.blocks import AuxLossHead, Extras, MoELayer
from modelstudio_widget.build.lookahead import NTupleValue
from modelstudio_widget.build.valid import analyze_valid
from modelstudio_widget.design.catalog import N_CELLS, N_TILE_VALUES
from modelstudio_widget.design.estimate import estimate
from modelstudio_widget.design.rules import Analysis


@dataclass
class DynamicModelConfig:
    """The numbers that describe a compiled design (what the spec's config carried)."""
    d_model: int
    n_heads: int
    n_layers: int  # transformer layers
    n_experts: int  # the largest MoE's expert count (0 without MoE)
    n_moe_layers: int = 0
    n_params: int = 0
    checkpointed_layers: int = 0
    aux_targets: list[str] = field(default_factory=list)

    @classmethod
    def from_analysis(cls, a: Analysis, n_params: int) -> DynamicModelConfig:
        """Config of a valid design's analysis, with its (already counted) parameters."""
        layers = [n for n in a.nodes if n.type == "transformer_layer"]
        moes = [n for n in a.nodes if n.type == "moe_layer"]
        # An n-tuple value output reads the board itself: no stream, width 0.
        widths = [n.width for n in a.nodes if n.type == "action_output"]
        return cls(
            d_model=widths[0] if widths else 0,
            n_heads=max((n.props["n_heads"] for n in layers), default=0),
            n_layers=len(layers),
            n_experts=max((n.props["n_experts"] for n in moes), default=0),
            n_moe_layers=len(moes),
            n_params=n_params,
            checkpointed_layers=len(a.checkpointed),
            aux_targets=[n.props["target"] for n in a.nodes if n.type == "aux_loss_head"],
        )

    @classmethod
    def from_architecture(cls, arch: Any) -> DynamicModelConfig:
        """Config of a design; raises ``DesignError`` when it is not valid."""
        a = analyze_valid(arch)
        return cls.from_analysis(a, estimate(a)[0])

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class GameTransformer(nn.Module):
    """Policy-value network for 2048: ``forward(boards) -> (logits [B, 4], value [B])``.

    ``boards``: ``[B, 4, 4]`` or ``[B, 16]`` tile exponents (any integer or float dtype;
    values are clamped to 0..15). Subclasses implement ``wire(board, extras)``.
    """

    #: Component ids by node index, set when the model is built (never part of the source).
    component_ids: tuple[str, ...] = ()

    def wire(self, board: Tensor, extras: Extras) -> tuple[Tensor, Tensor]:
        raise NotImplementedError

    @staticmethod
    def prepare(boards: Tensor) -> Tensor:
        return boards.reshape(-1, N_CELLS).long().clamp(0, N_TILE_VALUES - 1)

    def forward(self, boards: Tensor) -> tuple[Tensor, Tensor]:
        logits, value, _ = self.forward_all(boards)
        return logits, value

    def forward_all(self, boards: Tensor) -> tuple[Tensor, Tensor, Extras]:
        """Logits, value and the extras (MoE stats, aux predictions) of one pass."""
        extras = Extras()
        logits, value = self.wire(self.prepare(boards), extras)
        return logits, value, extras

    # --- training-time helpers ------------------------------------------------------------
    def moe_layers(self) -> list[MoELayer]:
        return [m for m in self.modules() if isinstance(m, MoELayer)]

    def aux_heads(self) -> list[AuxLossHead]:
        return [m for m in self.modules() if isinstance(m, AuxLossHead)]

    def router_loss(self, extras: Extras) -> Tensor:
        """Weighted load-balancing + z-losses of every MoE in one pass (0 without MoE)."""
        coefs = {m.node: (m.lb_coef, m.z_coef) for m in self.moe_layers()}
        total = torch.zeros(())
        for s in extras.moe:
            lb, z = coefs[s.node]
            total = total + lb * s.lb_loss + z * s.z_loss
        return total

    def block_id(self, node: int) -> str:
        ids = self.component_ids
        return ids[node] if node < len(ids) else f"n{node}"

    def lookahead(self) -> NTupleValue | None:
        """The n-tuple value output when the design ends in one (trained by TD(0))."""
        return next((m for m in self.modules() if isinstance(m, NTupleValue)), None)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

