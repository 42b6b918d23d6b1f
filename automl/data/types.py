"""Column kinds and dataset properties: what the data stage hands to the flow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Task = Literal["binary", "multiclass", "regression"]
TASKS: tuple[Task, ...] = ("binary", "multiclass", "regression")


@dataclass(frozen=True)
class FeatureColumns:
    """Names of the columns of a *typed* frame (the data stage's output), by kind.

    Numeric columns hold ``float64`` (bools as 0/1, datetimes expanded into numeric
    parts); categorical columns hold a pandas ``category`` dtype whose categories
    are strings fixed at fit time (an unseen value becomes missing).
    """

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    #: The numeric columns derived from datetime inputs (a subset of ``numeric``).
    datetime: tuple[str, ...] = ()
    #: Free-text columns (object arrays of strings, NaN for missing).
    text: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        return self.numeric + self.categorical + self.text


@dataclass(frozen=True)
class DatasetProperties:
    """Cheap facts about a typed training table that the search space depends on.

    Built by ``automl.data.dataset_properties`` from the typed frame:
    ``n_features`` counts typed columns (after datetime expansion and dropping
    constant columns); ``n_numeric`` includes the ``n_datetime`` numeric columns
    derived from datetime inputs; ``max_cardinality`` is the largest number of
    categories of a categorical column (0 without any); ``missing_fraction`` is
    the share of missing cells; ``n_classes`` is None for regression;
    ``n_text`` counts free-text columns (also in ``n_features``).
    """

    n_rows: int
    n_features: int
    n_numeric: int
    n_categorical: int
    n_datetime: int
    has_missing_numeric: bool
    has_missing_categorical: bool
    max_cardinality: int
    missing_fraction: float
    task: Task
    n_classes: int | None = None
    n_text: int = 0
