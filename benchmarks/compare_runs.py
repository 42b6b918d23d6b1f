"""One system of a later run against the same or another system of an
earlier run, dataset by dataset: a development check between scoreboards.

``python -m benchmarks.compare_runs BEFORE AFTER [--before-system automl]
[--after-system automl] [--peer autogluon_best_v150] [--metric balanced_accuracy]``

Prints one row per dataset both runs have (the main metric's value in each,
or that of ``--metric``, and win / tie / loss of AFTER against BEFORE, ties
as in ``benchmarks.report``), then the counts; with ``--peer``, also both against
that system of BEFORE. The runs were made at different times, so this is not
a scoreboard (a claim needs all systems in one run); it says whether a change
moved ours, and where.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence

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
        table[name] = [
            compare(row[a], row[b], row["metric"]) for _, row in table.iterrows()
        ]
    return table


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
    args = parser.parse_args(argv)
    table = side_by_side(
        load_results(args.before, args.metric),
        load_results(args.after, args.metric),
        args.before_system,
        args.after_system,
        args.peer,
    )
    outcomes = [c for c in table.columns if c == "outcome" or c.endswith("_vs_peer")]
    values = [c for c in ("before", "after", "peer") if c in table.columns]
    rows = [
        [dataset, row["metric"]]
        + [f"{abs(row[c]):.4g}" for c in values]
        + [row[c] for c in outcomes]
        for dataset, row in table.iterrows()
    ]
    print(markdown_table(["dataset", "metric", *values, *outcomes], rows))
    print()
    for column in outcomes:
        counts = Counter(table[column])
        print(
            f"{column}: {counts['win']} wins, {counts['tie']} ties, "
            f"{counts['loss']} losses"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
