"""``memory_limit``: the fit plans what runs at once and stays under it.

The plan (automl/memory.py) reduces parallel workers first, then searches on a
row subsample, and leaves out families that do not fit even at the lowest
budget; it raises only when one worker on a small sample cannot fit. The data
stage keeps large tables lean: no copy of a numpy input, float32 where safe.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

from automl import AutoClassifier
from automl.data import FeatureTyper, check_features
from automl.memory import plan_memory
from automl.policy import Policy

WORKER_BASE_MB = Policy().worker_base_mb

pytestmark = pytest.mark.slow

SPIKE_TOLERANCE = 1.03


def _linear_sizes(rows: int) -> tuple[float, float, float]:
    """Data 1 KiB a row, predictions 0.1 KiB, a model 4 KiB a row (in MiB)."""
    return rows / 1024, rows / 10240, 4 * rows / 1024


def test_the_plan_drops_workers_first_then_rows_then_raises() -> None:
    rows = 100_000
    data, predictions, model = _linear_sizes(rows)
    per_worker = WORKER_BASE_MB + data + model
    two_fit = data + predictions + model + 2 * per_worker
    roomy = plan_memory(two_fit + 1, total_rows=rows, n_workers=2, sizes=_linear_sizes)
    assert (roomy.n_workers, roomy.n_rows, roomy.notes) == (2, rows, [])
    assert roomy.planned_mb <= two_fit + 1
    assert roomy.per_trial_mb >= WORKER_BASE_MB + data + model

    one = plan_memory(two_fit - 1, total_rows=rows, n_workers=2, sizes=_linear_sizes)
    assert (one.n_workers, one.n_rows) == (1, rows)
    assert "1 parallel worker instead of 2" in one.notes[0]

    tight = plan_memory(800, total_rows=rows, n_workers=2, sizes=_linear_sizes)
    assert tight.n_workers == 1 and 1_000 <= tight.n_rows < rows
    assert tight.subsampled and "subsample" in tight.notes[-1]
    assert tight.planned_mb <= 800
    assert tight.working_mb >= _linear_sizes(tight.n_rows)[2]

    with pytest.raises(MemoryError, match=r"memory_limit=200 MiB is too small"):
        plan_memory(200, total_rows=rows, n_workers=2, sizes=_linear_sizes)


def test_a_small_memory_limit_downsizes_the_fit_and_trials_stay_under_it() -> None:
    X, y = make_classification(
        n_samples=30_000, n_features=20, n_informative=8, random_state=0
    )
    limit = 385  # MiB: two workers do not fit, nor one on all rows
    clf = AutoClassifier(
        time_limit=15,
        n_jobs=2,
        memory_limit=limit,
        include=["lightgbm", "linear", "knn"],
        random_state=0,
    ).fit(X, y)

    plan = clf.memory_plan_
    assert plan["requested_workers"] == 2 and plan["n_workers"] == 1
    assert plan["subsampled"] and plan["n_rows"] < plan["total_rows"] == 30_000
    assert plan["planned_mb"] <= limit
    assert "knn" in plan["skipped"]  # kNN's prediction matrix does not fit

    board = clf.leaderboard()
    skipped = board[board["origin"] == "memory plan"]
    assert list(skipped["model"]) == ["knn"]
    assert (skipped["status"] == "memout").all()
    assert skipped["error"].str.startswith("skipped: estimated").all()
    assert "knn" not in set(t["config"]["model"] for t in clf.trials_)

    finished = [t for t in clf.trials_ if t["status"] == "ok"]
    assert finished, clf.leaderboard()[["model", "status", "error"]]
    # Measured in the worker: its peak resident memory. The limit is polled
    # (MEMORY_POLL_SECONDS) and the estimate ignores small costs, so a spike
    # between two polls may pass it by a few MiB; a runaway trial would not.
    for trial in finished:
        peak = trial["peak_memory_mb"]
        assert WORKER_BASE_MB / 2 < peak <= SPIKE_TOLERANCE * plan["per_trial_mb"]
    killed = board[board["error"] == "the trial exceeded its memory limit"]
    assert killed.empty, (killed, [t["peak_memory_mb"] for t in finished])

    summary = clf.summary()
    assert "memory           limit 385 MiB" in summary
    assert f"subsample of {plan['n_rows']:,} of 30,000 rows" in summary
    assert clf.predict_proba(X[:5]).shape == (5, 2)


def test_a_memory_limit_too_small_for_the_data_says_what_to_do(breast_cancer) -> None:
    X, y = breast_cancer
    with pytest.raises(MemoryError, match=r"memory_limit=50 MiB is too small.*"):
        AutoClassifier(time_limit=10, memory_limit=50).fit(X, y)
    with pytest.raises(MemoryError, match="Increase per_trial_memory_limit"):
        AutoClassifier(
            time_limit=10, memory_limit=2_000, per_trial_memory_limit=100
        ).fit(X, y)
    with pytest.raises(ValueError, match="'memory_limit' parameter"):
        AutoClassifier(memory_limit=-1).fit(X, y)


def test_numpy_input_is_not_copied_and_large_tables_type_as_float32() -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1_000, 3))
    X[:, 2] = 1e9 + rng.integers(0, 3, size=1_000)  # identifiers near 1e9
    frame = check_features(X)
    assert np.shares_memory(frame["x0"].to_numpy(), X)

    typer = FeatureTyper(float32=True).fit(frame)
    Xt = typer.transform(frame)
    assert typer.float32_columns_ == ("x0", "x1")  # 1e9 + 1 is not a float32
    assert list(Xt.dtypes.astype(str)) == ["float32", "float32", "float64"]
    assert Xt["x2"].nunique() == 3
    np.testing.assert_allclose(Xt["x0"], X[:, 0], rtol=1e-6)
    assert FeatureTyper().fit(frame).transform(frame)["x0"].dtype == np.float64

    mixed = pd.DataFrame({"a": X[:, 0], "c": np.where(X[:, 1] > 0, "u", "v")})
    typed = FeatureTyper(float32=True).fit(mixed).transform(mixed)
    assert list(typed.columns) == ["a", "c"]
    assert typed["a"].dtype == np.float32 and typed["c"].dtype == "category"
