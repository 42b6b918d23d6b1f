"""A cheap estimate of how much memory a configuration needs on given data.

The estimate only has to catch the hopeless: configurations that would need
several times the memory a trial may use (fully grown forests on millions of
rows, one-hot encodings of wide high-cardinality tables, kNN copies of large
data). It errs on the high side for those and ignores small costs.
"""

from __future__ import annotations

from typing import Any

from automl.data.types import DatasetProperties

_FLOAT = 8
#: Bytes of one node of a scikit-learn tree, besides its value array.
_TREE_NODE = 64
#: Copies of the data alive at once while a pipeline fits (input, transformed,
#: the model's own binned or converted copy).
_DATA_COPIES = 3


def estimate_memory_mb(
    config: dict[str, Any], properties: DatasetProperties, n_rows: int
) -> float:
    """Estimated peak MiB of fitting ``config`` on ``n_rows`` rows.

    Parameters
    ----------
    config : dict
        Plain configuration values.
    properties : DatasetProperties
        Of the training data (columns, cardinality, classes).
    n_rows : int
        Rows the trial fits on.

    Returns
    -------
    float
    """
    width = _encoded_width(config, properties)
    data = float(_DATA_COPIES * n_rows * width * _FLOAT)
    family = config.get("model")
    if family in ("random_forest", "extra_trees"):
        data += _forest_bytes(config, family, properties, n_rows)
    elif family == "knn":
        data += n_rows * width * _FLOAT  # the fitted model keeps a copy
    return data / 2**20


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
