"""Temperature scaling and decision rules on real out-of-fold predictions."""

from __future__ import annotations

import numpy as np
import pytest

from automl.ensemble.calibration import Calibration, calibrate, with_prior
from automl.metrics import get_metric
from automl.policy import Policy
from tests.test_ensemble.problems import Problem


def _oof(problem: Problem, family: str = "lightgbm") -> np.ndarray:
    candidate = next(c for c in problem.candidates if c.family == family)
    proba = np.asarray(candidate.predictions, dtype=float)
    return np.clip(proba, 1e-6, 1.0)


def _sharpened(proba: np.ndarray, power: float) -> np.ndarray:
    sharp = proba**power
    return sharp / sharp.sum(axis=1, keepdims=True)


def test_an_overconfident_model_gets_a_temperature_that_lowers_log_loss(
    binary_problem: Problem,
) -> None:
    y = binary_problem.data.y
    metric = get_metric("log_loss", "binary")
    overconfident = _sharpened(_oof(binary_problem, "knn"), 4.0)
    calibration = calibrate(overconfident, y, metric)
    assert calibration.temperature > 1.5  # softens what was sharpened
    before = metric.loss(y, overconfident)
    assert metric.loss(y, calibration.proba(overconfident)) < before
    assert "temperature" in calibration.notes[0]
    # Rankings are kept: the labels do not move.
    np.testing.assert_array_equal(
        calibration.labels(calibration.proba(overconfident)),
        np.argmax(overconfident, axis=1),
    )


def test_a_temperature_that_gains_less_than_one_percent_is_not_kept(
    binary_problem: Problem,
) -> None:
    y = binary_problem.data.y
    metric = get_metric("log_loss", "binary")
    # slightly softened: a temperature helps (0.2 % cross-fitted), not by 1 %
    nearly = _sharpened(_oof(binary_problem, "lightgbm"), 0.9)
    crossed = calibrate(nearly, y, metric)
    assert crossed.temperature == 1.0
    assert "not kept" in crossed.notes[0]
    # with the margin of the other corrections it would have been kept
    gain = Policy().calibration_min_gain
    assert calibrate(nearly, y, metric, temperature_min_gain=gain).temperature != 1.0


def test_ranking_metrics_keep_no_temperature_unless_judged_on_log_loss(
    binary_problem: Problem,
) -> None:
    """Judged on log loss, a temperature leaves a binary ROC AUC as it was (it
    keeps every row's ranking) and makes the probabilities worth reading."""
    y = binary_problem.data.y
    overconfident = _sharpened(_oof(binary_problem, "knn"), 4.0)
    auc, log_loss = get_metric("roc_auc", "binary"), get_metric("log_loss", "binary")
    assert calibrate(overconfident, y, auc, judge_on_log_loss=False).temperature == 1.0
    calibration = calibrate(overconfident, y, auc, judge_on_log_loss=True)
    assert calibration.temperature > 1.0  # softened
    calibrated = calibration.proba(overconfident)
    assert log_loss.loss(y, calibrated) < log_loss.loss(y, overconfident)
    assert auc.loss(y, calibrated) == pytest.approx(auc.loss(y, overconfident))
    assert "log_loss" in calibration.notes[0]


def test_a_skewed_binary_model_gets_the_threshold_that_helps_accuracy(
    binary_problem: Problem,
) -> None:
    y = binary_problem.data.y
    metric = get_metric("accuracy", "binary")
    proba = _oof(binary_problem)
    skewed = np.column_stack([proba[:, 0] ** 0.2, proba[:, 1] ** 5])
    skewed /= skewed.sum(axis=1, keepdims=True)  # class 1 under-predicted
    calibration = calibrate(skewed, y, metric)
    assert calibration.threshold is not None and calibration.threshold < 0.5
    tuned = metric.loss(y, calibration.labels(calibration.proba(skewed)))
    assert tuned < metric.loss(y, np.argmax(skewed, axis=1))


def test_a_kept_decision_rule_never_loses_on_the_rows_it_was_checked_on(
    binary_problem: Problem,
) -> None:
    y = binary_problem.data.y
    proba = _oof(binary_problem)
    metric = get_metric("accuracy", "binary")
    calibration = calibrate(proba, y, metric)
    tuned = metric.loss(y, calibration.labels(calibration.proba(proba)))
    assert tuned <= metric.loss(y, np.argmax(proba, axis=1))
    assert any("threshold" in note for note in calibration.notes)


def test_a_given_threshold_is_used_as_is(binary_problem: Problem) -> None:
    proba = _oof(binary_problem)
    metric = get_metric("accuracy", "binary")
    calibration = calibrate(proba, binary_problem.data.y, metric, threshold=0.9)
    assert calibration.threshold == 0.9
    np.testing.assert_array_equal(
        calibration.labels(proba), (proba[:, 1] >= 0.9).astype(int)
    )


def test_minority_classes_get_weights_for_balanced_accuracy(
    multiclass_problem: Problem,
) -> None:
    proba = _oof(multiclass_problem, "linear")  # soft probabilities
    y = multiclass_problem.data.y
    # Keep few rows of class 2 and make the model shy of predicting it.
    keep = np.flatnonzero((y != 2) | (np.cumsum(y == 2) <= 8))
    proba, y = proba[keep], y[keep]
    shy = proba * np.array([1.0, 1.0, 0.05])
    shy /= shy.sum(axis=1, keepdims=True)
    metric = get_metric("balanced_accuracy", "multiclass")
    calibration = calibrate(shy, y, metric)
    assert calibration.class_weights is not None
    assert np.argmax(calibration.class_weights) == 2  # the rarest class
    weighted = metric.loss(y, calibration.labels(shy))
    assert weighted < metric.loss(y, np.argmax(shy, axis=1))


def test_identity_changes_nothing() -> None:
    proba = np.array([[0.2, 0.8], [0.6, 0.4]])
    identity = Calibration()
    np.testing.assert_allclose(identity.proba(proba), proba)
    np.testing.assert_array_equal(identity.labels(proba), [1, 0])
    assert identity.as_dict()["temperature"] == 1.0


@pytest.mark.parametrize("power", [0.25, 4.0])
def test_fitted_temperature_undoes_a_known_one(
    binary_problem: Problem, power: float
) -> None:
    # p ** power is temperature 1 / power away from p: the fit finds about it.
    proba = _sharpened(_oof(binary_problem, "linear"), power)
    calibration = calibrate(
        proba, binary_problem.data.y, get_metric("log_loss", "binary")
    )
    expected = power  # undoing p ** power needs (p ** power) ** (1 / power)
    assert calibration.temperature == pytest.approx(expected, rel=0.5)


def test_the_probability_floor_bounds_confidence_and_keeps_rankings(
    multiclass_problem: Problem, binary_problem: Problem
) -> None:
    y = multiclass_problem.data.y
    certain = np.eye(3)[np.argmax(_oof(multiclass_problem, "knn"), axis=1)]
    accuracy = get_metric("accuracy", "multiclass")
    plain = calibrate(certain, y, accuracy, judge_on_log_loss=False)  # no temperature
    calibration = with_prior(plain, y, 3, rows=1.0)
    proba = calibration.proba(certain)
    prior = np.bincount(y) / len(y)
    assert calibration.floor == pytest.approx(1 / (len(y) + 1))
    np.testing.assert_allclose(proba.min(axis=0), calibration.floor * prior)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    log_loss = get_metric("log_loss", "multiclass")
    assert (proba[np.arange(len(y)), y] < 0.5).any()  # some rows are wrong ...
    assert log_loss.loss(y, proba) < log_loss.loss(y, certain) / 3  # ... less so
    # Binary: ROC AUC and a tuned threshold's labels do not move.
    yb = binary_problem.data.y
    oof = _oof(binary_problem)
    accuracy = get_metric("accuracy", "binary")  # a tuned threshold
    plain = calibrate(oof, yb, accuracy)
    floored = with_prior(plain, yb, 2, rows=1.0)
    np.testing.assert_array_equal(
        floored.labels(floored.proba(oof)), plain.labels(plain.proba(oof))
    )
    auc = get_metric("roc_auc", "binary")
    assert auc.loss(yb, floored.proba(oof)) == pytest.approx(auc.loss(yb, oof))
