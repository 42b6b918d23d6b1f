"""automl: scikit-learn compatible AutoML for tabular data.

The estimators are imported lazily, so that worker processes importing
``automl.evaluation`` do not pay for the search stack (SMAC).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from automl._version import __version__
from automl.policy import Policy

__all__ = ["AutoClassifier", "AutoRegressor", "Policy", "__version__", "load"]

if TYPE_CHECKING:
    from automl.estimators import AutoClassifier, AutoRegressor
    from automl.persistence import load


def __getattr__(name: str) -> Any:
    if name in ("AutoClassifier", "AutoRegressor"):
        from automl import estimators

        return getattr(estimators, name)
    if name == "load":
        from automl.persistence import load

        return load
    raise AttributeError(f"module 'automl' has no attribute {name!r}")
