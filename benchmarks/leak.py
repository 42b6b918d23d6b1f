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
For ours, each first-layer member of the final model is also scored alone
(its trial's validation RMSE against its test RMSE): a member's gap holds
no ensemble-weight selection, so the chosen model's gap above its members'
is what choosing the weights on the validated rows adds. ``--seed`` repeats
ours' arms with another seed (the spread of the gap between fits).

The ``lightgbm`` arm is the gap that is not a leak: a default LightGBM
(strings as categories, dates as days) validated with the same splitter as
the ``grouped`` / ``time`` arm (its out-of-fold RMSE over the validated
rows), then fitted on all training rows and scored on the test rows. New
users and later years are harder than the rows any validation can hold out;
ours' gap at that level is drift, not leak. The ``lightgbm_typed`` arm is the
same default LightGBM on ours' typed columns (:class:`automl.data.FeatureTyper`:
a date becomes year, month, day, weekday and seconds since 1970): the gap
that ours' features have without any search. The ``lightgbm_grid`` arm is a
search without ours: ``GRID_SIZE`` random LightGBM configurations validated
the same way, the one with the best validation RMSE chosen; its gap is what
choosing among trials adds to the splitter's, and the spread of the
configurations' gaps is the noise a single model's gap has;
``lightgbm_grid_typed`` is the same search on ours' typed columns.

Run (resumable: a finished table/arm pair is skipped)::

    python -m benchmarks.leak --budget 60 --out benchmarks/results/leak-60s
    python -m benchmarks.leak --budget 60 --tables birthdays --seed 1 --out ...
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold, TimeSeriesSplit

from automl import AutoRegressor
from automl.data import FeatureTyper
from benchmarks.datasets import read_xy

EXTRA = Path(__file__).resolve().parents[2] / "shared" / "datasets-extra"
TEST_SHARE = 0.2
Frame = Callable[[pd.DataFrame], pd.DataFrame]
#: Configurations of the ``lightgbm_grid`` arm.
GRID_SIZE = 12


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
    X: pd.DataFrame,
    y: pd.Series,
    arm: str,
    how: dict[str, Any],
    budget: float,
    seed: int,
) -> AutoRegressor:
    """Fit ours on the training rows, validated as ``arm`` says."""
    validated = arm != "shuffled"
    groups = X[how["groups"]] if validated and "groups" in how else None
    cv = TimeSeriesSplit(5) if validated and groups is None else None
    model = AutoRegressor(time_limit=budget, random_state=seed, cv=cv)
    return model.fit(X, y, groups=groups)


def member_gaps(
    model: AutoRegressor, X_test: pd.DataFrame, y_test: np.ndarray
) -> list[dict[str, Any]]:
    """Each first-layer member alone: its trial's validation RMSE, its test RMSE."""
    ensemble = model.model_
    if not hasattr(ensemble, "base"):
        return []
    board = model.leaderboard()
    typed = model.typer_.transform(X_test)
    rows = []
    for member in ensemble.base:
        trial = board.loc[board["trial_id"] == member.trial_id]
        if member.trial_id is None or trial.empty:
            continue
        pred = ensemble.only(member.trial_id).predict(typed)
        rows.append(
            {
                "trial_id": int(member.trial_id),
                "family": member.family,
                "weight": float(member.weight),
                "reported_rmse": float(trial["score"].iloc[0]),
                "test_rmse": _rmse(pred, y_test),
            }
        )
    return rows


def _rmse(pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(pred) - y) ** 2)))


def lightgbm_arm(
    X: pd.DataFrame,
    y: pd.Series,
    how: dict[str, Any],
    frame: Frame,
    **params: Any,
) -> tuple[Any, float, int]:
    """A LightGBM (default, or with ``params``) on ``frame(X)`` validated
    like the fit's ``how``: the model fitted on all rows, its out-of-fold
    RMSE and the rows validated."""
    from lightgbm import LGBMRegressor

    groups = X[how["groups"]] if "groups" in how else None
    X = frame(X)
    if groups is not None:
        splits = GroupKFold(5).split(X, y, groups=groups)
    else:
        splits = TimeSeriesSplit(5).split(X)
    errors, rows = [], 0
    for train, valid in splits:
        model = LGBMRegressor(verbose=-1, n_jobs=2, **params)
        model.fit(X.iloc[train], y.iloc[train])
        errors.append(np.sum((model.predict(X.iloc[valid]) - y.iloc[valid]) ** 2))
        rows += len(valid)
    model = LGBMRegressor(verbose=-1, n_jobs=2, **params).fit(X, y)
    return model, float(np.sqrt(np.sum(errors) / rows)), rows


def lightgbm_grid_arm(
    X: pd.DataFrame,
    y: pd.Series,
    X_test: pd.DataFrame,
    y_test: np.ndarray,
    how: dict[str, Any],
    frame: Frame,
) -> tuple[np.ndarray, float, int, list[dict[str, Any]]]:
    """A search without ours: ``GRID_SIZE`` random LightGBM configurations
    (seed 0), each validated like the default arm; the one with the lowest
    validation RMSE is "chosen". Returns its test predictions, its validation
    RMSE, the rows validated, and every configuration's two RMSEs."""
    rng = np.random.RandomState(0)
    configs: list[dict[str, Any]] = []
    chosen, best = np.empty(0), np.inf
    for _ in range(GRID_SIZE):
        params = {
            "n_estimators": int(rng.choice([100, 300, 1000])),
            "learning_rate": float(np.exp(rng.uniform(np.log(0.02), np.log(0.3)))),
            "num_leaves": int(rng.choice([15, 31, 63, 127, 255])),
            "min_child_samples": int(rng.choice([5, 20, 50, 100])),
        }
        model, reported, rows = lightgbm_arm(X, y, how, frame, **params)
        pred = model.predict(frame(X_test))
        configs.append(
            {**params, "reported_rmse": reported, "test_rmse": _rmse(pred, y_test)}
        )
        if reported < best:
            chosen, best = pred, reported
    return chosen, best, rows, configs


def _lightgbm_frame(X: pd.DataFrame) -> pd.DataFrame:
    """Dates as days since 1970, other strings as categories."""
    out = X.copy()
    for name in out.select_dtypes(include=["object", "string"]).columns:
        if name == "date":
            out[name] = (pd.to_datetime(out[name]) - pd.Timestamp(0)).dt.days
        else:
            out[name] = out[name].astype("category")
    return out


def reported_rmse(model: AutoRegressor) -> float:
    """The final model's validation RMSE, as the leaderboard reports it."""
    board = model.leaderboard()
    return float(board.loc[board["origin"] == "ensemble (chosen)", "score"].iloc[0])


ARMS = (
    "shuffled",
    "validated",
    "lightgbm",
    "lightgbm_typed",
    "lightgbm_grid",
    "lightgbm_grid_typed",
)


def run(
    budget: float,
    out: Path,
    names: list[str],
    seed: int = 0,
    arms: tuple[str, ...] = ARMS,
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.jsonl"
    done = set()
    if path.exists():
        done = {
            (r["table"], r["arm"], r.get("seed", 0))
            for r in map(json.loads, path.open())
        }
    for name in names:
        todo = [
            a
            for a in arms
            if (name, a, seed) not in done
            and not (a.startswith("lightgbm") and (name, a, 0) in done)
        ]
        if not todo:
            continue
        X, y, test, how = TABLES[name]()
        X_train, y_train = X.loc[~test].reset_index(drop=True), y.loc[~test]
        for arm in todo:
            start = time.time()
            y_fit = y_train.reset_index(drop=True)
            y_test = y.loc[test].to_numpy()
            members: list[dict[str, Any]] = []
            fit_time = None
            if arm.startswith("lightgbm"):
                frame = _lightgbm_frame
                if arm.endswith("_typed"):
                    frame = FeatureTyper().fit(X_train, y_fit).transform
                if arm.startswith("lightgbm_grid"):
                    pred, reported, validated, members = lightgbm_grid_arm(
                        X_train, y_fit, X.loc[test], y_test, how, frame
                    )
                else:
                    model, reported, validated = lightgbm_arm(
                        X_train, y_fit, how, frame
                    )
                    pred = model.predict(frame(X.loc[test]))
                validation = (
                    "GroupKFold(5)" if "groups" in how else "TimeSeriesSplit(5)"
                )
            else:
                model = fit_arm(X_train, y_fit, arm, how, budget, seed)
                fit_time = model.fit_time_
                pred = model.predict(X.loc[test])
                members = member_gaps(model, X.loc[test], y_test)
                reported = reported_rmse(model)
                validation = model.validation_["splitter"] or model.resampling_
                validated = model.validation_["validated_rows"]
            test_rmse = _rmse(pred, y_test)
            row: dict[str, Any] = {
                "table": name,
                "arm": arm,
                "seed": seed,
                "budget": budget,
                "validation": validation,
                "validated_rows": validated,
                "reported_rmse": reported,
                "test_rmse": test_rmse,
                "fit_seconds": time.time() - start,
                "automl_fit_seconds": fit_time,
                "n_train": int((~test).sum()),
                "n_test": int(test.sum()),
                "optimism": test_rmse / reported,
                "members": members,
            }
            with path.open("a") as f:
                f.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--arms", default=",".join(ARMS))
    args = parser.parse_args()
    arms = tuple(args.arms.split(","))
    run(args.budget, args.out, args.tables.split(","), args.seed, arms)


if __name__ == "__main__":
    main()
