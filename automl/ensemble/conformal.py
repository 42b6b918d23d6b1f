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

The adaptive intervals (``predict_interval(..., adaptive=True)``) divide each
residual by a scale ``σ(x)`` that a small LightGBM learns from the features
(it predicts the median ``|residual|``): normalised conformity scores (Lei et al.,
2018, section 5.2), so that the interval is ``ŷ ± q σ(x)``, wide where the
model errs more. The scale models are cross-fitted on two halves of the
rows, so that no row's score comes from a scale model that saw it. Both
kinds cover ``1 - alpha`` of the out-of-fold rows by construction; the
default (``adaptive="auto"``) takes the one whose out-of-fold intervals are
narrower on average, a choice between two made on the same rows, which
costs at most a fraction of a point of coverage.

A quantile fit (``quantile_levels``) gets conformalized quantile regression
(CQR, Romano, Patterson and Candès, 2019): with the levels ``alpha / 2`` and
``1 - alpha / 2`` predicted as ``q_lo`` and ``q_hi``, the score of a row is
``max(q_lo - y, y - q_hi)`` and the interval ``[q_lo - q, q_hi + q]``: the
quantiles' width follows the row, and the conformal ``q`` (negative when
they are too wide) restores the coverage they lack.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

from automl.costs import CONFORMITY_FIT_ROWS


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
    predictions, targets : ndarray of shape (n,) or None
        Regression: the out-of-fold predictions and the true values (for
        ``plot_intervals``).
    """

    scores: np.ndarray
    labels: np.ndarray | None = None
    predictions: np.ndarray | None = None
    targets: np.ndarray | None = None
    #: Regression: the residual scale models, the normalised scores and each
    #: row's scale from the model that did not see it.
    scale: ResidualScale | None = None
    normalised: np.ndarray | None = None
    oof_scale: np.ndarray | None = None

    @classmethod
    def of_regression(cls, oof: np.ndarray, y: np.ndarray) -> ConformityScores:
        y = np.asarray(y, dtype=np.float64)
        return cls(np.abs(y - oof), predictions=np.asarray(oof), targets=y)

    def oof_half_widths(self, alpha: float, adaptive: bool = False) -> np.ndarray:
        """Each out-of-fold row's interval half-width: ``q``, or ``q σ_i``."""
        if not adaptive or self.normalised is None or self.oof_scale is None:
            return np.full(len(self.scores), conformal_quantile(self.scores, alpha))
        return conformal_quantile(self.normalised, alpha) * self.oof_scale

    def uses_adaptive(self, alpha: float, adaptive: bool | str) -> bool:
        """Whether ``adaptive`` (True, False or ``"auto"``: the kind whose
        out-of-fold intervals are narrower on average) means the adaptive
        intervals; True without a residual scale is refused."""
        if adaptive == "auto":
            if self.scale is None:
                return False
            half = self.oof_half_widths(alpha, adaptive=True)
            return bool(np.mean(half) < conformal_quantile(self.scores, alpha))
        if not isinstance(adaptive, bool | np.bool_):
            raise ValueError(
                f"adaptive must be True, False or 'auto'; got {adaptive!r}."
            )
        if adaptive and self.scale is None:
            raise ValueError(
                "This fit had no time left for the residual scale of adaptive "
                "intervals; use adaptive=False, or fit with more time."
            )
        return bool(adaptive)

    def oof_coverage(self, alpha: float, adaptive: bool = False) -> float:
        """Share of the out-of-fold rows inside their interval (at least
        ``1 - alpha`` by construction: what the test rows should see)."""
        return float(np.mean(self.scores <= self.oof_half_widths(alpha, adaptive)))

    @classmethod
    def of_classification(cls, proba: np.ndarray, y: np.ndarray) -> ConformityScores:
        true = proba[np.arange(len(y)), y]
        return cls(1.0 - true, np.asarray(y, dtype=np.int64))

    def interval(
        self, pred: np.ndarray, alpha: float, scale: np.ndarray | None = None
    ) -> np.ndarray:
        """``[ŷ - q, ŷ + q]`` per row, shape (n, 2); with the rows' residual
        ``scale`` (``self.scale.predict``), ``[ŷ - q σ(x), ŷ + q σ(x)]`` from
        the normalised scores."""
        if scale is None or self.normalised is None:
            q = conformal_quantile(self.scores, alpha)
            return np.column_stack([pred - q, pred + q])
        half = conformal_quantile(self.normalised, alpha) * scale
        return np.column_stack([pred - half, pred + half])

    def with_scale(
        self, X: pd.DataFrame, seed: int, n_threads: int = 1
    ) -> ConformityScores:
        """These scores with cross-fitted residual scale models on the rows'
        typed features ``X`` (module docstring)."""
        scale, oof_scale = ResidualScale.cross_fit(X, self.scores, seed, n_threads)
        normalised = self.scores / oof_scale
        return replace(self, scale=scale, normalised=normalised, oof_scale=oof_scale)

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


@dataclass(frozen=True)
class QuantileConformity:
    """A quantile fit's out-of-fold quantiles, for CQR intervals.

    Parameters
    ----------
    predictions : ndarray of shape (n, n_levels)
        Out-of-fold quantiles, one column per level.
    targets : ndarray of shape (n,)
    levels : tuple of float
        The quantile levels, increasing.
    """

    predictions: np.ndarray
    targets: np.ndarray
    levels: tuple[float, ...]
    #: Read by ``summary()`` like :class:`ConformityScores`'s.
    labels: ClassVar[None] = None
    scale: ClassVar[None] = None

    def interval(self, quantiles: np.ndarray, alpha: float) -> np.ndarray:
        """``[q_lo - q, q_hi + q]`` per row of predicted ``quantiles``, (n, 2)."""
        lo, hi = self._pair(alpha)
        q = conformal_quantile(self._scores(lo, hi), alpha)
        return np.column_stack([quantiles[:, lo] - q, quantiles[:, hi] + q])

    def oof_coverage(self, alpha: float) -> float:
        """Share of the out-of-fold rows inside their CQR interval."""
        lo, hi = self._pair(alpha)
        scores = self._scores(lo, hi)
        return float(np.mean(scores <= conformal_quantile(scores, alpha)))

    def alphas(self) -> list[float]:
        """The ``alpha`` whose two levels the fit predicts, smallest first."""
        found = [round(2 * a, 10) for a in self.levels if a < 0.5]
        return sorted(a for a in found if self._index(1 - a / 2) is not None)

    def _scores(self, lo: int, hi: int) -> np.ndarray:
        oof, y = self.predictions, self.targets
        return np.maximum(oof[:, lo] - y, y - oof[:, hi])

    def _index(self, level: float) -> int | None:
        close = [i for i, v in enumerate(self.levels) if math.isclose(v, level)]
        return close[0] if close else None

    def _pair(self, alpha: float) -> tuple[int, int]:
        lo, hi = self._index(alpha / 2), self._index(1 - alpha / 2)
        if lo is None or hi is None:
            raise ValueError(
                f"Intervals at alpha={alpha} from a quantile fit need the levels "
                f"{alpha / 2:g} and {1 - alpha / 2:g} among quantile_levels "
                f"{list(self.levels)}; this fit has them for alpha in "
                f"{self.alphas()}. Add the levels, or use one of those alphas."
            )
        return lo, hi


@dataclass(frozen=True)
class ResidualScale:
    """Two LightGBM models of the median absolute residual (L1 loss), each
    fitted on one half of the rows; ``predict`` is the geometric mean of
    their scales, at least ``floor``.

    The median of ``|residual|`` gives narrower adaptive intervals than the
    mean of ``log |residual|`` (the first target): around a default LightGBM
    on the benchmark's splits at alpha 0.05, narrower on 6 of 7 tables at
    about the same coverage (width / sd(y): concrete-strength 1.35 against
    1.64, house-prices 1.23 against 1.40, energy-efficiency 0.233 against
    0.274, insurance-charges 1.74 against 1.80; auto-mpg 1.59 against 1.57).
    """

    models: tuple[Any, ...]
    columns: tuple[str, ...]
    floor: float = 0.0

    #: Rows the scale models are fitted on at most (a sample beyond).
    MAX_ROWS: ClassVar[int] = CONFORMITY_FIT_ROWS

    @classmethod
    def cross_fit(
        cls, X: pd.DataFrame, residuals: np.ndarray, seed: int, n_threads: int
    ) -> tuple[ResidualScale, np.ndarray]:
        """The scale models and every row's scale from the model that did
        not see it."""
        from lightgbm import LGBMRegressor

        columns = tuple(
            c
            for c in X.columns
            if is_numeric_dtype(X[c]) or isinstance(X[c].dtype, pd.CategoricalDtype)
        )
        features = X[list(columns)]
        target = np.abs(residuals)
        floor = max(_FLOOR_SHARE * float(np.mean(target)), np.finfo(float).tiny)
        rng = np.random.RandomState(seed)
        halves = np.array_split(rng.permutation(len(X)), 2)
        models, scales = [], np.empty(len(X))
        for fit_on, scored in (halves, halves[::-1]):
            rows = fit_on[: cls.MAX_ROWS]
            model = LGBMRegressor(
                objective="l1",
                n_estimators=100,
                learning_rate=0.05,
                num_leaves=15,
                min_child_samples=20,
                random_state=seed,
                n_jobs=n_threads,
                verbose=-1,
            ).fit(features.iloc[rows], target[rows])
            models.append(model)
            scales[scored] = np.maximum(model.predict(features.iloc[scored]), floor)
        return cls(tuple(models), columns, floor), scales

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        features = X[list(self.columns)]
        if self.floor == 0.0:  # saved before the median target: models of the log
            return np.exp(np.mean([m.predict(features) for m in self.models], axis=0))
        scales = [np.maximum(m.predict(features), self.floor) for m in self.models]
        return np.exp(np.mean(np.log(scales), axis=0))


#: A row's residual scale is at least this share of the mean absolute
#: residual (a leaf predicting 0 would make its rows' scores infinite).
_FLOOR_SHARE = 1e-3


def conformal_quantile(scores: np.ndarray, alpha: float) -> float:
    """The ``⌈(1 - alpha)(n + 1)⌉``-th smallest score; infinite when that
    rank exceeds ``n`` (too few rows for this ``alpha``: the whole range)."""
    n = len(scores)
    rank = math.ceil((1 - alpha) * (n + 1))
    if rank > n:
        return math.inf
    return float(np.partition(scores, rank - 1)[rank - 1])
