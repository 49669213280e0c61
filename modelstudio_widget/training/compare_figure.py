"""``ms.compare(runs)``: the compare sheet's overlay of score curves as a matplotlib figure."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from modelstudio_widget.store import Store
from modelstudio_widget.training.compare import Comparison, compare_runs

X_AXES = {"moves": ("Moves", 0, 1.0), "minutes": ("Minutes of training", 2, 1 / 60)}
"""x axis name -> (label, column of the curve, scale)"""
#: Fewer points than this and each is marked (a line of one point draws nothing).
MARK_BELOW = 30


def compare(runs: Sequence[Any], x: str = "moves", *,
            workspace: str | os.PathLike[str] | None = None) -> Any:
    """The score curves of 2 to 6 runs overlaid, one line each, as a matplotlib ``Figure``
    (a notebook shows it as the cell's value; ``fig.savefig(path)`` writes it).

    ``runs``: run ids, or runs (``ms.train``'s, ``ms.runs()``'s). ``x``: "moves" or
    "minutes". The store is the runs' workspace (or ``workspace``, or the default one).
    The numbers and differences behind the figure are ``fig.comparison``.
    """
    if x not in X_AXES:
        raise ValueError(f"x must be one of {', '.join(X_AXES)}; got {x!r}")
    try:
        # Deferred: matplotlib is optional (the test extra) and slow to import.
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("ms.compare draws with matplotlib, which is not installed: "
                          "pip install matplotlib") from None
    ids = [run_id_of(r) for r in runs]
    with Store.in_workspace(workspace or _workspace_of(runs)) as store:
        comparison = compare_runs(store, ids)
    label, column, scale = X_AXES[x]
    fig, ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    plt.close(fig)  # returned, not also shown by pyplot at the end of the cell
    for run in comparison.runs:
        ax.plot([p[column] * scale for p in run.curve], [p[1] for p in run.curve],
                label=run.label, linewidth=1.8,
                marker="o" if len(run.curve) < MARK_BELOW else None, markersize=4)
    ax.set_xlabel(label)
    ax.set_ylabel("Mean score (recent games)")
    ax.set_title(_title(comparison))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    fig.comparison = comparison
    return fig


def run_id_of(run: Any) -> str:
    """A run's id: the string itself, or the ``run_id`` / ``id`` of a run object."""
    if isinstance(run, str):
        return run
    for name in ("run_id", "id"):
        value = getattr(run, name, None)
        if isinstance(value, str):
            return value
    raise TypeError(f"not a run or a run id: {type(run).__name__}")


def _workspace_of(runs: Sequence[Any]) -> Any:
    return next((w for w in (getattr(r, "workspace", None) for r in runs) if w), None)


def _title(comparison: Comparison) -> str:
    names = sorted({r.summary.design_name for r in comparison.runs})
    return (f"{len(comparison.runs)} runs of {names[0]}" if len(names) == 1
            else f"{len(comparison.runs)} runs of {len(names)} designs")
