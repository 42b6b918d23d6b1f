"""Coverage and size of conformal intervals and prediction sets on test rows.

On each table of a suite (the benchmark's fixed train/test split), side by
side in one run:

- ``automl``: ours at ``--budget`` seconds, ``predict_interval`` /
  ``predict_set`` from the final model's out-of-fold scores, and from the
  same fit ``automl_adaptive`` (``adaptive=True``) and ``automl_mondrian``
  (``mondrian=True``);
- ``mapie_lightgbm``: MAPIE 1.x around a default LightGBM, CV+
  (``CrossConformalRegressor(method="plus")``) for regression and LAC sets
  (``CrossConformalClassifier``) for classification, 5 folds.

For every ``alpha`` it records the test coverage (share of test rows whose
value is inside the interval, whose class is in the set), the mean interval
width divided by the training target's standard deviation, and the mean set
size. Run (resumable: finished table/system pairs are skipped)::

    python -m benchmarks.conformal --suite standard --budget 60 \\
        --out benchmarks/results/conformal-60s
    python -m benchmarks.conformal --report benchmarks/results/conformal-60s
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.datasets import DatasetSpec, load_split, read_index
from benchmarks.run import DEFAULT_DATASETS
from benchmarks.suites import select

ALPHAS = (0.1, 0.05)
SYSTEMS = ("automl", "mapie_lightgbm")


def _automl(spec: DatasetSpec, X, y, budget: float):
    from automl import AutoClassifier, AutoRegressor

    if spec.task == "regression":
        model = AutoRegressor(time_limit=budget).fit(X, y)
        return {
            "automl": lambda Xt, a: model.predict_interval(Xt, alpha=a),
            "automl_adaptive": lambda Xt, a: model.predict_interval(
                Xt, alpha=a, adaptive=True
            ),
        }, None
    model = AutoClassifier(time_limit=budget).fit(X, y)
    return {
        "automl": lambda Xt, a: model.predict_set(Xt, alpha=a),
        "automl_mondrian": lambda Xt, a: model.predict_set(Xt, alpha=a, mondrian=True),
    }, model.classes_


def _mapie_lightgbm(spec: DatasetSpec, X, y, budget: float):
    from lightgbm import LGBMClassifier, LGBMRegressor
    from mapie.classification import CrossConformalClassifier
    from mapie.regression import CrossConformalRegressor
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder

    strings = make_column_transformer(
        (
            OrdinalEncoder(
                handle_unknown="use_encoded_value",
                unknown_value=-1,
                encoded_missing_value=-2,
            ),
            make_column_selector(dtype_exclude="number"),
        ),
        remainder="passthrough",
    )
    levels = [1 - a for a in ALPHAS]
    if spec.task == "regression":
        model = CrossConformalRegressor(
            make_pipeline(strings, LGBMRegressor(verbose=-1)),
            confidence_level=levels,
            method="plus",
            cv=5,
        ).fit_conformalize(X, y)

        def interval(Xt, a):
            _, bounds = model.predict_interval(Xt)
            return bounds[:, :, levels.index(1 - a)]

        return {"mapie_lightgbm": interval}, None
    classes = np.unique(y)
    model = CrossConformalClassifier(
        make_pipeline(strings, LGBMClassifier(verbose=-1)),
        confidence_level=levels,
        conformity_score="lac",
        cv=5,
    ).fit_conformalize(X, y)

    def sets(Xt, a):
        _, bounds = model.predict_set(Xt)
        return bounds[:, :, levels.index(1 - a)]

    return {"mapie_lightgbm": sets}, classes


def measure(spec: DatasetSpec, system: str, budget: float, seed: int) -> list[dict]:
    """One fit of ``system``; a row per way it predicts (ours: plain and
    adaptive intervals, plain and Mondrian sets)."""
    X, X_test, y, y_test = load_split(spec, seed)
    start = time.time()
    fit = _automl if system == "automl" else _mapie_lightgbm
    predictors, classes = fit(spec, X, y, budget)
    seconds = time.time() - start
    rows = []
    for name, predict in predictors.items():
        try:
            rows.append(
                _scored(spec, name, seconds, predict, classes, y, X_test, y_test)
            )
        except ValueError as exc:  # e.g. no time left for the adaptive scale
            rows.append({"dataset": spec.name, "system": name, "error": repr(exc)})
    return rows


def _scored(spec, name, seconds, predict, classes, y, X_test, y_test) -> dict:
    row = {
        "dataset": spec.name,
        "task": spec.task,
        "system": name,
        "fit_seconds": seconds,
    }
    for alpha in ALPHAS:
        out = np.asarray(predict(X_test, alpha))
        if spec.task == "regression":
            truth = y_test.to_numpy(dtype=float)
            covered = (out[:, 0] <= truth) & (truth <= out[:, 1])
            width = np.mean(out[:, 1] - out[:, 0]) / float(np.std(y.to_numpy(float)))
            row[f"width_{alpha}"] = float(width)
        else:
            codes = np.searchsorted(classes, y_test.to_numpy())
            known = codes < len(classes)
            known[known] &= classes[codes[known]] == y_test.to_numpy()[known]
            covered = np.zeros(len(y_test), dtype=bool)
            covered[known] = out[np.flatnonzero(known), codes[known]]
            row[f"size_{alpha}"] = float(out.sum(axis=1).mean())
        row[f"coverage_{alpha}"] = float(covered.mean())
    return row


def run(args: argparse.Namespace) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.jsonl"
    done = set()
    if path.exists():
        done = {(r["dataset"], r["system"]) for r in map(json.loads, path.open())}
    names = args.names.split(",") if args.names else None
    specs = select(read_index(args.datasets), args.suite, names)
    for spec in specs:
        for system in SYSTEMS:
            if (spec.name, system) in done:
                continue
            try:
                rows = measure(spec, system, args.budget, args.seed)
            except Exception as exc:  # one failed table is a row, not the end
                rows = [{"dataset": spec.name, "system": system, "error": repr(exc)}]
            with path.open("a") as f:
                f.writelines(json.dumps(row) + "\n" for row in rows)
            print(*map(json.dumps, rows), sep="\n", flush=True)


def report(folder: Path) -> str:
    """Mean and worst coverage, mean width / set size, by task and system."""
    rows = pd.DataFrame(map(json.loads, (folder / "results.jsonl").open()))
    rows = rows[rows.get("error").isna()] if "error" in rows else rows
    lines = [
        "| task | system | alpha | tables | mean coverage | worst coverage "
        "| mean width / sd(y) or set size |",
        "| --- " * 7 + "|",
    ]
    for (kind, system), group in rows.groupby(
        [
            rows["task"]
            .eq("regression")
            .map({True: "regression", False: "classification"}),
            "system",
        ]
    ):
        for alpha in ALPHAS:
            cov = group[f"coverage_{alpha}"]
            size = group[f"width_{alpha}" if kind == "regression" else f"size_{alpha}"]
            lines.append(
                f"| {kind} | {system} | {alpha} | {len(group)} | {cov.mean():.3f} "
                f"| {cov.min():.3f} ({group.loc[cov.idxmin(), 'dataset']}) "
                f"| {size.mean():.3f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default=str(DEFAULT_DATASETS))
    parser.add_argument("--suite", default="standard")
    parser.add_argument("--names", help="comma-separated datasets (not the suite)")
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out")
    parser.add_argument("--report", type=Path)
    args = parser.parse_args()
    if args.report:
        print(report(args.report))
    else:
        run(args)


if __name__ == "__main__":
    main()
