"""``fit`` keeps its time promise: within ``time_limit + TIME_LIMIT_SLACK_S``.

A small matrix of data sizes (the search's first trials, the refit and the
ensemble all scale with the rows) and of ``n_jobs`` (one worker, or two that
are killed together at the end), on numeric columns plus a string column.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

from automl import AutoClassifier
from automl.limits import TIME_LIMIT_SLACK_S

pytestmark = pytest.mark.slow

TIME_LIMIT = 10.0


def _mixed_table(n_rows: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Eight numeric columns and a string column that carries signal."""
    X, y = make_classification(
        n_samples=n_rows, n_features=8, n_informative=5, random_state=0
    )
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(8)])
    rng = np.random.RandomState(0)
    bins = np.digitize(X[:, 0] + rng.normal(scale=0.5, size=n_rows), [-1, 0, 1])
    frame["colour"] = np.array(["red", "green", "blue", "grey"])[bins]
    return frame, y


@pytest.mark.timing
@pytest.mark.slow
@pytest.mark.parametrize("n_jobs", [1, 2])
@pytest.mark.parametrize("n_rows", [300, 60_000])
def test_fit_returns_within_time_limit_plus_slack(n_rows, n_jobs):
    X, y = _mixed_table(n_rows)
    clf = AutoClassifier(time_limit=TIME_LIMIT, n_jobs=n_jobs, random_state=0)
    start = time.monotonic()
    clf.fit(X, y)
    seconds = time.monotonic() - start
    assert seconds <= TIME_LIMIT + TIME_LIMIT_SLACK_S, (
        f"fit took {seconds:.2f} s for time_limit={TIME_LIMIT} s "
        f"({n_rows} rows, n_jobs={n_jobs}); trials: "
        f"{[(t['config']['model'], t['status']) for t in clf.trials_]}"
    )
    assert clf.fit_time_ <= seconds
    assert clf.predict(X.iloc[:50]).shape == (50,)
