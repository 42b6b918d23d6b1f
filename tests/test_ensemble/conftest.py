"""Session fixtures: one real trial per fast family on each small dataset."""

from __future__ import annotations

import pandas as pd
import pytest

from automl.metrics import get_metric
from tests.test_ensemble.problems import Problem, make_trial_data


@pytest.fixture(scope="session")
def binary_problem(breast_cancer: tuple[pd.DataFrame, pd.Series]) -> Problem:
    X, y = breast_cancer
    data = make_trial_data(X, y.to_numpy(), "binary")
    return Problem(data, get_metric("log_loss", "binary"))


@pytest.fixture(scope="session")
def multiclass_problem(iris: tuple[pd.DataFrame, pd.Series]) -> Problem:
    X, y = iris
    data = make_trial_data(X, y.to_numpy(), "multiclass")
    return Problem(data, get_metric("log_loss", "multiclass"))


@pytest.fixture(scope="session")
def regression_problem(diabetes: tuple[pd.DataFrame, pd.Series]) -> Problem:
    X, y = diabetes
    data = make_trial_data(X, y.to_numpy(), "regression")
    return Problem(data, get_metric("rmse", "regression"))


@pytest.fixture(scope="session")
def holdout_problem(breast_cancer: tuple[pd.DataFrame, pd.Series]) -> Problem:
    X, y = breast_cancer
    data = make_trial_data(X, y.to_numpy(), "binary", kind="holdout")
    return Problem(data, get_metric("roc_auc", "binary"))
