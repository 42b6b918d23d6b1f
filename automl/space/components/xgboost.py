"""XGBoost (``hist`` trees): NaN native, ``category`` dtype with
``enable_categorical=True``.

The module imports without ``xgboost``; the family is then unavailable.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np
from ConfigSpace import ConfigurationSpace, Float, Integer

from automl.data.types import DatasetProperties
from automl.space.components.base import (
    BuildContext,
    Clock,
    ModelComponent,
    Params,
    round_int,
)

try:
    from xgboost.callback import TrainingCallback as _CallbackBase
except Exception:  # pragma: no cover - optional backend missing or broken
    _CallbackBase = object  # type: ignore[misc,assignment]


class XGBoostDeadline(_CallbackBase):
    """XGBoost callback: stop boosting once ``clock()`` passes ``deadline``."""

    def __init__(self, deadline: float, clock: Clock = time.time) -> None:
        super().__init__()
        self.deadline = deadline
        self.clock = clock

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        return self.clock() >= self.deadline


class XGBoostModel(ModelComponent):
    """XGBoost gradient boosting with histogram trees."""

    name = "xgboost"
    native_categorical = True
    handles_missing = True
    fidelity = "n_estimators"
    generated_features = True
    lightest = (("n_estimators", "lower"),)
    requires = ("xgboost",)
    default_encoder = "native"
    quantile_objective = True
    large_table: ClassVar[dict[str, Any]] = {
        "n_estimators": 1000,
        "learning_rate": 0.1,
        "max_depth": 10,
        "colsample_bytree": 0.8,
    }

    @classmethod
    def search_space(cls, properties: DatasetProperties) -> ConfigurationSpace:
        return ConfigurationSpace(
            {
                "n_estimators": Float(
                    "n_estimators", (20, 1000), log=True, default=200
                ),
                "learning_rate": Float(
                    "learning_rate", (0.005, 0.5), log=True, default=0.1
                ),
                "max_depth": Integer("max_depth", (2, 12), default=6),
                "min_child_weight": Float(
                    "min_child_weight", (0.1, 50.0), log=True, default=1.0
                ),
                "subsample": Float("subsample", (0.5, 1.0), default=1.0),
                "colsample_bytree": Float("colsample_bytree", (0.3, 1.0), default=1.0),
                "reg_lambda": Float("reg_lambda", (1e-3, 10.0), log=True, default=1.0),
                "reg_alpha": Float("reg_alpha", (1e-3, 10.0), log=True, default=1e-3),
            }
        )

    @classmethod
    def build(cls, params: Params, ctx: BuildContext) -> Any:
        import xgboost

        model = (
            xgboost.XGBRegressor if ctx.task == "regression" else xgboost.XGBClassifier
        )
        return model(
            n_estimators=round_int(params.get("n_estimators", 200)),
            learning_rate=float(params.get("learning_rate", 0.1)),
            max_depth=int(params.get("max_depth", 6)),
            min_child_weight=float(params.get("min_child_weight", 1.0)),
            subsample=float(params.get("subsample", 1.0)),
            colsample_bytree=float(params.get("colsample_bytree", 1.0)),
            reg_lambda=float(params.get("reg_lambda", 1.0)),
            reg_alpha=float(params.get("reg_alpha", 0.0)),
            tree_method="hist",
            enable_categorical=True,
            n_jobs=ctx.n_threads,
            random_state=ctx.seed,
            verbosity=0,
        )

    @classmethod
    def quantile(cls, estimator: Any, level: float, ctx: BuildContext) -> Any:
        return estimator.set_params(objective="reg:quantileerror", quantile_alpha=level)

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
        callbacks = None if deadline is None else [XGBoostDeadline(deadline, clock)]
        estimator.set_params(callbacks=callbacks)
        estimator.fit(X, y, sample_weight=sample_weight, verbose=False)
        estimator.set_params(callbacks=None)
        return estimator.get_booster().num_boosted_rounds() < estimator.n_estimators
