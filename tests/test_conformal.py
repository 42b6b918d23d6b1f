"""Conformal intervals and prediction sets from out-of-fold predictions."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_wine
from sklearn.model_selection import train_test_split

import automl._base
from automl import AutoClassifier, AutoRegressor
from automl.ensemble.conformal import ConformityScores, conformal_quantile
from tests.conftest import TEST_BUDGET

matplotlib.use("Agg")


def test_the_finite_sample_rank_and_its_limit() -> None:
    scores = np.arange(1.0, 10.0)  # n = 9
    assert conformal_quantile(scores, 0.1) == 9.0  # rank ceil(0.9 * 10) = 9
    assert conformal_quantile(scores, 0.5) == 5.0  # rank ceil(0.5 * 10) = 5
    assert conformal_quantile(scores, 0.05) == math.inf  # rank 10 > n


def test_mondrian_sets_take_each_class_threshold_from_its_rows() -> None:
    proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]] * 10)
    y = np.array([0, 0, 1, 1] * 10)
    scores = ConformityScores.of_classification(proba, y)
    plain = scores.sets(proba, 0.2, mondrian=False)
    mondrian = scores.sets(proba, 0.2, mondrian=True)
    # Class 1's rows are predicted worse: its own threshold is looser.
    assert mondrian[:, 1].sum() >= plain[:, 1].sum()
    assert mondrian[:, 0].sum() <= plain[:, 0].sum()
    assert plain[y == 0, 0].all()


@pytest.fixture(scope="module")
def diabetes_fit():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.4, random_state=0
    )
    return AutoRegressor(**TEST_BUDGET).fit(X_train, y_train), X_test, y_test


@pytest.mark.slow
def test_intervals_cover_new_rows_at_the_promised_rate(diabetes_fit) -> None:
    reg, X_test, y_test = diabetes_fit
    pred = reg.predict(X_test)
    widths = {}
    for alpha in (0.05, 0.1, 0.3):
        bounds = reg.predict_interval(X_test, alpha=alpha, adaptive=False)
        assert bounds.shape == (len(X_test), 2)
        np.testing.assert_allclose(bounds.mean(axis=1), pred)
        covered = np.mean((bounds[:, 0] <= y_test) & (y_test <= bounds[:, 1]))
        # 177 test rows: the standard error of a 90 % coverage is 2.3 points.
        assert abs(covered - (1 - alpha)) < 0.08, (alpha, covered)
        widths[alpha] = float(np.mean(bounds[:, 1] - bounds[:, 0]))
    assert widths[0.05] > widths[0.1] > widths[0.3] > 0
    adaptive = reg.predict_interval(X_test, alpha=0.1, adaptive=True)
    np.testing.assert_allclose(adaptive.mean(axis=1), pred)
    half = (adaptive[:, 1] - adaptive[:, 0]) / 2
    assert half.std() > 0.05 * half.mean()  # the width follows the row
    covered = np.mean((adaptive[:, 0] <= y_test) & (y_test <= adaptive[:, 1]))
    assert abs(covered - 0.9) < 0.08, covered
    with pytest.raises(ValueError, match="between 0 and 1"):
        reg.predict_interval(X_test, alpha=1.5)


@pytest.mark.slow
def test_by_default_the_intervals_are_the_kind_narrower_out_of_fold(
    diabetes_fit,
) -> None:
    reg, X_test, _ = diabetes_fit
    scores = reg.model_.conformity
    assert scores.scale is not None
    for alpha in (0.05, 0.1, 0.3):
        plain = scores.oof_half_widths(alpha).mean()
        adaptive = scores.oof_half_widths(alpha, adaptive=True).mean()
        chosen = reg.predict_interval(X_test, alpha, adaptive=bool(adaptive < plain))
        np.testing.assert_allclose(reg.predict_interval(X_test, alpha), chosen)
    with pytest.raises(ValueError, match="True, False or 'auto'"):
        reg.predict_interval(X_test, adaptive="yes")


@pytest.mark.slow
def test_the_out_of_fold_coverage_is_shown_and_plotted(diabetes_fit) -> None:
    reg = diabetes_fit[0]
    scores = reg.model_.conformity
    assert 0.9 <= scores.oof_coverage(0.1) < 0.92  # the rank rule, on ~265 rows
    assert "out-of-fold coverage" in reg.summary()
    ax = reg.plot_intervals(alpha=0.1, adaptive=True)
    inside = scores.oof_coverage(0.1, adaptive=True)
    assert f"{inside:.1%} of {len(scores.scores):,} out-of-fold rows" in ax.get_title()
    assert len(ax.containers) == 2  # inside and outside their interval


@pytest.mark.slow
def test_prediction_sets_cover_new_rows_and_mondrian_covers_each_class() -> None:
    X, y = load_wine(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.4, random_state=0, stratify=y
    )
    clf = AutoClassifier(**TEST_BUDGET).fit(X_train, y_train)
    codes = np.searchsorted(clf.classes_, y_test)
    rows = np.arange(len(y_test))
    for mondrian in (False, True):
        sets = clf.predict_set(X_test, alpha=0.1, mondrian=mondrian)
        assert sets.shape == (len(y_test), 3) and sets.dtype == bool
        assert np.mean(sets[rows, codes]) >= 0.85
    small = clf.predict_set(X_test, alpha=0.3).sum(axis=1).mean()
    large = clf.predict_set(X_test, alpha=0.02).sum(axis=1).mean()
    assert small <= large


@pytest.mark.slow
def test_rows_are_typed_and_predicted_in_batches_with_the_same_result(
    diabetes_fit, monkeypatch
) -> None:
    reg, X_test, _ = diabetes_fit
    whole = reg.predict(X_test)
    intervals = reg.predict_interval(X_test, adaptive=True)
    typed_rows = []
    transform = reg.typer_.transform

    def counting(X):
        typed_rows.append(len(X))
        return transform(X)

    monkeypatch.setattr(automl._base, "PREDICT_BATCH_ROWS", 50)
    monkeypatch.setattr(reg.typer_, "transform", counting)
    np.testing.assert_allclose(reg.predict(X_test), whole)
    assert typed_rows == [50, 50, 50, len(X_test) - 150]
    np.testing.assert_allclose(reg.predict_interval(X_test, adaptive=True), intervals)
