"""One fit, member by member: where the ensemble wins or loses on the test rows.

Fits ``AutoClassifier`` / ``AutoRegressor`` on a corpus dataset's benchmark
split (seed 0, ``n_jobs=1``, the dataset left out of the meta-learning, as in
``benchmarks.run``), then prints each first-layer member's weight,
validation loss and test loss, the ensemble's and the best single model's
test loss, and the same two again without the test rows on which the
ensemble errs most (per-row loss: squared error, or the log loss of the true
class).

Run: ``.venv/bin/python -m benchmarks.ensemble_members DATASET [BUDGET [N_ROWS]]``
(default 60 s, 1 row left out); writes
``benchmarks/results/ensemble/members-DATASET.md``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from automl import AutoClassifier, AutoRegressor
from automl.metrics import score_predictions
from benchmarks.datasets import load_split, read_index
from benchmarks.ensemble_rounds import markdown
from benchmarks.run import DEFAULT_DATASETS
from benchmarks.systems import OPTIMISED_METRIC, metadata_without

OUT = Path(__file__).parent / "results" / "ensemble"


def per_row_loss(task: str, y: np.ndarray, raw: np.ndarray) -> np.ndarray:
    """Squared error, or minus the log of the true class's probability."""
    if task == "regression":
        return (raw - y) ** 2
    return -np.log(np.clip(raw[np.arange(len(y)), y], 1e-15, 1.0))


def main(name: str, budget: float = 60.0, n_rows: int = 1) -> str:
    spec = next(s for s in read_index(DEFAULT_DATASETS) if s.name == name)
    X_train, X_test, y_train, y_test = load_split(spec, 0)
    kind = AutoRegressor if spec.task == "regression" else AutoClassifier
    with tempfile.TemporaryDirectory() as folder:
        model = kind(
            time_limit=budget,
            metric=OPTIMISED_METRIC[spec.task],
            random_state=0,
            n_jobs=1,
            meta_learning=metadata_without(name, Path(folder)),
        ).fit(X_train, y_train)
    ensemble, metric, task = model.model_, model.metric_, model.task_
    X = model.typer_.transform(X_test)
    y = (
        y_test.to_numpy(float)
        if task == "regression"
        else np.searchsorted(model.classes_, y_test.to_numpy())
    )
    board = model.leaderboard().set_index("trial_id", drop=False)
    raw = {m.name: m.model.predict_raw(X) for m in ensemble.base}
    best = min(ensemble.base, key=lambda m: board.at[m.trial_id, "loss"])
    ensemble_raw = ensemble.predict_raw(X)
    worst = np.argsort(-per_row_loss(task, y, ensemble_raw))[:n_rows]
    rest = np.setdiff1d(np.arange(len(y)), worst)

    def loss(pred: np.ndarray, rows: np.ndarray | slice = slice(None)) -> float:
        return score_predictions(metric, y[rows], pred[rows], task)

    members = pd.DataFrame(
        {
            "member": m.name,
            "weight": m.weight,
            "validation loss": float(board.at[m.trial_id, "loss"]),
            "test loss": loss(raw[m.name]),
            f"test loss without the worst {n_rows}": loss(raw[m.name], rest),
        }
        for m in ensemble.base
    )
    summary = pd.DataFrame(
        {
            "predictor": label,
            "test loss": loss(pred),
            f"test loss without the worst {n_rows}": loss(pred, rest),
        }
        for label, pred in (
            (f"ensemble ({ensemble.kind})", ensemble_raw),
            (f"best single ({best.name})", raw[best.name]),
        )
    )
    worst_rows = pd.DataFrame(
        {
            "test row": worst,
            "target": y_test.iloc[worst].to_numpy(),
            **{
                label: pred[worst] if task == "regression" else pred[worst, y[worst]]
                for label, pred in (
                    ("ensemble", ensemble_raw),
                    ("best", raw[best.name]),
                )
            },
        }
    )
    text = (
        f"# {name}: ensemble members, {budget:g} s fit ({metric.name})\n\n"
        f"decision: {ensemble.decision}\n\n{markdown(members)}\n\n"
        f"{markdown(summary)}\n\nThe ensemble's worst test rows (predictions, "
        f"or probabilities of the true class):\n\n{markdown(worst_rows)}\n"
    )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"members-{name}.md").write_text(text)
    return text


if __name__ == "__main__":
    args = sys.argv[1:]
    print(
        main(
            args[0],
            float(args[1]) if len(args) > 1 else 60.0,
            int(args[2]) if len(args) > 2 else 1,
        )
    )
