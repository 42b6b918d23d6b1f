"""CatBoost: native categoricals through ``cat_features``.

CatBoost does not accept NaN in categorical columns, so ``prepare_X`` replaces
every ``category`` column by its integer codes (-1 for missing or unseen),
which CatBoost then treats as categorical labels. The module imports without
``catboost``; the family is then unavailable.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from ConfigSpace import ConfigurationSpace, Float, Integer

from automl.data.types import DatasetProperties
from automl.space.components.base import (
    BuildContext,
    Clock,
    ModelComponent,
    Params,
    round_int,
)


class CatBoostDeadline:
    """CatBoost callback: returning False stops training at ``deadline``."""

    def __init__(self, deadline: float, clock: Clock = time.time) -> None:
        self.deadline = deadline
        self.clock = clock

    def after_iteration(self, info: Any) -> bool:
        return self.clock() < self.deadline


class CatBoostModel(ModelComponent):
    """CatBoost gradient boosting with symmetric trees."""

    name = "catboost"
    native_categorical = True
    handles_missing = True
    fidelity = "n_estimators"
    generated_features = True
    lightest = (("n_estimators", "lower"),)
    requires = ("catboost",)
    default_encoder = "native"
    quantile_objective = True

    @classmethod
    def search_space(cls, properties: DatasetProperties) -> ConfigurationSpace:
        return ConfigurationSpace(
            {
                "n_estimators": Float(
                    "n_estimators", (50, 2000), log=True, default=500
                ),
                "learning_rate": Float(
                    "learning_rate", (0.01, 0.3), log=True, default=0.08
                ),
                "depth": Integer("depth", (4, 10), default=6),
                "l2_leaf_reg": Float("l2_leaf_reg", (0.5, 30.0), log=True, default=3.0),
            }
        )

    @classmethod
    def build(cls, params: Params, ctx: BuildContext) -> Any:
        import catboost

        model = (
            catboost.CatBoostRegressor
            if ctx.task == "regression"
            else catboost.CatBoostClassifier
        )
        return model(
            n_estimators=round_int(params.get("n_estimators", 500)),
            learning_rate=float(params.get("learning_rate", 0.08)),
            depth=int(params.get("depth", 6)),
            l2_leaf_reg=float(params.get("l2_leaf_reg", 3.0)),
            thread_count=ctx.n_threads,
            random_seed=ctx.seed,
            verbose=0,
            allow_writing_files=False,
        )

    @classmethod
    def quantile(cls, estimator: Any, level: float, ctx: BuildContext) -> Any:
        return estimator.set_params(loss_function=f"Quantile:alpha={level!r}")

    @classmethod
    def prepare_X(cls, X: Any) -> Any:
        if not isinstance(X, pd.DataFrame):
            return X
        categorical = _categorical_columns(X)
        if not categorical:
            return X
        codes = {c: X[c].cat.codes.astype("int64") for c in categorical}
        return X.assign(**codes)

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
        categorical = _categorical_columns(X) if isinstance(X, pd.DataFrame) else []
        callbacks = None if deadline is None else [CatBoostDeadline(deadline, clock)]
        estimator.fit(
            cls.prepare_X(X),
            y,
            cat_features=categorical or None,
            sample_weight=sample_weight,
            callbacks=callbacks,
        )
        return int(estimator.tree_count_) < int(estimator.get_param("n_estimators"))


def _categorical_columns(X: pd.DataFrame) -> list[str]:
    return [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
