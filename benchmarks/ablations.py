"""The ablation table: ours against each arm that leaves one ingredient out.

Usage, from the repository root::

    python -m benchmarks.ablations benchmarks/results/standard-60s-final
    python -m benchmarks.ablations benchmarks/results/thresholds-60s \\
        --metric balanced_accuracy \\
        --pair automl_balanced_accuracy/argmax:automl_balanced_accuracy

Every ``automl_no_<ingredient>`` system of the results is compared with
``automl`` of the same results (or each ``--pair WITHOUT:WITH``), on the
datasets both ran: wins, ties and losses of the arm *with* the ingredient
(ties as in ``benchmarks.report``), and the geometric mean over datasets of
error with / error without, where the error is 1 - AUC (or 1 - balanced
accuracy), log loss or RMSE: below 1 the ingredient helps. One row for all
datasets, then one per metric.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from benchmarks.compare_runs import outcome_rows, side_by_side
from benchmarks.report import load_results, markdown_table

ARM_PREFIX = "automl_no_"


def ablation_table(
    runs: pd.DataFrame, pairs: Sequence[tuple[str, str]]
) -> list[list[str]]:
    """Markdown rows: one per pair and metric group.

    Parameters
    ----------
    runs : DataFrame
        From ``load_results``.
    pairs : sequence of (without, with) system names

    Returns
    -------
    list of list of str
    """
    rows = []
    for without, with_ in pairs:
        table = side_by_side(runs, runs, without, with_)
        for metric, n, outcome, ratio in outcome_rows(table):
            name = f"{with_} vs {without}"
            rows.append([name, metric, str(n), outcome, f"{ratio:.3f}"])
    return rows


def default_pairs(runs: pd.DataFrame) -> list[tuple[str, str]]:
    """Every ``automl_no_*`` system of the runs against ``automl``."""
    systems = runs["system"].unique()
    arms = sorted(s for s in systems if s.startswith(ARM_PREFIX) and "/" not in s)
    return [(arm, "automl") for arm in arms]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path)
    parser.add_argument(
        "--pair",
        action="append",
        default=[],
        metavar="WITHOUT:WITH",
        help="systems to compare (default: each automl_no_* against automl)",
    )
    parser.add_argument(
        "--metric", default=None, help="a results column (default: the main metric)"
    )
    args = parser.parse_args(argv)
    runs = load_results(args.results, args.metric)
    pairs = [tuple(p.split(":", 1)) for p in args.pair] or default_pairs(runs)
    header = ["with vs without", "metric", "datasets", "W/T/L", "error ratio"]
    print(markdown_table(header, ablation_table(runs, pairs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
