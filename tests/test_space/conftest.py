"""Fixtures of the space tests."""

from __future__ import annotations

import pytest

from automl.data.types import Task


@pytest.fixture(params=["binary", "multiclass", "regression"])
def task(request: pytest.FixtureRequest) -> Task:
    return request.param
