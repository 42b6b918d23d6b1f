"""The run of a fit: search, then the ensemble, else a refit, else the fallback.

:func:`run_fit` takes the :class:`~automl.plan.FitPlan` and the typed data
and returns a :class:`FitResult`; it owns the worker processes, the
temporary folder and the trial log, and leaves nothing behind when it returns
or raises. The estimator copies the result into its fitted attributes.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from automl import _resume
from automl.ensemble import (
    Candidate,
    CandidatePool,
    FittedEnsemble,
    build_ensemble,
    has_diverged,
)
from automl.evaluation import (
    TrialData,
    TrialResult,
    TrialSettings,
    evaluate,
    predict_pipeline,
    refit,
)
from automl.exceptions import FallbackModelWarning
from automl.limits import KILL_GRACE_SECONDS, Deadline
from automl.metalearning.metadata import load_metadata
from automl.metalearning.warm_start import initial_design
from automl.metrics import Metric, crash_loss, score_predictions
from automl.plan import FitPlan
from automl.reporting import SearchProgress, leaderboard_frame
from automl.reporting.leaderboard import with_skipped_families
from automl.resampling import validation_indices
from automl.search import (
    DaskExecutor,
    Executor,
    Optimizer,
    ProcessExecutor,
    SearchSettings,
    SMACOptimizer,
    TrialRecord,
    is_full_budget_success,
    run_search,
)
from automl.search.fidelity import FULL, Fidelity, HalvingWhenDear
from automl.search.trial_log import TrialLog
from automl.space import build_space
from automl.space.memory import bytes_per_value, estimate_memory_mb
from automl.space.registry import PLUGIN_MODULES

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


@dataclass(frozen=True)
class RunOptions:
    """What the run needs besides the plan: where to start, log and report.

    Parameters
    ----------
    name : str
        The estimator's class name, for messages.
    deadline : Deadline
        The fit's deadline (``time_limit`` from the start of ``fit``).
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
    infer_limit : float or None
    decision_threshold : float, "auto" or None
        See :func:`~automl.ensemble.build_ensemble`.
    make_optimizer : callable, default=smac_optimizer
        See :data:`OptimizerFactory`.
    """

    name: str
    deadline: Deadline
    max_trials: int | None
    meta_learning: bool | str | os.PathLike[str]
    output_dir: str | os.PathLike[str] | None
    verbose: int
    dask_cluster: Any
    max_ensemble_members: int | None
    infer_limit: float | None
    decision_threshold: float | Literal["auto"] | None = "auto"
    make_optimizer: OptimizerFactory = smac_optimizer


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
    initial_design: list[tuple[str, dict[str, Any]]]
    final_model: dict[str, Any]
    search_seconds: float
    notes: list[str] = field(default_factory=list)


def run_fit(
    plan: FitPlan, data: TrialData, fallback: BaseEstimator, options: RunOptions
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

    Returns
    -------
    FitResult
    """
    fallback = fallback.fit(data.X, data.y)
    space = build_space(
        data.properties,
        models=list(plan.models),
        seed=plan.seed,
        generated_features=plan.policy.generated_features,
    )
    run = _Run(plan, data, options, space)
    # The one cleanup path, also on an exception or Ctrl-C: callbacks run
    # last-in first-out (stop the workers, then delete their files).
    with ExitStack() as cleanup:
        run.open(cleanup, constant_loss(data, plan.metric))
        records = run.search()
        search_seconds = run.deadline.elapsed()
        reserved = run.reserve()
        candidates = run.candidates_that_fit(run.pool.candidates)
        if candidates:  # built here: the workers' memory and time are free
            run.executor.release()
        ensemble = run.fit_ensemble(candidates)
        refit_start = time.time()
        refitted = None if ensemble is not None else run.refit_best(records)
        refit_seconds = time.time() - refit_start
    result = run.result(records, ensemble, refitted, fallback, search_seconds)
    if ensemble is None:
        result.final_model = _refit_info(records, refitted, candidates, refit_seconds)
    result.final_model["reserved_seconds"] = reserved
    result.final_model["policy"] = plan.policy.as_dict()
    return result


class _Run:
    """The state one run shares between its stages (see :func:`run_fit`)."""

    def __init__(
        self, plan: FitPlan, data: TrialData, options: RunOptions, space: Any
    ) -> None:
        self.plan, self.data, self.options, self.space = plan, data, options, space
        self.costs = plan.cost_model(data.splits, len(data.y))
        self.deadline = options.deadline
        self.notes: list[str] = []
        self.initial_design: list[tuple[str, dict[str, Any]]] = []

    def open(self, cleanup: ExitStack, fallback_loss: float) -> None:
        """Trial log, temporary folder, workers and the data they share."""
        self.trial_log = self._open_trial_log()
        if self.trial_log is not None:
            cleanup.callback(self.trial_log.close)
        self.workdir = Path(tempfile.mkdtemp(prefix="automl-"))
        cleanup.callback(shutil.rmtree, self.workdir, ignore_errors=True)
        self.executor = self._make_executor()
        cleanup.callback(self.executor.close)
        self.settings = TrialSettings(
            metric=self.plan.metric,
            crash_loss=crash_loss(self.plan.metric, fallback_loss),
            n_threads=self.plan.threads_per_trial,
            memory_limit_mb=self.plan.per_trial_memory_mb,
            memory_reserved_mb=self.plan.policy.worker_base_mb
            + self.plan.memory.data_mb,
            plugins=tuple(PLUGIN_MODULES),
            models_dir=self._models_dir(),
            budget_unit=self.fidelity.unit,
        )
        self.pool = CandidatePool(
            directory=self.workdir / "predictions",
            max_candidates=self.plan.policy.max_candidates,
        )
        self.data_ref = self.executor.share(self.data, self.workdir)

    def _models_dir(self) -> str | None:
        """Where trials keep their fold models for the ensemble: in the
        temporary folder, when the workers share this machine's disk. Kept
        k-fold bags are the members; a holdout trial's model is the member
        when its refit on all rows is not affordable. With ``refit_full``
        and k-fold splits the members are always refits: nothing is kept."""
        refits_only = self.plan.reserve.refit_full and len(self.data.splits) > 1
        if self.options.dask_cluster is not None or refits_only:
            return None
        directory = self.workdir / "models"
        directory.mkdir()
        return str(directory)

    def _make_executor(self) -> Executor:
        if self.options.dask_cluster is not None:
            return DaskExecutor(self.options.dask_cluster)
        memory, limit = self.plan.memory, self.plan.per_trial_memory_mb
        if limit is None:
            return ProcessExecutor(memory.n_workers)
        # A fresh worker when an idle one has crept into half its trials' room.
        idle_limit = limit - memory.working_mb / 2
        return ProcessExecutor(memory.n_workers, limit, idle_limit_mb=idle_limit)

    @property
    def fidelity(self) -> Fidelity:
        return self.plan.fidelity(len(self.data.splits[0][0]))

    def _open_trial_log(self) -> TrialLog | None:
        """The trial log of ``output_dir`` (None without one); see ``_resume``."""
        if self.options.output_dir is None:
            return None
        settings = {
            "task": self.data.task,
            "metric": self.plan.metric.name,
            "resampling": self.plan.resampling,
            "cv_repeats": self.plan.cv_repeats,
            "seed": self.plan.seed,
            "fidelity": [
                self.fidelity.schedule,
                self.fidelity.min_budget,
                self.fidelity.unit,
            ],
            "include": self.plan.include,
            "exclude": self.plan.exclude,
        }
        return _resume.open_trial_log(
            self.options.output_dir,
            self.data,
            self.space,
            settings,
            self.plan.policy.as_dict(),
        )

    # -- search -------------------------------------------------------------------

    def search(self) -> list[TrialRecord]:
        prior: list[TrialRecord] = []
        if self.trial_log is not None:  # resume: logged trials are told, not re-run
            prior = _resume.resumed_trials(
                self.trial_log, self.space, self.deadline.start
            )
            _resume.offer_resumed(self.pool, self.trial_log, prior)
        self.initial_design = self._initial_design()
        optimizer = self._optimizer()
        progress = SearchProgress(
            self.options.verbose,
            self.plan.metric,
            start=self.deadline.start,
            time_limit=self.deadline.limit,
            max_trials=self.options.max_trials,
            name=self.options.name,
        )
        try:
            return run_search(
                optimizer,
                self.executor,
                evaluate,
                {"data": self.data_ref, "settings": self.settings},
                self._search_settings(),
                on_trial=progress.chain(self._keep_for_ensemble),
                prior=prior,
            )
        finally:
            progress.close()
            optimizer.close()

    def _optimizer(self) -> Optimizer:
        fidelity = self.fidelity

        def make(fidelity: Fidelity, design: list[Any]) -> Optimizer:
            n_workers, seed = self.executor.n_workers, self.plan.seed
            return self.options.make_optimizer(
                self.space, design, n_workers, self.workdir, fidelity, seed
            )

        if fidelity.schedule != "auto":
            return make(fidelity, self.initial_design)
        halving = Fidelity("successive_halving", fidelity.min_budget)

        def make_halving(told: list[dict[str, Any]]) -> Optimizer:
            # Halving is told what ran; of the design, it starts what did not.
            ran = [t["config"] for t in told]
            rest = [(o, c) for o, c in self.initial_design if c not in ran]
            return make(halving, rest)

        return HalvingWhenDear(
            make(FULL, self.initial_design),
            make_halving,
            self.deadline.remaining,
            self.executor.n_workers,
            policy=self.plan.policy,
        )

    def _initial_design(self) -> list[tuple[str, dict[str, Any]]]:
        """Portfolio and nearest-task configurations (or family defaults)."""
        metadata = None
        source = self.options.meta_learning
        if source is not False:
            metadata = load_metadata(None if source is True else Path(source))
        data = self.data
        return initial_design(
            self.space,
            metadata,
            data.X,
            data.y,
            data.task,
            data.columns,
            time_limit=self.deadline.limit,
            n_cores=self.plan.n_cores,
            policy=self.plan.policy,
        )

    def _search_settings(self) -> SearchSettings:
        return SearchSettings(
            deadline=self.deadline,
            max_trials=self.options.max_trials,
            per_trial_limit=self.plan.per_trial_time_limit,
            crash_loss=self.settings.crash_loss,
            reserve=self.reserve,
        )

    def reserve(self) -> float:
        """Seconds the search keeps free for the final model (see ReservePolicy)."""
        return self.plan.reserve.seconds(self.pool.candidates, self.costs)

    def _keep_for_ensemble(self, record: TrialRecord) -> None:
        full_budget = is_full_budget_success(record.status, record.budget)
        if self.trial_log is not None:
            predictions = getattr(record.outcome, "predictions", None)
            self.trial_log.append(record, predictions if full_budget else None)
        if full_budget:
            self.pool.add_record(record)
        if isinstance(record.outcome, TrialResult):
            record.outcome.predictions = None  # the pool holds what it keeps

    # -- the final model -------------------------------------------------------------

    def candidates_that_fit(self, candidates: list[Candidate]) -> list[Candidate]:
        """The ensemble's candidates whose refit on all rows fits the memory plan."""
        working_mb = self.plan.memory.working_mb
        data = self.data
        n_bytes = bytes_per_value(data.X)
        kept = [
            c
            for c in candidates
            if estimate_memory_mb(
                c.config,
                data.properties,
                len(data.y),
                bytes_per_value=n_bytes,
                row_copy=len(data.splits) > 1,  # k-fold bags copy their rows
            )
            <= working_mb
        ]
        if len(kept) < len(candidates):
            note = (
                f"{len(candidates) - len(kept)} of {len(candidates)} ensemble "
                f"candidates left out: their refit on all rows would need more "
                f"than {working_mb:,.0f} MiB"
            )
            logger.info("Memory plan: %s", note)
            self.notes.append(note)
        return kept

    def fit_ensemble(self, candidates: list[Candidate]) -> FittedEnsemble | None:
        """The final model from the kept trials, or None if there is none."""
        if not candidates:
            return None
        at, policy = self.deadline.at, self.plan.policy
        try:
            return build_ensemble(
                candidates,
                self.data,
                self.plan.metric,
                deadline=None if at is None else at - policy.margin_seconds,
                n_threads=self.plan.ensemble_threads,
                refit_speedup=self.plan.reserve.refit_speedup,
                cv_repeats=self.plan.cv_repeats,
                seed=self.plan.seed,
                stack=self.plan.reserve.stack,
                refit_full=self.plan.reserve.refit_full,
                max_members=self.options.max_ensemble_members,
                infer_limit=self.options.infer_limit,
                decision_threshold=self.options.decision_threshold,
                policy=policy,
                costs=self.costs,
            )
        except Exception as exc:  # the single best model is refitted instead
            logger.warning("Building the ensemble failed: %s", exc)
            return None

    def refit_best(self, records: list[TrialRecord]) -> tuple[TrialRecord, Any] | None:
        """The best of the top three trials that refits on all rows in time."""
        for record in best_first(records)[:3]:
            model = self._refit_one(record)
            if model is not None:
                return record, model
        return None

    def _refit_one(self, record: TrialRecord) -> Any:
        deadline, policy = self.deadline, self.plan.policy
        if deadline.remaining() < policy.margin_seconds:
            return None
        end = None if deadline.at is None else deadline.at - policy.margin_seconds
        future = self.executor.submit(
            refit,
            config=record.config,
            data=self.data_ref,
            settings=self.settings,
            seed=record.seed,
            deadline=end,
            budget=self.costs.refit_budget(
                record.budget,
                getattr(record.outcome, "fit_time", None),
                deadline.remaining(),
            ),
        )
        timeout = (
            None if end is None else max(0.1, end - time.time()) + KILL_GRACE_SECONDS
        )
        try:
            model = future.result(timeout=timeout)
        except Exception as exc:
            logger.warning("Refitting trial %d failed: %s", record.trial_id, exc)
            if not future.done():
                self.executor.kill(future)
            return None
        if self._diverged(model, record):
            logger.warning(
                "The refit of trial %d on all rows did far worse on its validation "
                "rows than the trial; trying the next best.",
                record.trial_id,
            )
            return None
        return model

    def _diverged(self, model: Any, record: TrialRecord) -> bool:
        """The ensemble members' check (``has_diverged``) on a single refit."""
        data = self.data
        rows = validation_indices(data.splits)
        predictions = predict_pipeline(
            model, data.X.iloc[rows], data.task, data.n_classes
        )
        loss = score_predictions(self.plan.metric, data.y[rows], predictions, data.task)
        return has_diverged(loss, record.loss, self.plan.policy.divergence_tolerance)

    # -- the result ------------------------------------------------------------------

    def result(
        self,
        records: list[TrialRecord],
        ensemble: FittedEnsemble | None,
        refitted: tuple[TrialRecord, Any] | None,
        fallback: BaseEstimator,
        search_seconds: float,
    ) -> FitResult:
        board = with_skipped_families(
            leaderboard_frame(records, self.plan.metric), self.plan.memory.skipped
        )
        if ensemble is not None:
            best = min(
                (r for r in records if is_full_budget_success(r.status, r.budget)),
                key=lambda r: r.loss,
            )
            model: Any = ensemble
            board = _with_ensemble_rows(board, ensemble, self.plan.metric)
        elif refitted is not None:
            best, model = refitted
        else:
            best, model = None, fallback
            self._warn_fallback(records, fallback)
        return FitResult(
            records=records,
            model=model,
            fallback=fallback,
            best=best,
            ensemble=ensemble,
            leaderboard=board,
            trials=[trial_dict(r) for r in sorted(records, key=lambda r: r.trial_id)],
            initial_design=self.initial_design,
            final_model={} if ensemble is None else ensemble_info(ensemble),
            search_seconds=search_seconds,
            notes=self.notes,
        )

    def _warn_fallback(self, records: list[TrialRecord], fallback: Any) -> None:
        reason = (
            "no trial finished"
            if not best_first(records)
            else "refitting the best models failed"
        )
        warnings.warn(
            f"{reason} within time_limit={self.deadline.limit} s ({len(records)} "
            f"trials run); predictions come from a constant baseline "
            f"({type(fallback).__name__}). Increase time_limit, or see "
            "leaderboard() for the errors.",
            FallbackModelWarning,
            stacklevel=5,
        )


def ensemble_info(ensemble: FittedEnsemble) -> dict[str, Any]:
    """The estimator's ``ensemble_info_``: kind, members, losses, decision."""
    return {
        "kind": ensemble.kind,
        "members": [
            {k: v for k, v in m.items() if k != "predictor"} for m in ensemble.members
        ],
        "validation_losses": dict(ensemble.validation_losses),
        "decision": ensemble.decision,
        "fit_seconds": ensemble.fit_seconds,
        "stage_seconds": dict(ensemble.stage_seconds),
        "stage_estimates": dict(ensemble.stage_estimates),
        "calibration": ensemble.calibration.as_dict(),
    }


def _refit_info(
    records: list[TrialRecord],
    refitted: tuple[TrialRecord, Any] | None,
    candidates: list[Candidate],
    seconds: float,
) -> dict[str, Any]:
    """``ensemble_info_`` of a fit that ended without an ensemble."""
    why = (
        "building the ensemble failed"
        if candidates
        else "no trial finished on all rows"
    )
    if refitted is None:
        kind, members = "fallback", []
        decision = (
            f"{why}, and refitting the best trials failed: constant baseline"
            if best_first(records)
            else "no trial succeeded: constant baseline"
        )
    else:
        record = refitted[0]
        kind = "single"
        members = [
            {
                "name": f"{record.config.get('model')}#{record.trial_id}",
                "trial_id": record.trial_id,
                "family": record.config.get("model"),
                "weight": 1.0,
                "layer": 1,
                "predictor": "full refit",
            }
        ]
        budget = 1.0 if record.budget is None else record.budget
        decision = (
            f"{why}: refitted trial {record.trial_id} (validated on "
            f"{budget:.0%} of the rows) on all rows"
        )
    return {
        "kind": kind,
        "members": members,
        "validation_losses": {},
        "decision": decision,
        "fit_seconds": seconds,
        "stage_seconds": {"refit": seconds},
    }


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
    rows = validation_indices(data.splits)
    y_valid = data.y[rows]
    if data.task == "regression":
        pred = np.full(len(rows), float(np.mean(data.y)))
    else:
        prior = np.bincount(data.y, minlength=data.n_classes or 0) / len(data.y)
        pred = np.tile(prior, (len(rows), 1))
    try:
        return score_predictions(metric, y_valid, pred, data.task)
    except ValueError:
        return 1.0


def best_first(records: list[TrialRecord]) -> list[TrialRecord]:
    """Finished trials, the highest budget first, then by loss.

    When no trial reached the full budget (a short fit with successive
    halving), the best ones of the highest budget reached are refitted on all
    rows: a model from them beats the constant fallback.
    """
    ok = [r for r in records if r.status == "ok"]
    return sorted(ok, key=lambda r: (-(r.budget or 1.0), r.loss))


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
