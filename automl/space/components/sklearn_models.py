"""Model families from scikit-learn.

Threads: scikit-learn's ``n_jobs`` where it exists; BLAS and OpenMP threads
(HistGradientBoosting, MLP, linear models) are limited by the model step of
the pipeline with ``threadpoolctl``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from ConfigSpace import Categorical, ConfigurationSpace, Float, Integer
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, QuantileRegressor, Ridge
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.neural_network import MLPClassifier, MLPRegressor

from automl.data.types import DatasetProperties, Task
from automl.space.components.base import (
    BuildContext,
    ChunkedModelComponent,
    Clock,
    ModelComponent,
    Params,
    fit_in_chunks,
    round_int,
)

HIST_GB_MAX_BINS = 255
FLOAT_BYTES = 8
#: Bytes of one node of a scikit-learn tree, besides its value array.
TREE_NODE_BYTES = 64
#: scikit-learn's ``working_memory`` (MiB): the cap of kNN's distance chunks.
KNN_CHUNK_MB = 1024.0
#: Rows from which an MLP classifier stops early on a 10 % validation split.
#: Below, it stopped far too early: sklearn judges a classifier's split on
#: accuracy and stops after 10 epochs without a gain, which on tens or
#: hundreds of rows comes after a few epochs. Test log loss with / without,
#: one fit at the defaults: vehicle 0.98 / 0.39, mfeat-factors 0.157 / 0.075,
#: diabetes 0.49 / 0.42, pendigits 0.037 / 0.025, magic-telescope (15k rows)
#: 0.33 / 0.31; worse without only on spambase (0.16 / 0.21). A regressor
#: judges its split on R^2, which does not stall that way, and keeps
#: stopping early from 100 rows (without, the recorded diabetes fit's MLP
#: went from RMSE 56.7 to 72.2).
MLP_EARLY_STOPPING_ROWS = 100_000
MLP_REGRESSOR_EARLY_STOPPING_ROWS = 100


class HistGradientBoostingModel(ChunkedModelComponent):
    """scikit-learn's histogram gradient boosting; NaN and categories native.

    Native categoricals need at most ``max_bins`` (255) categories per column.
    """

    name = "hist_gb"
    converts_to_float64 = True
    lightest = (("min_samples_leaf", "upper"),)
    native_categorical = True
    handles_missing = True
    fidelity = "max_iter"
    generated_features = True
    default_encoder = "native"
    quantile_objective = True

    @classmethod
    def supports_native(cls, properties: DatasetProperties) -> bool:
        return properties.max_cardinality <= HIST_GB_MAX_BINS

    @classmethod
    def quantile(cls, estimator: Any, level: float, ctx: BuildContext) -> Any:
        return estimator.set_params(loss="quantile", quantile=level)

    @classmethod
    def search_space(cls, properties: DatasetProperties) -> ConfigurationSpace:
        return ConfigurationSpace(
            {
                "max_iter": Integer("max_iter", (20, 1000), default=200),
                "learning_rate": Float(
                    "learning_rate", (0.01, 0.5), log=True, default=0.1
                ),
                "max_leaf_nodes": Float(
                    "max_leaf_nodes", (4, 256), log=True, default=31
                ),
                "min_samples_leaf": Float(
                    "min_samples_leaf", (1, 200), log=True, default=20
                ),
                "l2_regularization": Float(
                    "l2_regularization", (1e-8, 10.0), log=True, default=1e-8
                ),
                "max_features": Float("max_features", (0.3, 1.0), default=1.0),
            }
        )

    @classmethod
    def build(cls, params: Params, ctx: BuildContext) -> Any:
        model = (
            HistGradientBoostingRegressor
            if ctx.task == "regression"
            else HistGradientBoostingClassifier
        )
        return model(
            max_iter=int(params.get("max_iter", 200)),
            learning_rate=float(params.get("learning_rate", 0.1)),
            max_leaf_nodes=round_int(params.get("max_leaf_nodes", 31), low=2),
            min_samples_leaf=round_int(params.get("min_samples_leaf", 20)),
            l2_regularization=float(params.get("l2_regularization", 0.0)),
            max_features=float(params.get("max_features", 1.0)),
            categorical_features="from_dtype",
            early_stopping=False,
            random_state=ctx.seed,
        )

    @classmethod
    def first_chunk(cls, estimator: Any) -> int:
        return 5

    @classmethod
    def fit(
        cls,
        estimator: Any,
        X: Any,
        y: np.ndarray,
        *,
        sample_weight: np.ndarray | None,
        deadline: float | None,
        clock: Clock = time.time,
    ) -> bool:
        """Fit in chunks; numeric columns without any observed value in the
        training rows are filled with 0 first (scikit-learn's binning raises on
        them; a constant column never splits, so predictions are unchanged)."""
        X = _fill_empty_numeric(X)
        return super().fit(
            estimator, X, y, sample_weight=sample_weight, deadline=deadline, clock=clock
        )


def _fill_empty_numeric(X: Any) -> Any:
    """``X`` with its all-NaN float columns set to 0 (a copy only if any)."""
    if isinstance(X, pd.DataFrame):
        empty = [c for c in X.columns if X[c].dtype.kind == "f" and X[c].isna().all()]
        return X.assign(**{c: 0.0 for c in empty}) if empty else X
    X = np.asarray(X)
    if X.dtype.kind != "f" or not len(X):
        return X
    empty = np.isnan(X).all(axis=0)
    if not empty.any():
        return X
    X = X.copy()
    X[:, empty] = 0.0
    return X


class _ForestModel(ChunkedModelComponent):
    """Shared space and deadline-aware fit of the two forests."""

    handles_missing = True
    fidelity = "n_estimators"
    default_encoder = "ordinal"
    lightest = (("n_estimators", "lower"), ("min_samples_leaf", "upper"))
    classifier: type
    regressor: type
    bootstrap: bool

    @classmethod
    def search_space(cls, properties: DatasetProperties) -> ConfigurationSpace:
        space = ConfigurationSpace(
            {
                "n_estimators": Integer(
                    "n_estimators", (50, _max_trees(properties)), default=200
                ),
                "max_features": Float(
                    "max_features",
                    (0.05, 1.0),
                    default=_default_max_features(properties),
                ),
                "min_samples_leaf": Integer("min_samples_leaf", (1, 20), default=1),
            }
        )
        if properties.task != "regression":
            space.add(Categorical("criterion", ["gini", "entropy"], default="gini"))
        return space

    @classmethod
    def build(cls, params: Params, ctx: BuildContext) -> Any:
        model = cls.regressor if ctx.task == "regression" else cls.classifier
        return model(
            n_estimators=int(params.get("n_estimators", 200)),
            max_features=float(params.get("max_features", 1.0)),
            min_samples_leaf=int(params.get("min_samples_leaf", 1)),
            criterion=str(params.get("criterion", _default_criterion(ctx.task))),
            bootstrap=cls.bootstrap,
            n_jobs=ctx.n_threads,
            random_state=ctx.seed,
        )

    @classmethod
    def first_chunk(cls, estimator: Any) -> int:
        return max(1, estimator.n_jobs)  # one tree per thread

    @classmethod
    def model_bytes(
        cls,
        params: Params,
        properties: DatasetProperties,
        n_rows: int,
        n_predict_rows: int,
        width: int,
    ) -> float:
        """Fully grown trees have about 2 n / min_samples_leaf nodes each."""
        n_trees = float(params.get("n_estimators", 100))
        leaf = max(1.0, float(params.get("min_samples_leaf", 1)))
        outputs = properties.n_classes or 1
        nodes = 2 * n_rows / leaf
        return n_trees * nodes * (TREE_NODE_BYTES + FLOAT_BYTES * outputs)


def _max_trees(properties: DatasetProperties) -> int:
    """Fewer trees on large data: fully grown trees cost memory per row."""
    return 500 if properties.n_rows <= 100_000 else 250


def _default_max_features(properties: DatasetProperties) -> float:
    """sqrt(d)/d for classification (scikit-learn's "sqrt"), 1.0 for regression."""
    if properties.task == "regression":
        return 1.0
    n_features = max(1, properties.n_features)
    return float(np.clip(1.0 / np.sqrt(n_features), 0.05, 1.0))


def _default_criterion(task: str) -> str:
    return "squared_error" if task == "regression" else "gini"


class RandomForestModel(_ForestModel):
    """Random forest (bootstrap samples, best split among random features)."""

    name = "random_forest"
    classifier = RandomForestClassifier
    regressor = RandomForestRegressor
    bootstrap = True


class ExtraTreesModel(_ForestModel):
    """Extremely randomised trees (random thresholds, no bootstrap)."""

    name = "extra_trees"
    classifier = ExtraTreesClassifier
    regressor = ExtraTreesRegressor
    bootstrap = False


class LinearModel(ModelComponent):
    """L2-regularised linear model: LogisticRegression or Ridge; for quantile
    regression, scikit-learn's QuantileRegressor (L1 penalty, HiGHS)."""

    name = "linear"
    needs_scaling = True
    converts_to_float64 = True
    quantile_objective = True

    @classmethod
    def search_space(cls, properties: DatasetProperties) -> ConfigurationSpace:
        if properties.task == "regression":
            return ConfigurationSpace(
                {"alpha": Float("alpha", (1e-4, 1e3), log=True, default=1.0)}
            )
        return ConfigurationSpace({"C": Float("C", (1e-4, 1e4), log=True, default=1.0)})

    @classmethod
    def build(cls, params: Params, ctx: BuildContext) -> Any:
        if ctx.task == "regression":
            return Ridge(alpha=float(params.get("alpha", 1.0)), random_state=ctx.seed)
        return LogisticRegression(
            C=float(params.get("C", 1.0)), max_iter=500, random_state=ctx.seed
        )

    @classmethod
    def quantile(cls, estimator: Any, level: float, ctx: BuildContext) -> Any:
        # Ridge's penalty is on the sum of squared errors, QuantileRegressor's
        # on the mean pinball loss: the same strength per row is alpha / n.
        alpha = float(estimator.alpha) / max(1, ctx.properties.n_rows)
        return QuantileRegressor(quantile=level, alpha=alpha, solver="highs")

    @classmethod
    def as_stacker(cls, task: Task, n_rows: int) -> dict[str, Any]:
        """Unit regularisation on standardised predictions."""
        key = "model:linear:alpha" if task == "regression" else "model:linear:C"
        return {"model": "linear", key: 1.0, "scaler": "standard"}


class KNeighborsModel(ModelComponent):
    """k nearest neighbours; ``n_neighbors`` is capped by the training rows.

    Prediction costs O(n_train) per row: slow on large data.
    """

    name = "knn"
    needs_scaling = True
    converts_to_float64 = True
    supports_sample_weight = False

    @classmethod
    def search_space(cls, properties: DatasetProperties) -> ConfigurationSpace:
        high = float(max(2, min(100, properties.n_rows // 2)))
        return ConfigurationSpace(
            {
                "n_neighbors": Float(
                    "n_neighbors", (1.0, high), log=True, default=min(5.0, high)
                ),
                "weights": Categorical(
                    "weights", ["uniform", "distance"], default="distance"
                ),
                "p": Categorical("p", [1, 2], default=2),
            }
        )

    @classmethod
    def build(cls, params: Params, ctx: BuildContext) -> Any:
        model = (
            KNeighborsRegressor if ctx.task == "regression" else KNeighborsClassifier
        )
        return model(
            n_neighbors=round_int(params.get("n_neighbors", 5)),
            weights=str(params.get("weights", "distance")),
            p=int(params.get("p", 2)),
            n_jobs=ctx.n_threads,
        )

    @classmethod
    def fit(
        cls,
        estimator: Any,
        X: Any,
        y: np.ndarray,
        *,
        sample_weight: np.ndarray | None,
        deadline: float | None,
        clock: Clock = time.time,
    ) -> bool:
        estimator.set_params(n_neighbors=min(estimator.n_neighbors, len(y)))
        estimator.fit(X, y)
        return False

    @classmethod
    def model_bytes(
        cls,
        params: Params,
        properties: DatasetProperties,
        n_rows: int,
        n_predict_rows: int,
        width: int,
    ) -> float:
        """The fitted model keeps a float64 copy of the training rows; the
        distances to predicted rows are computed in chunks of at most
        ``KNN_CHUNK_MB``."""
        copy = n_rows * width * FLOAT_BYTES
        return copy + min(KNN_CHUNK_MB * 2**20, n_predict_rows * n_rows * FLOAT_BYTES)


class MLPModel(ModelComponent):
    """scikit-learn's multi-layer perceptron (adam; early stopping from
    ``MLP_REGRESSOR_EARLY_STOPPING_ROWS`` rows for a regressor,
    ``MLP_EARLY_STOPPING_ROWS`` for a classifier).

    A regression target is standardised before fitting.
    """

    name = "mlp"
    needs_scaling = True
    converts_to_float64 = True
    standardize_target = True
    fidelity = "max_iter"

    @classmethod
    def search_space(cls, properties: DatasetProperties) -> ConfigurationSpace:
        return ConfigurationSpace(
            {
                "n_layers": Integer("n_layers", (1, 3), default=1),
                "n_units": Float("n_units", (16, 256), log=True, default=100),
                "alpha": Float("alpha", (1e-7, 1e-1), log=True, default=1e-4),
                "learning_rate_init": Float(
                    "learning_rate_init", (1e-4, 1e-1), log=True, default=1e-3
                ),
                "max_iter": Integer("max_iter", (20, 300), default=200),
            }
        )

    @classmethod
    def build(cls, params: Params, ctx: BuildContext) -> Any:
        if ctx.task == "regression":
            model, stop_early_from = MLPRegressor, MLP_REGRESSOR_EARLY_STOPPING_ROWS
        else:
            model, stop_early_from = MLPClassifier, MLP_EARLY_STOPPING_ROWS
        layers = (round_int(params.get("n_units", 100)),) * int(
            params.get("n_layers", 1)
        )
        return model(
            hidden_layer_sizes=layers,
            alpha=float(params.get("alpha", 1e-4)),
            learning_rate_init=float(params.get("learning_rate_init", 1e-3)),
            max_iter=int(params.get("max_iter", 200)),
            early_stopping=ctx.properties.n_rows >= stop_early_from,
            random_state=ctx.seed,
        )

    @classmethod
    def fit(
        cls,
        estimator: Any,
        X: Any,
        y: np.ndarray,
        *,
        sample_weight: np.ndarray | None,
        deadline: float | None,
        clock: Clock = time.time,
    ) -> bool:
        if estimator.early_stopping and not _can_hold_out(estimator, y):
            estimator.set_params(early_stopping=False)
        return fit_in_chunks(
            estimator,
            "max_iter",
            estimator.max_iter,
            X,
            y,
            sample_weight=sample_weight,
            deadline=deadline,
            clock=clock,
            first_chunk=1,
            cumulative=False,
        )


def _can_hold_out(estimator: Any, y: np.ndarray) -> bool:
    """Whether MLP's stratified 10 % validation split is possible on ``y``."""
    n_val = int(np.ceil(estimator.validation_fraction * len(y)))
    if isinstance(estimator, MLPRegressor):
        return n_val >= 2
    _, counts = np.unique(y, return_counts=True)
    return bool(counts.min() >= 2 and n_val >= max(2, len(counts)))
