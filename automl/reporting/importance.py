"""Which input columns the fitted model relies on: permutation importance.

A column's importance is how much the fit's own metric gets worse on given
rows when that column's values are shuffled among the rows (Breiman 2001;
scikit-learn's :func:`~sklearn.inspection.permutation_importance` does the
shuffling), averaged over repeats. It is measured on the columns the user
passed (not on the encoded or generated ones the models see), for the final
model as a whole (ensemble and stack included), so it answers "what does
this model need" rather than "what is in the data": two correlated columns
share their importance, each looking less important than it is.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.inspection import permutation_importance

from automl.data import check_sample_weight
from automl.metrics import Metric

#: Fewest rows the time bound may cut the sample to, and fewest repeats.
MIN_ROWS = 200
MIN_REPEATS = 2


def feature_importance(
    estimator: Any,
    X: pd.DataFrame,
    y: Any,
    *,
    n_repeats: int = 5,
    max_rows: int = 5_000,
    time_limit: float | None = 60.0,
    random_state: int | None = 0,
    sample_weight: Any = None,
) -> pd.DataFrame:
    """Permutation importance of each input column of a fitted estimator.

    What ``AutoClassifier.feature_importance`` and
    ``AutoRegressor.feature_importance`` return; their docstring describes
    the parameters and the result.
    """
    start = time.perf_counter()
    metric: Metric = estimator.metric_
    rng = np.random.RandomState(random_state)
    X = pd.DataFrame(X).reset_index(drop=True)
    y = np.asarray(y)
    if len(X) != len(y):
        raise ValueError(
            f"X has {len(X)} rows and y {len(y)}; pass the target of the same rows."
        )
    weights = check_sample_weight(sample_weight, n_rows=len(X))
    rows = _sample(len(X), max_rows, rng)
    scorer = _scorer(estimator, metric)
    if time_limit is not None:
        kept, n_repeats = _within(
            estimator, scorer, X.iloc[rows], y[rows], n_repeats, time_limit, rng
        )
        rows = rows[kept]
    X_rows, y_rows = X.iloc[rows], y[rows]
    w_rows = None if weights is None else weights[rows]
    result = permutation_importance(
        estimator,
        X_rows,
        y_rows,
        scoring=scorer,
        n_repeats=n_repeats,
        random_state=random_state,
        sample_weight=w_rows,
    )
    frame = _frame(X.columns, result.importances)
    frame.attrs.update(
        metric=metric.name,
        n_rows=len(X_rows),
        n_repeats=n_repeats,
        seconds=time.perf_counter() - start,
    )
    return frame


def _scorer(estimator: Any, metric: Metric) -> Any:
    """``scorer(estimator, X, y)``: minus the fit's loss, so that a column's
    importance is how much shuffling it raises the loss (in the metric's
    units: RMSE up, ROC AUC down)."""
    regression = estimator.task_ == "regression"

    def score(
        fitted: Any,
        X: pd.DataFrame,
        y: np.ndarray,
        sample_weight: np.ndarray | None = None,
    ) -> float:
        if regression:
            return -metric.loss(y, fitted.predict(X), sample_weight)
        codes = np.searchsorted(fitted.classes_, y)
        if metric.needs == "label":
            pred = np.searchsorted(fitted.classes_, fitted.predict(X))
        else:
            pred = fitted.predict_proba(X)
        return -metric.loss(codes, pred, sample_weight)

    return score


def _sample(n: int, max_rows: int, rng: np.random.RandomState) -> np.ndarray:
    if n <= max_rows:
        return np.arange(n)
    return np.sort(rng.choice(n, size=max_rows, replace=False))


def _within(
    estimator: Any,
    scorer: Any,
    X: pd.DataFrame,
    y: np.ndarray,
    n_repeats: int,
    time_limit: float,
    rng: np.random.RandomState,
) -> tuple[np.ndarray, int]:
    """Rows (positions in ``X``) and repeats whose measurement (one scoring
    per column and repeat, and one unshuffled) fits in ``time_limit``: fewer
    rows first, then fewer repeats, each decided on a timed scoring."""
    rows = np.arange(len(X))
    per_call = _seconds(estimator, scorer, X, y)
    calls = 1 + X.shape[1] * n_repeats
    if per_call * calls > time_limit and len(X) > MIN_ROWS:
        n_rows = max(MIN_ROWS, int(len(X) * time_limit / (per_call * calls)))
        rows = np.sort(rng.choice(len(X), size=n_rows, replace=False))
        per_call = _seconds(estimator, scorer, X.iloc[rows], y[rows])
    affordable = int((time_limit - per_call) / max(per_call * X.shape[1], 1e-12))
    return rows, max(MIN_REPEATS, min(n_repeats, affordable))


def _seconds(estimator: Any, scorer: Any, X: pd.DataFrame, y: np.ndarray) -> float:
    start = time.perf_counter()
    scorer(estimator, X, y)
    return time.perf_counter() - start


def _frame(columns: pd.Index, importances: np.ndarray) -> pd.DataFrame:
    mean = importances.mean(axis=1)
    std = importances.std(axis=1, ddof=1) if importances.shape[1] > 1 else 0 * mean
    n = importances.shape[1]
    sem = std / np.sqrt(n)
    half = stats.t.ppf(0.975, df=max(n - 1, 1)) * sem
    with np.errstate(divide="ignore", invalid="ignore"):
        p_value = stats.t.sf(mean / sem, df=max(n - 1, 1))
    p_value = np.where(sem > 0, p_value, np.where(mean > 0, 0.0, 1.0))
    frame = pd.DataFrame(
        {
            "importance": mean,
            "stddev": std,
            "p_value": p_value,
            "ci_low": mean - half,
            "ci_high": mean + half,
        },
        index=pd.Index([str(c) for c in columns], name="feature"),
    )
    return frame.sort_values("importance", ascending=False)
