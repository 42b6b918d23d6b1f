"""Metrics computed by the benchmark itself from each system's predictions.

binary: ROC AUC, log loss, balanced accuracy; multiclass: log loss, balanced
accuracy; regression: RMSE, R2. The main metric of each task is the one the
AutoML Benchmark uses and the one every system is told to optimise: ROC AUC,
log loss and RMSE.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import (
    balanced_accuracy_score,
    log_loss,
    mean_squared_error,
    r2_score,
    roc_auc_score,
)

MAIN_METRIC = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"}
TASK_METRICS = {
    "binary": ("roc_auc", "log_loss", "balanced_accuracy"),
    "multiclass": ("log_loss", "balanced_accuracy"),
    "regression": ("rmse", "r2"),
}
ALL_METRICS = ("roc_auc", "log_loss", "balanced_accuracy", "rmse", "r2")
GREATER_IS_BETTER = {
    "roc_auc": True,
    "log_loss": False,
    "balanced_accuracy": True,
    "rmse": False,
    "r2": True,
}
PROBA_FLOOR = 1e-15


def _lookup(classes: Sequence) -> dict:
    """Map each class and its string form to its position."""
    table = {str(c): i for i, c in enumerate(classes)}
    table.update({c: i for i, c in enumerate(classes)})
    return table


def align_proba(
    proba: np.ndarray, proba_classes: Sequence, classes: Sequence
) -> np.ndarray:
    """Reorder probability columns to a given label set.

    Parameters
    ----------
    proba : ndarray of shape (n_samples, n_proba_classes)
        Probabilities as the system returned them.
    proba_classes : sequence
        The system's class labels, one per column of ``proba``.
    classes : sequence
        The label set to align to (all training classes, sorted).

    Returns
    -------
    ndarray of shape (n_samples, len(classes))
        Clipped at ``1e-15`` and renormalised so that rows sum to one; a class
        the system did not return gets the floor probability.
    """
    proba = np.asarray(proba, dtype=float)
    if proba.ndim != 2 or proba.shape[1] != len(proba_classes):
        raise ValueError(
            f"predict_proba returned shape {proba.shape} for "
            f"{len(proba_classes)} classes"
        )
    if not np.isfinite(proba).all():
        raise ValueError("predict_proba returned non-finite values")
    table = _lookup(classes)
    out = np.zeros((proba.shape[0], len(classes)))
    for j, label in enumerate(proba_classes):
        position = table.get(label, table.get(str(label)))
        if position is None:
            raise ValueError(f"predict_proba has an unknown class {label!r}")
        out[:, position] += proba[:, j]
    out = np.clip(out, PROBA_FLOOR, None)
    return out / out.sum(axis=1, keepdims=True)


def align_labels(y_pred: Sequence, classes: Sequence) -> np.ndarray:
    """Map predicted labels onto the training label objects.

    Parameters
    ----------
    y_pred : sequence
        Predicted labels, possibly of another type (``"1"`` for ``1``).
    classes : sequence
        The training label set.

    Returns
    -------
    ndarray of object
        The predicted labels as training label objects; unknown labels stay
        as they are (and then count as errors).
    """
    table = _lookup(classes)
    labels = list(classes)
    return np.array([_as_label(v, labels, table) for v in y_pred], dtype=object)


def _as_label(value: object, labels: list, table: dict) -> object:
    if value in table:
        return labels[table[value]]
    key = str(value)
    return labels[table[key]] if key in table else value


def classification_metrics(
    task: str,
    y_true: pd.Series,
    y_pred: Sequence,
    proba: np.ndarray,
    classes: Sequence,
) -> dict[str, float]:
    """Compute the metrics of a classification task.

    Parameters
    ----------
    task : str
        ``binary`` or ``multiclass``.
    y_true : Series
        True test labels.
    y_pred : sequence
        Predicted labels.
    proba : ndarray of shape (n_samples, len(classes))
        Probabilities aligned to ``classes`` (see ``align_proba``).
    classes : sequence
        All training classes, sorted.

    Returns
    -------
    dict
        Metric name to value; ROC AUC is NaN when the test set has one class.
    """
    truth = np.asarray(y_true)
    result = {
        "log_loss": float(log_loss(truth, proba, labels=list(classes))),
        "balanced_accuracy": float(
            balanced_accuracy_score(
                truth.astype(str), align_labels(y_pred, classes).astype(str)
            )
        ),
    }
    if task == "binary":
        positive = truth == classes[1]
        both = 0 < positive.sum() < len(positive)
        result["roc_auc"] = (
            float(roc_auc_score(positive, proba[:, 1])) if both else math.nan
        )
    return result


def regression_metrics(y_true: pd.Series, y_pred: Sequence) -> dict[str, float]:
    """Compute RMSE and R2.

    Parameters
    ----------
    y_true : Series
        True test targets.
    y_pred : sequence
        Predictions.

    Returns
    -------
    dict
        ``{"rmse": ..., "r2": ...}``.
    """
    pred = np.asarray(y_pred, dtype=float).ravel()
    if not np.isfinite(pred).all():
        raise ValueError("predict returned non-finite values")
    truth = np.asarray(y_true, dtype=float)
    return {
        "rmse": float(math.sqrt(mean_squared_error(truth, pred))),
        "r2": float(r2_score(truth, pred)),
    }


def higher_is_better(metric: str, value: float) -> float:
    """Return a metric value turned so that higher is better.

    Parameters
    ----------
    metric : str
        Metric name.
    value : float
        Its value.

    Returns
    -------
    float
        ``value`` or ``-value``.
    """
    return value if GREATER_IS_BETTER[metric] else -value
