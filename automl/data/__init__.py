"""The data stage: validate input, infer column kinds, type the features.

``check_features`` and ``check_target`` validate what the user passed,
``FeatureTyper`` learns column kinds at fit and converts every later frame to
them, ``dataset_properties`` summarises the typed training table.
"""

from __future__ import annotations

from automl.data.properties import dataset_properties
from automl.data.typer import FeatureTyper
from automl.data.types import DatasetProperties, FeatureColumns, Task
from automl.data.validation import (
    check_features,
    check_groups,
    check_sample_weight,
    check_target,
)

__all__ = [
    "DatasetProperties",
    "FeatureColumns",
    "FeatureTyper",
    "Task",
    "check_features",
    "check_groups",
    "check_sample_weight",
    "check_target",
    "dataset_properties",
]
