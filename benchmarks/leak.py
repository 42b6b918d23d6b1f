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

The ``lightgbm`` arm is the gap that is not a leak: a default LightGBM
(strings as categories, dates as days) validated with the same splitter as
the ``grouped`` / ``time`` arm (its out-of-fold RMSE over the validated
rows), then fitted on all training rows and scored on the test rows. New
users and later years are harder than the rows any validation can hold out;
ours' gap at that level is drift, not leak.

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
from sklearn.model_selection import GroupKFold, TimeSeriesSplit

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


def lightgbm_arm(
    X: pd.DataFrame, y: pd.Series, how: dict[str, Any]
) -> tuple[Any, float, int]:
    """A default LightGBM validated like the fit's ``how``: the model fitted on
    all rows, its out-of-fold RMSE and the rows validated."""
    from lightgbm import LGBMRegressor

    X = _lightgbm_frame(X)
    if "groups" in how:
        splits = GroupKFold(5).split(X, y, groups=X[how["groups"]])
    else:
        splits = TimeSeriesSplit(5).split(X)
    errors, rows = [], 0
    for train, valid in splits:
        model = LGBMRegressor(verbose=-1, n_jobs=2).fit(X.iloc[train], y.iloc[train])
        errors.append(np.sum((model.predict(X.iloc[valid]) - y.iloc[valid]) ** 2))
        rows += len(valid)
    model = LGBMRegressor(verbose=-1, n_jobs=2).fit(X, y)
    return model, float(np.sqrt(np.sum(errors) / rows)), rows


def _lightgbm_frame(X: pd.DataFrame) -> pd.DataFrame:
    """Dates as days since 1970, other strings as categories."""
    out = X.copy()
    for name in out.select_dtypes(include="object").columns:
        if name == "date":
            out[name] = (pd.to_datetime(out[name]) - pd.Timestamp(0)).dt.days
        else:
            out[name] = out[name].astype("category")
    return out


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
        arms = [
            a for a in ("shuffled", "validated", "lightgbm") if (name, a) not in done
        ]
        if not arms:
            continue
        X, y, test, how = TABLES[name]()
        X_train, y_train = X.loc[~test].reset_index(drop=True), y.loc[~test]
        for arm in arms:
            start = time.time()
            y_fit = y_train.reset_index(drop=True)
            if arm == "lightgbm":
                model, reported, validated = lightgbm_arm(X_train, y_fit, how)
                pred = model.predict(_lightgbm_frame(X.loc[test]))
                validation = (
                    "GroupKFold(5)" if "groups" in how else "TimeSeriesSplit(5)"
                )
            else:
                model = fit_arm(X_train, y_fit, arm, how, budget)
                pred = model.predict(X.loc[test])
                reported = reported_rmse(model)
                validation = model.validation_["splitter"] or model.resampling_
                validated = model.validation_["validated_rows"]
            test_rmse = float(np.sqrt(np.mean((pred - y.loc[test].to_numpy()) ** 2)))
            row = {
                "table": name,
                "arm": arm,
                "budget": budget,
                "validation": validation,
                "validated_rows": validated,
                "reported_rmse": reported,
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
