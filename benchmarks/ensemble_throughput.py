"""Predict throughput of the fitted ensemble: the default vs the fast options.

The family defaults and a few sampled configurations of a corpus dataset are
the candidates (5-fold bags, see ``benchmarks.ensemble_study``);
``build_ensemble`` is run with the default (members are 5-fold bags), with
``refit_full=True`` (members refitted once on all rows), with
``max_members=3``, and with the fast-inference option: ``refit_full=True``
and ``infer_limit`` a tenth of the default's measured seconds per row. Each
predicts a 10,000-row batch (test rows drawn with replacement) three times;
the best time gives rows per second, and ``speed-up`` is relative to the
default on the same dataset, measured in the same run.

Run: ``.venv/bin/python -m benchmarks.ensemble_throughput [dataset ...]``
(default credit-g); writes ``benchmarks/results/ensemble/throughput.md``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automl.ensemble import build_ensemble
from benchmarks.ensemble_rounds import markdown
from benchmarks.ensemble_study import Study, load_study

BATCH = 10_000
OUT = Path(__file__).parent / "results" / "ensemble" / "throughput.md"
OPTIONS: dict[str, dict[str, object]] = {
    "bagged (default)": {},
    "refit_full": {"refit_full": True},
    "bagged, max_members=3": {"max_members": 3},
    "refit_full, max_members=3": {"refit_full": True, "max_members": 3},
}
#: The fast-inference option; its ``infer_limit`` is set from the default.
FAST = "fast: refit_full, infer_limit=default/10"


def rows_per_second(predict: Any, X: pd.DataFrame, repeats: int = 3) -> float:
    """Rows per second of ``predict(X)``, best of ``repeats`` calls."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        predict(X)
        best = min(best, time.perf_counter() - start)
    return len(X) / best


def measure(study: Study) -> list[dict[str, Any]]:
    """One row per option of ``OPTIONS``, then the fast option, on one dataset."""
    rng = np.random.RandomState(0)
    batch = study.test_X.iloc[rng.randint(0, len(study.test_X), BATCH)]
    rows = [option_row(study, batch, label, o) for label, o in OPTIONS.items()]
    default_seconds_per_row = 1.0 / rows[0]["rows_per_s"]
    fast = {"refit_full": True, "infer_limit": default_seconds_per_row / 10}
    rows.append(option_row(study, batch, FAST, fast))
    for row in rows:
        row["speed-up"] = row["rows_per_s"] / rows[0]["rows_per_s"]
    return rows


def option_row(
    study: Study, batch: pd.DataFrame, label: str, options: dict[str, Any]
) -> dict[str, Any]:
    """Build the ensemble with ``options``; its size, test loss and rows/s."""
    ensemble = build_ensemble(
        study.candidates, study.data, study.metric, stack=False, **options
    )
    predict = (
        ensemble.predict if study.data.task == "regression" else ensemble.predict_proba
    )
    row = {
        "dataset": study.name,
        "option": label,
        "members": len(ensemble.members),
        "models": sum(b.model.n_models for b in ensemble.base if b.weight),
        "fit_s": ensemble.fit_seconds,
        f"test {study.metric.name}": study.test_loss(
            ensemble.predict_raw(study.test_X)
        ),
        "rows_per_s": rows_per_second(predict, batch),
    }
    print(row, flush=True)
    return row


def main(names: list[str]) -> None:
    tables = [
        markdown(pd.DataFrame(measure(load_study(name, n_random=4)))) for name in names
    ]
    text = f"batch: {BATCH} rows\n\n" + "\n\n".join(tables)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:] or ["credit-g"])
