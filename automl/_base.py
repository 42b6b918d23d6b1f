"""The shared fit template: validate → plan → run → copy the result.

:class:`BaseAuto` holds everything the two public estimators share; they only
add task hooks (target encoding, default metric, how to predict).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from numbers import Integral, Real
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from automl import _resume
from automl._reports import FittedReports
from automl.data import (
    check_features,
    check_groups,
    check_sample_weight,
    check_target,
)
from automl.data.types import Task
from automl.evaluation import TrialData
from automl.limits import Deadline
from automl.memory import default_memory_limit_mb
from automl.metrics import get_metric
from automl.plan import FitPlan, Machine, policy_of
from automl.policy import Policy
from automl.prepare import prepare
from automl.reporting import performance_over_time
from automl.resampling import validation_indices
from automl.run import (
    FitResult,
    OptimizerFactory,
    RunOptions,
    Runtime,
    run_fit,
    smac_optimizer,
)
from automl.search import available_cores, dask_trial_memory_mb, joblib_dask_client
from automl.space import select_models
from automl.space.registry import MODELS

#: scikit-learn's validation of the estimators' parameters (``_validate_params``).
PARAMETER_CONSTRAINTS: dict[str, list[Any]] = {
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
    "column_types": [dict, None],
    "resampling": [StrOptions({"auto", "holdout", "cv"})],
    "cv": [Interval(Integral, 2, None, closed="left"), "cv_object", None],
    "cv_repeats": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
    "per_trial_time_limit": [Interval(Real, 0, None, closed="neither"), None],
    "per_trial_memory_limit": [Interval(Real, 0, None, closed="neither"), None],
    "memory_limit": [Interval(Real, 0, None, closed="neither"), None],
    "multi_fidelity": ["boolean", StrOptions({"auto", "hyperband", "iterations"})],
    "meta_learning": ["boolean", str, os.PathLike],
    "dask_address": [str, None],
    "stacking": ["boolean", StrOptions({"auto"})],
    "refit_full": ["boolean"],
    "max_ensemble_members": [Interval(Integral, 1, None, closed="left"), None],
    "infer_limit": [Interval(Real, 0, None, closed="neither"), None],
    "decision_threshold": [
        StrOptions({"auto"}),
        Interval(Real, 0, 1, closed="neither"),
        None,
    ],
    "verbose": [Interval(Integral, 0, None, closed="left")],
    "output_dir": [str, os.PathLike, None],
    "policy": [Policy, None],
}


#: Rows typed and predicted at a time. 100,000 rows of 50 columns type to
#: about 40 MB: a 5M-row table is predicted in that much more memory than
#: the model's, instead of its whole typed copy (2 GB).
PREDICT_BATCH_ROWS = 100_000


class BaseAuto(FittedReports, BaseEstimator):
    """Shared implementation of :class:`AutoClassifier` and :class:`AutoRegressor`."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = PARAMETER_CONSTRAINTS
    #: The search's optimiser; ``benchmarks.metalearning`` puts random search here.
    _make_optimizer: ClassVar[OptimizerFactory] = staticmethod(smac_optimizer)

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
        column_types: dict[str, str] | None = None,
        resampling: str = "auto",
        cv: Any = None,
        cv_repeats: int | Literal["auto"] = "auto",
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
        decision_threshold: float | Literal["auto"] | None = "auto",
        verbose: int = 0,
        output_dir: str | os.PathLike[str] | None = None,
        policy: Policy | None = None,
    ) -> None:
        self.time_limit = time_limit
        self.metric = metric
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.max_trials = max_trials
        self.include = include
        self.exclude = exclude
        self.column_types = column_types
        self.resampling = resampling
        self.cv = cv
        self.cv_repeats = cv_repeats
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
        self.decision_threshold = decision_threshold
        self.verbose = verbose
        self.output_dir = output_dir
        self.policy = policy

    # -- task hooks -------------------------------------------------------------

    _target_kind: str  # "classification" or "regression"

    def _encode_target(self, y: np.ndarray) -> tuple[np.ndarray, Task]:
        raise NotImplementedError

    def _fallback_model(self) -> BaseEstimator:
        raise NotImplementedError

    # -- fit template -------------------------------------------------------------

    def fit(
        self, X: Any, y: Any, *, groups: Any = None, sample_weight: Any = None
    ) -> BaseAuto:
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
        groups : array-like of shape (n_samples,) or None, default=None
            Group labels of the rows (customer, patient, user ...): every
            validation keeps each group's rows on one side, so the search and
            the ensemble are chosen on groups they did not train on. Without
            ``cv``, a group k-fold (stratified for classification); given to
            a ``cv`` splitter such as ``GroupKFold``. With scikit-learn's
            metadata routing, ``set_fit_request(groups=True)`` lets
            ``cross_val_score``, ``GridSearchCV`` and ``Pipeline`` pass it.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Non-negative weights of the rows, rescaled to a mean of 1. Every
            model trains on them (times the balanced class weights where a
            configuration asks for those), and every loss weighs by them:
            the trials' validation, the ensemble's selection and its checks,
            stacking and calibration. Families that cannot train on weights
            (k-nearest neighbours) are left out of the search. Routed like
            ``groups`` (``set_fit_request(sample_weight=True)``).

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
        _check_params(self.get_params(), type(self).__name__)
        plan, data = self._plan(X, y, groups, sample_weight)
        runtime = Runtime(make_optimizer=type(self)._make_optimizer)
        options = self._run_options(deadline)
        result = run_fit(plan, data, self._fallback_model(), options, runtime)
        self._adopt(plan, data, result)
        self.fit_time_ = deadline.elapsed()
        return self

    def _plan(
        self, X: Any, y: Any, groups: Any = None, sample_weight: Any = None
    ) -> tuple[FitPlan, TrialData]:
        """Validate and encode the data, then type, plan and split it."""
        name = type(self).__name__
        X_frame = check_features(X)
        y_checked = check_target(
            y, n_rows=len(X_frame), task=self._target_kind, estimator_name=name
        )
        groups_checked = check_groups(groups, n_rows=len(X_frame))
        weights = check_sample_weight(sample_weight, n_rows=len(X_frame))
        validate_data(self, _names_for_sklearn(X, X_frame), skip_check_array=True)
        y_encoded, task = self._encode_target(y_checked)
        _check_task_params(self.get_params(), task, weighted=weights is not None)
        if weights is not None:
            _check_weighted_classes(y_checked, weights, task)
        prepared = prepare(
            X_frame,
            y_encoded,
            task,
            self._planned_params(),
            self._machine(),
            name=name,
            groups=groups_checked,
            sample_weight=weights,
        )
        self.typer_ = prepared.typer
        return prepared.plan, prepared.data

    def _machine(self) -> Machine:
        limit = self.memory_limit
        if limit is None:
            limit = default_memory_limit_mb(policy_of(self.get_params()))
        cluster = self._dask_cluster()
        return Machine(
            cores=available_cores(),
            memory_limit_mb=limit,
            dask=cluster is not None,
            dask_trial_mb=None if cluster is None else dask_trial_memory_mb(cluster),
        )

    def _planned_params(self) -> dict[str, Any]:
        """The parameters, with the validation of a resumed trial log."""
        params = self.get_params()
        return {**params, **_resume.logged_auto_settings(self.output_dir, params)}

    def _dask_cluster(self) -> Any:
        """``dask_address``, else the client of joblib's active Dask backend."""
        if self.dask_address is not None:
            return self.dask_address
        return joblib_dask_client()

    def _run_options(self, deadline: Deadline) -> RunOptions:
        return RunOptions(
            name=type(self).__name__,
            deadline=deadline,
            max_trials=self.max_trials,
            meta_learning=self.meta_learning,
            output_dir=self.output_dir,
            verbose=self.verbose,
            dask_cluster=self._dask_cluster(),
            max_ensemble_members=self.max_ensemble_members,
            decision_threshold=self.decision_threshold,
        )

    def _adopt(self, plan: FitPlan, data: TrialData, result: FitResult) -> None:
        """Copy the plan and the run's result into the fitted attributes."""
        self.task_ = plan.task
        self.metric_ = plan.metric
        self.resampling_ = plan.resampling
        self.cv_repeats_ = plan.cv_repeats
        self.validation_ = _validation_info(self.cv, plan, data)
        memory = plan.memory.as_dict()
        memory["notes"] = [*memory["notes"], *result.notes]
        self.memory_plan_ = memory
        self.fallback_ = result.fallback
        self.initial_design_ = result.initial_design
        self.search_time_ = result.search_seconds
        self.trials_ = result.trials
        self.leaderboard_ = result.leaderboard
        self.model_ = result.model
        best = result.best
        if best is None:
            self.best_config_ = {"model": "fallback:" + type(self.fallback_).__name__}
            self.best_score_ = float("nan")
        else:
            self.best_config_ = dict(best.config)
            self.best_score_ = plan.metric.loss_to_score(best.loss)
        if result.ensemble is not None:
            self.ensemble_ = result.ensemble.weight_pairs()
        self.ensemble_info_ = result.final_model
        self.performance_over_time_ = performance_over_time(self.trials_, plan.metric)

    # -- after fit ----------------------------------------------------------------

    def _in_batches(
        self, X: Any, predict: Callable[[pd.DataFrame], np.ndarray]
    ) -> np.ndarray:
        """``predict`` of the typed rows of ``X`` (the typer matches columns
        by name), ``PREDICT_BATCH_ROWS`` rows at a time: typing copies the
        rows, so the memory a prediction takes grows with the batch, not
        with ``X``."""
        check_is_fitted(self, "model_")
        X = check_features(X)
        size = PREDICT_BATCH_ROWS
        return np.concatenate(
            [
                predict(self.typer_.transform(X.iloc[start : start + size]))
                for start in range(0, len(X), size)
            ]
        )

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.non_deterministic = False
        return tags


def _check_params(params: Mapping[str, Any], name: str) -> None:
    """Refuse parameters that contradict each other, before any data is read."""
    if params["time_limit"] is None and params["max_trials"] is None:
        raise ValueError(
            f"{name} needs a time_limit or a max_trials to know when to stop; "
            "both are None. Set time_limit (seconds), e.g. time_limit=300."
        )
    cv = params["cv"]
    if cv is None:
        return
    if params["resampling"] != "auto":
        raise ValueError(
            f"cv={cv!r} and resampling={params['resampling']!r} both say how to "
            "validate; pass one of them (cv wins over our resampling: leave "
            "resampling='auto')."
        )
    if params["cv_repeats"] not in ("auto", 1):
        raise ValueError(
            f"cv_repeats={params['cv_repeats']} repeats our k-fold, not your "
            f"cv={cv!r}; pass a repeated splitter (e.g. RepeatedStratifiedKFold) "
            "as cv instead."
        )


def _check_task_params(params: Mapping[str, Any], task: Task, weighted: bool) -> None:
    """Refuse parameters this task (or weighted rows) cannot have."""
    threshold = params["decision_threshold"]
    if isinstance(threshold, Real) and task != "binary":
        raise ValueError(
            f"decision_threshold={threshold} is a threshold on the positive "
            f"class's probability, for binary targets; this one is {task}. "
            'Use decision_threshold="auto" (or None for the most probable class).'
        )
    metric = get_metric(params["metric"], task, params.get("quantile_levels"))
    if weighted and not metric.takes_sample_weight:
        raise ValueError(
            f"The metric {metric.name!r} does not take sample_weight, so the fit "
            "could not weigh its losses. Pass a scorer whose score function "
            "accepts sample_weight, or fit without sample_weight."
        )


def _validation_info(cv: Any, plan: FitPlan, data: TrialData) -> dict[str, Any]:
    """The estimator's ``validation_``: how the trials were validated."""
    given = cv is not None or data.groups is not None
    return {
        "splitter": _splitter_name(cv, data.groups) if given else None,
        "n_splits": len(data.splits),
        "validated_rows": len(validation_indices(data.splits)),
        "rows": len(data.y),
        "weighted": data.sample_weight is not None,
        "left_out_for_weights": _left_out_for_weights(plan, data),
    }


def _left_out_for_weights(plan: FitPlan, data: TrialData) -> list[str]:
    """The families the search left out because they cannot weigh rows."""
    if data.sample_weight is None:
        return []
    eligible = select_models(plan.task, include=plan.include, exclude=plan.exclude)
    return [m for m in eligible if not MODELS[m].supports_sample_weight]


def _check_weighted_classes(y: np.ndarray, weights: np.ndarray, task: Task) -> None:
    """Refuse classes whose rows all weigh 0: nothing could learn them."""
    if task == "regression":
        return
    totals = pd.Series(weights).groupby(pd.Series(y)).sum()
    empty = totals.index[totals <= 0].tolist()
    if empty:
        raise ValueError(
            f"sample_weight is 0 for every row of the class(es) {empty}: no model "
            "can learn them. Drop those rows, or give them a positive weight."
        )


def _splitter_name(cv: Any, groups: Any) -> str:
    """How the user's validation is named in ``validation_`` and ``summary()``."""
    if hasattr(cv, "split"):
        return type(cv).__name__
    if cv is not None and not isinstance(cv, Integral):
        return "your index pairs"
    if groups is None:
        return f"{cv}-fold (shuffled)"
    folds = "" if cv is None else f"{cv}-fold, "
    return f"group k-fold ({folds}your groups)"


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
