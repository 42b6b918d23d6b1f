"""The leaderboard's columns, export, and the performance over time."""

from __future__ import annotations

import numpy as np
import pandas as pd

from automl.metrics import get_metric
from automl.reporting import key_hyperparameters, performance_over_time
from automl.reporting.leaderboard import preprocessing_summary


def test_key_hyperparameters_are_the_familys_own_in_short_form() -> None:
    config = {
        "model": "lightgbm",
        "model:lightgbm:num_leaves": 31.0,
        "model:lightgbm:learning_rate": 0.123456,
        "model:xgboost:max_depth": 6,  # another family: never active together
        "scaler": "standard",
    }
    assert key_hyperparameters(config) == "learning_rate=0.123, num_leaves=31"
    assert key_hyperparameters({"model": "knn"}) == ""


def test_preprocessing_lists_the_choices_that_do_something() -> None:
    config = {
        "model": "linear",
        "scaler": "quantile",
        "scaler:quantile:n_quantiles": 100,
        "class_weight": "none",
        "numeric_imputer": "median",
    }
    assert preprocessing_summary(config) == "numeric_imputer=median, scaler=quantile"


def test_leaderboard_has_the_documented_columns_and_exports(verbose_fit, tmp_path):
    board = verbose_fit.estimator.leaderboard()
    for column in ["rank", "model", "score", "budget", "fit_time", "status", "origin"]:
        assert column in board
    assert {"hyperparameters", "preprocessing", "config", "error"} <= set(board)
    trials = board[board["trial_id"].notna()]  # not the ensemble's rows
    best = trials.iloc[0]
    assert best["hyperparameters"] == key_hyperparameters(best["config"])
    linear = trials[trials["model"] == "linear"].iloc[0]
    assert "C=" in linear["hyperparameters"]
    path = tmp_path / "board.csv"
    board.sort_values("fit_time").to_csv(path, index=False)
    again = pd.read_csv(path)
    assert sorted(again["trial_id"].dropna()) == sorted(trials["trial_id"])
    assert again["fit_time"].is_monotonic_increasing


def test_performance_over_time_only_improves_and_ends_at_the_best(verbose_fit):
    clf = verbose_fit.estimator
    curve = clf.performance_over_time_
    assert list(curve.columns) == ["time", "score", "trial_id", "model"]
    assert len(curve) >= 1
    assert curve["time"].is_monotonic_increasing
    assert curve["score"].is_monotonic_increasing  # ROC AUC: higher is better
    best = min((t for t in clf.trials_ if t["status"] == "ok"), key=lambda t: t["loss"])
    assert curve["score"].iloc[-1] == clf.metric_.loss_to_score(best["loss"])
    assert curve["trial_id"].iloc[-1] == best["trial_id"]
    assert curve["time"].iloc[-1] <= clf.fit_time_


def test_performance_over_time_skips_failures_and_partial_budgets() -> None:
    def trial(i, loss, status="ok", budget=None, start=0.0):
        return {
            "trial_id": i,
            "config": {"model": f"m{i}"},
            "status": status,
            "loss": loss,
            "budget": budget,
            "started": start,
            "duration": 1.0,
        }

    trials = [
        trial(0, 0.5, start=0.0),
        trial(1, 0.1, budget=0.25, start=1.0),  # better, but on a quarter of the rows
        trial(2, 0.0, status="crashed", start=2.0),
        trial(3, 0.3, start=3.0),
        trial(4, 0.4, start=4.0),  # worse than the best so far: no row
    ]
    curve = performance_over_time(trials, get_metric("log_loss", "multiclass"))
    assert curve["trial_id"].tolist() == [0, 3]
    np.testing.assert_allclose(curve["time"], [1.0, 4.0])
    np.testing.assert_allclose(curve["score"], [0.5, 0.3])  # log loss: lower is better
