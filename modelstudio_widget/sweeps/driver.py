"""``ms.sweep``: many trainings of one design over a space of choices, on Ray Tune.

The calling process (a notebook's kernel, a script) is the driver: it starts a local Ray
instance sized to this machine (or joins a cluster by ``address``), lets Ray Tune run the
trials (``trial.run_trial``, each the project's PPO trainer), follows them through Ray
(``tracking``) and records each one in the workspace store as soon as it has ended
(``record``). Ctrl+C (or the notebook's stop button) ends the sweep cleanly: Tune stops
the trials, everything that ended is recorded, and the sweep returns what it has. A sweep
run in a thread (the app's) is stopped the same way by setting its ``stop`` event.
"""

from __future__ import annotations

import copy
import logging
import math
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from modelstudio_widget.store import Store
from modelstudio_widget.sweeps.record import Recorder, SweepTag, TrialEnd, design_home
from modelstudio_widget.sweeps.result import Sweep, TrialResult
from modelstudio_widget.sweeps.space import Axis, Choice, Grid, parse_space
from modelstudio_widget.sweeps.trial import TrialPlan, run_trial
from modelstudio_widget.training.ppo import PPOConfig
from modelstudio_widget.workspace import resolve_workspace, subdir

log = logging.getLogger(__name__)

RAY_MISSING = "ms.sweep needs Ray Tune: pip install 'modelstudio_widget[ray]'"
ASHA_RUNGS = 4  # ASHA's first rung: a quarter of the budget; halves the field at each rung
INTERRUPTED = "the sweep was stopped"


def sweep(design: dict[str, Any], space: dict[Any, Any], *, seconds: float | None = None,
          steps: int | None = None, trials: int | None = None, seed: int = 0,
          metric: str = "mean_score", mode: str = "max", scheduler: Any = None,
          search: Any = None, address: str | None = None,
          resources_per_trial: dict[str, float] | None = None,
          max_concurrent: int | None = None, name: str | None = None,
          config: PPOConfig | None = None, workspace: str | os.PathLike[str] | None = None,
          max_failures: int = 1, storage_path: str | None = None,
          callbacks: Sequence[Any] = (), progress: bool = True,
          stop: threading.Event | None = None,
          on_update: Callable[[TrialResult], None] | None = None) -> Sweep:
    """Train ``design`` once per point of ``space`` (see ``space``) and record every trial
    as a run of the design in the workspace's store. Blocking; returns the ``Sweep``.

    Budget per trial: ``seconds`` of training and/or ``steps`` moves, whichever comes
    first. ``trials``: how many trials in all (default: one per combination of the plain
    lists in the space); with lists in the space it must be a multiple of their number of
    combinations. Every trial trains with ``config`` (default ``PPOConfig()``) and ``seed``,
    changed where the space says so.

    ``metric`` (a key of the training snapshot, ``mode`` "max" or "min") ranks the trials
    and drives ``scheduler`` ("asha", or any Ray Tune scheduler) and ``search`` ("optuna",
    or any Ray Tune searcher; a searcher samples plain lists as choices).
    ``address``: None starts a local Ray instance (shut down after, unless one was already
    running); "auto" or "ray://host:10001" runs on an existing cluster, whose trials write
    checkpoints to ``storage_path`` (default ``<workspace>/sweeps``: on a cluster of several
    machines, a folder they all share or a cloud URI). ``resources_per_trial`` (default
    ``{"cpu": 1}``; e.g. ``{"cpu": 1, "gpu": 0.25}`` shares a GPU among four trials),
    ``max_concurrent`` (trials at once), ``max_failures`` (retries of a trial whose worker
    died or that raised), ``callbacks`` (more Ray Tune callbacks).

    ``stop``: setting this event ends the sweep as Ctrl+C does (from another thread).
    ``on_update``: called (in the sweep's thread) with a trial's row whenever it starts or
    reports (status "running", its latest numbers) and once it has ended and is recorded.
    """
    if seconds is None and steps is None:
        raise ValueError("give each trial a budget: seconds=... and/or steps=...")
    if mode not in ("max", "min"):
        raise ValueError(f"mode must be 'max' or 'min'; got {mode!r}")
    if not isinstance(design, dict):
        raise TypeError(f"design must be a design dict, not {type(design).__name__}")
    design = copy.deepcopy(design)
    axes = parse_space(design, space)
    tune = _import_tune()
    searcher = _searcher(search, seed)
    num_samples, total = _samples(axes, trials, searched=searcher is not None)
    plan = TrialPlan(design, replace(config or PPOConfig(), seed=seed).to_dict(), tuple(axes),
                     seconds, steps, metric)
    ws = resolve_workspace(workspace)
    sweep_id = "s-" + secrets.token_hex(4)
    tag = SweepTag(sweep_id, name or f"{design.get('name') or 'design'} sweep {sweep_id}",
                   metric)
    store = Store.in_workspace(ws)
    try:
        design_id, revision = design_home(store, design)
        plan = replace(plan, design={**design, "id": design_id})
        recorder = Recorder(store, ws, plan, tag, design_id, revision)
        results: list[TrialResult] = []
        with _progress_bar(total, progress) as bar:
            def on_end(end: TrialEnd) -> None:
                result = recorder.record(end)
                results.append(result)
                if on_update is not None:
                    on_update(result)
                if bar is not None and end.status != "not started":
                    bar.update(1)
                    best = _best_metric(results, mode)
                    if best is not None:
                        bar.set_postfix({metric: f"{best:.4g}"}, refresh=True)

            def on_progress(end: TrialEnd) -> None:
                if on_update is not None:
                    on_update(TrialResult.of(end, metric))

            started = time.monotonic()
            interrupted = _run(tune, plan, axes, on_end, on_progress, stop, mode=mode,
                               searcher=searcher,
                               scheduler=_scheduler(scheduler, plan),
                               num_samples=num_samples, total=total, address=address,
                               resources=resources_per_trial, max_concurrent=max_concurrent,
                               max_failures=max_failures, tag=tag,
                               storage=storage_path or str(subdir(ws, "sweeps")),
                               callbacks=callbacks)
            elapsed = time.monotonic() - started
    finally:
        store.close()
    result = Sweep(sweep_id, tag.name, metric, mode, sorted(results, key=lambda r: r.index),
                   ws, design_id, elapsed, total, interrupted)
    if interrupted:
        log.warning("%s: %d trials recorded", INTERRUPTED, sum(1 for r in results if r.run_id))
    if progress:
        _show(result)
    return result


def _import_tune() -> Any:
    try:
        from ray import tune
    except ImportError:
        raise ImportError(RAY_MISSING) from None
    return tune


def _searcher(search: Any, seed: int) -> Any:
    if search is None or not isinstance(search, str):
        return search
    if search != "optuna":
        raise ValueError(f"search must be None, 'optuna' or a Ray Tune searcher; got {search!r}")
    try:
        import optuna  # noqa: F401  (OptunaSearch imports it only when it is built)
        from ray.tune.search.optuna import OptunaSearch
    except ImportError:
        raise ImportError(RAY_MISSING) from None
    return OptunaSearch(seed=seed)  # Tune hands it the metric and the mode


def _samples(axes: list[Axis], trials: int | None, *, searched: bool) -> tuple[int, int]:
    """(Ray Tune's num_samples, the number of trials) for ``trials``."""
    grid = 1 if searched else math.prod(len(a.distribution.values) for a in axes
                                        if isinstance(a.distribution, Grid))
    if trials is None:
        trials = grid
    if type(trials) is not int or trials < 1:
        raise ValueError(f"trials must be a positive int; got {trials!r}")
    if trials % grid:
        raise ValueError(f"the lists in the space make {grid} combinations: trials must be "
                         f"a multiple of {grid}; got {trials}")
    return trials // grid, trials


def _scheduler(scheduler: Any, plan: TrialPlan) -> Any:
    if scheduler is None or not isinstance(scheduler, str):
        return scheduler
    if scheduler != "asha":
        raise ValueError(f"scheduler must be None, 'asha' or a Ray Tune scheduler; got "
                         f"{scheduler!r}")
    from ray.tune.schedulers import ASHAScheduler

    # Rungs on the budget the trials run on: moves when counted, else seconds of training.
    time_attr, budget = ("global_step", plan.steps) if plan.steps else ("elapsed_s",
                                                                         plan.seconds)
    return ASHAScheduler(time_attr=time_attr, max_t=budget, grace_period=budget / ASHA_RUNGS,
                         reduction_factor=2)


def _run(tune: Any, plan: TrialPlan, axes: list[Axis], on_end: Any, on_progress: Any,
         stop: threading.Event | None, *, mode: str, searcher: Any, scheduler: Any, num_samples: int, total: int, address: str | None,
         resources: dict[str, float] | None, max_concurrent: int | None, max_failures: int,
         tag: SweepTag, storage: str, callbacks: Sequence[Any]) -> bool:
    """Run the trials on Ray Tune; True if the sweep was interrupted."""
    from modelstudio_widget.sweeps.tracking import StopWhenSet, TrialTracker  # imports Ray

    tracker = TrialTracker([a.label for a in axes], on_end, on_progress)
    param_space = {a.label: (Choice(a.distribution.values) if searcher is not None
                             and isinstance(a.distribution, Grid) else a.distribution
                             ).to_tune(tune) for a in axes}
    # Tune's own console output (a status table) would fight the sweep's progress bar.
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    with _ray(address):  # with_parameters puts the plan into Ray's object store
        trainable = tune.with_resources(tune.with_parameters(run_trial, plan=plan),
                                        {"cpu": 1, **(resources or {})})
        tuner = tune.Tuner(
            trainable, param_space=param_space,
            tune_config=tune.TuneConfig(metric=plan.metric, mode=mode, search_alg=searcher,
                                        scheduler=scheduler, num_samples=num_samples,
                                        max_concurrent_trials=max_concurrent,
                                        reuse_actors=True),
            run_config=tune.RunConfig(
                name=tag.id, storage_path=storage, verbose=0,
                stop=StopWhenSet(stop) if stop is not None else None,
                failure_config=tune.FailureConfig(max_failures=max_failures),
                checkpoint_config=tune.CheckpointConfig(),
                callbacks=[tracker, *callbacks]))
        try:
            tuner.fit()
            interrupted = False
        except KeyboardInterrupt:  # a second Ctrl+C: Tune's graceful stop was cut short
            interrupted = True
        # Tune ends a sweep stopped by Ctrl+C without ending its running trials (ours to
        # record, as stopped) and without making the trials still to come.
        ended = tracker.ended
        interrupted = tracker.end_the_rest(INTERRUPTED) or ended < total or interrupted
    return interrupted


@contextmanager
def _ray(address: str | None) -> Iterator[None]:
    """Ray for the sweep: the instance already running, the cluster at ``address``, or a
    local instance sized to this machine that is shut down afterwards."""
    import ray

    if ray.is_initialized():
        if address is not None:
            log.warning("Ray is already running in this process: the sweep uses it, not %s",
                        address)
        yield
        return
    if address is None:
        start_local_ray()
    else:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
    try:
        yield
    finally:
        ray.shutdown()


def start_local_ray(num_cpus: int | None = None, *, attempts: int = 3) -> None:
    """Start Ray on this machine (``num_cpus``: default, all of them), quietly. Its node
    waits a fixed 30 s for its own processes to register, which a busy machine can
    exceed: then it tries again, up to ``attempts`` times."""
    import ray

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # nothing leaves the machine
    for attempt in range(1, attempts + 1):
        try:
            ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False,
                     logging_level=logging.WARNING)
            return
        except Exception:
            ray.shutdown()
            if attempt == attempts:
                raise
            log.warning("Ray did not start in time (a busy machine?): trying again")


@contextmanager
def _progress_bar(total: int, show: bool) -> Iterator[Any]:
    bar = None
    if show:
        try:
            from tqdm.auto import tqdm
        except ImportError:  # pragma: no cover - tqdm is a dependency
            tqdm = None
        if tqdm is not None:
            bar = tqdm(total=total, unit="trial", desc="sweep", leave=True, dynamic_ncols=True)
    try:
        yield bar
    finally:
        if bar is not None:
            bar.close()


def _best_metric(results: list[TrialResult], mode: str) -> float | None:
    values = [r.metric for r in results if r.metric is not None]
    if not values:
        return None
    return max(values) if mode == "max" else min(values)


def _show(result: Sweep) -> None:
    """The results table: rendered in a notebook, printed elsewhere."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(result)
    else:
        print(result)
