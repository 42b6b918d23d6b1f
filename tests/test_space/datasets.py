"""Small real datasets, typed as the data stage types them, for the space tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

from automl.data.types import DatasetProperties, FeatureColumns, Task
from automl.space import MODELS, BuildContext


@dataclass(frozen=True)
class Dataset:
    """A typed frame, its target and the context to build pipelines for it."""

    name: str
    X: pd.DataFrame
    y: np.ndarray
    ctx: BuildContext

    @property
    def properties(self) -> DatasetProperties:
        return self.ctx.properties


LOADERS = {
    "binary": load_breast_cancer,
    "multiclass": load_iris,
    "regression": load_diabetes,
}


def make_dataset(
    task: Task,
    *,
    categorical: bool = False,
    missing: bool = False,
    numeric: bool = True,
    n_rows: int | None = 150,
    seed: int = 0,
    deadline: float | None = None,
) -> Dataset:
    """A sklearn toy dataset, optionally with category columns and NaN."""
    rng = np.random.default_rng(seed)
    X, y = LOADERS[task](return_X_y=True, as_frame=True)
    X, y = X.iloc[:, :6].astype("float64"), y.to_numpy()
    if n_rows is not None and n_rows < len(X):
        rows = rng.permutation(len(X))[:n_rows]
        X, y = X.iloc[rows].reset_index(drop=True), y[rows]
    if categorical:
        X = X.assign(**_categorical_columns(X, y, rng, missing))
    if missing:
        X = X.mask(
            pd.DataFrame(rng.random(X.shape) < 0.1, columns=X.columns)
            & _numeric_mask(X)
        )
    if not numeric:
        X = X.select_dtypes("category")
    y = y.astype("float64") if task == "regression" else y.astype("int64")
    return Dataset(
        f"{task}-cat{categorical:d}-nan{missing:d}", X, y, context(X, y, task, deadline)
    )


def _categorical_columns(
    X: pd.DataFrame, y: np.ndarray, rng: np.random.Generator, missing: bool
) -> dict[str, pd.Series]:
    n = len(X)
    informative = np.where(np.asarray(y) > np.median(y), "hi", "lo").astype(object)
    noisy = rng.random(n) < 0.2
    informative[noisy] = rng.choice(["hi", "lo", "mid"], noisy.sum())
    many = rng.choice([f"v{i}" for i in range(40)], n).astype(object)
    if missing:
        informative[rng.random(n) < 0.1] = None
        many[rng.random(n) < 0.1] = None
    return {
        "cat: signal": pd.Series(
            pd.Categorical(informative, categories=["hi", "lo", "mid"])
        ),
        "cat[many]": pd.Series(
            pd.Categorical(many, categories=[f"v{i}" for i in range(40)])
        ),
    }


def _numeric_mask(X: pd.DataFrame) -> pd.DataFrame:
    kinds = [pd.api.types.is_numeric_dtype(X[c]) for c in X.columns]
    return pd.DataFrame(np.tile(kinds, (len(X), 1)), columns=X.columns)


def context(
    X: pd.DataFrame, y: np.ndarray, task: Task, deadline: float | None = None
) -> BuildContext:
    """The BuildContext the lead's code would make for this frame."""
    categorical = tuple(
        c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)
    )
    numeric = tuple(c for c in X.columns if c not in categorical)
    properties = DatasetProperties(
        n_rows=len(X),
        n_features=X.shape[1],
        n_numeric=len(numeric),
        n_categorical=len(categorical),
        n_datetime=0,
        has_missing_numeric=bool(X[list(numeric)].isna().any().any()),
        has_missing_categorical=bool(X[list(categorical)].isna().any().any()),
        max_cardinality=max((len(X[c].cat.categories) for c in categorical), default=0),
        missing_fraction=float(X.isna().mean().mean()),
        task=task,
        n_classes=None if task == "regression" else len(np.unique(y)),
    )
    return BuildContext(
        task=task,
        columns=FeatureColumns(numeric=numeric, categorical=categorical),
        properties=properties,
        seed=0,
        n_threads=1,
        deadline=deadline,
    )


def cheap(values: dict[str, Any], cap: int = 10) -> dict[str, Any]:
    """Cap the family's fidelity hyperparameter so that a test fit is fast."""
    family = values["model"]
    fidelity = MODELS[family].fidelity
    key = f"model:{family}:{fidelity}"
    if fidelity is not None and key in values:
        values = {**values, key: min(values[key], cap)}
    return values
