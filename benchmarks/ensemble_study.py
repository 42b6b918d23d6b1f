"""Shared setup of the ensemble benchmarks: real trials on corpus datasets.

``python -m benchmarks.ensemble_rounds`` and ``python -m
benchmarks.ensemble_throughput`` use it; it is not a benchmark by itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automl.data import FeatureTyper, dataset_properties
from automl.ensemble import Candidate, fit_bag
from automl.evaluation import TrialData, TrialSettings
from automl.metrics import Metric, get_metric, score_predictions
from automl.resampling import make_splits
from automl.space import build_space, config_to_dict, family_defaults
from benchmarks.datasets import load_split, read_index

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
FAMILIES = ["lightgbm", "xgboost", "hist_gb", "random_forest", "extra_trees"]
FAMILIES += ["linear", "knn"]


@dataclass
class Study:
    """Trials of one dataset, with their bags' predictions on the test rows."""

    name: str
    data: TrialData
    metric: Metric
    candidates: list[Candidate]
    test_X: pd.DataFrame
    test_y: np.ndarray
    test_predictions: list[np.ndarray]

    def test_loss(self, pred: np.ndarray) -> float:
        return score_predictions(self.metric, self.test_y, pred, self.data.task)


def load_study(
    name: str, n_random: int = 8, seed: int = 0, bag_seconds: float = 20.0
) -> Study:
    """Fit the family defaults and ``n_random`` sampled configs as 5-fold bags."""
    spec = next(s for s in read_index(CORPUS) if s.name == name)
    X_train, X_test, y_train, y_test = load_split(spec, seed)
    task = spec.task
    if task == "regression":
        y, y_te = y_train.to_numpy(float), y_test.to_numpy(float)
    else:
        classes = np.unique(y_train.astype(str))
        y = np.searchsorted(classes, y_train.astype(str))
        y_te = np.searchsorted(classes, y_test.astype(str))
        keep = np.isin(y_test.astype(str), classes)
        X_test, y_te = X_test[keep], y_te[keep]
    typer = FeatureTyper().fit(X_train)
    X = typer.transform(X_train)
    X_te = typer.transform(X_test)
    n_classes = None if task == "regression" else int(y.max()) + 1
    if task == "binary" or n_classes == 2:
        task = "binary"
    properties = dataset_properties(X, typer.columns_, task=task, n_classes=n_classes)
    splits = make_splits("cv", y, task, seed)
    data = TrialData(X, y, task, typer.columns_, properties, splits, n_classes)
    metric = (
        get_metric(None, task) if task != "binary" else get_metric("log_loss", task)
    )
    space = build_space(properties, models=FAMILIES, seed=seed)
    configs = list(family_defaults(space).values())
    configs += [config_to_dict(c) for c in space.sample_configuration(n_random)]
    return _fit_all(name, data, metric, configs, X_te, y_te, bag_seconds)


def _fit_all(
    name: str,
    data: TrialData,
    metric: Metric,
    configs: list[dict[str, Any]],
    X_test: pd.DataFrame,
    y_test: np.ndarray,
    bag_seconds: float,
) -> Study:
    settings = TrialSettings(metric=metric, crash_loss=1e9, n_threads=1)
    candidates, test_preds = [], []
    for trial_id, config in enumerate(configs):
        start = time.time()
        try:
            bag = fit_bag(config, data, settings, seed=0, deadline=start + bag_seconds)
        except Exception as exc:
            print(f"  {name}: config {trial_id} failed: {exc}")
            continue
        assert bag.oof is not None
        loss = score_predictions(metric, data.y, bag.oof, data.task)
        candidates.append(
            Candidate(config, 0, loss, bag.oof, trial_id, time.time() - start)
        )
        test_preds.append(bag.model.predict_raw(X_test))
    order = np.argsort([c.loss for c in candidates], kind="stable")
    return Study(
        name,
        data,
        metric,
        [candidates[i] for i in order],
        X_test,
        y_test,
        [test_preds[i] for i in order],
    )
