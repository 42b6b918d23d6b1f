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
from automl.space.build import DELIMITER, component_params
from automl.space.registry import MODELS, PREPROCESSORS

_FLOAT = 8
#: Copies of the data alive at once while a pipeline fits (the rows taken
#: from the table, the column step's output, the model's own converted copy,
#: and the scaler's or the library's binned data). Measured: LightGBM, XGBoost
#: and CatBoost peak at 3-4 copies of the training rows. A fit on the whole
#: table (a refit) takes no copy of the rows: one copy fewer.
_DATA_COPIES = 4


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
    family = str(config.get("model"))
    component = MODELS.get(family)
    per_value = (_DATA_COPIES - (not row_copy)) * bytes_per_value
    if component is not None and component.converts_to_float64:
        # measured: the conversion of float32 input costs two float64 copies
        per_value += 2 * _FLOAT if bytes_per_value < _FLOAT else 0
    data = float(rows * width * per_value)
    if component is not None:
        params = component_params(config, "model", family)
        data += component.model_bytes(params, properties, n_rows, n_predict_rows, width)
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

    The family's ``lightest`` values (e.g. fewest trees, largest leaves) and
    ordinal instead of one-hot encoding, where the space allows them: if this
    does not fit, no configuration of the family does.

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
    family = str(config.get("model"))
    component = MODELS.get(family)
    for name, end in component.lightest if component else ():
        key = f"model{DELIMITER}{family}{DELIMITER}{name}"
        if key in config and key in space:
            out[key] = getattr(space[key], end, config[key])
    encoder = space["categorical_encoder"] if "categorical_encoder" in space else None
    if (
        out.get("categorical_encoder") == "onehot"
        and isinstance(encoder, CategoricalHyperparameter)
        and "ordinal" in encoder.choices
    ):
        out["categorical_encoder"] = "ordinal"
    return out


def _encoded_width(config: dict[str, Any], properties: DatasetProperties) -> int:
    """Columns after categorical and text encoding and generated features."""
    generated = 0
    for kind in ("feature_generator", "text_encoder"):
        name = str(config.get(kind, "none"))
        if name != "none":
            component = PREPROCESSORS[kind][name]
            params = component_params(config, kind, name)
            generated += component.n_columns(params, properties)
    if config.get("categorical_encoder") != "onehot":
        return max(1, properties.n_features) + generated
    per_column = min(
        max(1, properties.max_cardinality),
        int(config.get("categorical_encoder:onehot:max_categories", 20)),
    )
    encoded = properties.n_numeric + properties.n_categorical * per_column
    return max(1, encoded) + generated
