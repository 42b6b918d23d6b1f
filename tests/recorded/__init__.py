"""Deterministic fits recorded as fixtures: the proof that a refactor changed
nothing a user can see.

``python -m tests.recorded`` fits ``n_jobs=1``, ``random_state=0``,
``max_trials=12``, no time limit, on three bundled datasets (binary,
multiclass, regression) and writes, per dataset, the leaderboard without its
timings and the test-set predictions to ``tests/recorded/<task>.json``.
``tests/test_recorded_fits.py`` repeats the fits and compares. Re-record only
for a change that is meant to alter results, and say so in the commit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.model_selection import train_test_split

from automl import AutoClassifier, AutoRegressor

FOLDER = Path(__file__).parent
PARAMS = {"time_limit": None, "max_trials": 12, "n_jobs": 1, "random_state": 0}
#: Leaderboard columns that do not depend on the machine's speed (the final
#: model's rows included: their loss is the ensemble's validation loss).
COLUMNS = ["trial_id", "model", "loss", "status", "budget", "origin", "config"]
#: Libraries whose numerics the recorded losses and predictions depend on.
LIBRARIES = ["scikit-learn", "numpy", "lightgbm", "xgboost", "catboost", "smac"]


@dataclass(frozen=True)
class RecordedFit:
    task: str
    loader: Any
    estimator: type

    def run(self) -> dict[str, Any]:
        """Fit and return what is recorded (JSON-ready)."""
        X, y = self.loader(return_X_y=True, as_frame=True)
        stratify = None if self.task == "regression" else y
        X_train, X_test, y_train, _ = train_test_split(
            X, y, test_size=0.25, random_state=0, stratify=stratify
        )
        model = self.estimator(**PARAMS).fit(X_train, y_train)
        board = model.leaderboard()[COLUMNS]
        predictions = (
            model.predict(X_test)
            if self.task == "regression"
            else model.predict_proba(X_test)
        )
        return {
            "versions": {lib: metadata.version(lib) for lib in LIBRARIES},
            "leaderboard": json.loads(board.to_json(orient="records")),
            "predictions": np.asarray(predictions, dtype=float).tolist(),
        }

    @property
    def path(self) -> Path:
        return FOLDER / f"{self.task}.json"


FITS = [
    RecordedFit("binary", load_breast_cancer, AutoClassifier),
    RecordedFit("multiclass", load_wine, AutoClassifier),
    RecordedFit("regression", load_diabetes, AutoRegressor),
]


def main() -> None:
    for fit in FITS:
        fit.path.write_text(json.dumps(fit.run(), indent=1) + "\n")
        print(f"wrote {fit.path}")


if __name__ == "__main__":
    main()
