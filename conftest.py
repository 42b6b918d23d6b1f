"""Collection rules shared by the tests and the doctests of ``automl/``.

Lives at the repository root (not in the package) so that it reaches the
doctests collected from ``automl/`` without shipping in the wheel.
"""

from __future__ import annotations

import pytest
from _pytest.doctest import DoctestItem

#: A doctest that fits one of these takes seconds: it belongs to the slow tier.
FITTING = ("AutoClassifier(", "AutoRegressor(")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if isinstance(item, DoctestItem) and any(
            marker in example.source
            for example in item.dtest.examples
            for marker in FITTING
        ):
            item.add_marker(pytest.mark.slow)
