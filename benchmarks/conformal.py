"""Coverage and size of conformal intervals and prediction sets on test rows.

On each table of a suite (the benchmark's fixed train/test split), side by
side in one run:

- ``automl``: ours at ``--budget`` seconds, ``predict_interval`` /
  ``predict_set`` from the final model's out-of-fold scores (the default:
  for intervals ``adaptive="auto"``), and from the same fit
  ``automl_plain`` (``adaptive=False``), ``automl_adaptive``
  (``adaptive=True``) and ``automl_mondrian`` (``mondrian=True``);
- ``mapie_lightgbm``: MAPIE 1.x around a default LightGBM, CV+
  (``CrossConformalRegressor(method="plus")``) for regression and LAC sets
  (``CrossConformalClassifier``) for classification, 5 folds;
- regression only, quantile regression at the levels ``alpha / 2``, 0.5 and
  ``1 - alpha / 2`` of every alpha, the interval read from the outer two:
  ``automl_quantile`` (ours, ``quantile_levels=``) and ``autogluon_quantile``
  (AutoGluon's ``problem_type="quantile"``, default presets, in its own
  environment ``benchmarks/.venv-autogluon``), both at ``--budget`` seconds;
  their test pinball loss over the levels (divided by sd(y)) is recorded too;
  from the same fit of ours, ``automl_cqr``: ``predict_interval`` of the
  quantile fit (conformalized quantile regression).

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
SYSTEMS = ("automl", "mapie_lightgbm", "automl_quantile", "autogluon_quantile")
REGRESSION_ONLY = ("automl_quantile", "autogluon_quantile")
LEVELS = tuple(sorted({0.5, *(a / 2 for a in ALPHAS), *(1 - a / 2 for a in ALPHAS)}))
AUTOGLUON_PYTHON = Path(__file__).parent / ".venv-autogluon" / "bin" / "python"


def _quantile_intervals(predict_quantiles):
    """Intervals and pinball rows from a predictor of the ``LEVELS`` quantiles."""

    def interval(Xt, a):
        q = np.asarray(predict_quantiles(Xt))
        return q[:, [LEVELS.index(a / 2), LEVELS.index(1 - a / 2)]]

    return interval


def _automl_quantile(spec: DatasetSpec, X, y, budget: float):
    from automl import AutoRegressor

    model = AutoRegressor(time_limit=budget, quantile_levels=LEVELS).fit(X, y)
    return {
        "automl_quantile": _quantile_intervals(model.predict),
        "automl_cqr": lambda Xt, a: model.predict_interval(Xt, alpha=a),
    }, model.predict


def _autogluon_quantile(spec: DatasetSpec, X, y, budget: float):
    import tempfile

    from autogluon.tabular import TabularPredictor

    frame = X.copy()
    frame["__target__"] = y.to_numpy()
    predictor = TabularPredictor(
        label="__target__",
        problem_type="quantile",
        quantile_levels=list(LEVELS),
        path=tempfile.mkdtemp(prefix="autogluon-quantile-"),
        verbosity=0,
    ).fit(frame, time_limit=budget, num_cpus=2)

    def quantiles(Xt):
        return np.sort(np.asarray(predictor.predict(Xt)), axis=1)

    return {"autogluon_quantile": _quantile_intervals(quantiles)}, quantiles


def _automl(spec: DatasetSpec, X, y, budget: float):
    from automl import AutoClassifier, AutoRegressor

    if spec.task == "regression":
        model = AutoRegressor(time_limit=budget).fit(X, y)
        return {
            "automl": lambda Xt, a: model.predict_interval(Xt, alpha=a),
            "automl_plain": lambda Xt, a: model.predict_interval(
                Xt, alpha=a, adaptive=False
            ),
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
    fit = {
        "automl": _automl,
        "mapie_lightgbm": _mapie_lightgbm,
        "automl_quantile": _automl_quantile,
        "autogluon_quantile": _autogluon_quantile,
    }[system]
    predictors, extra = fit(spec, X, y, budget)
    seconds = time.time() - start
    quantiles = extra if system in REGRESSION_ONLY else None
    classes = None if system in REGRESSION_ONLY else extra
    rows = []
    for name, predict in predictors.items():
        try:
            row = _scored(spec, name, seconds, predict, classes, y, X_test, y_test)
        except ValueError as exc:  # e.g. no time left for the adaptive scale
            row = {"dataset": spec.name, "system": name, "error": repr(exc)}
        if quantiles is not None and "error" not in row:
            row["pinball"] = _pinball(y_test, quantiles(X_test)) / float(np.std(y))
        rows.append(row)
    return rows


def _pinball(y_test, quantiles) -> float:
    """Mean pinball loss over ``LEVELS`` (scikit-learn's, level by level)."""
    from sklearn.metrics import mean_pinball_loss

    q = np.asarray(quantiles)
    return float(
        np.mean(
            [mean_pinball_loss(y_test, q[:, j], alpha=a) for j, a in enumerate(LEVELS)]
        )
    )


def _in_autogluon_env(spec: DatasetSpec, args: argparse.Namespace) -> list[dict]:
    """Run ``autogluon_quantile`` on one table in AutoGluon's interpreter."""
    import subprocess

    command = [
        str(AUTOGLUON_PYTHON), "-m", "benchmarks.conformal", "--worker",
        "--names", spec.name, "--datasets", str(args.datasets),
        "--budget", str(args.budget), "--seed", str(args.seed),
    ]  # fmt: skip
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
        timeout=args.budget * 4 + 300,
    )
    if done.returncode:
        tail = (done.stderr.strip().splitlines() or ["failed"])[-1]
        return [{"dataset": spec.name, "system": "autogluon_quantile", "error": tail}]
    return [
        json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")
    ]


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
    systems = args.systems.split(",") if args.systems else SYSTEMS
    unknown = sorted(set(systems) - set(SYSTEMS))
    if unknown:
        raise SystemExit(f"--systems: {unknown} unknown; the systems are {SYSTEMS}")
    for spec in specs:
        for system in systems:
            if (spec.name, system) in done or (
                system in REGRESSION_ONLY and spec.task != "regression"
            ):
                continue
            try:
                if system == "autogluon_quantile":
                    rows = _in_autogluon_env(spec, args)
                else:
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
    if "pinball" in rows:
        lines += ["", _pinball_report(rows)]
    return "\n".join(lines)


def _pinball_report(rows: pd.DataFrame) -> str:
    """Test pinball loss / sd(y) of the two quantile regressions, table by table."""
    table = rows.pivot_table(index="dataset", columns="system", values="pinball")
    pair = ["automl_quantile", "autogluon_quantile"]
    if not set(pair) <= set(table.columns):
        return ""
    table = table[pair].dropna()
    lines = [
        "| dataset | " + " | ".join(table.columns) + " | ratio |",
        "| --- " * (len(table.columns) + 2) + "|",
    ]
    ratio = table[pair[0]] / table[pair[1]]
    for name, row in table.iterrows():
        cells = " | ".join(f"{v:.4f}" for v in row)
        lines.append(f"| {name} | {cells} | {ratio[name]:.3f} |")
    wins = int((ratio < 1).sum())
    lines.append(
        f"| geometric mean ratio | | | {float(np.exp(np.log(ratio).mean())):.3f} "
        f"({wins} of {len(ratio)} lower) |"
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
    parser.add_argument(
        "--systems", help=f"comma-separated, a subset of {','.join(SYSTEMS)}"
    )
    parser.add_argument("--report", type=Path)
    parser.add_argument(
        "--worker", action="store_true", help="internal: autogluon_quantile, stdout"
    )
    args = parser.parse_args()
    if args.report:
        print(report(args.report))
    elif args.worker:
        (spec,) = select(read_index(args.datasets), "full", [args.names])
        rows = measure(spec, "autogluon_quantile", args.budget, args.seed)
        print(*map(json.dumps, rows), sep="\n", flush=True)
    else:
        run(args)


if __name__ == "__main__":
    main()
