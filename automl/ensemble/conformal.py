"""Conformal prediction from the final model's out-of-fold predictions.

Every validated training row has a prediction from models that never saw it:
its *conformity score* says how wrong the final model is on rows it did not
train on. ``predict_interval`` and ``predict_set`` turn the scores into
intervals and prediction sets whose coverage on new rows is ``1 - alpha``:

* **regression**: the score is the absolute residual ``|y - ŷ|``; the
  interval is ``ŷ(x) ± q``, where ``q`` is the ``⌈(1 - alpha)(n + 1)⌉``-th
  smallest of the ``n`` scores (the finite-sample rule of split conformal
  prediction, Lei et al., 2018). With k-fold bags this is the CV residual
  rule behind CV+ (Barber et al., 2021): its guaranteed coverage is
  ``1 - 2 alpha``, and ``1 - alpha`` in practice. With a holdout it is split
  conformal on the holdout rows; members refitted on all rows (a holdout, or
  ``refit_full=True``) are better than the models that made the scores, so
  the intervals err on the wide side.
* **classification**: the score is ``1 - p̂(true class)`` on the calibrated
  probabilities (LAC, Sadinle et al., 2019); a class is in the set when its
  probability is at least ``1 - q``. The class-conditional (Mondrian) option
  takes ``q`` per class from that class's rows only, so that rare classes
  are covered at ``1 - alpha`` too, not only on average.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ConformityScores:
    """The final model's out-of-fold conformity scores.

    Parameters
    ----------
    scores : ndarray of shape (n,)
        Regression: absolute residuals; classification: one minus the
        calibrated probability of the true class.
    labels : ndarray of shape (n,) or None
        Classification: the class index of each row (for Mondrian sets).
    """

    scores: np.ndarray
    labels: np.ndarray | None = None

    @classmethod
    def of_regression(cls, oof: np.ndarray, y: np.ndarray) -> ConformityScores:
        return cls(np.abs(np.asarray(y, dtype=np.float64) - oof))

    @classmethod
    def of_classification(cls, proba: np.ndarray, y: np.ndarray) -> ConformityScores:
        true = proba[np.arange(len(y)), y]
        return cls(1.0 - true, np.asarray(y, dtype=np.int64))

    def interval(self, pred: np.ndarray, alpha: float) -> np.ndarray:
        """``[ŷ - q, ŷ + q]`` per row, shape (n, 2)."""
        q = conformal_quantile(self.scores, alpha)
        return np.column_stack([pred - q, pred + q])

    def sets(self, proba: np.ndarray, alpha: float, mondrian: bool) -> np.ndarray:
        """Boolean (n, n_classes): the classes whose score is within ``q``."""
        n_classes = proba.shape[1]
        if not mondrian:
            q = np.full(n_classes, conformal_quantile(self.scores, alpha))
        else:
            assert self.labels is not None
            q = np.array(
                [
                    conformal_quantile(self.scores[self.labels == k], alpha)
                    for k in range(n_classes)
                ]
            )
        return 1.0 - proba <= q


def conformal_quantile(scores: np.ndarray, alpha: float) -> float:
    """The ``⌈(1 - alpha)(n + 1)⌉``-th smallest score; infinite when that
    rank exceeds ``n`` (too few rows for this ``alpha``: the whole range)."""
    n = len(scores)
    rank = math.ceil((1 - alpha) * (n + 1))
    if rank > n:
        return math.inf
    return float(np.partition(scores, rank - 1)[rank - 1])
