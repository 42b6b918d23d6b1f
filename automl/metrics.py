"""Metrics as losses: what the search minimises and the ensemble optimises.

Every metric becomes a :class:`Metric` that turns predictions into a *loss*
(lower is better, 0 is the optimum for the built-in metrics) and knows a finite
worst-case loss for crashed trials (SMAC's surrogate breaks on ``inf``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from numbers import Real
from typing import Any

import numpy as np
from scipy.stats import rankdata
from sklearn import metrics as skm
from sklearn.metrics._scorer import _BaseScorer

from automl.data.types import Task

PredictionKind = str  # "label", "proba" or "value"

_EPS = 1e-15


@dataclass(frozen=True)
class Metric:
    """A metric seen as a loss to minimise.

    Parameters
    ----------
    name : str
        Name shown in the leaderboard.
    score_func : callable
        ``score_func(y_true, y_pred) -> float``; ``y_pred`` is labels, class
        probabilities (n_samples, n_classes) or values, as ``needs``.
    greater_is_better : bool
        Whether a higher score is better.
    needs : {"label", "proba", "value"}
        What the score function expects.
    optimum : float or None
        The best achievable score, when known.
    worst : float or None
        The worst achievable score, when known (finite).
    quantile_levels : tuple of float or None
        The pinball loss's quantile levels: predictions then have one column
        per level (see :func:`pinball`).
    """

    name: str
    score_func: Callable[..., float]
    greater_is_better: bool
    needs: PredictionKind
    optimum: float | None = None
    worst: float | None = None
    quantile_levels: tuple[float, ...] | None = None

    def loss(
        self,
        y_true: np.ndarray,
        y_pred: np.ndarray,
        sample_weight: np.ndarray | None = None,
    ) -> float:
        """Loss of predictions (lower is better), weighted if weights are given."""
        if sample_weight is None:
            return self.score_to_loss(float(self.score_func(y_true, y_pred)))
        score = self.score_func(y_true, y_pred, sample_weight=sample_weight)
        return self.score_to_loss(float(score))

    @property
    def takes_sample_weight(self) -> bool:
        """Whether the score function accepts ``sample_weight``."""
        func = self.score_func
        if isinstance(func, partial):
            func = func.func
        try:
            parameters = inspect.signature(func).parameters
        except (TypeError, ValueError):
            return False
        return "sample_weight" in parameters or any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
        )

    def score_to_loss(self, score: float) -> float:
        offset = self.optimum if self.optimum is not None else 0.0
        return offset - score if self.greater_is_better else score - offset

    def loss_to_score(self, loss: float) -> float:
        offset = self.optimum if self.optimum is not None else 0.0
        return offset - loss if self.greater_is_better else loss + offset

    @property
    def worst_loss(self) -> float | None:
        """Loss of the worst possible score, or None if the metric is unbounded."""
        return None if self.worst is None else self.score_to_loss(self.worst)


def _roc_auc(
    y_true: np.ndarray, proba: np.ndarray, sample_weight: np.ndarray | None = None
) -> float:
    if proba.shape[1] == 2:
        return float(
            skm.roc_auc_score(y_true, proba[:, 1], sample_weight=sample_weight)
        )
    return float(
        skm.roc_auc_score(
            y_true,
            proba,
            multi_class="ovr",
            labels=np.arange(proba.shape[1]),
            sample_weight=sample_weight,
        )
    )


def _log_loss(
    y_true: np.ndarray, proba: np.ndarray, sample_weight: np.ndarray | None = None
) -> float:
    return float(
        skm.log_loss(
            y_true,
            np.clip(proba, _EPS, 1 - _EPS),
            labels=np.arange(proba.shape[1]),
            sample_weight=sample_weight,
        )
    )


def _rmse(
    y_true: np.ndarray, y_pred: np.ndarray, sample_weight: np.ndarray | None = None
) -> float:
    return float(
        skm.root_mean_squared_error(y_true, y_pred, sample_weight=sample_weight)
    )


def _pinball_rows(
    y_true: np.ndarray, quantiles: np.ndarray, levels: tuple[float, ...]
) -> np.ndarray:
    """Each row's pinball loss, averaged over the levels."""
    diff = np.asarray(y_true, dtype=np.float64)[:, None] - quantiles
    tau = np.asarray(levels)
    return np.mean(np.maximum(tau * diff, (tau - 1) * diff), axis=1)


def _pinball_score(
    y_true: np.ndarray,
    quantiles: np.ndarray,
    sample_weight: np.ndarray | None = None,
    *,
    levels: tuple[float, ...],
) -> float:
    rows = _pinball_rows(y_true, np.asarray(quantiles).reshape(len(y_true), -1), levels)
    return float(np.average(rows, weights=sample_weight))


def pinball(levels: Sequence[float]) -> Metric:
    """The pinball (quantile) loss averaged over ``levels``.

    For a level ``tau`` and a prediction ``q`` of ``y`` the loss is
    ``max(tau (y - q), (tau - 1) (y - q))``; it is smallest when ``q`` is the
    ``tau`` quantile of ``y`` given the features. Scikit-learn's
    ``mean_pinball_loss`` for one level.

    Parameters
    ----------
    levels : sequence of float
        Quantile levels strictly between 0 and 1, distinct.

    Returns
    -------
    Metric
        Predictions have one column per level, in the order of ``levels``.

    Raises
    ------
    ValueError
        If the levels are not distinct numbers strictly between 0 and 1.
    """
    checked = check_quantile_levels(levels)
    return Metric(
        "pinball",
        partial(_pinball_score, levels=checked),
        False,
        "value",
        0.0,
        quantile_levels=checked,
    )


def check_quantile_levels(levels: Any) -> tuple[float, ...]:
    """``levels`` as a sorted tuple, or a ValueError saying what is wrong."""
    if isinstance(levels, Real):
        levels = [levels]
    try:
        values = [float(v) for v in levels]
    except (TypeError, ValueError):
        values = []
    if (
        not values
        or any(not 0 < v < 1 for v in values)
        or len(set(values)) < len(values)
    ):
        raise ValueError(
            "quantile_levels must be distinct numbers strictly between 0 and 1, "
            f"e.g. [0.05, 0.5, 0.95]; got {levels!r}."
        )
    return tuple(sorted(values))


_LOG_LOSS_WORST = -np.log(_EPS)

CLASSIFICATION_METRICS: dict[str, Metric] = {
    "roc_auc": Metric("roc_auc", _roc_auc, True, "proba", 1.0, 0.0),
    "log_loss": Metric("log_loss", _log_loss, False, "proba", 0.0, _LOG_LOSS_WORST),
    "accuracy": Metric("accuracy", skm.accuracy_score, True, "label", 1.0, 0.0),
    "balanced_accuracy": Metric(
        "balanced_accuracy", skm.balanced_accuracy_score, True, "label", 1.0, 0.0
    ),
    "f1": Metric("f1", skm.f1_score, True, "label", 1.0, 0.0),
    "f1_macro": Metric(
        "f1_macro", partial(skm.f1_score, average="macro"), True, "label", 1.0, 0.0
    ),
}

REGRESSION_METRICS: dict[str, Metric] = {
    "rmse": Metric("rmse", _rmse, False, "value", 0.0),
    "mae": Metric("mae", skm.mean_absolute_error, False, "value", 0.0),
    "mse": Metric("mse", skm.mean_squared_error, False, "value", 0.0),
    "r2": Metric("r2", skm.r2_score, True, "value", 1.0),
}

DEFAULT_METRIC: dict[Task, str] = {
    "binary": "roc_auc",
    "multiclass": "log_loss",
    "regression": "rmse",
}

_ALIASES = {
    "auc": "roc_auc",
    "logloss": "log_loss",
    "neg_log_loss": "log_loss",
    "neg_root_mean_squared_error": "rmse",
    "neg_mean_absolute_error": "mae",
    "neg_mean_squared_error": "mse",
}


def get_metric(
    metric: str | _BaseScorer | None,
    task: Task,
    quantile_levels: Sequence[float] | None = None,
) -> Metric:
    """Resolve the user's ``metric`` parameter for a task.

    Parameters
    ----------
    metric : str, scikit-learn scorer or None
        A name from :data:`CLASSIFICATION_METRICS` / :data:`REGRESSION_METRICS`
        or "pinball" (some scikit-learn scorer names are accepted as aliases),
        a scorer made by :func:`sklearn.metrics.make_scorer`, or None for the
        task's default ("pinball" when there are ``quantile_levels``).
    task : {"binary", "multiclass", "regression"}
    quantile_levels : sequence of float or None, default=None
        The levels of quantile regression (see :func:`pinball`).

    Returns
    -------
    Metric
    """
    if quantile_levels is not None or metric == "pinball":
        return _quantile_metric(metric, task, quantile_levels)
    if metric is None:
        metric = DEFAULT_METRIC[task]
    if isinstance(metric, _BaseScorer):
        return _from_scorer(metric)
    table = REGRESSION_METRICS if task == "regression" else CLASSIFICATION_METRICS
    name = _ALIASES.get(metric, metric)
    if name not in table:
        kind = "regression" if task == "regression" else "classification"
        raise ValueError(
            f"Unknown metric {metric!r} for {kind}. Use one of "
            f"{sorted(table)} or a scorer made with sklearn.metrics.make_scorer."
        )
    if name == "f1" and task == "multiclass":
        raise ValueError(
            "metric='f1' is for binary targets; this target has more than two "
            "classes. Use metric='f1_macro'."
        )
    return table[name]


def _quantile_metric(
    metric: Any, task: Task, quantile_levels: Sequence[float] | None
) -> Metric:
    if task != "regression":
        raise ValueError(
            "quantile_levels and metric='pinball' are for regression; this "
            f"target is {task}. Use AutoRegressor on a numeric target."
        )
    if quantile_levels is None:
        raise ValueError(
            "metric='pinball' needs the quantiles to predict: pass "
            "quantile_levels, e.g. quantile_levels=[0.05, 0.5, 0.95]."
        )
    if metric not in (None, "pinball"):
        raise ValueError(
            f"quantile_levels are scored with the pinball loss, not {metric!r}; "
            "leave metric=None (or 'pinball')."
        )
    return pinball(quantile_levels)


def _from_scorer(scorer: _BaseScorer) -> Metric:
    response = scorer._response_method
    if isinstance(response, tuple | list):
        response = response[-1]
    needs = {"predict": "label", "predict_proba": "proba"}.get(response)
    if needs is None:
        raise ValueError(
            f"Scorers that need {response!r} are not supported; use a scorer based "
            "on predict or predict_proba (make_scorer(..., response_method=...))."
        )
    func = scorer._score_func
    name = getattr(func, "__name__", "custom_scorer")
    return Metric(name, partial(func, **scorer._kwargs), scorer._sign > 0, needs)


def fast_loss(metric: Metric, task: Task) -> Callable[..., float] | None:
    """A numpy version of a built-in metric's loss, or None.

    Ensemble selection evaluates the loss thousands of times on the same
    rows; scikit-learn's input checks cost about 2 ms a call, these a few
    microseconds. They give scikit-learn's values, weighted when given
    ``sample_weight`` (ROC AUC as the rank statistic with ties counted half;
    log loss on clipped probabilities; RMSE).
    """
    if metric is CLASSIFICATION_METRICS["roc_auc"] and task == "binary":
        return _fast_binary_auc_loss
    if metric is CLASSIFICATION_METRICS["log_loss"] and task != "regression":
        return _fast_log_loss
    if metric is REGRESSION_METRICS["rmse"] and task == "regression":
        return _fast_rmse
    if metric.quantile_levels is not None:
        return metric.score_func  # numpy already
    return None


def _fast_binary_auc_loss(
    y_true: np.ndarray, proba: np.ndarray, sample_weight: np.ndarray | None = None
) -> float:
    positive = y_true == 1
    if sample_weight is None:
        n_pos = int(positive.sum())
        n_neg = len(y_true) - n_pos
        if n_pos == 0 or n_neg == 0:
            raise ValueError("ROC AUC needs both classes among the rows.")
        ranks = rankdata(proba[:, 1])
        auc = (ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
        return 1.0 - float(auc)
    # The weighted rank statistic: each positive's weight times the weight of
    # the negatives scored below it, ties counted half.
    scores, inverse = np.unique(proba[:, 1], return_inverse=True)
    w_pos = np.bincount(
        inverse, weights=sample_weight * positive, minlength=len(scores)
    )
    w_neg = np.bincount(
        inverse, weights=sample_weight * ~positive, minlength=len(scores)
    )
    total_pos, total_neg = w_pos.sum(), w_neg.sum()
    if total_pos <= 0 or total_neg <= 0:
        raise ValueError("ROC AUC needs both classes among the weighted rows.")
    below = np.cumsum(w_neg) - w_neg
    auc = float(np.sum(w_pos * (below + 0.5 * w_neg))) / (total_pos * total_neg)
    return 1.0 - auc


def _fast_log_loss(
    y_true: np.ndarray, proba: np.ndarray, sample_weight: np.ndarray | None = None
) -> float:
    picked = np.clip(proba[np.arange(len(y_true)), y_true], _EPS, 1 - _EPS)
    return float(-np.average(np.log(picked), weights=sample_weight))


def _fast_rmse(
    y_true: np.ndarray, y_pred: np.ndarray, sample_weight: np.ndarray | None = None
) -> float:
    errors = (np.asarray(y_pred) - y_true) ** 2
    return float(np.sqrt(np.average(errors, weights=sample_weight)))


def row_losses(
    metric: Metric, task: Task, y_true: np.ndarray, y_pred: np.ndarray
) -> np.ndarray | None:
    """Each row's share of a built-in metric whose loss is a mean over rows
    (log loss, squared and absolute error, accuracy), else None.

    RMSE is judged by its rows' squared errors (its square is their mean).
    """
    if metric is CLASSIFICATION_METRICS["log_loss"] and task != "regression":
        picked = np.clip(y_pred[np.arange(len(y_true)), y_true], _EPS, 1 - _EPS)
        return -np.log(picked)
    if metric is CLASSIFICATION_METRICS["accuracy"] and task != "regression":
        return (np.argmax(y_pred, axis=1) != y_true).astype(np.float64)
    if task == "regression" and metric.name in ("rmse", "mse"):
        return (np.asarray(y_pred) - y_true) ** 2
    if task == "regression" and metric.name == "mae":
        return np.abs(np.asarray(y_pred) - y_true)
    if metric.quantile_levels is not None:
        return _pinball_rows(y_true, np.asarray(y_pred), metric.quantile_levels)
    return None


def loss_from_proba(
    metric: Metric,
    y_true: np.ndarray,
    proba: np.ndarray,
    sample_weight: np.ndarray | None = None,
) -> float:
    """Loss of class-probability predictions, whatever the metric needs."""
    if metric.needs == "label":
        return metric.loss(y_true, np.argmax(proba, axis=1), sample_weight)
    return metric.loss(y_true, proba, sample_weight)


def score_predictions(
    metric: Metric,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    task: Task,
    sample_weight: np.ndarray | None = None,
) -> float:
    """Loss of predictions made by a model: probabilities for classification."""
    if task == "regression":
        return metric.loss(y_true, y_pred, sample_weight)
    return loss_from_proba(metric, y_true, y_pred, sample_weight)


def crash_loss(metric: Metric, constant_loss: float) -> float:
    """A finite loss for failed trials: the metric's worst, else past a constant's."""
    worst = metric.worst_loss
    if worst is not None:
        return float(worst)
    return float(constant_loss + abs(constant_loss) + 1.0)
