"""The training settings a user tunes: one table, sent to the page, checked by the kernel.

``SETTINGS`` lists the budget (``seconds`` / ``steps``: whichever comes first ends the run;
neither: until the user stops it), the seed and the PPO knobs worth tuning, each with its
bounds, step, unit and group. Types, defaults and one-line docs are ``PPOConfig``'s own:
they are read from its source (``training/config.py``: a field's docstring is not kept at
run time).

Precedence (lowest first): ``PPOConfig``'s defaults, the server's ``$MODELSTUDIO_TRAIN_CONFIG``
(a JSON object of ``PPOConfig`` fields, lenient: a bad value is logged and ignored), then the
design's ``"training"`` object (a dict of setting name -> value; ``null`` or absent: the
default; the budget's default is no limit), which ``check_settings`` checks strictly: a bad
value is a ``SettingsError`` and nothing starts.

A run records ``run_config(config, seconds, steps)``: the ``PPOConfig`` dict plus
``"budget"`` when it has one.
"""

from __future__ import annotations

import ast
import json
import logging
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelstudio_widget.design.catalog import Prop, PropType
from modelstudio_widget.design.values import check_prop_value

if TYPE_CHECKING:
    from modelstudio_widget.training.ppo import PPOConfig

log = logging.getLogger(__name__)

#: JSON object of ``PPOConfig`` overrides for runs the app starts, e.g.
#: ``{"num_envs": 64, "num_steps": 32}`` (quick iterations for demos and browser tests).
TRAIN_CONFIG_ENV = "MODELSTUDIO_TRAIN_CONFIG"
#: The settings that are the run's budget rather than ``PPOConfig`` fields.
BUDGET = ("seconds", "steps")
_PPO_SOURCE = Path(__file__).with_name("config.py")
_TYPES: dict[str, PropType] = {"int": "int", "float": "float", "str": "enum"}  # annotation


# --- PPOConfig's fields, from its source --------------------------------------------------

@dataclass(frozen=True)
class PPOField:
    name: str
    type: PropType
    default: Any
    doc: str


@cache
def ppo_fields() -> dict[str, PPOField]:
    """``PPOConfig``'s fields with a literal default: name -> type, default, docstring.
    Read from the source, where the docstrings are."""
    tree = ast.parse(_PPO_SOURCE.read_text(encoding="utf-8"))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "PPOConfig")
    out: dict[str, PPOField] = {}
    for stmt, after in zip(cls.body, [*cls.body[1:], None]):
        if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
                and isinstance(stmt.annotation, ast.Name) and stmt.value is not None):
            continue
        try:
            default = ast.literal_eval(stmt.value)
        except ValueError:  # e.g. a constant imported from the catalog: not a user knob
            continue
        doc = (after.value.value if isinstance(after, ast.Expr)
               and isinstance(after.value, ast.Constant) and isinstance(after.value.value, str)
               else "")
        kind = _TYPES.get(stmt.annotation.id)
        if kind is not None:
            out[stmt.target.id] = PPOField(stmt.target.id, kind, default, doc.strip())
    return out


def _ppo_field(name: str) -> PPOField:
    try:
        return ppo_fields()[name]
    except KeyError:
        raise LookupError(f"training setting {name!r} is not a PPOConfig field with a "
                          "literal default") from None


# --- the table ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Setting:
    """One row of the table: the value's type, default, bounds and doc as a block prop has
    them (so one check serves both), and how the page shows it. ``scale="log"``: a stepper
    tap multiplies or divides by ``prop.step``; ``"linear"``: adds or subtracts it."""

    prop: Prop
    label: str
    group: str
    unit: str = ""
    scale: str = "linear"
    #: The trainers that read it (``catalog.BlockType.trainer`` of the design's output):
    #: the page shows a design only the settings its trainer reads.
    trainers: tuple[str, ...] = ("ppo",)

    @property
    def name(self) -> str:
        return self.prop.name

    def to_dict(self, default: Any) -> dict[str, Any]:
        return {**self.prop.to_dict(), "default": default, "label": self.label,
                "group": self.group, "unit": self.unit, "scale": self.scale,
                "trainers": list(self.trainers),
                "optional": self.name in BUDGET}  # may be left empty: no limit


def _ppo(name: str, label: str, group: str, lo: float | None = None, hi: float | None = None,
         step: float | None = None, *, scale: str = "linear", unit: str = "",
         choices: tuple[str, ...] = (), trainers: tuple[str, ...] = ("ppo",)) -> Setting:
    """A ``PPOConfig`` field as a setting: its type, default and docstring, these bounds."""
    field = _ppo_field(name)
    return Setting(Prop(name, field.type, field.default, field.doc, *_bounds(field.type, lo, hi),
                        step, choices), label, group, unit, scale, trainers)


def _budget(name: str, label: str, kind: PropType, lo: float, hi: float, step: float, *,
            doc: str, scale: str = "linear", unit: str) -> Setting:
    """A budget setting: no default (no limit) unless the design sets one."""
    return Setting(Prop(name, kind, None, doc, *_bounds(kind, lo, hi), step), label, "budget",
                   unit, scale, BOTH)


def _bounds(kind: PropType, lo: float | None, hi: float | None) -> tuple[Any, Any]:
    """A float setting's bounds as floats, as the block catalog has them (messages print
    them as Python does, on both sides)."""
    if kind != "float":
        return lo, hi
    return (None if lo is None else float(lo)), (None if hi is None else float(hi))


#: What both trainers read (PPO, and TD(0) for a design ending in an n-tuple value).
BOTH = ("ppo", "td")

GROUPS = (
    {"name": "budget", "label": "Budget",
     "doc": "When the run ends by itself (whichever comes first), with a final checkpoint."},
    {"name": "ppo", "label": "Learning", "doc": "The knobs most worth tuning."},
    {"name": "advanced", "label": "Advanced", "doc": "Rarely changed.", "collapsed": True},
)

SETTINGS: tuple[Setting, ...] = (
    _budget("seconds", "Time limit", "int", 1, 86_400, 30, unit="s",
            doc="wall-clock time the run trains for (empty: until you stop it)"),
    _budget("steps", "Move limit", "int", 1_000, 10**10, 2, scale="log", unit="moves",
            doc="moves played, all games together (empty: no limit)"),
    _ppo("seed", "Seed", "ppo", 0, 2**31 - 1, 1, trainers=BOTH),
    _ppo("learning_rate", "Learning rate", "ppo", 1e-6, 0.1, 2, scale="log"),
    _ppo("num_envs", "Parallel games", "ppo", 1, 4096, 2, scale="log", unit="games",
         trainers=BOTH),
    _ppo("num_steps", "Rollout length", "ppo", 1, 1024, 2, scale="log", unit="moves",
         trainers=BOTH),
    _ppo("td_step_size", "TD step size", "ppo", 0.001, 1, 2, scale="log", trainers=("td",)),
    _ppo("gamma", "Discount (gamma)", "ppo", 0.9, 0.9999, 0.001),
    _ppo("ent_coef", "Entropy bonus", "ppo", 0, 0.1, 0.001),
    _ppo("update_epochs", "Epochs per rollout", "ppo", 1, 32, 1),
    _ppo("gae_lambda", "GAE lambda", "advanced", 0, 1, 0.01),
    _ppo("update_fraction", "Rollout share trained", "advanced", 0, 1, 0.05),
    _ppo("clip_coef", "Clip range", "advanced", 0.01, 1, 0.01),
    _ppo("vf_coef", "Value loss weight", "advanced", 0, 10, 0.1),
    _ppo("max_grad_norm", "Gradient clip", "advanced", 0.01, 100, 0.1),
    _ppo("lr_final_fraction", "Final LR fraction", "advanced", 0, 1, 0.05),
    _ppo("reward_transform", "Reward scale", "advanced", choices=("log", "raw")),
)
BY_NAME = {s.name: s for s in SETTINGS}

BUDGET_PRESETS = (
    {"label": "Quick look 30 s", "values": {"seconds": 30, "steps": None}},
    {"label": "5 min", "values": {"seconds": 300, "steps": None}},
    {"label": "30 min", "values": {"seconds": 1800, "steps": None}},
    {"label": "Until I stop", "values": {"seconds": None, "steps": None}},
)


# --- defaults: PPOConfig < the server's environment ---------------------------------------

def server_overrides() -> dict[str, Any]:
    """``$MODELSTUDIO_TRAIN_CONFIG``'s ``PPOConfig`` overrides. Lenient (the app must still
    train): a value that is not JSON, or a setting out of the table's type or bounds, is
    logged and left out."""
    raw = os.environ.get(TRAIN_CONFIG_ENV, "").strip()
    if not raw:
        return {}
    try:
        overrides = json.loads(raw)
        if not isinstance(overrides, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:
        log.warning("ignoring $%s (%s): %s", TRAIN_CONFIG_ENV, exc, raw[:200])
        return {}
    kept = {}
    for name, value in overrides.items():
        problem = _problem(BY_NAME[name], value) if name in BY_NAME else None
        if name in BUDGET or problem:
            log.warning("ignoring %s in $%s: %s", name, TRAIN_CONFIG_ENV,
                        problem or "the budget is the design's")
        else:
            kept[name] = value
    return kept


def server_defaults() -> dict[str, Any]:
    """Each setting's value when a design leaves it unset: the server's, else PPOConfig's
    (the budget: no limit)."""
    overrides = server_overrides()
    return {s.name: overrides.get(s.name, s.prop.default) for s in SETTINGS}


def training_catalog() -> dict[str, Any]:
    """The table as the page receives it (``catalog()["training"]``), with this server's
    defaults."""
    defaults = server_defaults()
    return {"settings": [s.to_dict(defaults[s.name]) for s in SETTINGS],
            "groups": [dict(g) for g in GROUPS],
            "budget_presets": [{"label": p["label"], "values": dict(p["values"])}
                               for p in BUDGET_PRESETS]}


# --- the check of record ------------------------------------------------------------------

class SettingsError(ValueError):
    """Training settings that cannot be used; ``problems``: [(name, message), ...]."""

    code = "BAD_SETTINGS"

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0][1]}{more}.")


@dataclass(frozen=True)
class TrainSettings:
    """What a run trains with: the PPO config and its budget (None: no limit)."""

    config: PPOConfig
    seconds: float | None = None
    steps: int | None = None

    @property
    def budget(self) -> dict[str, float | int]:
        return budget_of(self.seconds, self.steps)


def _problem(s: Setting, value: Any) -> str | None:
    """Why ``value`` cannot be setting ``s``, in the page's words (None: it can; None is
    the default). The block props' check: the page's mirror of it says the same."""
    if value is None:
        return None
    problem = check_prop_value(s.prop, value)
    return f"{s.label} {problem[1]}" if problem else None


def check_settings(raw: Any, base: PPOConfig | None = None) -> TrainSettings:
    """The design's ``"training"`` object -> what a run trains with, over ``base`` (default:
    the server's config). Raises ``SettingsError`` naming every bad or unknown setting."""
    # Deferred: ppo imports torch, which this module's table (sent to the page) must not.
    from modelstudio_widget.training.ppo import PPOConfig

    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise SettingsError([("", "Training settings must be an object of name -> value")])
    problems = [(name, f"{str(name)[:40]!r} is not a training setting") for name in raw
                if name not in BY_NAME]
    problems += [(name, p) for name, value in raw.items() if name in BY_NAME
                 for p in [_problem(BY_NAME[name], value)] if p]
    if problems:
        raise SettingsError(problems)
    config = base if base is not None else server_config()
    overrides = {k: v for k, v in raw.items() if v is not None and k not in BUDGET}
    return TrainSettings(PPOConfig.from_dict({**config.to_dict(), **overrides}),
                         raw.get("seconds"), raw.get("steps"))


def server_config() -> PPOConfig:
    """The ``PPOConfig`` for app runs: defaults, overridden by ``$MODELSTUDIO_TRAIN_CONFIG``.
    A bad value is logged and ignored (the app must still train)."""
    from modelstudio_widget.training.ppo import PPOConfig  # deferred: imports torch

    return PPOConfig.from_dict({**PPOConfig().to_dict(), **server_overrides()})


def budget_of(seconds: float | None, steps: int | None) -> dict[str, float | int]:
    """A run's budget as recorded: ``{"seconds": 30}``, ``{"steps": ...}``, both, or {}."""
    return {k: v for k, v in (("seconds", seconds), ("steps", steps)) if v is not None}


def run_config(config: PPOConfig, seconds: float | None, steps: int | None) -> dict[str, Any]:
    """What a run records as its config: the PPO config, plus ``"budget"`` when it has one."""
    budget = budget_of(seconds, steps)
    return {**config.to_dict(), **({"budget": budget} if budget else {})}
