"""The training device: resolving ``PPOConfig.device``, CPU checkpoints, and (where CUDA is
present) training on the GPU with a checkpoint that reloads on the CPU."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import torch

import modelstudio_widget as ms
from modelstudio_widget.training.device import resolve_device, to_cpu
from modelstudio_widget.training.ppo import PPOConfig, PPOTrainer

SMALL = PPOConfig(num_envs=32, num_steps=16, minibatch_size=128, update_epochs=1)
HAS_CUDA = torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA device")


def config(**kw: object) -> PPOConfig:
    return PPOConfig(**{**SMALL.to_dict(), **kw})


def test_auto_is_cuda_where_present_else_the_cpu() -> None:
    assert resolve_device("auto").type == ("cuda" if HAS_CUDA else "cpu")
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("name", ["gpu", "CUDA", "cuda:", "cuda:x", "cpu:0x", "", "mps"])
def test_unknown_device_names_are_refused_with_the_choices(name: str) -> None:
    with pytest.raises(ValueError, match="auto"):
        resolve_device(name)


@pytest.mark.skipif(HAS_CUDA, reason="this machine has CUDA")
@pytest.mark.parametrize("name", ["cuda", "cuda:0", "cuda:3"])
def test_asking_for_cuda_where_there_is_none_is_a_clear_error(name: str) -> None:
    with pytest.raises(ValueError, match="CUDA is not available"):
        PPOTrainer(ms.templates()["tiny"], config(device=name))


def test_a_cuda_index_past_the_last_device_is_refused() -> None:
    missing = f"cuda:{torch.cuda.device_count() if HAS_CUDA else 0}"
    with pytest.raises(ValueError, match="CUDA"):
        resolve_device(missing)


def test_to_cpu_keeps_the_nesting() -> None:
    state = {"a": torch.ones(2), "b": [torch.zeros(1), (3, torch.ones(()))], "c": "x"}
    out = to_cpu(state)
    assert out["c"] == "x" and isinstance(out["b"], list) and isinstance(out["b"][1], tuple)
    assert torch.equal(out["a"], state["a"]) and out["b"][1][0] == 3


def test_the_device_travels_in_the_config_and_checkpoints_hold_cpu_tensors() -> None:
    trainer = PPOTrainer(ms.templates()["moe"], config(device="cpu"))
    trainer.train_iteration()
    state = trainer.state_dict()
    assert state["config"]["device"] == "cpu"
    # The template's tables make a split optimizer: its state is one Adam's per part.
    parts = state["optimizer"].values() if "dense" in state["optimizer"] else [state["optimizer"]]
    tensors = [*state["model"].values(),
               *(t for part in parts for s in part["state"].values() for t in s.values()
                 if isinstance(t, torch.Tensor))]
    assert len(tensors) > len(state["model"]) and all(t.device.type == "cpu" for t in tensors)


@needs_cuda
def test_training_on_the_gpu_gives_a_checkpoint_that_reloads_on_the_cpu(
        tmp_path: Path) -> None:
    design = ms.templates()["transformer"]
    gpu = PPOTrainer(design, PPOConfig(seed=1, device="cuda"))
    assert next(gpu.model.parameters()).device.type == "cuda"
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        gpu.train_iteration(deadline=deadline)
    assert gpu.global_step > 0 and gpu.iteration >= 1
    path = tmp_path / "gpu.pt"
    torch.save(gpu.state_dict(), path)

    state = torch.load(path, weights_only=True)  # CPU tensors: no map_location needed
    cpu = PPOTrainer(state["design"], PPOConfig.from_dict({**state["config"], "device": "cpu"}))
    cpu.load_state_dict(state)
    boards = torch.randint(0, 12, (64, 16))
    gpu.model.eval()
    cpu.model.eval()
    with torch.no_grad():
        g_logits, g_value = (t.cpu() for t in gpu.model(boards.cuda()))
        c_logits, c_value = cpu.model(boards)
    torch.testing.assert_close(c_logits, g_logits, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(c_value, g_value, rtol=1e-4, atol=1e-4)
    cpu.train_iteration(max_moves=cpu.config.num_envs)  # and training goes on from there
    assert cpu.global_step == gpu.global_step + cpu.config.num_envs


@needs_cuda
def test_ms_train_runs_on_the_gpu_within_its_budget(workspace: Path) -> None:
    run = ms.train(ms.templates()["moe"], seconds=4, config=PPOConfig(device="cuda"),
                   workspace=workspace, progress=False)
    assert run.metrics["status"] == "finished" and run.metrics["global_step"] > 0
    assert run.metrics["elapsed_s"] <= 4 + 2
    assert next(run.model.parameters()).device.type == "cuda"
