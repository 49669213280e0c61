"""What a sweep varies: the distributions, the keys they vary, and how a sampled point
becomes a design and a PPO configuration.

A space maps keys to values::

    {("m1", "n_experts"): [2, 4, 8],                 # a block's prop: (block id, prop name)
     "meta.d_model": choice([32, 64]),               # the design's meta: "meta.<name>"
     "learning_rate": loguniform(1e-4, 3e-3)}        # any PPOConfig field (seed included)

A plain list is a grid axis: every value is tried (combined with every value of the other
lists). ``choice``, ``uniform``, ``loguniform`` and ``randint`` are sampled, once per trial.
Keys are checked here, before anything runs (a typo fails at once); the values a trial
samples are checked by design validation inside the trial, so an invalid combination is a
trial reported as invalid with its error codes, never a crash.

Nothing here imports Ray: ``Distribution.to_tune`` is handed Ray Tune's module.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from modelstudio_widget.design.catalog import BY_TYPE, META_BY_NAME
from modelstudio_widget.training.ppo import PPOConfig

META_PREFIX = "meta."
PPO_FIELDS = tuple(f.name for f in fields(PPOConfig))


@dataclass(frozen=True)
class Distribution:
    """Base of the sampled distributions."""

    def to_tune(self, tune: Any) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Choice(Distribution):
    """One of ``values``, picked at random (a categorical for Optuna)."""
    values: tuple[Any, ...]

    def to_tune(self, tune: Any) -> Any:
        return tune.choice(list(self.values))


@dataclass(frozen=True)
class Grid(Distribution):
    """Every one of ``values`` (a plain list in a space). Searchers such as Optuna cannot
    enumerate a grid: for them it is a ``Choice``."""
    values: tuple[Any, ...]

    def to_tune(self, tune: Any) -> Any:
        return tune.grid_search(list(self.values))


@dataclass(frozen=True)
class Uniform(Distribution):
    """A float drawn uniformly from [low, high), or, with ``log``, one whose logarithm is
    uniform on [log low, log high) (learning rates)."""
    low: float
    high: float
    log: bool = False

    def to_tune(self, tune: Any) -> Any:
        return (tune.loguniform if self.log else tune.uniform)(self.low, self.high)


@dataclass(frozen=True)
class RandInt(Distribution):
    """An int drawn uniformly from low, low + 1, ..., high - 1 (high excluded, as in
    ``random.randrange`` and Ray Tune)."""
    low: int
    high: int

    def to_tune(self, tune: Any) -> Any:
        return tune.randint(self.low, self.high)


def choice(values: list[Any] | tuple[Any, ...]) -> Choice:
    """Pick one of ``values`` at random for each trial."""
    values = tuple(values)
    if not values:
        raise ValueError("choice needs at least one value")
    return Choice(values)


def uniform(low: float, high: float) -> Uniform:
    """A float uniform on [low, high)."""
    low, high = _bounds(low, high, "uniform")
    return Uniform(low, high)


def loguniform(low: float, high: float) -> Uniform:
    """A float log-uniform on [low, high); both bounds positive."""
    low, high = _bounds(low, high, "loguniform")
    if low <= 0:
        raise ValueError(f"loguniform needs positive bounds; got low={low}")
    return Uniform(low, high, log=True)


def randint(low: int, high: int) -> RandInt:
    """An int from low to high - 1."""
    if type(low) is not int or type(high) is not int:
        raise TypeError("randint bounds must be ints")
    if high <= low:
        raise ValueError(f"randint needs low < high; got {low}, {high}")
    return RandInt(low, high)


def _bounds(low: float, high: float, what: str) -> tuple[float, float]:
    low, high = float(low), float(high)
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        raise ValueError(f"{what} needs finite bounds with low < high; got {low}, {high}")
    return low, high


@dataclass(frozen=True)
class Axis:
    """One varied key: what it changes and how its values are drawn.

    ``kind`` is "prop" (``block``'s prop ``name``), "meta" (``design["meta"][name]``) or
    "ppo" (the ``PPOConfig`` field ``name``). ``label`` names it in results and in the
    run's config: "block.prop", "meta.name" or the field name.
    """
    kind: str
    name: str
    distribution: Distribution
    block: str | None = None

    @property
    def label(self) -> str:
        return f"{self.block}.{self.name}" if self.kind == "prop" else (
            META_PREFIX + self.name if self.kind == "meta" else self.name)


def parse_space(design: dict[str, Any], space: dict[Any, Any]) -> list[Axis]:
    """The space's axes, with every key checked against the design, the catalog and
    ``PPOConfig``. Raises ``ValueError`` (or ``TypeError``) saying what to fix."""
    if not isinstance(space, dict) or not space:
        raise ValueError("space must be a non-empty dict: {key: values or a distribution}")
    blocks = {c.get("id"): c.get("type") for c in design.get("components", [])
              if isinstance(c, dict)}
    axes = [_axis(key, _distribution(key, values), blocks) for key, values in space.items()]
    labels = [a.label for a in axes]
    twice = sorted({x for x in labels if labels.count(x) > 1})
    if twice:
        raise ValueError(f"the space varies {', '.join(twice)} twice")
    return axes


def _distribution(key: Any, values: Any) -> Distribution:
    if isinstance(values, Distribution):
        return values
    if isinstance(values, (list, tuple)):
        if not values:
            raise ValueError(f"the space gives {key!r} no values")
        return Grid(tuple(values))
    raise TypeError(f"the space gives {key!r} a {type(values).__name__}: give a list of "
                    "values (each is tried) or choice/uniform/loguniform/randint")


def _axis(key: Any, dist: Distribution, blocks: dict[Any, Any]) -> Axis:
    if isinstance(key, tuple):
        if len(key) != 2 or not all(isinstance(k, str) for k in key):
            raise ValueError(f"a prop key is (block id, prop name); got {key!r}")
        block, prop = key
        if block not in blocks:
            known = ", ".join(sorted(str(b) for b in blocks)) or "none"
            raise ValueError(f"the design has no block {block!r} (its blocks: {known})")
        block_type = BY_TYPE.get(blocks[block])
        if block_type is not None and block_type.prop(prop) is None:
            props = ", ".join(p.name for p in block_type.props) or "none"
            raise ValueError(f"block {block!r} ({block_type.type}) has no prop {prop!r} "
                             f"(its props: {props})")
        return Axis("prop", prop, dist, block)
    if not isinstance(key, str):
        raise TypeError(f"a space key is (block id, prop name), 'meta.<name>' or a "
                        f"PPOConfig field; got {key!r}")
    if key.startswith(META_PREFIX):
        name = key[len(META_PREFIX):]
        if name not in META_BY_NAME:
            raise ValueError(f"the design meta has no {name!r} (it has: "
                             f"{', '.join(META_BY_NAME)})")
        return Axis("meta", name, dist)
    if key not in PPO_FIELDS:
        raise ValueError(f"{key!r} is not a PPOConfig field (they are: {', '.join(PPO_FIELDS)});"
                         " design props are keyed (block id, prop name), meta 'meta.<name>'")
    return Axis("ppo", key, dist)


def plain(value: Any) -> Any:
    """A sampled value as plain Python (samplers hand back numpy scalars, which design
    validation rightly refuses as ints)."""
    return value.item() if isinstance(value, np.generic) else value


def apply_point(design: dict[str, Any], config: PPOConfig, axes: list[Axis],
                point: dict[str, Any]) -> tuple[dict[str, Any], PPOConfig]:
    """The design and config that ``point`` ({label: value}) describes (fresh copies)."""
    design = copy.deepcopy(design)
    components = {c.get("id"): c for c in design.get("components", []) if isinstance(c, dict)}
    changes: dict[str, Any] = {}
    for axis in axes:
        value = plain(point[axis.label])
        if axis.kind == "prop":
            components[axis.block].setdefault("props", {})[axis.name] = value
        elif axis.kind == "meta":
            design.setdefault("meta", {})[axis.name] = value
        else:
            changes[axis.name] = value
    return design, replace(config, **changes)
