"""How optimistic is the validation score when rows are grouped or ordered in time?

Two tables of ``../shared/datasets-extra/``, each split the way new data
arrives: ``movielens`` (ratings; the test rows are the ratings of users the fit
never saw, 20 % of the users) and ``birthdays`` (births per state and day; the
test rows are the last 20 % of the days). On the training rows, ours is fitted
twice at the same budget:

- ``shuffled``: the validation a fit had before ``groups`` and ``cv`` existed
  (our shuffled k-fold or holdout);
- ``grouped`` / ``time``: ``fit(X, y, groups=userId)``, or
  ``cv=TimeSeriesSplit(5)`` on the rows sorted by date.

For each: the validation score the fit reports (the final model's, as the
leaderboard shows it), the test score, and the gap between them (the leak).

Run (resumable: a finished table/arm pair is skipped)::

    python -m benchmarks.leak --budget 60 --out benchmarks/results/leak-60s
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import TimeSeriesSplit

from automl import AutoRegressor
from benchmarks.datasets import read_xy

EXTRA = Path(__file__).resolve().parents[2] / "shared" / "datasets-extra"
TEST_SHARE = 0.2


def movielens() -> tuple[pd.DataFrame, pd.Series, np.ndarray, dict[str, Any]]:
    """Ratings; test = the ratings of 20 % of the users (drawn with seed 0)."""
    X, y = read_xy(EXTRA / "movielens.csv.gz", "rating")
    users = X["userId"].unique()
    rng = np.random.RandomState(0)
    unseen = rng.choice(users, size=round(TEST_SHARE * len(users)), replace=False)
    test = X["userId"].isin(unseen).to_numpy()
    return X, y, test, {"groups": "userId"}


def birthdays() -> tuple[pd.DataFrame, pd.Series, np.ndarray, dict[str, Any]]:
    """Births per state and day, sorted by date; test = the last 20 % of days."""
    X, y = read_xy(EXTRA / "birthdays.csv.gz", "births")
    order = np.argsort(pd.to_datetime(X["date"]).to_numpy(), kind="stable")
    X, y = X.iloc[order].reset_index(drop=True), y.iloc[order].reset_index(drop=True)
    days = np.sort(X["date"].unique())
    cut = days[int(len(days) * (1 - TEST_SHARE))]
    return X, y, (X["date"] >= cut).to_numpy(), {"cv": "time"}


TABLES = {"movielens": movielens, "birthdays": birthdays}


def fit_arm(
    X: pd.DataFrame, y: pd.Series, arm: str, how: dict[str, Any], budget: float
) -> AutoRegressor:
    """Fit ours on the training rows, validated as ``arm`` says."""
    if arm == "shuffled":
        return AutoRegressor(time_limit=budget).fit(X, y)
    if "groups" in how:
        return AutoRegressor(time_limit=budget).fit(X, y, groups=X[how["groups"]])
    return AutoRegressor(time_limit=budget, cv=TimeSeriesSplit(5)).fit(X, y)


def reported_rmse(model: AutoRegressor) -> float:
    """The final model's validation RMSE, as the leaderboard reports it."""
    board = model.leaderboard()
    return float(board.loc[board["origin"] == "ensemble (chosen)", "score"].iloc[0])


def run(budget: float, out: Path, names: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.jsonl"
    done = set()
    if path.exists():
        done = {(r["table"], r["arm"]) for r in map(json.loads, path.open())}
    for name in names:
        arms = [a for a in ("shuffled", "validated") if (name, a) not in done]
        if not arms:
            continue
        X, y, test, how = TABLES[name]()
        X_train, y_train = X.loc[~test].reset_index(drop=True), y.loc[~test]
        for arm in arms:
            start = time.time()
            model = fit_arm(X_train, y_train.reset_index(drop=True), arm, how, budget)
            pred = model.predict(X.loc[test])
            test_rmse = float(np.sqrt(np.mean((pred - y.loc[test].to_numpy()) ** 2)))
            row = {
                "table": name,
                "arm": arm,
                "budget": budget,
                "validation": model.validation_["splitter"] or model.resampling_,
                "validated_rows": model.validation_["validated_rows"],
                "reported_rmse": reported_rmse(model),
                "test_rmse": test_rmse,
                "fit_seconds": time.time() - start,
                "n_train": int((~test).sum()),
                "n_test": int(test.sum()),
            }
            row["optimism"] = row["test_rmse"] / row["reported_rmse"]
            with path.open("a") as f:
                f.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--tables", default=",".join(TABLES))
    args = parser.parse_args()
    run(args.budget, args.out, args.tables.split(","))


if __name__ == "__main__":
    main()
