"""Metrics from predictions, probabilities aligned to the training labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmarks.metrics import (
    align_proba,
    classification_metrics,
    higher_is_better,
    regression_metrics,
)


def test_align_proba_reorders_and_fills_missing_classes() -> None:
    proba = np.array([[0.2, 0.8], [0.6, 0.4]])
    aligned = align_proba(proba, ["c", "a"], ["a", "b", "c"])
    assert aligned.shape == (2, 3)
    assert np.allclose(aligned.sum(axis=1), 1)
    assert aligned[0, 0] == pytest.approx(0.8) and aligned[0, 2] == pytest.approx(0.2)
    assert aligned[0, 1] < 1e-12


def test_align_proba_matches_labels_of_another_type() -> None:
    aligned = align_proba(np.array([[0.1, 0.9]]), ["0", "1"], [0, 1])
    assert aligned[0, 1] == pytest.approx(0.9)
    with pytest.raises(ValueError, match="unknown class"):
        align_proba(np.array([[0.1, 0.9]]), ["0", "7"], [0, 1])


def test_binary_metrics_of_perfect_predictions() -> None:
    y = pd.Series(["no", "yes", "yes", "no"])
    proba = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    result = classification_metrics("binary", y, y.to_numpy(), proba, ["no", "yes"])
    assert result["roc_auc"] == 1.0 and result["balanced_accuracy"] == 1.0
    assert result["log_loss"] < 1e-6


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_multiclass_log_loss_uses_all_training_labels() -> None:
    y = pd.Series([0, 1])
    proba = np.full((2, 3), 1 / 3)
    result = classification_metrics("multiclass", y, [0, 2], proba, [0, 1, 2])
    assert result["log_loss"] == pytest.approx(np.log(3))
    assert result["balanced_accuracy"] == pytest.approx(0.5)
    assert "roc_auc" not in result


def test_regression_metrics_and_direction() -> None:
    result = regression_metrics(pd.Series([1.0, 2.0, 3.0]), [1.0, 2.0, 4.0])
    assert result["rmse"] == pytest.approx(np.sqrt(1 / 3))
    assert higher_is_better("rmse", 2.0) == -2.0
    assert higher_is_better("roc_auc", 0.9) == 0.9
