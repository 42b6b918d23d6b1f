"""Evidence for the ensemble's defaults: greedy rounds and dynamic stacking.

For each dataset (80/20 split of the corpus, seed 0), the family defaults and
a few sampled configurations are fitted as 5-fold bags on the training part.
Then, on the test part:

* greedy ensemble selection on the OOF predictions with 1 (the best single
  model), 5, 10, 25, 50 and 100 rounds;
* the plain ensemble over the stack's 5 diverse base models; greedy selection
  over layers 1 and 2 jointly; the stack as built (greedy selection over the
  two stackers); each stacker alone; and what the dynamic-stacking check
  decided (plain ensemble vs stack, on a held-out fold of the training part).

Run: ``.venv/bin/python -m benchmarks.ensemble_rounds [dataset ...]``; writes
``benchmarks/results/ensemble/rounds.md``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from automl.ensemble import (
    check_stacking,
    diverse_bases,
    fit_stackers,
    greedy_ensemble_selection,
    metric_loss,
)
from automl.evaluation import TrialSettings
from benchmarks.ensemble_study import Study, load_study

DATASETS = [
    "credit-g",
    "australian",
    "blood-transfusion",
    "vehicle",
    "cmc",
    "concrete-strength",
]
ROUNDS = [1, 5, 10, 25, 50, 100]
OUT = Path(__file__).parent / "results" / "ensemble" / "rounds.md"


def rounds_row(study: Study) -> dict[str, float]:
    loss_fn = metric_loss(study.metric, study.data.task)
    oof = [c.predictions for c in study.candidates]
    row = {}
    for rounds in ROUNDS:
        sel = greedy_ensemble_selection(oof, study.data.y, loss_fn, rounds=rounds)
        row[f"r{rounds}"] = study.test_loss(sel.combine(study.test_predictions))
    return row


def stacking_row(study: Study) -> dict[str, float | str]:
    data, task = study.data, study.data.task
    loss_fn = metric_loss(study.metric, task)
    settings = TrialSettings(metric=study.metric, crash_loss=1e9, n_threads=1)
    bases = diverse_bases(study.candidates, 5)
    oof = [study.candidates[i].predictions for i in bases]
    test = [study.test_predictions[i] for i in bases]
    plain = greedy_ensemble_selection(oof, data.y, loss_fn)
    stackers = fit_stackers(oof, data, settings, seed=0, deadline=None)
    joint = greedy_ensemble_selection(
        [*oof, *(s.oof for s in stackers)], data.y, loss_fn
    )
    test_l2 = [s.predict_raw(test, study.test_X) for s in stackers]
    layer2 = greedy_ensemble_selection([s.oof for s in stackers], data.y, loss_fn)
    check = check_stacking(
        [(study.candidates[i].config, 0) for i in bases],
        data,
        settings,
        loss_fn,
        seed=0,
        deadline=None,
        rounds=25,
    )
    return {
        "plain_oof": plain.loss,
        "stack_oof": layer2.loss,
        "plain_test": study.test_loss(plain.combine(test)),
        "joint_l1_l2_test": study.test_loss(joint.combine([*test, *test_l2])),
        "stack_test": study.test_loss(layer2.combine(test_l2)),
        "linear_test": study.test_loss(test_l2[0]),
        "lgbm_test": study.test_loss(test_l2[1]),
        "check": "stack" if check.use_stack else "plain",
    }


def main(names: list[str]) -> None:
    rows = []
    for name in names:
        study = load_study(name)
        row: dict[str, float | str] = {"dataset": name, "metric": study.metric.name}
        row["n_models"] = len(study.candidates)
        row.update(rounds_row(study))
        row.update(stacking_row(study))
        print(row, flush=True)
        rows.append(row)
    frame = pd.DataFrame(rows)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    text = markdown(frame)
    OUT.write_text(__doc__.split("\n\n")[0] + "\n\n" + text + "\n")
    print(text)


def markdown(frame: pd.DataFrame) -> str:
    """A markdown table (without the optional ``tabulate`` dependency)."""

    def cell(value: object) -> str:
        return f"{value:.4f}" if isinstance(value, float | np.floating) else str(value)

    lines = ["| " + " | ".join(map(str, frame.columns)) + " |"]
    lines.append("|" + "---|" * len(frame.columns))
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main(sys.argv[1:] or DATASETS)
