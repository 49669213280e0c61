"""The n-tuple block through every layer: geometry, forward, gradients, exact params and
memory, codegen, ONNX parity, and its template training."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest
import torch

import modelstudio_widget as ms
from modelstudio_widget.build.blocks import NTupleEncoder
from modelstudio_widget.build.codegen import check_source, generate_source
from modelstudio_widget.build.valid import analyze_valid
from modelstudio_widget.design.catalog import BY_TYPE, NTUPLE_BASES, ntuple_instances
from modelstudio_widget.design.estimate import node_activations
from modelstudio_widget.design.rules import validate
from modelstudio_widget.exporters import OnnxAgent
from modelstudio_widget.exporters.contract import ATOL
from modelstudio_widget.exporters.onnx_graph import random_inputs
from tests.memory_probe import saved_activation_bytes

torch.set_num_threads(1)

ROWS = [[4 * r + c for c in range(4)] for r in range(4)]
COLUMNS = [[4 * r + c for r in range(4)] for c in range(4)]
SQUARES = [[4 * r + c, 4 * r + c + 1, 4 * r + c + 4, 4 * r + c + 5]
           for r in range(3) for c in range(3)]


def ntuple_design(d_model: int = 16, **props: Any) -> dict[str, Any]:
    return {"schema_version": 1, "id": "nt", "name": "n-tuple", "components": [
        {"id": "in", "type": "board_input"},
        {"id": "nt", "type": "ntuple", "props": {"d_model": d_model, **props}},
        {"id": "out", "type": "action_output", "props": {"hidden": 32}}],
        "edges": [["in", "nt"], ["nt", "out"]]}


M = TypeVar("M", bound=torch.nn.Module)


def filled(module: M) -> M:
    """The module with n-tuple tables of unit scale (they start at std 0.02, which would
    put some differences below the comparison tolerances)."""
    for m in module.modules():
        if isinstance(m, NTupleEncoder):
            torch.nn.init.normal_(m.table.weight)
    return module


def rot90(board: torch.Tensor) -> torch.Tensor:
    return board.reshape(-1, 4, 4).rot90(1, dims=(1, 2)).reshape(-1, 16)


# --- geometry ----------------------------------------------------------------------------

@pytest.mark.parametrize(("shape", "cell_sets"), [
    ("lines", ROWS + COLUMNS), ("squares", SQUARES), ("lines_squares", ROWS + COLUMNS + SQUARES)])
def test_the_symmetric_copies_cover_every_row_column_and_square(shape: str, cell_sets: list
                                                                ) -> None:
    cells, table = ntuple_instances(shape)
    assert len(cells) == 8 * len(NTUPLE_BASES[shape]) == len(table)
    assert {frozenset(c) for c in cells} == {frozenset(c) for c in cell_sets}
    assert all(len(set(c)) == 4 for c in cells)
    # Every copy of one base reads the same table, and the copies differ as ordered tuples.
    for base in range(len(NTUPLE_BASES[shape])):
        copies = [tuple(c) for c, t in zip(cells, table) if t == base]
        assert len(copies) == 8 and len(set(copies)) == 8


def test_a_cell_token_sums_the_rows_of_the_copies_that_contain_it() -> None:
    torch.manual_seed(0)
    block = filled(NTupleEncoder(8, tuples="lines", classes=12))
    board = torch.randint(0, 16, (3, 16))
    cells, table = ntuple_instances("lines")
    want = torch.zeros(3, 16, 8)
    for copy, base in zip(cells, table):
        for b in range(3):
            row = base * 12 ** 4 + sum(min(int(board[b, c]), 11) * 12 ** j
                                       for j, c in enumerate(copy))
            want[b, copy] += block.table.weight[row].detach()
    torch.testing.assert_close(block(board), want)


@pytest.mark.parametrize("shape", list(NTUPLE_BASES))
def test_tokens_turn_with_the_board(shape: str) -> None:
    # Shared tables over symmetric copies: rotating the board rotates the tokens.
    torch.manual_seed(1)
    block = filled(NTupleEncoder(8, tuples=shape, classes=16))
    board = torch.randint(0, 16, (5, 16))
    turned = block(rot90(board))
    cell_of = rot90(torch.arange(16).unsqueeze(0))[0]  # turned cell i holds cell cell_of[i]
    torch.testing.assert_close(turned, block(board)[:, cell_of])


def test_tiles_from_the_last_class_up_look_the_same() -> None:
    block = filled(NTupleEncoder(8, tuples="squares", classes=10))
    board = torch.randint(0, 9, (4, 16))
    high, higher = board.clone(), board.clone()
    high[:, 5], higher[:, 5] = 9, 15  # 512 and 32768: both in the last class
    torch.testing.assert_close(block(high), block(higher))
    lower = board.clone()
    lower[:, 5] = 8
    assert not torch.allclose(block(lower), block(high))


def test_gradients_reach_only_the_rows_the_boards_read() -> None:
    block = filled(NTupleEncoder(8, tuples="lines", classes=8))
    board = torch.zeros(2, 16, dtype=torch.int64)
    board[1, 0] = 3
    block(board).pow(2).sum().backward()
    grad = block.table.weight.grad
    # Sparse: the optimizer then updates only these rows (training/optim.py).
    assert grad is not None and grad.is_sparse
    grad = grad.to_dense()
    touched = set(torch.nonzero(grad.abs().sum(dim=1)).flatten().tolist())
    # The empty board reads row 0 of both tables; cell 0 = 3 reads 3 * 8^j for each of its
    # copies (cell 0 is first or last in the copies of the outer line: j = 0 or 3).
    assert touched == {0, 8 ** 4, 3, 3 * 8 ** 3}


# --- estimates ---------------------------------------------------------------------------

@pytest.mark.parametrize(("shape", "classes", "d"), list(itertools.product(
    NTUPLE_BASES, (8, 13), (8, 24))))
def test_params_and_saved_activations_are_exact(shape: str, classes: int, d: int) -> None:
    design = ntuple_design(d, tuples=shape, classes=classes)
    model = ms.build_model(design)
    result = validate(design)
    assert result.valid and result.params == sum(p.numel() for p in model.parameters())
    batch = 32
    a = analyze_valid(design)
    estimated = sum(node_activations(n, batch) for n in a.nodes) * 4
    assert estimated == saved_activation_bytes(model, torch.randint(0, 16, (batch, 16)))


def test_the_catalog_entry_documents_every_prop() -> None:
    spec = BY_TYPE["ntuple"]
    assert spec.role == "encoder" and spec.sets_width and spec.inputs[0].accepts == ("board",)
    assert {p.name for p in spec.props} == {"d_model", "tuples", "classes"}
    assert all(p.doc for p in spec.props)
    assert spec.prop("tuples").choices == tuple(NTUPLE_BASES)  # type: ignore[union-attr]


# --- codegen, export, training -----------------------------------------------------------

def test_codegen_emits_the_block_with_validated_props_only() -> None:
    design = ntuple_design(24, tuples="squares", classes=9)
    design["components"][1]["id"] = "x'); import os #"
    design["edges"] = [["in", "x'); import os #"], ["x'); import os #", "out"]]
    source = generate_source(analyze_valid(design))
    check_source(source)
    assert "blocks.NTupleEncoder(d_model=24, tuples='squares', classes=9)" in source
    assert "import os" not in source


@pytest.mark.parametrize("shape", list(NTUPLE_BASES))
def test_onnx_export_matches_torch_at_batch_1_and_64(shape: str, tmp_path: Path) -> None:
    design = ntuple_design(16, tuples=shape, classes=16)
    torch.manual_seed(0)
    model = filled(ms.build_model(design)).eval()
    agent = OnnxAgent(ms.export(model, "onnx", tmp_path / "m.onnx", design=design))
    for batch in (1, 64):
        boards, mask = random_inputs(batch, seed=batch)
        got = agent(boards, mask)
        with torch.no_grad():
            logits, value = model(torch.from_numpy(boards))
        np.testing.assert_allclose(got["logits"], logits.numpy(), atol=ATOL, rtol=0)
        np.testing.assert_allclose(got["value"], value.numpy(), atol=ATOL, rtol=0)


def test_the_template_validates_and_trains(workspace: Path) -> None:
    design = ms.templates()["ntuple"]
    assert validate(design).valid
    run = ms.train(design, seconds=2, workspace=workspace, progress=False)
    assert run.metrics["status"] == "finished" and run.metrics["global_step"] > 0
    assert all(np.isfinite(v) for v in run.metrics["losses"].values())
