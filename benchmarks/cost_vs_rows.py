"""Fit quality and peak memory against the training rows, system by system.

Usage, from the repository root::

    python -m benchmarks.cost_vs_rows benchmarks/results/large-scoreboard-300s \
        [--budget 300] [--reference lightgbm] [--out FOLDER]

reads the runs of one budget (several results folders may be given; a run
of a later folder replaces the same table's and system's run of an earlier
one), and for every table that every system ran (a failed run shows as its
status and a gap in the plot), in order of training rows, gives each
system's normalised score (``--reference`` = 0, the run's best = 1, as in
:mod:`benchmarks.report`), its peak memory (the run's whole process tree)
and its fit time. Writes ``cost_vs_rows.md`` and ``cost_vs_rows.png``
(score and memory against rows, log scale) into ``--out`` (default: the
first folder).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from benchmarks.report import load_runs, markdown_table, results_file, summarise

SYSTEMS = ("automl", "flaml", "autogluon_best_v150", "autogluon_medium", "lightgbm")
MARKDOWN_FILE = "cost_vs_rows.md"
PLOT_FILE = "cost_vs_rows.png"
#: Normalised scores below this are drawn on it, with their value written.
SCORE_FLOOR = -1.0


def cost_table(
    folders: Sequence[str | Path], budget: float, reference: str = "lightgbm"
) -> pd.DataFrame:
    """One row per (table, system): rows, normalised score, peak MB, fit s.

    Parameters
    ----------
    folders : sequence of str or Path
        Results folders (or ``results.csv`` files) of one protocol; a later
        folder's run of a (table, system) replaces an earlier folder's.
    budget : float
        The budget whose runs are read.
    reference : str, default="lightgbm"
        The system that scores 0.

    Returns
    -------
    DataFrame
        Columns ``dataset``, ``n_train``, ``system``, ``normalised``,
        ``peak_memory_mb``, ``fit_seconds``, ``status``; sorted by rows.
    """
    runs = load_runs(folders)
    runs = runs[runs["budget"] == budget]
    summary = summarise(runs, budget, reference)
    systems = [s for s in SYSTEMS if s in set(runs["system"])]
    ran = runs[runs["system"].isin(systems)].groupby("dataset")["system"].nunique()
    complete = ran.index[ran == len(systems)]
    n_train = runs.groupby("dataset")["n_train"].max()  # a killed run may lack it
    rows = []
    for (dataset, system), run in runs.groupby(["dataset", "system"]):
        if dataset not in complete or system not in systems:
            continue
        first = run.iloc[0]
        rows.append(
            {
                "dataset": dataset,
                "n_train": int(n_train[dataset]),
                "system": system,
                "normalised": summary.normalised.at[dataset, system]
                if first["status"] == "ok"
                else float("nan"),
                "peak_memory_mb": float(first["peak_memory_mb"]),
                "fit_seconds": float(first["fit_seconds"]),
                "status": first["status"],
            }
        )
    table = pd.DataFrame(rows)
    order = {s: i for i, s in enumerate(SYSTEMS)}
    return table.sort_values(
        ["n_train", "system"], key=lambda c: c.map(order) if c.name == "system" else c
    ).reset_index(drop=True)


def cost_markdown(table: pd.DataFrame) -> str:
    """Tables by rows: normalised score / peak GB per system, one row each."""
    systems = [s for s in SYSTEMS if s in set(table["system"])]
    lines = []
    for (dataset, n_train), group in table.groupby(["dataset", "n_train"], sort=False):
        by = group.set_index("system")
        cells = [f"{dataset} ({n_train:,})"]
        for system in systems:
            score, memory = by.at[system, "normalised"], by.at[system, "peak_memory_mb"]
            status = by.at[system, "status"]
            cells.append(
                f"{score:.2f} / {memory / 1024:.1f}" if status == "ok" else str(status)
            )
        lines.append(cells)
    return markdown_table(["table (train rows)", *systems], lines)


def plot_costs(table: pd.DataFrame, path: str | Path) -> Path:
    """Normalised score and peak memory against training rows, to PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (score_axes, memory_axes) = plt.subplots(1, 2, figsize=(11, 4))
    for system, group in table.groupby("system", sort=False):
        scores = group["normalised"].clip(lower=SCORE_FLOOR)
        (line,) = score_axes.plot(group["n_train"], scores, "o-", label=system)
        for rows, score in zip(group["n_train"], group["normalised"], strict=True):
            if score < SCORE_FLOOR:  # far below the rest: drawn on the floor
                score_axes.annotate(
                    f"{score:.1f}",
                    (rows, SCORE_FLOOR),
                    color=line.get_color(),
                    fontsize=7,
                    xytext=(3, 3),
                    textcoords="offset points",
                )
        memory_axes.plot(group["n_train"], group["peak_memory_mb"] / 1024, "o-")
    for axes in (score_axes, memory_axes):
        axes.set_xscale("log")
        axes.set_xlabel("training rows")
        axes.grid(alpha=0.3)
    score_axes.set_ylabel("normalised score (reference 0, best 1)")
    memory_axes.set_ylabel("peak memory, GB (process tree)")
    memory_axes.set_yscale("log")
    score_axes.legend(fontsize=8)
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m benchmarks.cost_vs_rows``."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.cost_vs_rows", description=__doc__.split("\n")[0]
    )
    parser.add_argument("results", nargs="+", help="results folders or files")
    parser.add_argument("--budget", type=float, default=300.0)
    parser.add_argument("--reference", default="lightgbm")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    out = Path(args.out) if args.out else results_file(args.results[0]).parent
    table = cost_table(args.results, args.budget, args.reference)
    markdown = cost_markdown(table)
    (out / MARKDOWN_FILE).write_text(markdown + "\n")
    plot = plot_costs(table, out / PLOT_FILE)
    print(markdown)
    print(f"wrote {out / MARKDOWN_FILE}, {plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
