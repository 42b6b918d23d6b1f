"""Plain configuration dict -> unfitted scikit-learn ``Pipeline``.

The pipeline is::

    ColumnTransformer(numeric: [imputer] | categorical: encoder | text: encoder)
        (pandas output)
    -> [generated features] -> [scaler] -> [feature preprocessor] -> model step

The model step (``ModelClassifier`` / ``ModelRegressor``) wraps the family's
estimator. It owns what every family needs the same way: the deadline
(passed to the family's deadline-aware ``fit``), class balancing (balanced
sample weights), the thread limit of BLAS/OpenMP, positional column names
(LightGBM and XGBoost reject some characters), target standardisation and
``predict`` as the argmax of ``predict_proba`` for classifiers.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from automl.data.specs import TypedColumns, is_constant
from automl.space.build import component_params, default_encoder
from automl.space.components.base import BuildContext, Clock, ModelComponent
from automl.space.registry import MODELS, PREPROCESSORS


def build_pipeline(values: Mapping[str, Any], ctx: BuildContext) -> Pipeline:
    """Build the unfitted pipeline of one configuration.

    Parameters
    ----------
    values : mapping
        A plain configuration dict (``config_to_dict``). Preprocessing keys
        that are absent take their defaults.
    ctx : BuildContext
        Task, columns, properties, seed, threads and deadline.

    Returns
    -------
    Pipeline
        Picklable and ``clone``-able; ``predict_proba`` exists for classifiers.
    """
    family = str(values["model"])
    if family not in MODELS:
        raise ValueError(f"Unknown model family {family!r}; valid: {list(MODELS)}.")
    component = MODELS[family]
    steps: list[tuple[str, Any]] = [("columns", _column_step(values, ctx, component))]
    if component.generated_features:
        generator = _choice_step("feature_generator", values, ctx, default="none")
        if generator is not None:
            steps.append(("features", generator))
    if component.needs_scaling:
        for kind in ("scaler", "feature_preprocessor"):
            step = _choice_step(
                kind, values, ctx, default="standard" if kind == "scaler" else "none"
            )
            if step is not None:
                steps.append((kind, step))
    steps.append(("model", _model_step(family, values, ctx)))
    return Pipeline(steps)


def _choice_step(
    kind: str, values: Mapping[str, Any], ctx: BuildContext, default: str
) -> Any:
    name = str(values.get(kind, default))
    component = PREPROCESSORS[kind][name]
    return component.build(component_params(values, kind, name), ctx)


def _column_step(
    values: Mapping[str, Any], ctx: BuildContext, component: type[ModelComponent]
) -> ColumnTransformer:
    numeric, categorical = list(ctx.columns.numeric), list(ctx.columns.categorical)
    if not ctx.columns.all:
        raise ValueError("BuildContext.columns has no column.")
    transformers: list[tuple[str, Any, list[str]]] = []
    if numeric:
        imputer = None
        if not component.handles_missing:
            imputer = _choice_step("numeric_imputer", values, ctx, default="median")
        transformers.append(
            ("num", "passthrough" if imputer is None else imputer, numeric)
        )
    if categorical:
        transformers.append(("cat", _encoder(values, ctx, component), categorical))
    for i, name in enumerate(ctx.columns.text):
        encoder = _choice_step("text_encoder", values, ctx, default="words")
        if encoder is not None:  # "none": the text column is dropped
            transformers.append((f"text{i}", encoder, [name]))
    step = ColumnTransformer(
        transformers, remainder="drop", verbose_feature_names_out=True
    )
    return step.set_output(transform="pandas")


def _encoder(
    values: Mapping[str, Any], ctx: BuildContext, component: type[ModelComponent]
) -> Any:
    fallback = default_encoder(component.name, ctx.properties)
    name = str(values.get("categorical_encoder", fallback))
    if name == "native" and not component.supports_native(ctx.properties):
        raise ValueError(
            f"Model family {component.name!r} has no native categorical support "
            f"on this data; use one of onehot, ordinal, target."
        )
    params = component_params(values, "categorical_encoder", name)
    encoder = PREPROCESSORS["categorical_encoder"][name].build(params, ctx)
    return "passthrough" if encoder is None else encoder


def _model_step(family: str, values: Mapping[str, Any], ctx: BuildContext) -> Any:
    component = MODELS[family]
    estimator = component.build(component_params(values, "model", family), ctx)
    balanced = (
        values.get("class_weight", "none") == "balanced"
        and component.supports_sample_weight
    )
    kwargs = {
        "family": family,
        "estimator": estimator,
        "deadline": ctx.deadline,
        "n_threads": ctx.n_threads,
        "clock": ctx.clock,
    }
    if ctx.quantile_levels is not None:
        quantiles = [
            component.quantile(clone(estimator), level, ctx)
            for level in ctx.quantile_levels
        ]
        return ModelQuantileRegressor(
            **{**kwargs, "estimator": quantiles}, levels=ctx.quantile_levels
        )
    if ctx.task == "regression":
        return ModelRegressor(**kwargs)
    return ModelClassifier(
        **kwargs,
        class_weight="balanced" if balanced else None,
        n_classes=ctx.properties.n_classes,
    )


#: Regression targets whose largest magnitude is outside this range are
#: standardised for every family: boosters keep labels in float32, where 1e-300
#: becomes 0 (CatBoost then raises "All train targets are equal").
TARGET_MAGNITUDES = (1e-30, 1e30)


class _ModelStep(BaseEstimator):
    """Shared fit / predict of the model step (see the module docstring)."""

    def __init__(
        self,
        family: str = "lightgbm",
        estimator: Any = None,
        deadline: float | None = None,
        n_threads: int = 1,
        clock: Clock | None = None,
    ) -> None:
        self.family = family
        self.estimator = estimator
        self.deadline = deadline
        self.n_threads = n_threads
        self.clock = clock

    @property
    def _component(self) -> type[ModelComponent]:
        return MODELS[self.family]

    def _fit_estimator(
        self, X: Any, y: np.ndarray, sample_weight: np.ndarray | None
    ) -> None:
        self.estimator_ = clone(self.estimator)
        with threadpool_limits(limits=self.n_threads), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.stopped_early_ = self._component.fit(
                self.estimator_,
                _positional(X),
                y,
                sample_weight=sample_weight,
                deadline=self.deadline,
                clock=self.clock or time.time,
            )
        self.n_features_in_ = X.shape[1]

    def _fit_constant(self, dummy: BaseEstimator, X: Any, y: np.ndarray) -> None:
        """Predict a constant where there is nothing to learn: a single class or
        target value, or no feature that varies, in the training rows (most
        libraries raise on it; CatBoost on constant features too)."""
        self.estimator_ = dummy.fit(X, y)
        self.stopped_early_ = False
        self.n_features_in_ = X.shape[1]

    def _call(self, method: str, X: Any) -> Any:
        check_is_fitted(self, "estimator_")
        X = self._component.prepare_X(_positional(X))
        with threadpool_limits(limits=self.n_threads):
            return getattr(self.estimator_, method)(X)


class ModelClassifier(ClassifierMixin, _ModelStep):
    """Model step for classification; ``y`` holds ints 0..K-1.

    Parameters
    ----------
    family : str
        Registered model family.
    estimator : estimator
        The unfitted library estimator built by the family.
    deadline : float or None
        Epoch seconds after which no more iterations are added.
    n_threads : int
        BLAS/OpenMP thread limit during fit and predict.
    clock : callable or None
        What ``deadline`` is read against; None means ``time.time`` (kept out
        of the fitted model, so that saved models hold no function).
    class_weight : {"balanced"} or None
        "balanced" weights samples inversely to their class frequency.
    n_classes : int or None
        Number of classes of the whole task. When a training subset misses a
        class, ``predict_proba`` still has ``n_classes`` columns (zeros for
        the missing ones) and ``classes_`` is ``0..n_classes-1``.
    """

    def __init__(
        self,
        family: str = "lightgbm",
        estimator: Any = None,
        deadline: float | None = None,
        n_threads: int = 1,
        class_weight: str | None = None,
        n_classes: int | None = None,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(family, estimator, deadline, n_threads, clock)
        self.class_weight = class_weight
        self.n_classes = n_classes

    def fit(
        self, X: Any, y: Any, sample_weight: np.ndarray | None = None
    ) -> ModelClassifier:
        """Fit the wrapped estimator on the sample weights, times balanced
        class weights if asked.

        The estimator sees the classes present as 0..k-1 (XGBoost rejects
        gaps such as 0, 1, 3 when a subset misses class 2). A subset with a
        single class (a fold of very imbalanced data) trains no classifier
        (most libraries raise); that class is predicted.
        """
        self.fitted_classes_, y = np.unique(np.asarray(y), return_inverse=True)
        if len(self.fitted_classes_) < 2 or _no_varying_feature(X):
            self._fit_constant(DummyClassifier(strategy="prior"), X, y)
        else:
            weight = sample_weight
            if self.class_weight == "balanced":
                weight = _balanced(y, sample_weight)
            self._fit_estimator(X, y, weight)
        self.classes_ = self.fitted_classes_
        if self.n_classes is not None and self.n_classes > len(self.classes_):
            self.classes_ = np.arange(self.n_classes)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, one column per class in ``classes_``."""
        proba = np.asarray(self._call("predict_proba", X), dtype=np.float64)
        proba = proba / proba.sum(axis=1, keepdims=True)
        if len(self.classes_) == len(self.fitted_classes_):
            return proba
        full = np.zeros((proba.shape[0], len(self.classes_)))
        full[:, np.searchsorted(self.classes_, self.fitted_classes_)] = proba
        return full

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class ModelRegressor(RegressorMixin, _ModelStep):
    """Model step for regression.

    Parameters
    ----------
    family : str
        Registered model family.
    estimator : estimator
        The unfitted library estimator built by the family.
    deadline : float or None
        Epoch seconds after which no more iterations are added.
    n_threads : int
        BLAS/OpenMP thread limit during fit and predict.
    clock : callable or None
        What ``deadline`` is read against; None means ``time.time`` (kept out
        of the fitted model, so that saved models hold no function).
    """

    def fit(
        self, X: Any, y: Any, sample_weight: np.ndarray | None = None
    ) -> ModelRegressor:
        """Fit the wrapped estimator, on a standardised target if the family asks
        or the target's magnitude is extreme (see ``TARGET_MAGNITUDES``).

        Training rows that share a single target value get that value as a
        constant prediction.
        """
        y = np.asarray(y, dtype=np.float64)
        self.y_mean_, self.y_scale_ = 0.0, 1.0
        largest = float(np.max(np.abs(y), initial=0.0))
        low, high = TARGET_MAGNITUDES
        if self._component.standardize_target or not low <= largest <= high:
            self.y_mean_ = float(np.mean(y))
            self.y_scale_ = _std(y - self.y_mean_) or 1.0
        y = (y - self.y_mean_) / self.y_scale_
        if (len(y) and np.ptp(y) == 0) or _no_varying_feature(X):
            self._fit_constant(DummyRegressor(), X, y)
        else:
            self._fit_estimator(X, y, sample_weight)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predicted target values."""
        raw = np.asarray(self._call("predict", X), dtype=np.float64).reshape(-1)
        return raw * self.y_scale_ + self.y_mean_


class ModelQuantileRegressor(ModelRegressor):
    """Model step for quantile regression: one estimator per quantile level,
    each fitted with its library's quantile objective.

    ``predict`` returns one column per level, sorted along each row so that the
    quantiles never cross (the rearrangement of Chernozhukov, Fernández-Val
    and Galichon, 2010, which never increases the pinball loss).

    Parameters
    ----------
    family : str
        Registered model family (with ``quantile_objective``).
    estimator : list of estimators
        One unfitted estimator per level, in increasing order of level.
    deadline, n_threads, clock
        As :class:`ModelRegressor`; the levels share the time to the deadline.
    levels : tuple of float
        The quantile levels, increasing.
    """

    def __init__(
        self,
        family: str = "lightgbm",
        estimator: Any = None,
        deadline: float | None = None,
        n_threads: int = 1,
        clock: Clock | None = None,
        levels: tuple[float, ...] = (0.5,),
    ) -> None:
        super().__init__(family, estimator, deadline, n_threads, clock)
        self.levels = levels

    def _fit_estimator(
        self, X: Any, y: np.ndarray, sample_weight: np.ndarray | None
    ) -> None:
        clock = self.clock or time.time
        start, fitted = clock(), []
        for i, estimator in enumerate(self.estimator):
            deadline = self.deadline
            if deadline is not None:  # level i may run until its share ends
                deadline = start + (deadline - start) * (i + 1) / len(self.estimator)
            step = ModelRegressor(
                self.family, estimator, deadline, self.n_threads, clock
            )
            step._fit_estimator(X, y, sample_weight)
            fitted.append(step.estimator_)
        self.estimator_ = fitted
        self.stopped_early_ = step.stopped_early_
        self.n_features_in_ = X.shape[1]

    def _fit_constant(self, dummy: BaseEstimator, X: Any, y: np.ndarray) -> None:
        super()._fit_constant(dummy, X, y)
        self.estimator_ = [
            DummyRegressor(strategy="quantile", quantile=level).fit(X, y)
            for level in self.levels
        ]

    def predict(self, X: Any) -> np.ndarray:
        """Predicted quantiles, one column per level, increasing along rows."""
        check_is_fitted(self, "estimator_")
        X = self._component.prepare_X(_positional(X))
        with threadpool_limits(limits=self.n_threads):
            raw = np.column_stack([est.predict(X) for est in self.estimator_])
        return np.sort(raw.astype(np.float64), axis=1) * self.y_scale_ + self.y_mean_


def constant_quantiles(levels: tuple[float, ...]) -> ModelQuantileRegressor:
    """The training target's quantiles at ``levels``, whatever the features:
    quantile regression's fallback."""
    dummies = [DummyRegressor(strategy="quantile", quantile=q) for q in levels]
    return ModelQuantileRegressor("linear", dummies, levels=levels)


def _balanced(y: np.ndarray, sample_weight: np.ndarray | None) -> np.ndarray:
    """Sample weights times scikit-learn's "balanced" class weights, the
    classes' totals counted in weight: every class then weighs the same."""
    totals = np.bincount(y, weights=sample_weight)
    balanced = totals.sum() / (len(totals) * np.maximum(totals[y], 1e-12))
    return balanced if sample_weight is None else balanced * sample_weight


def _no_varying_feature(X: Any) -> bool:
    """Whether every column holds a single value (NaN counts), or there is none."""
    columns: TypedColumns = {}
    if isinstance(X, pd.DataFrame):
        for i, name in enumerate(X.columns):
            column = X[name]
            categorical = isinstance(column.dtype, pd.CategoricalDtype)
            columns[str(i)] = column.array if categorical else column.to_numpy()
    else:
        array = np.asarray(X)
        columns = {str(i): array[:, i] for i in range(array.shape[1])}
    return is_constant(columns)


def _std(centred: np.ndarray) -> float:
    """Standard deviation that neither underflows (1e-300 squared) nor overflows."""
    largest = float(np.max(np.abs(centred), initial=0.0))
    if largest == 0.0:
        return 0.0
    return largest * float(np.std(centred / largest))


def _positional(X: Any) -> Any:
    """Rename a frame's columns to f0, f1, ... (dtypes are kept)."""
    if isinstance(X, pd.DataFrame):
        return X.set_axis([f"f{i}" for i in range(X.shape[1])], axis=1)
    return X
