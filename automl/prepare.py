"""From a checked table to what the run needs: typed data, the plan, the splits.

:func:`prepare` types the checked feature table (cutting rows first when the
table alone would not fit in memory), plans the fit (:mod:`automl.plan`),
cuts the rows the plan asks for and makes the validation splits. The
estimators call it after their scikit-learn checks; the offline metadata
builder calls it directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from automl.data import FeatureTyper, dataset_properties
from automl.data.types import DatasetProperties, Task
from automl.evaluation import TrialData
from automl.memory import frame_memory_mb, rows_before_typing, use_float32
from automl.plan import FitPlan, Machine, Table, plan_fit, policy_of, seed_of
from automl.resampling import (
    make_splits,
    splits_on,
    subsample_rows,
    user_splits,
    user_splitter,
    validation_indices,
)
from automl.space.memory import bytes_per_value


@dataclass(frozen=True)
class Prepared:
    """The fitted typer, the plan and the data of a fit."""

    typer: FeatureTyper
    plan: FitPlan
    data: TrialData


def prepare(
    X: pd.DataFrame,
    y: np.ndarray,
    task: Task,
    params: Mapping[str, Any],
    machine: Machine,
    *,
    name: str = "automl",
    groups: np.ndarray | None = None,
    sample_weight: np.ndarray | None = None,
) -> Prepared:
    """Type, plan and split a fit's data.

    Parameters
    ----------
    X : DataFrame
        The checked feature table (:func:`automl.data.check_features`).
    y : ndarray
        The encoded target: class indices 0..K-1, or floats for regression.
    task : {"binary", "multiclass", "regression"}
    params : mapping
        The estimator's parameters (see :func:`automl.plan.plan_fit`).
    machine : Machine
    name : str, default="automl"
        The estimator's name, for messages.
    groups : ndarray or None, default=None
        Group labels of the rows (``fit(..., groups=)``).
    sample_weight : ndarray or None, default=None
        The checked weights of the rows (``fit(..., sample_weight=)``).

    Returns
    -------
    Prepared
        With the user's ``cv`` (``params["cv"]``) or ``groups``, the splits
        are theirs, made on all rows, then restricted to the rows the memory
        plan keeps.
    """
    seed, policy = seed_of(params), policy_of(params)
    n_input = len(y)
    n_classes = None if task == "regression" else int(np.max(y)) + 1
    splitter = user_splitter(params.get("cv"), y, task, seed, groups, policy)
    given = None if splitter is None else user_splits(splitter, n_input, y, groups)
    if given is not None:  # the user's validation: k-fold-like, not repeated
        params = {**params, "resampling": "cv", "cv_repeats": 1}
        if len(validation_indices(given)) < n_input:
            # Forward-chaining splits (time order): a bag of the folds' models
            # would average models that never saw the latest rows (birthdays,
            # TimeSeriesSplit(5): test RMSE 34.8 against 30.4 for one LightGBM
            # refitted on all rows), so each member is refitted on all rows.
            params = {**params, "refit_full": True}
    kept = np.arange(n_input)
    keep = rows_before_typing(n_input, X.shape[1], machine.memory_limit_mb, policy)
    if keep < n_input:  # the full table alone would not fit: never type it
        rows = subsample_rows(y, keep, task, seed)
        X, y, kept = X.iloc[rows], y[rows], kept[rows]
    float32 = use_float32(X.shape[0], X.shape[1], policy)
    typer = FeatureTyper(
        estimator_name=name, float32=float32, column_types=params.get("column_types")
    ).fit(X)
    X_typed = typer.transform(X)
    del X
    properties = _properties(typer, X_typed, task, n_classes)
    n_minority = None if task == "regression" else int(np.bincount(y).min())
    table = Table(
        properties,
        frame_memory_mb(X_typed),
        bytes_per_value(X_typed),
        n_input,
        n_minority,
        weighted=sample_weight is not None,
    )
    plan = plan_fit(params, table, machine)
    if plan.memory.n_rows < len(y):
        rows = subsample_rows(y, plan.memory.n_rows, task, seed)
        X_typed = X_typed.iloc[rows].reset_index(drop=True)
        y, kept = y[rows], kept[rows]
        properties = _properties(typer, X_typed, task, n_classes)
    kept_groups = None if groups is None else groups[kept]
    kept_weights = None if sample_weight is None else sample_weight[kept]
    if given is None:
        splits = make_splits(
            plan.resampling, y, task, plan.seed, plan.cv_repeats, plan.policy
        )
    else:
        splits = _kept_splits(given, kept, n_input)
    data = TrialData(
        X_typed,
        y,
        task,
        typer.columns_,
        properties,
        splits,
        n_classes,
        kept_groups,
        kept_weights,
    )
    return Prepared(typer, plan, data)


def _kept_splits(
    given: list[tuple[np.ndarray, np.ndarray]], kept: np.ndarray, n_input: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The user's splits on the rows the memory plan kept (each still with
    training and validation rows)."""
    if len(kept) == n_input:
        return given
    splits = [(t, v) for t, v in splits_on(given, kept) if len(t) and len(v)]
    if not splits:
        raise ValueError(
            f"memory_limit cut the table to {len(kept):,} of {n_input:,} rows, "
            "and none of the cv splits keeps both training and validation "
            "rows among them. Raise memory_limit, or pass a splitter (e.g. "
            "GroupKFold) instead of index pairs."
        )
    return splits


def _properties(
    typer: FeatureTyper, X: pd.DataFrame, task: Task, n_classes: int | None
) -> DatasetProperties:
    return dataset_properties(X, typer.columns_, task=task, n_classes=n_classes)
