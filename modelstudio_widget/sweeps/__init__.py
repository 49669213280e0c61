"""Sweeps: ``sweep(design, space, seconds=...)`` trains a design over a space of choices
on Ray Tune and records every trial as a run in the workspace store (see ``driver``).

Ray is an optional extra (``pip install 'modelstudio_widget[ray]'``); everything but
running a sweep works without it.

The package is ``sweeps``, not ``sweep``: importing a subpackage binds its name on the
parent package, so a ``modelstudio_widget.sweep`` package would replace the function
``ms.sweep`` with itself as soon as anything imported it.
"""

from modelstudio_widget.sweeps.driver import sweep
from modelstudio_widget.sweeps.result import Sweep, TrialResult
from modelstudio_widget.sweeps.space import choice, loguniform, randint, uniform

__all__ = ["sweep", "Sweep", "TrialResult", "choice", "uniform", "loguniform", "randint"]
