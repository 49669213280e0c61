"""Model Studio: a phone-first visual designer for neural networks that learn to play 2048.

The public API (README.md has a tour)::

    import modelstudio_widget as ms
    ms.catalog(); ms.templates(); ms.default_design()
    ms.validate(design)                      # never raises; exact params and memory
    ms.compile_design(design, workspace)     # writes generated/<id>_<hash>.py, imports it
    ms.build_model(design)                   # the torch module
    ms.train(design, seconds=60); ms.evaluate(run); ms.export(run, "onnx", "m.onnx")
    ms.runs(design_id).to_frame(); ms.runs()[0].resume(seconds=60)
    ms.compare(ms.runs()[:2])                # their score curves overlaid (matplotlib)
    ms.sweep(design, {("m1", "n_experts"): [2, 4], "learning_rate": ms.loguniform(1e-4, 3e-3)},
             seconds=60, trials=4)           # on Ray Tune: local, or address="auto"
    ms.ModelStudio()                         # the widget

Importing the package registers the ``ModelStudio/2048-v0`` Gymnasium environment.
Torch-heavy parts load on first use, so validation and the CLI start fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from modelstudio_widget import game
from modelstudio_widget.design.catalog import catalog
from modelstudio_widget.design.rules import ValidationResult, validate
from modelstudio_widget.design.templates import default_design, templates

__version__ = "0.1.0"

# name -> module that defines it; imported on first access (torch is slow to import).
_LAZY = {
    "compile_design": "modelstudio_widget.build.codegen",
    "build_model": "modelstudio_widget.build.codegen",
    "CompileResult": "modelstudio_widget.build.codegen",
    "DesignError": "modelstudio_widget.build.valid",
    "GameTransformer": "modelstudio_widget.build.base",
    "DynamicModelConfig": "modelstudio_widget.build.base",
    "Store": "modelstudio_widget.store",
    "train": "modelstudio_widget.training.api",
    "evaluate": "modelstudio_widget.training.evaluate",
    "Run": "modelstudio_widget.training.api",
    "runs": "modelstudio_widget.training.run_list",
    "PPOTrainer": "modelstudio_widget.training.ppo",
    "PPOConfig": "modelstudio_widget.training.config",
    "TrainingManager": "modelstudio_widget.training.manager",
    "compare": "modelstudio_widget.training.compare_figure",
    "export": "modelstudio_widget.exporters",
    "load": "modelstudio_widget.exporters",
    "ModelStudio": "modelstudio_widget.widget",
    # Sweeps on Ray Tune (``pip install 'modelstudio_widget[ray]'``; Ray loads on first use).
    "sweep": "modelstudio_widget.sweeps",
    "Sweep": "modelstudio_widget.sweeps",
    "choice": "modelstudio_widget.sweeps",
    "uniform": "modelstudio_widget.sweeps",
    "loguniform": "modelstudio_widget.sweeps",
    "randint": "modelstudio_widget.sweeps",
}

__all__ = ["catalog", "validate", "ValidationResult", "templates", "default_design",
           "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'modelstudio_widget' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


game.register_envs()
