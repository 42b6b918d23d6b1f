"""LightGBM: NaN and the pandas ``category`` dtype are handled natively.

``lightgbm`` is imported lazily so that this module imports without it.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np
from ConfigSpace import ConfigurationSpace, Float

from automl.data.types import DatasetProperties, Task
from automl.space.components.base import (
    BuildContext,
    Clock,
    ModelComponent,
    Params,
    round_int,
)

#: Peak bytes per leaf of a fitted booster, its pickled copy sent back to the
#: main process included. Measured on 19,500 x 20 rows: 1,000 trees of 105
#: leaves peak 58 MiB over the data (550 B a leaf), 300 of 256 leaves 67 MiB
#: (870 B), 1,000 of 256 leaves 91 MiB (360 B: trees stop growing early).
LEAF_BYTES = 700


class LightGBMDeadline:
    """LightGBM callback: stop boosting once ``clock()`` passes ``deadline``.

    The model keeps the iterations finished so far (``best_iteration_``).
    """

    order = 40  # run after LightGBM's own callbacks

    def __init__(self, deadline: float, clock: Clock = time.time) -> None:
        self.deadline = deadline
        self.clock = clock

    def __call__(self, env: Any) -> None:
        if self.clock() >= self.deadline:
            from lightgbm.callback import EarlyStopException

            raise EarlyStopException(env.iteration, env.evaluation_result_list)


class LightGBMModel(ModelComponent):
    """LightGBM gradient boosting; the default family of the space."""

    name = "lightgbm"
    native_categorical = True
    handles_missing = True
    fidelity = "n_estimators"
    generated_features = True
    lightest = (("n_estimators", "lower"),)
    stacker_sees_features = True
    requires = ("lightgbm",)
    default_encoder = "native"
    quantile_objective = True
    large_table: ClassVar[dict[str, Any]] = {
        "n_estimators": 1000,
        "learning_rate": 0.1,
        "num_leaves": 255,
        "min_child_samples": 50,
        "colsample_bytree": 0.8,
    }

    @classmethod
    def search_space(cls, properties: DatasetProperties) -> ConfigurationSpace:
        max_child = float(max(21, min(100, properties.n_rows // 5)))
        return ConfigurationSpace(
            {
                "n_estimators": Float(
                    "n_estimators", (20, 1000), log=True, default=100
                ),
                "learning_rate": Float(
                    "learning_rate", (0.005, 0.5), log=True, default=0.1
                ),
                "num_leaves": Float("num_leaves", (4, 256), log=True, default=31),
                "min_child_samples": Float(
                    "min_child_samples", (2, max_child), log=True, default=20
                ),
                "colsample_bytree": Float("colsample_bytree", (0.3, 1.0), default=1.0),
                "subsample": Float("subsample", (0.5, 1.0), default=1.0),
                "reg_lambda": Float("reg_lambda", (1e-3, 10.0), log=True, default=1e-3),
                "reg_alpha": Float("reg_alpha", (1e-3, 10.0), log=True, default=1e-3),
            }
        )

    @classmethod
    def build(cls, params: Params, ctx: BuildContext) -> Any:
        import lightgbm

        model = (
            lightgbm.LGBMRegressor
            if ctx.task == "regression"
            else lightgbm.LGBMClassifier
        )
        subsample = float(params.get("subsample", 1.0))
        return model(
            n_estimators=round_int(params.get("n_estimators", 100)),
            learning_rate=float(params.get("learning_rate", 0.1)),
            num_leaves=round_int(params.get("num_leaves", 31), low=2),
            min_child_samples=round_int(params.get("min_child_samples", 20)),
            colsample_bytree=float(params.get("colsample_bytree", 1.0)),
            subsample=subsample,
            subsample_freq=1 if subsample < 1.0 else 0,
            reg_lambda=float(params.get("reg_lambda", 0.0)),
            reg_alpha=float(params.get("reg_alpha", 0.0)),
            n_jobs=ctx.n_threads,
            random_state=ctx.seed,
            verbose=-1,
        )

    @classmethod
    def quantile(cls, estimator: Any, level: float, ctx: BuildContext) -> Any:
        return estimator.set_params(objective="quantile", alpha=level)

    @classmethod
    def model_bytes(
        cls,
        params: Params,
        properties: DatasetProperties,
        n_rows: int,
        n_predict_rows: int,
        width: int,
    ) -> float:
        """The trees: leaves per tree, bounded by the rows a leaf needs."""
        n_trees = float(params.get("n_estimators", 100))
        n_classes = properties.n_classes or 1
        if n_classes > 2:
            n_trees *= n_classes  # one tree per class and round
        leaves = min(
            float(params.get("num_leaves", 31)),
            n_rows / max(1.0, float(params.get("min_child_samples", 20))),
        )
        return n_trees * leaves * LEAF_BYTES

    @classmethod
    def as_stacker(cls, task: Task, n_rows: int) -> dict[str, Any]:
        """Small, strongly regularised trees on the predictions and features."""
        return {
            "model": "lightgbm",
            "model:lightgbm:n_estimators": 150,
            "model:lightgbm:learning_rate": 0.05,
            "model:lightgbm:num_leaves": 8,
            "model:lightgbm:min_child_samples": max(20, n_rows // 100),
            "model:lightgbm:colsample_bytree": 0.5,
            "model:lightgbm:subsample": 0.8,
            "model:lightgbm:reg_lambda": 10.0,
            "model:lightgbm:reg_alpha": 0.1,
        }

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
        callbacks = [] if deadline is None else [LightGBMDeadline(deadline, clock)]
        estimator.fit(X, y, sample_weight=sample_weight, callbacks=callbacks)
        return estimator.booster_.current_iteration() < estimator.n_estimators
