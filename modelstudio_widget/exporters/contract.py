"""What an exported file promises, and the export errors. Imports neither torch nor onnx.

The ONNX contract lives here because two sides read it: the exporter (torch) writes a graph
with these names, and ``modelstudio play`` (onnxruntime only) runs it.
"""

from __future__ import annotations

FORMATS: dict[str, str] = {"pt": ".pt", "pt2": ".pt2", "onnx": ".onnx"}  # format -> suffix
#: The MIME type of each format's download (all binary: no browser should try to show one).
MIME_TYPES: dict[str, str] = {fmt: "application/octet-stream" for fmt in FORMATS}
PT_FORMAT = "modelstudio.pt"  # the ``format`` key of a .pt export
FORMAT_VERSION = 1
PT2_EXTRA_FILE = "modelstudio.json"  # the design and metadata inside a .pt2 archive

#: ONNX opset of every export. 18 has LayerNormalization as one op (17+), both exporters
#: write it, and onnxruntime has run it since 1.14 (onnxruntime-web too): newer opsets
#: would only narrow where the file runs.
OPSET = 18
ONNX_INPUTS = ("board", "action_mask")
#: Inputs a caller may leave out: a graph input with a same-named initializer (IR >= 4)
#: takes the initializer's value when absent. Without a mask every move counts as legal,
#: so ``logits`` and ``value`` (which never depend on it) need the board alone.
ONNX_OPTIONAL_INPUTS = ("action_mask",)
ONNX_OUTPUTS = ("logits", "masked_logits", "value")
#: The logit an illegal move gets in ``masked_logits``, in training and in evaluation, so the
#: exported greedy policy is the policy that was trained (exp() of it underflows to 0).
MASKED = -1e9

#: Parity tolerance, elementwise ``|onnx - torch| <= ATOL + RTOL * |torch|``. float32
#: kernels that only reorder sums differ by ~1e-7 here (measured 1e-8..2e-7 on every
#: template); 1e-4 leaves three orders of magnitude of headroom for other CPUs and
#: onnxruntime versions, while any real graph error (a dropped layer, a baked-in batch,
#: a wrong expert) moves outputs by 1e-3 or more.
ATOL = 1e-4
RTOL = 1e-4
PARITY_BATCHES = (1, 64)


def format_names() -> str:
    return ", ".join(FORMATS)


class ExportError(Exception):
    """An export (or a load) that cannot be done; the message says what to fix."""


class ExportParityError(ExportError):
    """The written graph does not compute what the torch model computes.

    ``max_abs_diff`` is the largest difference measured, on ``output`` at ``batch``;
    ``tolerance`` the bound it broke. No file was left at the destination.
    """

    def __init__(self, fmt: str, output: str, batch: int, max_abs_diff: float,
                 tolerance: str):
        self.fmt, self.output, self.batch = fmt, output, batch
        self.max_abs_diff, self.tolerance = max_abs_diff, tolerance
        super().__init__(
            f"{fmt} export failed its parity check: '{output}' differs from the torch model "
            f"by up to {max_abs_diff:.3g} at batch {batch} (allowed: {tolerance}); "
            "nothing was written. This is a bug in the exporter: please report it with "
            "the design.")


class LoadError(ExportError):
    """``ms.load`` could not turn a file into a model."""
