"""The tail: where ours is far worse than a default random forest or the best peer.

``python -m benchmarks.tail RUN [MORE_RUNS ...] [--system automl] [--out FILE]``

A scoreboard's mean rank hides a table where ours fails badly (the hidden
confirmation of the last wave: a 275-row table at 9 times the peers' log
loss). This reads one run's ``results.csv`` and gives, per table, ours' test
error over the default random forest's and over the best peer's (AutoGluon,
FLAML) in the same run, worst first, and the worst of each. The error is
each task's main metric as a loss: 1 - ROC AUC (binary), log loss
(multiclass), RMSE (regression). A failed run of ours counts as the constant
predictor's error.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.report import impute_failures, load_runs, markdown_table

RANDOM_FOREST = "random_forest"
PEERS = ("autogluon", "flaml")


def errors(runs: pd.DataFrame) -> pd.DataFrame:
    """Test error per dataset (rows) and system (columns), lower is better."""
    runs = impute_failures(runs)
    # A score is +AUC (error 1 - AUC), or -loss (error: the loss).
    auc = runs["metric"] == "roc_auc"
    frame = runs.assign(error=np.where(auc, 1 - runs["score"], -runs["score"]))
    return frame.pivot_table(index="dataset", columns="system", values="error")


def tail_table(runs: pd.DataFrame, system: str = "automl") -> pd.DataFrame:
    """Per dataset: ours' error, the random forest's, the best peer's (and
    which), and the two ratios; worst ratio to the best peer first."""
    table = errors(runs)
    peers = [c for c in table.columns if c.startswith(PEERS) and "/" not in c]
    ran = table[peers].notna().any(axis=1)  # a table the peers have not run yet
    out = pd.DataFrame(
        {
            "error": table[system],
            "random_forest": table.get(RANDOM_FOREST),
            "best_peer": table[peers].min(axis=1) if peers else np.nan,
            "best_peer_system": (
                table.loc[ran, peers].idxmin(axis=1).reindex(table.index)
                if peers
                else None
            ),
        }
    )
    out["over_random_forest"] = out["error"] / out["random_forest"]
    out["over_best_peer"] = out["error"] / out["best_peer"]
    return out.sort_values("over_best_peer", ascending=False)


def tail_markdown(table: pd.DataFrame, system: str) -> str:
    def number(value: object, digits: int = 4) -> str:
        return "–" if value is None or pd.isna(value) else f"{float(value):.{digits}g}"

    worst_rf = table["over_random_forest"].max()
    worst_peer = table["over_best_peer"].max()
    rows = [
        [
            dataset,
            number(r.error),
            number(r.random_forest),
            f"{number(r.best_peer)} ({r.best_peer_system})",
            number(r.over_random_forest, 3),
            number(r.over_best_peer, 3),
        ]
        for dataset, r in table.iterrows()
    ]
    over_rf = int((table["over_random_forest"] > 1.5).sum())
    return "\n".join(
        [
            f"# The tail of `{system}`",
            "",
            f"Worst ratio of `{system}`'s test error to the default random "
            f"forest's: **{number(worst_rf, 3)}**; to the best peer's: "
            f"**{number(worst_peer, 3)}**; tables over 1.5 times the random "
            f"forest's error: {over_rf} of {len(table)}. Error: 1 - ROC AUC "
            "(binary), log loss (multiclass), RMSE (regression).",
            "",
            markdown_table(
                [
                    "dataset",
                    "error",
                    "random forest",
                    "best peer",
                    "/ random forest",
                    "/ best peer",
                ],
                rows,
            ),
            "",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "run",
        type=Path,
        nargs="+",
        help="benchmarks.run output folders; a later one's run replaces an "
        "earlier one's (e.g. the peers' run, then a rerun of ours)",
    )
    parser.add_argument("--system", default="automl")
    parser.add_argument("--out", type=Path, default=None, help="also write here")
    args = parser.parse_args(argv)
    runs = load_runs(args.run)
    text = tail_markdown(tail_table(runs, args.system), args.system)
    if args.out is not None:
        args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
