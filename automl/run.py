"""The run of a fit: search, then the ensemble, else a refit, else the fallback.

:func:`run_fit` takes the :class:`~automl.plan.FitPlan` and the typed data
and returns a :class:`FitResult`; it owns the worker processes, the
temporary folder and the trial log, and leaves nothing behind when it returns
or raises. The estimator copies the result into its fitted attributes. What
the run uses of the world (the workers, the optimiser, the knowledge base;
the clock is the deadline's) is a :class:`Runtime`, so that a whole fit can
run in-process on a fake clock.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from automl._search_stage import SearchStage, candidates_that_fit
from automl.ensemble import FittedEnsemble, build_ensemble
from automl.ensemble.fallback import RefitBest, best_first, ensemble_info
from automl.evaluation import TrialData, TrialResult
from automl.exceptions import FallbackModelWarning
from automl.limits import Deadline
from automl.metalearning.metadata import load_metadata
from automl.metrics import Metric, score_predictions
from automl.plan import FitPlan
from automl.reporting import leaderboard_frame
from automl.reporting.leaderboard import with_skipped_families
from automl.resampling import validation_indices
from automl.search import (
    DaskExecutor,
    Executor,
    Optimizer,
    ProcessExecutor,
    SMACOptimizer,
    TrialRecord,
    is_full_budget_success,
)
from automl.search.fidelity import Fidelity
from automl.space import build_space

logger = logging.getLogger("automl")

#: ``(space, initial_configs, n_workers, workdir, fidelity, seed)`` → optimiser,
#: for a fidelity schedule other than ``"auto"``.
OptimizerFactory = Callable[
    [Any, list[tuple[str, dict[str, Any]]], int, Path, Fidelity, int], Optimizer
]


def smac_optimizer(
    space: Any,
    initial_configs: list[tuple[str, dict[str, Any]]],
    n_workers: int,
    workdir: Path,
    fidelity: Fidelity,
    seed: int,
) -> Optimizer:
    """The default optimiser: SMAC, starting from the warm-start design."""
    return SMACOptimizer(
        space,
        seed=seed,
        n_workers=n_workers,
        initial_configs=initial_configs,
        output_dir=workdir / f"smac-{fidelity.schedule}",
        fidelity=fidelity,
    )


def local_or_dask_executor(plan: FitPlan, options: RunOptions) -> Executor:
    """The default workers: the Dask cluster of ``options``, else local
    processes under the plan's memory limits."""
    if options.dask_cluster is not None:
        return DaskExecutor(options.dask_cluster)
    memory, limit = plan.memory, plan.per_trial_memory_mb
    if limit is None:
        return ProcessExecutor(memory.n_workers)
    # A fresh worker when an idle one has crept into half its trials' room.
    idle_limit = limit - memory.working_mb / 2
    return ProcessExecutor(memory.n_workers, limit, idle_limit_mb=idle_limit)


def knowledge_base(source: bool | str | os.PathLike[str]) -> dict[str, Any] | None:
    """The warm start's knowledge base: the shipped one (True), another (a
    path), or none (False: each family's default first)."""
    if source is False:
        return None
    return load_metadata(None if source is True else Path(source))


@dataclass(frozen=True)
class Runtime:
    """What a run uses of the world besides its plan, data and options.

    Parameters
    ----------
    make_executor : callable, default=local_or_dask_executor
        ``(plan, options) -> Executor``: where trials run (e.g.
        ``lambda plan, options: SerialExecutor()`` for one process).
    make_optimizer : callable, default=smac_optimizer
        See :data:`OptimizerFactory`.
    load_knowledge : callable, default=knowledge_base
        ``meta_learning -> dict or None``: the warm start's knowledge base.
    """

    make_executor: Callable[[FitPlan, RunOptions], Executor] = local_or_dask_executor
    make_optimizer: OptimizerFactory = smac_optimizer
    load_knowledge: Callable[[Any], dict[str, Any] | None] = knowledge_base


@dataclass(frozen=True)
class RunOptions:
    """What the run needs besides the plan: where to start, log and report.

    Parameters
    ----------
    name : str
        The estimator's class name, for messages.
    deadline : Deadline
        The fit's deadline (``time_limit`` from the start of ``fit``); its
        clock is the run's: the search, the ensemble build and the refits
        read the time from it.
    max_trials : int or None
    meta_learning : bool, str or PathLike
        The warm start: True for the shipped knowledge base, a path for
        another, False for each family's default only.
    output_dir : str, PathLike or None
        Where the trial log is kept (resume).
    verbose : int
    dask_cluster : object or None
        A Dask address or client; None runs local worker processes.
    max_ensemble_members : int or None
    decision_threshold : float, "auto" or None
        See :func:`~automl.ensemble.build_ensemble`.
    """

    name: str
    deadline: Deadline
    max_trials: int | None
    meta_learning: bool | str | os.PathLike[str]
    output_dir: str | os.PathLike[str] | None
    verbose: int
    dask_cluster: Any
    max_ensemble_members: int | None
    decision_threshold: float | Literal["auto"] | None = "auto"


@dataclass
class FitResult:
    """What a run produced; the estimator's fitted attributes are copied from it.

    Attributes
    ----------
    records : list of TrialRecord
        Every trial, in the order they finished.
    model : object
        The final model: the ensemble, a refitted trial, or the fallback.
    fallback : estimator
        The constant baseline, fitted on all rows.
    best : TrialRecord or None
        The trial behind ``best_config_`` (None when the fallback predicts).
    ensemble : FittedEnsemble or None
    leaderboard : DataFrame
    trials : list of dict
    initial_design : list of (str, dict)
    final_model : dict
        What the final model is and why (the estimator's ``ensemble_info_``),
        whether an ensemble, a refitted trial or the fallback.
    search_seconds : float
        Seconds from the start of the fit to the end of its last trial.
    notes : list of str
        What the run reduced beyond the memory plan, in plain words.
    """

    records: list[TrialRecord]
    model: Any
    fallback: BaseEstimator
    best: TrialRecord | None
    ensemble: FittedEnsemble | None
    leaderboard: pd.DataFrame
    trials: list[dict[str, Any]]
    initial_design: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    final_model: dict[str, Any] = field(default_factory=dict)
    search_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def run_fit(
    plan: FitPlan,
    data: TrialData,
    fallback: BaseEstimator,
    options: RunOptions,
    runtime: Runtime | None = None,
) -> FitResult:
    """Search, build the final model, and report what happened.

    Parameters
    ----------
    plan : FitPlan
    data : TrialData
        The typed training data, after the plan's row cut, with its splits.
    fallback : estimator
        An unfitted constant baseline for the task.
    options : RunOptions
    runtime : Runtime or None, default=None
        None: local worker processes (or ``options.dask_cluster``), SMAC and
        the knowledge base of ``options.meta_learning``.

    Returns
    -------
    FitResult
    """
    runtime = Runtime() if runtime is None else runtime
    fallback = fallback.fit(data.X, data.y)
    space = build_space(
        data.properties,
        models=list(plan.models),
        seed=plan.seed,
        generated_features=plan.policy.generated_features,
    )
    costs = plan.cost_model(data.splits, len(data.y), data.X.shape[1])
    deadline = options.deadline
    # The one cleanup path, also on an exception or Ctrl-C: callbacks run
    # last-in first-out (stop the workers, then delete their files).
    with ExitStack() as cleanup:
        search = SearchStage(
            plan,
            data,
            options,
            runtime,
            space,
            costs,
            constant_loss(data, plan.metric),
            cleanup,
        )
        records = search.search()
        search_seconds = deadline.elapsed()
        reserved = search.reserve()
        candidates, note = candidates_that_fit(
            search.pool.candidates, data, plan.memory.working_mb, plan.memory.row_caps
        )
        search.notes += [note] if note else []
        if candidates:  # built here: the workers' memory and time are free
            search.executor.release()
        ensemble = _fit_ensemble(
            candidates, plan, data, options, costs, search.settings.budget_unit
        )
        refitted: tuple[TrialRecord, Any] | None = None
        if ensemble is None:
            why = (
                "building the ensemble failed"
                if candidates
                else "no trial finished on all rows"
            )
            refit_best = RefitBest(
                search.refit, data, plan.metric, plan.policy.divergence_tolerance
            )
            refitted, final_model = refit_best.timed(records, why)
        else:
            final_model = ensemble_info(ensemble)
    final_model["reserved_seconds"] = reserved
    final_model["policy"] = plan.policy.as_dict()
    result = _result(plan, records, ensemble, refitted, fallback, deadline)
    result.search_seconds, result.final_model = search_seconds, final_model
    result.initial_design, result.notes = search.initial_design, search.notes
    return result


def _fit_ensemble(
    candidates: list[Any],
    plan: FitPlan,
    data: TrialData,
    options: RunOptions,
    costs: Any,
    budget_unit: Literal["rows", "iterations"],
) -> FittedEnsemble | None:
    """The final model from the kept trials, or None if there is none."""
    if not candidates:
        return None
    deadline, policy = options.deadline, plan.policy
    at = deadline.at
    try:
        return build_ensemble(
            candidates,
            data,
            plan.metric,
            deadline=None if at is None else at - policy.margin_seconds,
            n_threads=plan.ensemble_threads,
            seed=plan.seed,
            stack=plan.reserve.stack,
            refit_full=plan.reserve.refit_full,
            max_members=options.max_ensemble_members,
            infer_limit=plan.infer_limit,
            decision_threshold=options.decision_threshold,
            policy=policy,
            costs=costs,
            clock=deadline.clock,
            row_caps=plan.memory.row_caps,
            budget_unit=budget_unit,
        )
    except Exception as exc:  # the single best model is refitted instead
        logger.warning("Building the ensemble failed: %s", exc)
        return None


def _result(
    plan: FitPlan,
    records: list[TrialRecord],
    ensemble: FittedEnsemble | None,
    refitted: tuple[TrialRecord, Any] | None,
    fallback: BaseEstimator,
    deadline: Deadline,
) -> FitResult:
    """The final model, its trial and the leaderboard (the run's record is
    added by :func:`run_fit`)."""
    board = with_skipped_families(
        leaderboard_frame(records, plan.metric), plan.memory.skipped
    )
    if ensemble is not None:  # of trials on all rows, or on large tables any
        ok = [r for r in records if r.status == "ok"]
        full = [r for r in ok if is_full_budget_success(r.status, r.budget)]
        best = min(full or ok, key=lambda r: r.loss)
        model: Any = ensemble
        board = _with_ensemble_rows(board, ensemble, plan.metric)
    elif refitted is not None:
        best, model = refitted
    else:
        best, model = None, fallback
        _warn_fallback(records, fallback, deadline)
    return FitResult(
        records=records,
        model=model,
        fallback=fallback,
        best=best,
        ensemble=ensemble,
        leaderboard=board,
        trials=[trial_dict(r) for r in sorted(records, key=lambda r: r.trial_id)],
    )


def _warn_fallback(
    records: list[TrialRecord], fallback: Any, deadline: Deadline
) -> None:
    reason = (
        "no trial finished"
        if not best_first(records)
        else "refitting the best models failed"
    )
    warnings.warn(
        f"{reason} within time_limit={deadline.limit} s ({len(records)} "
        f"trials run); predictions come from a constant baseline "
        f"({type(fallback).__name__}). Increase time_limit, or see "
        "leaderboard() for the errors.",
        FallbackModelWarning,
        stacklevel=5,
    )


def _with_ensemble_rows(
    board: pd.DataFrame, ensemble: FittedEnsemble, metric: Any
) -> pd.DataFrame:
    """The leaderboard with the final model's rows on top."""
    rows = pd.DataFrame(ensemble.leaderboard_rows(metric))
    board = pd.concat([rows, board.drop(columns="rank")])
    board.insert(0, "rank", range(1, len(board) + 1))
    return board.reset_index(drop=True)


def constant_loss(data: TrialData, metric: Metric) -> float:
    """The constant baseline's loss on the validation rows: what a crashed
    trial's loss is set past (:func:`~automl.metrics.crash_loss`)."""
    rows, weights = validation_indices(data.splits), data.sample_weight
    y_valid = data.y[rows]
    if metric.quantile_levels is not None:  # unweighted quantiles: a baseline
        pred = np.tile(np.quantile(data.y, metric.quantile_levels), (len(rows), 1))
    elif data.task == "regression":
        pred = np.full(len(rows), float(np.average(data.y, weights=weights)))
    else:
        counts = np.bincount(data.y, weights=weights, minlength=data.n_classes or 0)
        pred = np.tile(counts / counts.sum(), (len(rows), 1))
    try:
        return score_predictions(
            metric, y_valid, pred, data.task, data.weights_of(rows)
        )
    except ValueError:
        return 1.0


def trial_dict(record: TrialRecord) -> dict[str, Any]:
    """A trial as the estimator's ``trials_`` lists it."""
    result = record.outcome if isinstance(record.outcome, TrialResult) else None
    return {
        "trial_id": record.trial_id,
        "config": record.config,
        "seed": record.seed,
        "budget": record.budget,
        "origin": record.origin,
        "loss": record.loss,
        "status": record.status,
        "started": record.started,
        "duration": record.duration,
        "fit_time": None if result is None else result.fit_time,
        "worker": None if result is None else result.worker,
        "error": record.error,
        "resumed": record.resumed,
        "peak_memory_mb": None if result is None else result.peak_memory_mb,
    }
