"""Sweeps: ``sweep(design, space, seconds=...)`` trains a design over a space of choices
on Ray Tune and records every trial as a run in the workspace store (see ``driver``).

Ray is an optional extra (``pip install 'modelstudio_widget[ray]'``); everything but
running a sweep works without it.
"""

from modelstudio_widget.sweep.driver import sweep
from modelstudio_widget.sweep.result import Sweep, TrialResult
from modelstudio_widget.sweep.space import choice, loguniform, randint, uniform

__all__ = ["sweep", "Sweep", "TrialResult", "choice", "uniform", "loguniform", "randint"]
