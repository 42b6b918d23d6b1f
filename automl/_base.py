"""The shared fit template: validate → plan → search → refit.

:class:`BaseAuto` holds everything the two public estimators share; they only
add task hooks (target encoding, default metric, how to predict).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import tempfile
import time
import warnings
from contextlib import ExitStack
from numbers import Integral, Real
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from automl import _resume, persistence
from automl.data import FeatureTyper, check_features, check_target, dataset_properties
from automl.data.types import Task
from automl.ensemble import (
    CandidatePool,
    FittedEnsemble,
    build_ensemble,
    reserve_seconds,
)
from automl.evaluation import (
    TrialData,
    TrialResult,
    TrialSettings,
    evaluate,
    refit,
)
from automl.exceptions import FallbackModelWarning
from automl.limits import KILL_GRACE_SECONDS, Deadline
from automl.memory import (
    SUBSAMPLE_NOTE,
    WORKER_BASE_MB,
    MemoryPlan,
    default_memory_limit_mb,
    plan_fit_memory,
    rows_before_typing,
    use_float32,
)
from automl.metalearning.metadata import load_metadata
from automl.metalearning.warm_start import initial_design
from automl.metrics import Metric, crash_loss, get_metric, score_predictions
from automl.reporting import (
    SearchProgress,
    leaderboard_frame,
    performance_over_time,
    plot_ensemble,
    plot_trajectory,
    summary_text,
)
from automl.reporting.leaderboard import with_skipped_families
from automl.resampling import (
    choose_min_budget,
    choose_resampling,
    make_splits,
    subsample_rows,
    validation_indices,
)
from automl.search import (
    DaskExecutor,
    Executor,
    Optimizer,
    ProcessExecutor,
    SearchSettings,
    TrialRecord,
    available_cores,
    joblib_dask_client,
    run_search,
)
from automl.search.trial_log import TrialLog
from automl.space import build_space, select_models
from automl.space.memory import bytes_per_value, estimate_memory_mb

logger = logging.getLogger("automl")

#: Share of ``time_limit`` a single trial may use when ``per_trial_time_limit`` is None.
DEFAULT_TRIAL_SHARE = 0.25
#: Largest share of ``time_limit`` kept for building the ensemble.
ENSEMBLE_SHARE = 0.25
#: Below this many rows a trial uses a single thread.
SMALL_DATA_ROWS = 5_000


#: Share of the remaining time a final refit is planned to use.
REFIT_TIME_SHARE = 0.6


class BaseAuto(BaseEstimator):
    """Shared implementation of :class:`AutoClassifier` and :class:`AutoRegressor`."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "time_limit": [Interval(Real, 0, None, closed="neither"), None],
        "metric": [str, callable, None],
        # joblib's convention: -1 is every core, 0 has no meaning.
        "n_jobs": [
            Interval(Integral, 1, None, closed="left"),
            Options(Integral, {-1}),
            None,
        ],
        "random_state": [Interval(Integral, 0, 2**32 - 1, closed="both"), None],
        "max_trials": [Interval(Integral, 1, None, closed="left"), None],
        "include": [list, tuple, None],
        "exclude": [list, tuple, None],
        "resampling": [StrOptions({"auto", "holdout", "cv"})],
        "per_trial_time_limit": [Interval(Real, 0, None, closed="neither"), None],
        "per_trial_memory_limit": [Interval(Real, 0, None, closed="neither"), None],
        "memory_limit": [Interval(Real, 0, None, closed="neither"), None],
        "multi_fidelity": ["boolean", StrOptions({"auto"})],
        "meta_learning": ["boolean", str, os.PathLike],
        "dask_address": [str, None],
        "stacking": ["boolean", StrOptions({"auto"})],
        "refit_full": ["boolean"],
        "max_ensemble_members": [Interval(Integral, 1, None, closed="left"), None],
        "infer_limit": [Interval(Real, 0, None, closed="neither"), None],
        "verbose": [Interval(Integral, 0, None, closed="left")],
        "output_dir": [str, os.PathLike, None],
    }

    def __init__(
        self,
        *,
        time_limit: float | None = 300,
        metric: Any = None,
        n_jobs: int | None = -1,
        random_state: int | None = 0,
        max_trials: int | None = None,
        include: list[str] | tuple[str, ...] | None = None,
        exclude: list[str] | tuple[str, ...] | None = None,
        resampling: str = "auto",
        per_trial_time_limit: float | None = None,
        per_trial_memory_limit: float | None = None,
        memory_limit: float | None = None,
        multi_fidelity: bool | str = "auto",
        meta_learning: bool | str | os.PathLike[str] = True,
        dask_address: str | None = None,
        stacking: bool | Literal["auto"] = "auto",
        refit_full: bool = False,
        max_ensemble_members: int | None = None,
        infer_limit: float | None = None,
        verbose: int = 0,
        output_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.time_limit = time_limit
        self.metric = metric
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.max_trials = max_trials
        self.include = include
        self.exclude = exclude
        self.resampling = resampling
        self.per_trial_time_limit = per_trial_time_limit
        self.per_trial_memory_limit = per_trial_memory_limit
        self.memory_limit = memory_limit
        self.multi_fidelity = multi_fidelity
        self.meta_learning = meta_learning
        self.dask_address = dask_address
        self.stacking = stacking
        self.refit_full = refit_full
        self.max_ensemble_members = max_ensemble_members
        self.infer_limit = infer_limit
        self.verbose = verbose
        self.output_dir = output_dir

    # -- task hooks -------------------------------------------------------------

    _target_kind: str  # "classification" or "regression"

    def _encode_target(self, y: np.ndarray) -> tuple[np.ndarray, Task]:
        raise NotImplementedError

    def _fallback_model(self) -> BaseEstimator:
        raise NotImplementedError

    # -- fit template -------------------------------------------------------------

    def fit(self, X: Any, y: Any) -> BaseAuto:
        """Search models and hyperparameters within ``time_limit`` and refit the best.

        ``fit`` returns within ``time_limit`` plus
        ``automl.limits.TIME_LIMIT_SLACK_S`` (3 s) seconds. It leaves nothing
        running behind: when it returns or raises, its worker processes are
        stopped, its temporary directories deleted and its threads ended.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Numeric, boolean, categorical/string and datetime columns; missing
            values allowed.
        y : array-like of shape (n_samples,)
            Target: class labels of any type, or numbers for regression.

        Returns
        -------
        self

        Raises
        ------
        KeyboardInterrupt
            On Ctrl-C (SIGINT) during the fit: the running trials are killed,
            the worker processes stopped and the temporary files removed, then
            the interrupt is raised again to the caller.
        """
        deadline = Deadline.starting_now(self.time_limit)
        self._validate_params()
        self._check_budget_params()
        data, metric = self._prepare(X, y)
        self._search_and_refit(data, metric, deadline)
        self.fit_time_ = deadline.elapsed()
        return self

    def _check_budget_params(self) -> None:
        if self.time_limit is None and self.max_trials is None:
            raise ValueError(
                f"{type(self).__name__} needs a time_limit or a max_trials to know "
                "when to stop; both are None. Set time_limit (seconds), e.g. "
                "time_limit=300."
            )

    def _prepare(self, X: Any, y: Any) -> tuple[TrialData, Metric]:
        name = type(self).__name__
        X_frame = check_features(X)
        y_checked = check_target(
            y, n_rows=len(X_frame), task=self._target_kind, estimator_name=name
        )
        validate_data(self, _names_for_sklearn(X, X_frame), skip_check_array=True)
        y_encoded, task = self._encode_target(y_checked)
        limit_mb = self._memory_limit_mb()
        n_input = len(y_encoded)
        keep = rows_before_typing(n_input, X_frame.shape[1], limit_mb)
        if keep < n_input:  # the full table alone would not fit: never type it
            rows = subsample_rows(y_encoded, keep, task, self._seed)
            X_frame, y_encoded = X_frame.iloc[rows], y_encoded[rows]
        self.typer_ = FeatureTyper(
            estimator_name=name, float32=use_float32(*X_frame.shape)
        ).fit(X_frame)
        X_typed = self.typer_.transform(X_frame)
        del X_frame
        n_classes = None if task == "regression" else len(self.classes_)
        properties = dataset_properties(
            X_typed, self.typer_.columns_, task=task, n_classes=n_classes
        )
        plan = self._plan_memory(X_typed, properties, limit_mb, n_input)
        if plan.n_rows < len(y_encoded):
            rows = subsample_rows(y_encoded, plan.n_rows, task, self._seed)
            X_typed, y_encoded = X_typed.iloc[rows], y_encoded[rows]
            X_typed = X_typed.reset_index(drop=True)
            properties = dataset_properties(
                X_typed, self.typer_.columns_, task=task, n_classes=n_classes
            )
        self.memory_plan_ = plan.as_dict()
        self.task_ = task
        self.metric_ = get_metric(self.metric, task)
        self.resampling_ = _resume.logged_resampling(
            self.output_dir, self.resampling
        ) or choose_resampling(self.resampling, len(y_encoded), self.time_limit)
        splits = make_splits(self.resampling_, y_encoded, task, self._seed)
        data = TrialData(
            X_typed,
            y_encoded,
            task,
            self.typer_.columns_,
            properties,
            splits,
            n_classes,
        )
        return data, self.metric_

    @property
    def _seed(self) -> int:
        return 0 if self.random_state is None else int(self.random_state)

    def _memory_limit_mb(self) -> float:
        if self.memory_limit is not None:
            return float(self.memory_limit)
        return default_memory_limit_mb()

    def _plan_memory(
        self,
        X: pd.DataFrame,
        properties: Any,
        limit_mb: float,
        n_input: int,
    ) -> MemoryPlan:
        """Workers, rows and skipped families under ``memory_limit`` (automl.memory)."""
        local = self._dask_cluster() is None
        plan = plan_fit_memory(
            X,
            properties,
            select_models(properties.task, include=self.include, exclude=self.exclude),
            limit_mb=limit_mb,
            n_workers=self._n_workers() if local else 0,
            min_budget=lambda n_train: choose_min_budget(self.multi_fidelity, n_train),
            per_trial_mb=self.per_trial_memory_limit,
            local_workers=local,
        )
        if n_input > len(X):  # cut before typing, see rows_before_typing
            notes = [n for n in plan.notes if not n.startswith(SUBSAMPLE_NOTE)]
            notes.append(
                f"{SUBSAMPLE_NOTE} {plan.n_rows:,} of {n_input:,} rows: the whole "
                f"table does not fit in memory_limit={limit_mb:,.0f} MiB"
            )
            plan = dataclasses.replace(plan, total_rows=n_input, notes=notes)
        for note in plan.notes:
            logger.info("Memory plan: %s", note)
        return plan

    def _n_workers(self) -> int:
        cores = available_cores()
        if self.n_jobs is None:
            return 1
        return cores if self.n_jobs == -1 else max(1, min(self.n_jobs, cores))

    def _search_and_refit(
        self, data: TrialData, metric: Metric, deadline: Deadline
    ) -> None:
        self.fallback_ = self._fallback_model().fit(data.X, data.y)
        fallback_loss = self._validation_loss_of_fallback(data, metric)
        plan = MemoryPlan.from_dict(self.memory_plan_)
        models = select_models(data.task, include=self.include, exclude=self.exclude)
        models = [m for m in models if m not in plan.skipped]
        space = build_space(data.properties, models=models, seed=self._seed)
        # The one cleanup path, also on an exception or Ctrl-C: callbacks run
        # last-in first-out (stop the workers, then delete their files).
        with ExitStack() as cleanup:
            trial_log = self._open_trial_log(data, space)  # None without output_dir
            if trial_log is not None:
                cleanup.callback(trial_log.close)
            workdir = Path(tempfile.mkdtemp(prefix="automl-"))
            cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
            executor = self._make_executor()
            cleanup.callback(executor.close)
            settings = TrialSettings(
                metric=metric,
                crash_loss=crash_loss(metric, fallback_loss),
                n_threads=_threads_per_trial(
                    data.properties.n_rows, executor, self._n_workers()
                ),
                memory_limit_mb=self._memory_limit_per_trial(executor.n_workers),
                memory_reserved_mb=WORKER_BASE_MB + plan.data_mb,
            )
            pool = CandidatePool(directory=workdir / "predictions")
            data_ref = executor.share(data, workdir)
            records = self._run_search(
                data,
                data_ref,
                settings,
                space,
                workdir,
                deadline,
                executor,
                pool,
                trial_log=trial_log,
            )
            candidates = self._candidates_that_fit(pool.candidates, data)
            if candidates:  # built here: the workers' memory and time are free
                executor.release()
            ensemble = self._fit_ensemble(candidates, data, deadline)
            if ensemble is None:
                self._refit_best(records, data_ref, settings, deadline, executor)
        self.trials_ = [
            _trial_dict(r) for r in sorted(records, key=lambda r: r.trial_id)
        ]
        self.leaderboard_ = with_skipped_families(
            leaderboard_frame(records, metric), plan.skipped
        )
        if ensemble is not None:
            self._adopt_ensemble(ensemble, records)
        self.performance_over_time_ = performance_over_time(self.trials_, metric)

    def _dask_cluster(self) -> Any:
        """``dask_address``, else the client of joblib's active Dask backend."""
        if self.dask_address is not None:
            return self.dask_address
        return joblib_dask_client()

    def _make_executor(self) -> Executor:
        cluster = self._dask_cluster()
        if cluster is not None:
            return DaskExecutor(cluster)
        n_workers = int(self.memory_plan_["n_workers"])
        return ProcessExecutor(n_workers, self._memory_limit_per_trial(n_workers))

    def _validation_loss_of_fallback(self, data: TrialData, metric: Metric) -> float:
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

    def _initial_design(
        self, space: Any, data: TrialData
    ) -> list[tuple[str, dict[str, Any]]]:
        """Portfolio and nearest-task configurations (or family defaults)."""
        metadata = None
        if self.meta_learning is not False:
            path = None if self.meta_learning is True else self.meta_learning
            metadata = load_metadata(None if path is None else Path(path))
        self.initial_design_ = initial_design(
            space, metadata, data.X, data.y, data.task, data.columns
        )
        return self.initial_design_

    def _run_search(
        self,
        data: TrialData,
        data_ref: Any,
        settings: TrialSettings,
        space: Any,
        workdir: Path,
        deadline: Deadline,
        executor: Executor,
        pool: CandidatePool,
        trial_log: TrialLog | None = None,
    ) -> list[TrialRecord]:
        prior: list[TrialRecord] = []
        if trial_log is not None:  # resume: logged trials are told, not re-run
            prior = _resume.resumed_trials(trial_log, space, deadline.start)
            _resume.offer_resumed(pool, trial_log, prior, _is_full_budget_success)
        optimizer = self._make_optimizer(space, data, executor.n_workers, workdir)
        search_settings = SearchSettings(
            deadline=deadline,
            max_trials=self.max_trials,
            per_trial_limit=self._per_trial_limit(),
            crash_loss=settings.crash_loss,
            reserve=lambda: self._final_reserve(pool, data, deadline),
        )

        def keep_for_ensemble(record: TrialRecord) -> None:
            full_budget = _is_full_budget_success(record)
            if trial_log is not None:
                predictions = getattr(record.outcome, "predictions", None)
                trial_log.append(record, predictions if full_budget else None)
            if full_budget:
                pool.add_record(record)
            if isinstance(record.outcome, TrialResult):
                record.outcome.predictions = None  # the pool holds what it keeps

        progress = SearchProgress(
            self.verbose,
            self.metric_,
            start=deadline.start,
            time_limit=self.time_limit,
            max_trials=self.max_trials,
            name=type(self).__name__,
        )
        try:
            return run_search(
                optimizer,
                executor,
                evaluate,
                {"data": data_ref, "settings": settings},
                search_settings,
                on_trial=progress.chain(keep_for_ensemble),
                prior=prior,
            )
        finally:
            progress.close()
            optimizer.close()

    def _make_optimizer(
        self, space: Any, data: TrialData, n_workers: int, workdir: Path
    ) -> Optimizer:
        """SMAC over ``space``, starting from the warm-start design.

        A hook: ``benchmarks.metalearning`` overrides it with random search.
        """
        return Optimizer(
            space,
            seed=self._seed,
            n_workers=n_workers,
            initial_configs=self._initial_design(space, data),
            output_dir=workdir / "smac",
            min_budget=self._min_budget(data),
        )

    def _min_budget(self, data: TrialData) -> float | None:
        return choose_min_budget(self.multi_fidelity, len(data.splits[0][0]))

    def _open_trial_log(self, data: TrialData, space: Any) -> TrialLog | None:
        """The trial log of ``output_dir`` (None without one); see ``_resume``."""
        if self.output_dir is None:
            return None
        settings = {
            "task": data.task,
            "metric": self.metric_.name,
            "resampling": self.resampling_,
            "seed": self._seed,
            "min_budget": self._min_budget(data),
            "include": None if self.include is None else sorted(self.include),
            "exclude": None if self.exclude is None else sorted(self.exclude),
        }
        return _resume.open_trial_log(self.output_dir, data, space, settings)

    def _memory_limit_per_trial(self, n_workers: int) -> float | None:
        """MiB a trial's worker may use: the parameter, or the memory plan's share."""
        if self.per_trial_memory_limit is not None:
            return float(self.per_trial_memory_limit)
        limit = self.memory_plan_["per_trial_mb"]
        return None if limit is None else float(limit)

    def _per_trial_limit(self) -> float | None:
        if self.per_trial_time_limit is not None:
            return float(self.per_trial_time_limit)
        if self.time_limit is None:
            return None
        return max(5.0, DEFAULT_TRIAL_SHARE * self.time_limit)

    def _final_reserve(
        self, pool: CandidatePool, data: TrialData, deadline: Deadline
    ) -> float:
        """Seconds to keep free at the end for the ensemble (or the refit).

        Estimated from the trials so far, and capped at ``ENSEMBLE_SHARE`` of
        ``time_limit`` so that the search always gets most of the time.
        """
        if deadline.limit is None:
            return 0.0
        base = 1.0 + 0.05 * deadline.limit
        needed = reserve_seconds(
            pool.candidates,
            n_splits=len(data.splits),
            stack=self.stacking,
            refit_full=self.refit_full,
        )
        return base + min(needed, ENSEMBLE_SHARE * deadline.limit)

    def _fit_ensemble(
        self, candidates: list[Any], data: TrialData, deadline: Deadline
    ) -> FittedEnsemble | None:
        """The final model from the kept trials, or None if there is none."""
        if not candidates:
            return None
        try:
            return build_ensemble(
                candidates,
                data,
                self.metric_,
                deadline=None if deadline.at is None else deadline.at - 0.5,
                n_threads=_threads_per_trial(
                    data.properties.n_rows, None, self._n_workers()
                ),
                seed=self._seed,
                stack=self.stacking,
                refit_full=self.refit_full,
                max_members=self.max_ensemble_members,
                infer_limit=self.infer_limit,
            )
        except Exception as exc:  # the single best model is refitted instead
            logger.warning("Building the ensemble failed: %s", exc)
            return None

    def _candidates_that_fit(self, candidates: list[Any], data: TrialData) -> list[Any]:
        """The ensemble's candidates whose refit on all rows fits the memory plan."""
        working_mb = float(self.memory_plan_["working_mb"])
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
            self.memory_plan_["notes"].append(note)
        return kept

    def _adopt_ensemble(
        self, ensemble: FittedEnsemble, records: list[TrialRecord]
    ) -> None:
        best = min(_full_budget_successes(records), key=lambda r: r.loss)
        self.model_ = ensemble
        self.best_config_ = dict(best.config)
        self.best_score_ = self.metric_.loss_to_score(best.loss)
        self.ensemble_ = ensemble.weight_pairs()
        self.ensemble_info_ = {
            "kind": ensemble.kind,
            "members": [
                {k: v for k, v in m.items() if k != "predictor"}
                for m in ensemble.members
            ],
            "validation_losses": dict(ensemble.validation_losses),
            "decision": ensemble.decision,
            "fit_seconds": ensemble.fit_seconds,
        }
        rows = pd.DataFrame(ensemble.leaderboard_rows(self.metric_))
        board = pd.concat([rows, self.leaderboard_.drop(columns="rank")])
        board.insert(0, "rank", range(1, len(board) + 1))
        self.leaderboard_ = board.reset_index(drop=True)

    def _refit_best(
        self,
        records: list[TrialRecord],
        data_ref: Any,
        settings: TrialSettings,
        deadline: Deadline,
        executor: Executor,
    ) -> None:
        ranked = _best_first(records)
        for record in ranked[:3]:
            model = self._refit_one(record, data_ref, settings, deadline, executor)
            if model is not None:
                self.model_ = model
                self.best_config_ = dict(record.config)
                self.best_score_ = self.metric_.loss_to_score(record.loss)
                return
        self.model_ = self.fallback_
        self.best_config_ = {"model": "fallback:" + type(self.fallback_).__name__}
        self.best_score_ = float("nan")
        reason = (
            "no trial finished" if not ranked else "refitting the best models failed"
        )
        warnings.warn(
            f"{reason} within time_limit={self.time_limit} s ({len(records)} trials "
            f"run); predictions come from a constant baseline "
            f"({type(self.fallback_).__name__}). Increase time_limit, or see "
            "leaderboard() for the errors.",
            FallbackModelWarning,
            stacklevel=3,
        )

    def _refit_one(
        self,
        record: TrialRecord,
        data_ref: Any,
        settings: TrialSettings,
        deadline: Deadline,
        executor: Executor,
    ) -> Any:
        if deadline.remaining() < 0.5:
            return None
        end = None if deadline.at is None else deadline.at - 0.5
        future = executor.submit(
            refit,
            config=record.config,
            data=data_ref,
            settings=settings,
            seed=record.seed,
            deadline=end,
            budget=_affordable_budget(record, deadline.remaining()),
        )
        timeout = (
            None if end is None else max(0.1, end - time.time()) + KILL_GRACE_SECONDS
        )
        try:
            return future.result(timeout=timeout)
        except Exception as exc:
            logger.warning("Refitting trial %d failed: %s", record.trial_id, exc)
            if not future.done():
                executor.kill(future)
            return None

    # -- after fit ----------------------------------------------------------------

    def _transform(self, X: Any) -> pd.DataFrame:
        """Check and type new data; the typer matches columns by name."""
        check_is_fitted(self, "model_")
        return self.typer_.transform(check_features(X))

    def leaderboard(self) -> pd.DataFrame:
        """One row per trial, best first (failed trials last).

        Returns
        -------
        pandas.DataFrame
            Columns: rank, trial_id, model, score (in the user's metric), loss
            (what the search minimised), status, fit_time, memory_mb (peak
            resident MiB of the trial's worker), budget, origin,
            resumed (reused from ``output_dir``'s trial log), hyperparameters
            (the family's own, as text), preprocessing (the
            choices that are not "none"), config, error.
        """
        check_is_fitted(self, "leaderboard_")
        return self.leaderboard_.copy()

    def summary(self) -> str:
        """A short text report: metric, best score and family, time, trials, ensemble.

        Returns
        -------
        str
            Print it: ``print(clf.summary())``.

        Examples
        --------
        >>> print(clf.summary())  # doctest: +SKIP
        AutoClassifier: binary, 30 features
          metric           roc_auc (higher is better)
          best validation  0.995 (hist_gb)
          ...
        """
        check_is_fitted(self, "trials_")
        return summary_text(self)

    def save(
        self,
        path: str | Path,
        *,
        format: str = "pickle",
        info: dict[str, Any] | None = None,
    ) -> Path:
        """Save the fitted estimator with the library versions; see ``automl.load``.

        Pickle files can run code when loaded: load them only from trusted
        sources, or save with ``format="skops"`` for a file that is safe to load.

        Parameters
        ----------
        path : str or Path
            File to write, e.g. ``"model.automl"``.
        format : {"pickle", "skops"}, default="pickle"
        info : dict or None, default=None
            JSON-serialisable facts to keep in the file's metadata.

        Returns
        -------
        Path

        Examples
        --------
        >>> import automl
        >>> path = clf.save("model.automl")  # doctest: +SKIP
        >>> clf = automl.load(path)  # doctest: +SKIP
        """
        check_is_fitted(self, "model_")
        return persistence.save(self, path, format=format, info=info)

    def plot_trajectory(self, ax: Any = None) -> Any:
        """Plot the best validation score over time, every trial a point (matplotlib).

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> ax = clf.plot_trajectory()  # doctest: +SKIP
        >>> ax.figure.savefig("trajectory.png")  # doctest: +SKIP
        """
        check_is_fitted(self, "trials_")
        return plot_trajectory(self, ax=ax)

    def plot_ensemble(self, ax: Any = None) -> Any:
        """Plot the final model's members and their weights (matplotlib).

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> ax = clf.plot_ensemble()  # doctest: +SKIP
        """
        check_is_fitted(self, "trials_")
        return plot_ensemble(self, ax=ax)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.non_deterministic = False
        return tags


def _names_for_sklearn(X: Any, X_frame: pd.DataFrame) -> Any:
    """What scikit-learn's ``validate_data`` sees to set ``feature_names_in_``.

    ``X`` itself, except for a DataFrame whose column names mix strings with
    other types (e.g. ``0`` and ``"a"``): scikit-learn rejects those, while the
    data stage names every column with ``str``, so the checked frame is passed.
    """
    if isinstance(X, pd.DataFrame):
        if len({isinstance(name, str) for name in X.columns}) > 1:
            return X_frame
    return X


def _threads_per_trial(n_rows: int, executor: Executor | None, n_cores: int) -> int:
    """Cores per model fit; small data gets one thread (OpenMP overhead dominates,
    and OpenMP threads spin badly when the machine is busy).

    Local trials share the ``n_cores`` the user allowed through ``n_jobs``
    (``executor=None``: a fit alone in this process, e.g. the ensemble's); on
    Dask each trial takes one thread.
    """
    if n_rows < SMALL_DATA_ROWS or isinstance(executor, DaskExecutor):
        return 1
    return max(1, n_cores // (executor.n_workers if executor else 1))


def _affordable_budget(record: TrialRecord, seconds: float | None) -> float | None:
    """Row fraction for the final refit of a trial: all rows when time allows.

    A trial successive halving ran on a fraction of the rows may take far
    longer on all of them; when the estimate (its fit time scaled up to all
    rows) exceeds the time left, the refit takes as many rows as fit in it,
    and never fewer than the trial saw: that model was validated, a constant
    fallback was not.
    """
    fit_time = getattr(record.outcome, "fit_time", None)
    if record.budget is None or record.budget >= 1 or not fit_time or seconds is None:
        return None
    full_cost = fit_time / record.budget
    affordable = REFIT_TIME_SHARE * seconds / full_cost
    return None if affordable >= 1 else max(record.budget, affordable)


def _is_full_budget_success(record: TrialRecord) -> bool:
    """Whether a trial may become (part of) the final model."""
    return record.status == "ok" and (record.budget is None or record.budget >= 1)


def _full_budget_successes(records: list[TrialRecord]) -> list[TrialRecord]:
    return [r for r in records if _is_full_budget_success(r)]


def _best_first(records: list[TrialRecord]) -> list[TrialRecord]:
    """Finished trials, the highest budget first, then by loss.

    When no trial reached the full budget (a short fit with successive
    halving), the best ones of the highest budget reached are refitted on all
    rows: a model from them beats the constant fallback.
    """
    ok = [r for r in records if r.status == "ok"]
    return sorted(ok, key=lambda r: (-(r.budget or 1.0), r.loss))


def _trial_dict(record: TrialRecord) -> dict[str, Any]:
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
