"""From the final model's probabilities to the user's predictions.

Two corrections fitted on the final model's out-of-fold (OOF) predictions,
each kept only when a cross-fitted check on those rows says it helps:

* **Temperature scaling** (Guo et al., 2017): probabilities ``p`` become
  ``p ** (1 / T)``, renormalised; one parameter, fitted by minimising the
  log loss. It keeps every row's ranking of the classes (so the most
  probable class, and a binary ROC AUC, do not change). It is judged on the
  fit's metric, so that for ROC AUC or label metrics it is never kept; or,
  with ``judge_on_log_loss``, on the log loss whatever the metric, so that a
  fit scored on ROC AUC or accuracy still returns probabilities worth
  reading (another metric that reads probabilities, a multiclass ROC AUC,
  must then not get worse on the same cross-fitted halves either).
* **The decision rule** for metrics on labels (accuracy, balanced accuracy,
  F1, a scorer on ``predict``): for a binary target the threshold on the
  positive class's probability that maximises the metric, for multiclass
  targets class weights ``1 / prior`` (argmax of ``p_k / prior_k``, the Bayes
  rule for balanced accuracy) when they help.

A third, :func:`with_prior` (``Policy.probability_floor_rows``, off by
default), mixes the class prior into the probabilities as a few rows added to
the OOF rows, so that no class gets a probability the OOF rows cannot
support; it is monotone per class (ROC AUC and rankings do not move).

For quantile regression, :func:`quantile_shifts`: a constant per level, so
that each predicted quantile holds its share of the OOF targets.

The check: the rows are split in two halves (stratified by class); the
correction is fitted on each half and scored on the other, and it is kept
only if that cross-fitted loss beats the uncorrected loss on the same halves
(both averaged over the halves, so that a metric that is not a mean over
rows, such as ROC AUC, is compared like with like).
The kept correction is then fitted on all rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar

from automl.metrics import CLASSIFICATION_METRICS, Metric, pinball
from automl.policy import DEFAULT_POLICY
from automl.resampling import halves_of

_EPS = 1e-12
#: Candidate thresholds: at most this many quantiles of the OOF probabilities.
N_THRESHOLDS = 256
#: What a temperature is judged on, whatever the fit's metric.
_LOG_LOSS = CLASSIFICATION_METRICS["log_loss"]


@dataclass(frozen=True)
class Calibration:
    """Temperature and decision rule of a classifier's final model.

    Parameters
    ----------
    temperature : float, default=1.0
        Probabilities become ``p ** (1 / temperature)``, renormalised.
    threshold : float or None, default=None
        Binary: class 1 when its probability is at least this; None: argmax.
    class_weights : tuple of float or None, default=None
        Multiclass: the label is the argmax of ``p * class_weights``.
    notes : tuple of str
        What was tried and kept, for ``ensemble_info_``.
    """

    temperature: float = 1.0
    threshold: float | None = None
    class_weights: tuple[float, ...] | None = None
    notes: tuple[str, ...] = ()
    #: Share of the class prior mixed into the probabilities (0: none).
    floor: float = 0.0
    prior: tuple[float, ...] | None = None

    def proba(self, proba: np.ndarray) -> np.ndarray:
        """Calibrated class probabilities (rows sum to 1)."""
        if self.temperature == 1.0:
            proba = proba / proba.sum(axis=1, keepdims=True)
        else:
            proba = _scaled(proba, self.temperature)
        if self.floor > 0 and self.prior is not None:
            proba = (1 - self.floor) * proba + self.floor * np.asarray(self.prior)
        return proba

    def labels(self, proba: np.ndarray) -> np.ndarray:
        """Class indices from (calibrated) probabilities, by the decision rule."""
        if self.threshold is not None:
            threshold = self.threshold
            if self.floor > 0 and self.prior is not None:  # tuned before the floor
                threshold = (1 - self.floor) * threshold + self.floor * self.prior[1]
            return (proba[:, 1] >= threshold).astype(np.int64)
        if self.class_weights is not None:
            return np.argmax(proba * np.asarray(self.class_weights), axis=1)
        return np.argmax(proba, axis=1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "temperature": self.temperature,
            "threshold": self.threshold,
            "class_weights": None
            if self.class_weights is None
            else list(self.class_weights),
            "notes": list(self.notes),
            "floor": self.floor,
        }


def calibrate(
    oof: np.ndarray,
    y: np.ndarray,
    metric: Metric,
    *,
    tune_decision: bool = True,
    threshold: float | None = None,
    seed: int = 0,
    min_gain: float = DEFAULT_POLICY.calibration_min_gain,
    temperature_min_gain: float = DEFAULT_POLICY.temperature_min_gain,
    judge_on_log_loss: bool = DEFAULT_POLICY.temperature_on_log_loss,
    sample_weight: np.ndarray | None = None,
) -> Calibration:
    """Fit the corrections that help on the OOF predictions (module docstring).

    Parameters
    ----------
    oof : ndarray of shape (n, n_classes)
        The final model's out-of-fold class probabilities.
    y : ndarray of shape (n,)
        Class indices.
    metric : Metric
        The user's metric.
    tune_decision : bool, default=True
        Tune the decision rule for a label metric.
    threshold : float or None, default=None
        A fixed binary threshold chosen by the user (no tuning).
    seed : int, default=0
        Seed of the check's split.
    min_gain, temperature_min_gain : float
        Share of the cross-fitted loss a decision rule, and a temperature, must
        save to be kept (``Policy.calibration_min_gain``,
        ``Policy.temperature_min_gain``).
    judge_on_log_loss : bool
        Judge the temperature on log loss whatever the metric
        (``Policy.temperature_on_log_loss``).
    sample_weight : ndarray of shape (n,) or None, default=None
        Weights of the rows in every loss and in the fitted temperature.

    Returns
    -------
    Calibration
    """
    halves = halves_of(y, "multiclass", seed)
    notes: list[str] = []
    target = _Target(y, sample_weight)
    judge = _LOG_LOSS if judge_on_log_loss else metric
    temperature = _temperature(
        oof, target, metric, judge, halves, notes, temperature_min_gain
    )
    calibrated = _scaled(oof, temperature)
    if threshold is not None:
        notes.append(f"decision threshold {threshold:g} (given)")
        return Calibration(temperature, threshold, None, tuple(notes))
    if not tune_decision or metric.needs != "label":
        return Calibration(temperature, None, None, tuple(notes))
    if calibrated.shape[1] == 2:
        tuned = _binary_threshold(calibrated, target, metric, halves, notes, min_gain)
        return Calibration(temperature, tuned, None, tuple(notes))
    weights = _class_weights(calibrated, target, metric, notes, min_gain)
    return Calibration(temperature, None, weights, tuple(notes))


def with_prior(
    calibration: Calibration,
    y: np.ndarray,
    n_classes: int,
    rows: float,
    sample_weight: np.ndarray | None = None,
) -> Calibration:
    """``calibration`` with the class prior of ``y`` mixed into the
    probabilities as ``rows`` rows added to the ``len(y)`` OOF rows
    (``Policy.probability_floor_rows``); unchanged for ``rows`` 0."""
    if rows <= 0:
        return calibration
    counts = np.bincount(y, weights=sample_weight, minlength=n_classes)
    floor = rows / (len(y) + rows)
    return replace(
        calibration,
        floor=floor,
        prior=tuple(float(p) for p in counts / counts.sum()),
        notes=(*calibration.notes, f"prior mixed in at {floor:.2g}"),
    )


@dataclass(frozen=True)
class _Target:
    """The OOF rows' classes and sample weights (None: unweighted)."""

    y: np.ndarray
    w: np.ndarray | None

    def weights(self, rows: np.ndarray) -> np.ndarray | None:
        return None if self.w is None else self.w[rows]

    def loss(self, metric: Metric, pred: np.ndarray, rows: np.ndarray) -> float:
        """``metric``'s loss of ``pred``, the predictions of ``rows``."""
        return metric.loss(self.y[rows], pred, self.weights(rows))


def _temperature(
    oof: np.ndarray,
    target: _Target,
    metric: Metric,
    judge: Metric,
    halves: tuple[np.ndarray, np.ndarray],
    notes: list[str],
    min_gain: float,
) -> float:
    if judge.needs != "proba":
        return 1.0
    crossed = [
        (b, _fit_temperature(oof[a], target.y[a], target.weights(a)))
        for a, b in (halves, halves[::-1])
    ]

    def cross_fitted(judge: Metric) -> tuple[float, float]:
        def loss(rows: np.ndarray, temperature: float) -> float:
            return target.loss(judge, _scaled(oof[rows], temperature), rows)

        before = _weighted([(len(b), loss(b, 1.0)) for b, _ in crossed])
        return before, _weighted([(len(b), loss(b, t)) for b, t in crossed])

    before, after = cross_fitted(judge)
    kept = _helps(before, after, min_gain)
    if kept and judge is not metric and metric.needs == "proba":
        metric_before, metric_after = cross_fitted(metric)
        kept = metric_after <= metric_before
    if not kept:
        notes.append(
            f"temperature scaling not kept (cross-fitted {judge.name} {after:.5g} "
            f"vs {before:.5g})"
        )
        return 1.0
    temperature = _fit_temperature(oof, target.y, target.w)
    notes.append(
        f"temperature {temperature:.3g} (cross-fitted {judge.name} {after:.5g} vs "
        f"{before:.5g})"
    )
    return temperature


def _fit_temperature(
    proba: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None
) -> float:
    """The temperature minimising the (weighted) log loss of ``proba ** (1 / T)``."""
    logp = np.log(np.clip(proba, _EPS, 1.0))

    def log_loss(log_t: float) -> float:
        scaled = logp / np.exp(log_t)
        scaled -= scaled.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(scaled).sum(axis=1))
        losses = log_norm - scaled[np.arange(len(y)), y]
        return float(np.average(losses, weights=sample_weight))

    result = minimize_scalar(log_loss, bounds=(-3.0, 3.0), method="bounded")
    return float(np.exp(result.x))


def _binary_threshold(
    proba: np.ndarray,
    target: _Target,
    metric: Metric,
    halves: tuple[np.ndarray, np.ndarray],
    notes: list[str],
    min_gain: float,
) -> float | None:
    def threshold_loss(rows: np.ndarray, threshold: float) -> float:
        labels = (proba[rows, 1] >= threshold).astype(np.int64)
        return target.loss(metric, labels, rows)

    def best(rows: np.ndarray) -> float:
        candidates = np.unique(
            np.quantile(proba[rows, 1], np.linspace(0, 1, N_THRESHOLDS))
        )
        losses = [threshold_loss(rows, t) for t in candidates]
        return float(candidates[int(np.argmin(losses))])

    pairs = (halves, halves[::-1])
    before = _weighted(
        [
            (len(b), target.loss(metric, np.argmax(proba[b], axis=1), b))
            for _, b in pairs
        ]
    )
    after = _weighted([(len(b), threshold_loss(b, best(a))) for a, b in pairs])
    if not _helps(before, after, min_gain):
        notes.append(f"threshold 0.5 kept (tuned {after:.5g} vs {before:.5g})")
        return None
    threshold = best(np.concatenate(halves))
    notes.append(f"decision threshold {threshold:.3g} ({after:.5g} vs {before:.5g})")
    return threshold


def _class_weights(
    proba: np.ndarray,
    target: _Target,
    metric: Metric,
    notes: list[str],
    min_gain: float,
) -> tuple[float, ...] | None:
    y, rows = target.y, np.arange(len(target.y))
    counts = np.bincount(y, weights=target.w, minlength=proba.shape[1])
    prior = counts / counts.sum()
    weights = 1.0 / np.maximum(prior, 1.0 / len(y))
    before = target.loss(metric, np.argmax(proba, axis=1), rows)
    after = target.loss(metric, np.argmax(proba * weights, axis=1), rows)
    if not _helps(before, after, min_gain):
        notes.append(f"class weights 1/prior not kept ({after:.5g} vs {before:.5g})")
        return None
    notes.append(f"class weights 1/prior ({after:.5g} vs {before:.5g})")
    return tuple(float(w) for w in weights / weights.max())


def _scaled(proba: np.ndarray, temperature: float) -> np.ndarray:
    logp = np.log(np.clip(proba, _EPS, 1.0)) / temperature
    logp -= logp.max(axis=1, keepdims=True)
    scaled = np.exp(logp)
    return scaled / scaled.sum(axis=1, keepdims=True)


def _weighted(parts: list[tuple[int, float]]) -> float:
    total = sum(n for n, _ in parts)
    return sum(n * loss for n, loss in parts) / max(total, 1)


def _helps(before: float, after: float, min_gain: float) -> bool:
    return after < before - min_gain * max(abs(before), 1e-12)


def quantile_shifts(
    oof: np.ndarray,
    y: np.ndarray,
    levels: tuple[float, ...],
    seed: int,
    sample_weight: np.ndarray | None = None,
) -> np.ndarray | None:
    """Per-level shifts of a quantile fit's predictions, or None.

    The constant ``c`` minimising the pinball loss of level ``tau`` over the
    rows is the ``tau``-quantile of their residuals ``y - q`` (Koenker, 2005,
    ch. 1). Boosted extreme quantiles are often too narrow on rows the model
    did not see (on energy-efficiency at 60 s, CatBoost's 0.025 and 0.975
    quantiles held 21 % and 76 % of the test targets below them): the shift
    moves each level to hold its share of the out-of-fold targets. Kept when
    shifts fitted on one half of the rows lower the pinball loss on the other
    (both ways, the module's check).

    Parameters
    ----------
    oof : ndarray of shape (n, n_levels)
        Out-of-fold quantiles, one column per level.
    y : ndarray of shape (n,)
    levels : tuple of float
    seed : int
    sample_weight : ndarray of shape (n,) or None

    Returns
    -------
    ndarray of shape (n_levels,) or None
        The shifts fitted on all rows, or None when the check says no.
    """
    y = np.asarray(y, dtype=np.float64)
    residuals = y[:, None] - oof
    weights = np.ones(len(y)) if sample_weight is None else sample_weight
    loss = pinball(levels).loss
    plain = shifted = 0.0
    halves = halves_of(y, "regression", seed)
    for fit_on, scored in (halves, halves[::-1]):
        shift = _residual_quantiles(residuals[fit_on], levels, weights[fit_on])
        plain += loss(y[scored], oof[scored], weights[scored])
        shifted += loss(y[scored], oof[scored] + shift, weights[scored])
    if shifted >= plain:
        return None
    return _residual_quantiles(residuals, levels, weights)


def _residual_quantiles(
    residuals: np.ndarray, levels: tuple[float, ...], weights: np.ndarray
) -> np.ndarray:
    """Each column's weighted ``levels[j]``-quantile (a minimiser of its
    pinball loss)."""
    shifts = []
    for column, level in zip(residuals.T, levels, strict=True):
        order = np.argsort(column)
        cumulative = np.cumsum(weights[order])
        at = np.searchsorted(cumulative, level * cumulative[-1])
        shifts.append(column[order][min(at, len(column) - 1)])
    return np.array(shifts)
