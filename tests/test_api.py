"""The notebook-facing API: ms.train / ms.evaluate, and the experiments notebook end to end."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import modelstudio_widget as ms
from modelstudio_widget.training.ppo import PPOConfig

ROOT = Path(__file__).resolve().parents[1]
SMALL = PPOConfig(num_envs=32, num_steps=16, minibatch_size=128, update_epochs=1)


def test_train_records_the_run_and_evaluate_plays_complete_games(workspace: Path) -> None:
    design = ms.templates()["tiny"]
    run = ms.train(design, steps=SMALL.batch_size * 4, config=SMALL, workspace=workspace,
                   progress=False)
    assert run.metrics["global_step"] == SMALL.batch_size * 4
    assert run.metrics["state"] == "idle" and run.metrics["status"] == "finished"
    assert run.checkpoint is not None and run.checkpoint.is_file()
    with ms.Store.in_workspace(workspace) as store:
        assert store.get_run(run.run_id).status == "finished"
    result = ms.evaluate(run, games=20, seed=1)
    assert result["games"] == 20 and result["mean_score"] > 0
    assert set(result["max_tile_rates"]) >= {256, 512, 1024, 2048}
    assert ms.evaluate(run, games=20, seed=1) == result  # seeded


def test_train_needs_a_budget_and_a_valid_design(workspace: Path) -> None:
    with pytest.raises(ValueError, match="budget"):
        ms.train(ms.default_design(), workspace=workspace)
    with pytest.raises(ms.DesignError):
        ms.train({"components": []}, seconds=1, workspace=workspace, progress=False)


@pytest.mark.slow
def test_experiments_notebook_runs(workspace: Path) -> None:
    nb = nbformat.read(ROOT / "notebooks" / "experiments.ipynb", as_version=4)
    os.environ["EXPERIMENT_SECONDS"], os.environ["EXPERIMENT_GAMES"] = "3", "20"
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(workspace)}}).execute()
    finally:
        del os.environ["EXPERIMENT_SECONDS"], os.environ["EXPERIMENT_GAMES"]
    outputs = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                      for o in c.get("outputs", []))
    assert "Tiny MLP" in outputs and "Tiny + attention" in outputs and "mean" in outputs
    assert any("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code"
               for o in c.get("outputs", []))
