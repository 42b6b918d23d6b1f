"""Shared fixtures: small real datasets and the estimator's test budget."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

#: Importing the toy family registers it; only its own test may do that (the
#: doctest collection would import it for the whole session).
collect_ignore = ["toy_family.py"]

#: Parameters that make a fit take a few seconds: what the tests call a "test budget".
#: One k-fold: repeats multiply a trial's time (their own tests ask for them).
TEST_BUDGET = {
    "time_limit": 60,
    "max_trials": 3,
    "n_jobs": 1,
    "random_state": 0,
    "cv_repeats": 1,
}


@pytest.fixture(scope="session")
def breast_cancer() -> tuple[pd.DataFrame, pd.Series]:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X, y


@pytest.fixture(scope="session")
def iris() -> tuple[pd.DataFrame, pd.Series]:
    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, y


@pytest.fixture(scope="session")
def diabetes() -> tuple[pd.DataFrame, pd.Series]:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    return X, y


@pytest.fixture(scope="session")
def mixed_frame() -> tuple[pd.DataFrame, pd.Series]:
    """A small real-looking table with strings, categories, bools, dates and NaN.

    Built from the iris measurements so that the target depends on the data.
    """
    X, y = load_iris(return_X_y=True, as_frame=True)
    rng = np.random.RandomState(0)
    n = len(X)
    frame = pd.DataFrame(
        {
            "sepal_length": X.iloc[:, 0].where(rng.rand(n) > 0.1),
            "petal_length": X.iloc[:, 2],
            "petal_width_bin": pd.cut(X.iloc[:, 3], 3, labels=["s", "m", "l"]).astype(
                str
            ),
            "colour": pd.Categorical(rng.choice(["red", "green", None], n)),
            "flag": rng.rand(n) > 0.5,
            "measured_on": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.randint(0, 365, n), unit="D"),
        }
    )
    labels = np.array(["setosa", "versicolor", "virginica"])[y.to_numpy()]
    return frame, pd.Series(labels, name="species")
