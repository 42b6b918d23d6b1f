"""k-fold bags: one configuration fitted once per fold of the validation splits.

A bag's fold models each saw ``(k-1)/k`` of the rows; together they give an
out-of-fold (OOF) prediction for every training row, and at predict time
their average is the bag's prediction (AutoGluon's bagged models). The fold
models are refitted with the trial's configuration and seed on the trial's
own splits, so the bag's OOF predictions are those the trial was scored on.

The search's trials keep their fold models (``TrialSettings.models_dir``):
:func:`load_bag` makes those the bag, and :func:`fit_bag` refits only bags
that were not kept.

With a holdout split (one train/validation pair), the "bag" is the single
model fitted on the training part and only the validation rows receive an
OOF prediction; :func:`fit_bag` with ``refit_full=True`` (a single model on
all rows) is what a holdout member should use for new data.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

import joblib
import numpy as np
import pandas as pd

from automl.data.types import Task
from automl.evaluation import (
    TrialData,
    TrialSettings,
    budgeted,
    fit_folds,
    fit_pipeline,
    predict_pipeline,
)
from automl.resampling import subsample


class BagTimeoutError(TimeoutError):
    """The deadline passed before every fold model of a bag was fitted."""


class BaggedModel:
    """Average of fitted pipelines (the fold models of a bag, or one full refit).

    Parameters
    ----------
    models : list of fitted pipelines
        Each predicts values (regression) or probabilities over ``n_classes``.
    task : {"binary", "multiclass", "regression"}
    n_classes : int or None
        Number of classes (None for regression).
    """

    def __init__(self, models: list[Any], task: Task, n_classes: int | None) -> None:
        if not models:
            raise ValueError("A BaggedModel needs at least one fitted model.")
        self.models = models
        self.task = task
        self.n_classes = n_classes

    @property
    def n_models(self) -> int:
        """Number of fitted models averaged."""
        return len(self.models)

    def predict_raw(self, X: pd.DataFrame) -> np.ndarray:
        """Values (regression) or class probabilities, averaged over the models."""
        total: np.ndarray | None = None
        for model in self.models:
            pred = predict_pipeline(model, X, self.task, self.n_classes)
            total = pred if total is None else total + pred
        assert total is not None
        return total / len(self.models)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Class probabilities over all ``n_classes`` classes."""
        if self.task == "regression":
            raise AttributeError("predict_proba is not available for regression.")
        return self.predict_raw(X)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Values for regression, the most probable class index otherwise."""
        raw = self.predict_raw(X)
        return raw if self.task == "regression" else np.argmax(raw, axis=1)


@dataclass
class Bag:
    """A fitted bag and its out-of-fold predictions.

    Attributes
    ----------
    model : BaggedModel
    oof : ndarray or None
        Predictions for ``rows`` from the fold models that did not see them
        (None for ``refit_full``).
    rows : ndarray
        The rows ``oof`` covers, sorted (all rows with k-fold splits).
    fit_seconds : float
    """

    model: BaggedModel
    oof: np.ndarray | None
    rows: np.ndarray
    fit_seconds: float


def fit_bag(
    config: dict[str, Any],
    data: TrialData,
    settings: TrialSettings,
    *,
    seed: int,
    deadline: float | None,
    refit_full: bool = False,
    budget: float | None = None,
) -> Bag:
    """Fit one configuration as a bag over ``data.splits`` (or on all rows).

    Parameters
    ----------
    config : dict
        Plain configuration values.
    data : TrialData
        The rows, target and splits; every split's validation part gets OOF
        predictions.
    settings : TrialSettings
        Threads per model and the families' row caps (the metric is not used).
    seed : int
        Seed of the models (use the trial's seed to reproduce its OOF).
    deadline : float or None
        ``time.time()`` by which the bag must be fitted. The time left is
        shared between the folds still to fit, as trials do; boosters and
        forests stop adding iterations at their fold's share.
    refit_full : bool, default=False
        Fit a single model on all rows instead of the fold models (faster to
        predict; no OOF predictions).
    budget : float or None, default=None
        The share of the rows (or iterations, by ``settings.budget_unit``)
        each model fits on, as a trial's budget; None: all.

    Returns
    -------
    Bag

    Raises
    ------
    BagTimeoutError
        If the deadline passed before a fold model could be started.
    """
    start = time.time()
    config, cap = budgeted(config, budget, settings)  # with the family's row cap
    if refit_full:
        _check_time(deadline, "refit")
        rows = None if cap is None else subsample(np.arange(len(data.y)), cap, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = fit_pipeline(config, data, rows, settings, seed, deadline)
        bagged = BaggedModel([model], data.task, data.n_classes)
        return Bag(bagged, None, np.arange(0), time.time() - start)
    models: list[Any] = []
    oof = fit_folds(
        config,
        data,
        settings,
        seed,
        deadline,
        budget=cap,
        keep=models.append,
        before_fold=lambda k: _check_time(
            deadline, f"fold {k + 1} of {len(data.splits)}"
        ),
    )
    bagged = BaggedModel(models, data.task, data.n_classes)
    return Bag(bagged, oof.predictions(), oof.rows, time.time() - start)


def load_bag(files: tuple[str, ...], task: Task, n_classes: int | None) -> BaggedModel:
    """The bag of a trial's own fold models, read from its kept ``files``."""
    return BaggedModel([joblib.load(path) for path in files], task, n_classes)


def _check_time(deadline: float | None, what: str) -> None:
    if deadline is not None and time.time() >= deadline:
        raise BagTimeoutError(f"no time left to fit the {what}")
