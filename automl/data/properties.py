"""``dataset_properties``: cheap facts about a typed training table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from automl.data.types import TASKS, DatasetProperties, FeatureColumns, Task


def dataset_properties(
    Xt: pd.DataFrame,
    columns: FeatureColumns,
    *,
    task: Task,
    n_classes: int | None = None,
) -> DatasetProperties:
    """Summarise a typed frame (the output of ``FeatureTyper.transform``).

    Parameters
    ----------
    Xt : pandas.DataFrame
        The typed training features.
    columns : FeatureColumns
        Their kinds (``FeatureTyper.columns_``).
    task : {"binary", "multiclass", "regression"}
        The learning task.
    n_classes : int, optional
        Number of classes; required for ``"binary"`` (2) and ``"multiclass"``
        (at least 3), ignored (stored as None) for ``"regression"``.

    Returns
    -------
    DatasetProperties
        ``n_features`` counts typed columns; ``n_numeric`` includes the
        ``n_datetime`` numeric columns derived from datetime inputs;
        ``max_cardinality`` is the largest number of categories (0 without
        categorical columns); ``missing_fraction`` is the share of missing cells.
    """
    n_classes = _check_task(task, n_classes)
    numeric_missing = _numeric_missing(Xt, columns.numeric)
    categorical_missing = _categorical_missing(Xt, columns.categorical)
    n_cells = len(Xt) * len(columns.all)
    cardinalities = [len(Xt[name].cat.categories) for name in columns.categorical]
    return DatasetProperties(
        n_rows=len(Xt),
        n_features=len(columns.all),
        n_numeric=len(columns.numeric),
        n_categorical=len(columns.categorical),
        n_datetime=len(columns.datetime),
        has_missing_numeric=numeric_missing > 0,
        has_missing_categorical=categorical_missing > 0,
        max_cardinality=max(cardinalities, default=0),
        missing_fraction=(numeric_missing + categorical_missing) / max(n_cells, 1),
        task=task,
        n_classes=n_classes,
        n_text=len(columns.text),
    )


def _check_task(task: str, n_classes: int | None) -> int | None:
    """Validate ``task`` and ``n_classes``; return the n_classes to store."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {list(TASKS)}, got {task!r}.")
    if task == "regression":
        return None
    minimum = 2 if task == "binary" else 3
    if (
        n_classes is None
        or n_classes < minimum
        or (task == "binary" and n_classes != 2)
    ):
        raise ValueError(
            f"task={task!r} needs n_classes {'== 2' if task == 'binary' else '>= 3'},"
            f" got n_classes={n_classes!r}."
        )
    return int(n_classes)


def _numeric_missing(Xt: pd.DataFrame, names: tuple[str, ...]) -> int:
    """Number of NaN cells in the numeric columns."""
    # Column by column: converting the table to one float64 array would copy
    # it (twice its size when it is float32).
    return int(sum(np.isnan(Xt[name].to_numpy()).sum() for name in names))


def _categorical_missing(Xt: pd.DataFrame, names: tuple[str, ...]) -> int:
    """Number of missing cells in the categorical columns."""
    return int(sum((Xt[name].cat.codes.to_numpy() < 0).sum() for name in names))
