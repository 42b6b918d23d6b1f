"""automl: scikit-learn compatible AutoML for tabular data.

The estimators are imported lazily, so that worker processes importing
``automl.evaluation`` do not pay for the search stack (SMAC).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["AutoClassifier", "AutoRegressor", "__version__"]

if TYPE_CHECKING:
    from automl.estimators import AutoClassifier, AutoRegressor


def __getattr__(name: str) -> Any:
    if name in ("AutoClassifier", "AutoRegressor"):
        from automl import estimators

        return getattr(estimators, name)
    raise AttributeError(f"module 'automl' has no attribute {name!r}")
