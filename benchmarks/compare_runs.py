"""One system of a later run against the same or another system of an
earlier run, dataset by dataset: a development check between scoreboards.

``python -m benchmarks.compare_runs BEFORE AFTER [--before-system automl]
[--after-system automl] [--peer autogluon_best_v150] [--metric balanced_accuracy]
[--max-rows 5000]``

Prints one row per dataset both runs have (the main metric's value in each,
or that of ``--metric``, and win / tie / loss of AFTER against BEFORE, ties
as in ``benchmarks.report``), then the counts; with ``--peer``, also both against
that system of BEFORE; last, the counts and the geometric mean of AFTER's
error over BEFORE's (:func:`outcome_rows`), for all datasets and per metric.
``--max-rows`` keeps the tables with fewer rows (train and test). The runs
were made at different times, so this is not
a scoreboard (a claim needs all systems in one run); it says whether a change
moved ours, and where.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np
import pandas as pd

from benchmarks.report import compare, load_results, markdown_table


def side_by_side(
    before: pd.DataFrame,
    after: pd.DataFrame,
    before_system: str,
    after_system: str,
    peer: str | None = None,
) -> pd.DataFrame:
    """Scores (higher is better) and outcomes per dataset that both runs have.

    Parameters
    ----------
    before, after : DataFrame
        From ``load_results`` (one seed and budget each).
    before_system, after_system : str
    peer : str or None
        A system of ``before`` to compare both with.

    Returns
    -------
    DataFrame
        Index dataset; columns ``metric``, ``before``, ``after``, ``outcome``
        (after against before) and, with a peer, ``peer``, ``before_vs_peer``,
        ``after_vs_peer``.
    """

    def scores(runs: pd.DataFrame, system: str) -> pd.Series:
        return runs[runs["system"] == system].set_index("dataset")["score"]

    table = pd.DataFrame(
        {
            "before": scores(before, before_system),
            "after": scores(after, after_system),
        }
    )
    # the datasets both systems ran (a failed run stays, as a loss)
    ran = set(before.loc[before["system"] == before_system, "dataset"])
    ran &= set(after.loc[after["system"] == after_system, "dataset"])
    table = table[table.index.isin(ran)]
    table["metric"] = after.drop_duplicates("dataset").set_index("dataset")["metric"]
    columns = {"outcome": ("after", "before")}
    if peer is not None:
        table["peer"] = scores(before, peer)
        columns |= {
            "before_vs_peer": ("before", "peer"),
            "after_vs_peer": ("after", "peer"),
        }
    for name, (a, b) in columns.items():
        table[name] = outcomes(table, a, b)
    return table


def outcomes(table: pd.DataFrame, first: str, second: str) -> list[str]:
    """Win, tie or loss of column ``first`` against ``second``, row by row
    (scores higher is better, ties by the row's ``metric``)."""
    return [
        compare(a, b, m)
        for a, b, m in zip(table[first], table[second], table["metric"], strict=True)
    ]


#: Metrics bounded above by 1, whose error is 1 - value.
BOUNDED = ("roc_auc", "balanced_accuracy")


def errors(scores: pd.Series, metrics: pd.Series) -> pd.Series:
    """Errors (lower is better, 0 is perfect) of "higher is better" scores:
    1 - AUC or 1 - balanced accuracy, log loss, RMSE."""
    bounded = metrics.isin(BOUNDED)
    return pd.Series(np.where(bounded, 1.0 - scores, -scores), index=scores.index)


def outcome_rows(table: pd.DataFrame) -> list[tuple[str, int, str, float]]:
    """(metric, datasets, "W/T/L", error ratio) for all of ``table``'s
    datasets, then per metric.

    Parameters
    ----------
    table : DataFrame
        From :func:`side_by_side` (scores higher is better).

    Returns
    -------
    list of tuple
    """
    table = table.dropna(subset=["before", "after"])
    with_ = errors(table["after"], table["metric"])
    table["log_ratio"] = np.log(with_ / errors(table["before"], table["metric"]))
    rows = []
    for name, group in [("all", table), *table.groupby("metric", sort=True)]:
        counts = group["outcome"].value_counts()
        outcome = "/".join(str(counts.get(k, 0)) for k in ("win", "tie", "loss"))
        ratio = float(np.exp(group["log_ratio"].mean()))
        rows.append((str(name), len(group), outcome, ratio))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--before-system", default="automl")
    parser.add_argument("--after-system", default="automl")
    parser.add_argument("--peer", default=None)
    parser.add_argument(
        "--metric", default=None, help="a results column (default: the main metric)"
    )
    parser.add_argument(
        "--max-rows", type=int, default=None, help="only tables with fewer rows"
    )
    args = parser.parse_args(argv)
    after = load_results(args.after, args.metric)
    table = side_by_side(
        load_results(args.before, args.metric),
        after,
        args.before_system,
        args.after_system,
        args.peer,
    )
    if args.max_rows is not None:
        rows_of = after.drop_duplicates("dataset").set_index("dataset")
        n_rows = rows_of["n_train"] + rows_of["n_test"]
        table = table[n_rows.reindex(table.index) < args.max_rows]
    columns = [c for c in table.columns if c == "outcome" or c.endswith("_vs_peer")]
    values = [c for c in ("before", "after", "peer") if c in table.columns]
    rows = [
        [dataset, row["metric"]]
        + [f"{abs(row[c]):.4g}" for c in values]
        + [row[c] for c in columns]
        for dataset, row in table.iterrows()
    ]
    print(markdown_table(["dataset", "metric", *values, *columns], rows))
    print()
    for column in [c for c in columns if c != "outcome"]:  # it is in the summary
        counts = table[column].value_counts()
        print(
            f"{column}: {counts.get('win', 0)} wins, {counts.get('tie', 0)} ties, "
            f"{counts.get('loss', 0)} losses"
        )
    summary = [[m, str(n), wtl, f"{r:.3f}"] for m, n, wtl, r in outcome_rows(table)]
    print()
    print(markdown_table(["metric", "datasets", "W/T/L", "error ratio"], summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
