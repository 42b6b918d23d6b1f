"""Predict throughput of the fitted ensemble: k-fold bags vs ``refit_full``.

The family defaults and a few sampled configurations of a corpus dataset are
the candidates; ``build_ensemble`` is run with the default (members are
5-fold bags), with ``refit_full=True`` (members refitted once on all rows),
and with ``max_members=3``. Each predicts a 10,000-row batch (test rows
drawn with replacement) three times; the best time gives rows per second.

Run: ``.venv/bin/python -m benchmarks.ensemble_throughput [dataset]``; writes
``benchmarks/results/ensemble/throughput.md``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from automl.ensemble import build_ensemble
from benchmarks.ensemble_rounds import markdown
from benchmarks.ensemble_study import load_study

BATCH = 10_000
OUT = Path(__file__).parent / "results" / "ensemble" / "throughput.md"
OPTIONS: dict[str, dict[str, object]] = {
    "bagged (default)": {},
    "refit_full": {"refit_full": True},
    "bagged, max_members=3": {"max_members": 3},
    "refit_full, max_members=3": {"refit_full": True, "max_members": 3},
}


def rows_per_second(predict: object, X: pd.DataFrame, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        predict(X)  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return len(X) / best


def main(name: str) -> None:
    study = load_study(name, n_random=4)
    rng = np.random.RandomState(0)
    batch = study.test_X.iloc[rng.randint(0, len(study.test_X), BATCH)]
    rows = []
    for label, options in OPTIONS.items():
        ensemble = build_ensemble(
            study.candidates, study.data, study.metric, stack=False, **options
        )
        predict = (
            ensemble.predict
            if study.data.task == "regression"
            else ensemble.predict_proba
        )
        rows.append(
            {
                "option": label,
                "members": len(ensemble.members),
                "models": sum(b.model.n_models for b in ensemble.base if b.weight),
                "fit_s": ensemble.fit_seconds,
                f"test_{study.metric.name}": study.test_loss(
                    ensemble.predict_raw(study.test_X)
                ),
                "rows_per_s": rows_per_second(predict, batch),
            }
        )
        print(rows[-1], flush=True)
    text = f"dataset: {name}, batch: {BATCH} rows\n\n" + markdown(pd.DataFrame(rows))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "credit-g")
