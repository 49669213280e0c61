"""The app's sweep request: up to two axes of the open design, checked before anything runs.

The phone's Sweep sheet asks for a small grid: each axis is a block's prop (by block id and
prop name, the catalog's prop) or a training setting (the settings table's row), with a few
values each; every combination is one trial. Everything the page sends is checked here
(block ids in the design, props of the block's type, values within the prop's or the
setting's bounds, sizes), so a bad request is one clear error and nothing starts.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

from modelstudio_widget.design.catalog import BY_TYPE, Prop
from modelstudio_widget.design.values import check_prop_value, show
from modelstudio_widget.sweeps.space import parse_space
from modelstudio_widget.training.settings import BUDGET
from modelstudio_widget.training.settings import BY_NAME as SETTINGS

MAX_AXES = 2
MAX_VALUES = 4  # per axis
MAX_TRIALS = 8
MIN_TRIALS = 2  # one trial is a plain run: the Train button
MIN_SECONDS = 1.0
MAX_SECONDS = 3600.0  # per trial


class SweepRequestError(ValueError):
    """A sweep request the app cannot run; the message says what to change."""

    code = "BAD_SWEEP"


@dataclass(frozen=True)
class SweepRequest:
    """A checked request: the space ``ms.sweep`` takes, its labels and its grid."""

    space: dict[Any, list[Any]]
    labels: tuple[str, ...]  # one per axis, as the sweep names them ("block.prop", setting)
    seconds: float

    @property
    def points(self) -> list[dict[str, Any]]:
        """Every trial's values, {label: value}, first axis slowest."""
        return [dict(zip(self.labels, combo))
                for combo in itertools.product(*self.space.values())]


def check_request(design: dict[str, Any], axes: Any, seconds: Any) -> SweepRequest:
    """The request for ``design`` (the open design); ``SweepRequestError`` if any part of
    it is wrong."""
    if not isinstance(axes, list) or not 1 <= len(axes) <= MAX_AXES:
        raise SweepRequestError(f"A sweep varies 1 or {MAX_AXES} things.")
    if type(seconds) not in (int, float) or not math.isfinite(seconds) \
            or not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise SweepRequestError(f"Seconds per trial must be between {MIN_SECONDS:g} and "
                                f"{MAX_SECONDS:g}.")
    blocks = {c.get("id"): c.get("type") for c in design.get("components", [])
              if isinstance(c, dict)}
    space: dict[Any, list[Any]] = {}
    for axis in axes:
        key, prop, what = _axis(axis, blocks)
        if key in space:
            raise SweepRequestError(f"{what} is varied twice.")
        space[key] = _values(axis.get("values"), prop, what)
    trials = math.prod(len(v) for v in space.values())
    if not MIN_TRIALS <= trials <= MAX_TRIALS:
        raise SweepRequestError(f"The values make {trials} trial{'s' * (trials != 1)}; a "
                                f"sweep runs {MIN_TRIALS} to {MAX_TRIALS}.")
    try:  # the sweep's own check of the keys, and its labels
        labels = tuple(a.label for a in parse_space(design, space))
    except (TypeError, ValueError) as exc:
        raise SweepRequestError(str(exc)) from None
    return SweepRequest(space, labels, float(seconds))


def _axis(axis: Any, blocks: dict[Any, Any]) -> tuple[Any, Prop, str]:
    """(the space's key, the prop that bounds its values, how to name it)."""
    if not isinstance(axis, dict) or not set(axis) <= {"block_id", "prop", "setting",
                                                        "values"}:
        raise SweepRequestError("Each axis is {block_id, prop, values} or {setting, values}.")
    setting = axis.get("setting")
    if setting is not None:
        if "block_id" in axis or "prop" in axis:
            raise SweepRequestError("An axis is a block's prop or a setting, not both.")
        row = SETTINGS.get(setting) if isinstance(setting, str) else None
        if row is None or setting in BUDGET:
            raise SweepRequestError(f"'{show(setting)}' is not a training setting a sweep "
                                    "can vary.")
        return setting, row.prop, row.label
    block, name = axis.get("block_id"), axis.get("prop")
    if not isinstance(block, str) or block not in blocks:
        raise SweepRequestError(f"The design has no block '{show(block)}'.")
    block_type = BY_TYPE.get(blocks[block])
    prop = block_type.prop(name) if block_type is not None and isinstance(name, str) else None
    if prop is None:
        raise SweepRequestError(f"Block {block} has no prop '{show(name)}'.")
    return (block, name), prop, f"{block}.{name}"


def _values(values: Any, prop: Prop, what: str) -> list[Any]:
    if not isinstance(values, list) or not 1 <= len(values) <= MAX_VALUES:
        raise SweepRequestError(f"Give {what} 1 to {MAX_VALUES} values.")
    seen = set()
    for value in values:
        problem = check_prop_value(prop, value)
        if problem is not None:
            raise SweepRequestError(f"{what} {problem[1]}.")
        if value in seen:  # scalars only: the checks above passed
            raise SweepRequestError(f"{what} has the value {show(value)} twice.")
        seen.add(value)
    return list(values)
