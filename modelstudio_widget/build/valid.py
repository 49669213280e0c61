"""The gate into the build: a design's analysis, only when the design is valid.

Below both ``base`` (the model config) and ``codegen`` (the source), which read it.
"""

from __future__ import annotations

from typing import Any

from modelstudio_widget.design.rules import Analysis, ValidationResult, analyze, validate


class DesignError(ValueError):
    """A design that cannot be compiled; ``result`` holds the full validation result."""

    def __init__(self, result: ValidationResult):
        self.result = result
        errors = [i for i in result.errors if i.severity == "error"]
        lines = "; ".join(f"[{i.code}] {i.message}" for i in errors[:8])
        more = f" (+{len(errors) - 8} more)" if len(errors) > 8 else ""
        super().__init__(f"The design is not valid: {lines}{more}")


def analyze_valid(design: Any) -> Analysis:
    """Analysis of a design that must be valid; raises ``DesignError`` otherwise."""
    result = validate(design)
    if not result.valid:
        raise DesignError(result)
    return analyze(design)
