"""Model Studio: a phone-first visual designer for neural networks that learn to play 2048.

The public API (see README.md for a tour)::

    import modelstudio_widget as ms
    ms.catalog(); ms.validate(design); ms.compile_design(design); ms.build_model(design)
    ms.train(design, seconds=60); ms.evaluate(run); ms.export(run, "onnx", "m.onnx")
    ms.ModelStudio()          # the widget

Torch-heavy parts are imported on first use, so validation and the CLI start fast.
"""

from __future__ import annotations

from modelstudio_widget.design.catalog import catalog

__version__ = "0.1.0"
__all__ = ["catalog", "__version__"]
