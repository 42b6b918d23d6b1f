"""A cheap estimate of how much memory a configuration needs on given data.

The estimate only has to catch the hopeless: configurations that would need
several times the memory a trial may use (fully grown forests on millions of
rows, one-hot encodings of wide high-cardinality tables, kNN copies of large
data). It errs on the high side for those and ignores small costs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from ConfigSpace import CategoricalHyperparameter, ConfigurationSpace

from automl.data.types import DatasetProperties

_FLOAT = 8
#: Bytes of one node of a scikit-learn tree, besides its value array.
_TREE_NODE = 64
#: Copies of the data alive at once while a pipeline fits (the rows taken
#: from the table, the column step's output, the model's own converted copy,
#: and the scaler's or the library's binned data). Measured: LightGBM, XGBoost
#: and CatBoost peak at 3-4 copies of the training rows. A fit on the whole
#: table (a refit) takes no copy of the rows: one copy fewer.
_DATA_COPIES = 4
#: Families that convert float32 input to float64 (scikit-learn's histogram
#: boosting, linear models, MLP, kNN): two more float64 copies, measured.
_FLOAT64_FAMILIES = frozenset({"hist_gb", "linear", "mlp", "knn"})
#: scikit-learn's ``working_memory`` (MiB): the cap of kNN's distance chunks.
_KNN_CHUNK_MB = 1024.0


def estimate_memory_mb(
    config: dict[str, Any],
    properties: DatasetProperties,
    n_rows: int,
    *,
    bytes_per_value: int = _FLOAT,
    n_predict_rows: int = 0,
    row_copy: bool = True,
) -> float:
    """Estimated peak MiB of fitting ``config`` on ``n_rows`` rows.

    The working set of the trial only: the worker process and its copy of the
    whole table come on top (see :mod:`automl.memory`).

    Parameters
    ----------
    config : dict
        Plain configuration values.
    properties : DatasetProperties
        Of the training data (columns, cardinality, classes).
    n_rows : int
        Rows the trial fits on.
    bytes_per_value : int, default=8
        4 when every typed column is float32, else 8.
    n_predict_rows : int, default=0
        Rows predicted after the fit (the validation rows); the larger of the
        two row counts sets the data copies.
    row_copy : bool, default=True
        Whether the rows are copied out of the table first (a trial's
        training rows); False for a fit on the whole table.

    Returns
    -------
    float
    """
    width = _encoded_width(config, properties)
    rows = max(n_rows, n_predict_rows)
    family = config.get("model")
    per_value = (_DATA_COPIES - (not row_copy)) * bytes_per_value
    if family in _FLOAT64_FAMILIES and bytes_per_value < _FLOAT:
        per_value += 2 * _FLOAT
    data = float(rows * width * per_value)
    if family in ("random_forest", "extra_trees"):
        data += _forest_bytes(config, family, properties, n_rows)
    elif family == "knn":
        data += n_rows * width * _FLOAT  # the fitted model keeps a copy
        data += min(_KNN_CHUNK_MB * 2**20, n_predict_rows * n_rows * _FLOAT)
    return data / 2**20


def bytes_per_value(X: pd.DataFrame) -> int:
    """Bytes of one value of a typed frame: 4 when every column is float32, else 8.

    Parameters
    ----------
    X : pandas.DataFrame

    Returns
    -------
    int
    """
    float32 = np.dtype(np.float32)
    return 4 if all(dtype == float32 for dtype in X.dtypes) else 8


def lightest_config(
    config: dict[str, Any], space: ConfigurationSpace
) -> dict[str, Any]:
    """The configuration with its memory-relevant values at their cheapest.

    Fewest trees (lowest ``n_estimators``), largest leaves (highest
    ``min_samples_leaf``) and ordinal instead of one-hot encoding, where the
    space allows them: if this does not fit, no configuration of the family
    does.

    Parameters
    ----------
    config : dict
        A plain configuration of ``space``, e.g. a family's default.
    space : ConfigurationSpace

    Returns
    -------
    dict
    """
    out = dict(config)
    for key in config:
        if key.endswith(":n_estimators") and key in space:
            out[key] = getattr(space[key], "lower", config[key])
        elif key.endswith(":min_samples_leaf") and key in space:
            out[key] = getattr(space[key], "upper", config[key])
    encoder = space["categorical_encoder"] if "categorical_encoder" in space else None
    if (
        out.get("categorical_encoder") == "onehot"
        and isinstance(encoder, CategoricalHyperparameter)
        and "ordinal" in encoder.choices
    ):
        out["categorical_encoder"] = "ordinal"
    return out


def _encoded_width(config: dict[str, Any], properties: DatasetProperties) -> int:
    """Columns after categorical encoding."""
    if config.get("categorical_encoder") != "onehot":
        return max(1, properties.n_features)
    per_column = min(
        max(1, properties.max_cardinality),
        int(config.get("categorical_encoder:onehot:max_categories", 20)),
    )
    return max(1, properties.n_numeric + properties.n_categorical * per_column)


def _forest_bytes(
    config: dict[str, Any], family: str, properties: DatasetProperties, n_rows: int
) -> float:
    """Fully grown trees have about 2 n / min_samples_leaf nodes each."""
    prefix = f"model:{family}:"
    n_trees = float(config.get(prefix + "n_estimators", 100))
    leaf = max(1.0, float(config.get(prefix + "min_samples_leaf", 1)))
    outputs = properties.n_classes or 1
    nodes = 2 * n_rows / leaf
    return n_trees * nodes * (_TREE_NODE + _FLOAT * outputs)
