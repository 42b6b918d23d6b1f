"""Real trials on small real datasets, built like ``BaseAuto._prepare`` does."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from automl.data import FeatureTyper, dataset_properties
from automl.data.types import Task
from automl.ensemble import Candidate
from automl.evaluation import TrialData, TrialSettings, evaluate
from automl.metrics import Metric
from automl.resampling import Resampling, make_splits
from automl.space import build_space, family_defaults

#: Fast families with different inductive biases (trees, linear, neighbours).
FAMILIES = ["lightgbm", "extra_trees", "linear", "knn"]


def make_trial_data(
    X: pd.DataFrame,
    y: np.ndarray,
    task: Task,
    kind: Resampling = "cv",
    seed: int = 0,
) -> TrialData:
    typer = FeatureTyper().fit(X)
    X_typed = typer.transform(X)
    n_classes = None if task == "regression" else len(np.unique(y))
    properties = dataset_properties(
        X_typed, typer.columns_, task=task, n_classes=n_classes
    )
    splits = make_splits(kind, y, task, seed)
    return TrialData(X_typed, y, task, typer.columns_, properties, splits, n_classes)


def make_candidates(
    data: TrialData, metric: Metric, families: list[str] = FAMILIES
) -> list[Candidate]:
    """One trial per family (its default configuration), evaluated for real."""
    space = build_space(data.properties, models=families, seed=0)
    settings = TrialSettings(metric=metric, crash_loss=1e6, n_threads=1)
    candidates = []
    for trial_id, config in enumerate(family_defaults(space).values()):
        config = _small(config)
        start = time.time()
        result = evaluate(config, data=data, settings=settings, seed=0, deadline=None)
        assert result.status == "ok", result.error
        assert result.predictions is not None
        candidates.append(
            Candidate(
                config,
                0,
                result.loss,
                result.predictions,
                trial_id=trial_id,
                duration=time.time() - start,
            )
        )
    return candidates


def _small(config: dict[str, Any]) -> dict[str, Any]:
    """Fewer trees, to keep the test folder fast."""
    for key in ("model:lightgbm:n_estimators", "model:extra_trees:n_estimators"):
        if key in config:
            config[key] = 50
    return config


class Problem:
    def __init__(self, data: TrialData, metric: Metric) -> None:
        self.data = data
        self.metric = metric
        self.candidates = make_candidates(data, metric)
