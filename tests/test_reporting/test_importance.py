"""Permutation importance of the input columns of a fitted estimator."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.model_selection import train_test_split

from automl import AutoClassifier, AutoRegressor

matplotlib.use("Agg")
pytestmark = pytest.mark.slow

FAST = {"time_limit": 20, "max_trials": 3, "n_jobs": 1, "meta_learning": False}


@pytest.fixture(scope="module")
def classifier_and_test_rows() -> tuple[AutoClassifier, pd.DataFrame, pd.Series]:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X["noise"] = np.random.RandomState(0).normal(size=len(X))
    y = y.map({0: "malignant", 1: "benign"})
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.4, random_state=0, stratify=y
    )
    clf = AutoClassifier(include=["linear"], **FAST).fit(X_train, y_train)
    return clf, X_test, y_test


def test_informative_columns_matter_and_noise_does_not(
    classifier_and_test_rows: tuple[AutoClassifier, pd.DataFrame, pd.Series],
) -> None:
    clf, X_test, y_test = classifier_and_test_rows
    importance = clf.feature_importance(X_test, y_test, n_repeats=3)
    assert set(importance.index) == set(X_test.columns)
    assert list(importance.columns) == [
        "importance",
        "stddev",
        "p_value",
        "ci_low",
        "ci_high",
    ]
    assert importance["importance"].is_monotonic_decreasing
    top = importance.iloc[0]
    assert top["importance"] > 0 and top["p_value"] < 0.05
    assert importance.loc["noise", "p_value"] > 0.05
    assert importance.attrs["metric"] == clf.metric_.name
    assert (importance.attrs["n_rows"], importance.attrs["n_repeats"]) == (
        len(X_test),
        3,
    )
    ax = clf.plot_importance(importance, top=5)
    assert len(ax.patches) == 5


def test_the_time_limit_cuts_rows_then_repeats(
    classifier_and_test_rows: tuple[AutoClassifier, pd.DataFrame, pd.Series],
) -> None:
    clf, X_test, y_test = classifier_and_test_rows
    quick = clf.feature_importance(X_test, y_test, time_limit=1e-9)
    assert (quick.attrs["n_rows"], quick.attrs["n_repeats"]) == (200, 2)
    sampled = clf.feature_importance(
        X_test, y_test, n_repeats=2, max_rows=100, time_limit=None
    )
    assert sampled.attrs["n_rows"] == 100
    with pytest.raises(ValueError, match="same rows"):
        clf.feature_importance(X_test, y_test.iloc[:-1])


def test_a_regressor_reports_its_string_columns_by_name() -> None:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    X["bmi_band"] = pd.cut(X["bmi"], 4, labels=["low", "mid", "high", "top"]).astype(
        str
    )
    X = X.drop(columns="bmi")
    reg = AutoRegressor(include=["linear"], **FAST).fit(X, y)
    importance = reg.feature_importance(X, y, n_repeats=3)
    assert "bmi_band" in importance.index
    assert importance.loc["bmi_band", "importance"] > 0
    assert importance.attrs["metric"] == "rmse"
