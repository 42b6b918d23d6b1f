"""The portfolio against the family defaults on the recorded matrix.

``python -m benchmarks.portfolio_vs_defaults [--build-dir metadata/build]``

For every task of the builder's task × candidate matrix, leaving that task
out, the portfolio is selected on the other tasks of its group exactly as the
knowledge base selects it (cost-aware greedy, ``automl.metalearning.portfolio``),
and the task's best normalised regret (0: the best candidate on the task, 1:
the worst) is read after the portfolio's first n members, for several n, and
after the family defaults (what cold SMAC evaluates first), and after the
defaults followed by the first n members chosen, by the same greedy rule,
for what they add to the defaults. The mean relative
cost (each evaluation's time over its task's median candidate time, summed
over the members) says what each design costs. No fit runs: this reads
``matrix-*.jsonl`` and ``search-*.jsonl`` only.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from automl.metalearning.metadata import (
    default_columns,
    group_of,
    ok_values,
    read_jsonl,
)
from automl.metalearning.portfolio import (
    greedy_portfolio,
    mean_cost,
    normalised_regret,
    relative_cost,
)
from benchmarks.report import markdown_table

ROOT = Path(__file__).resolve().parents[1]
SIZES = (3, 6, 9, 12, 21)


def group_tables(
    matrix: list[dict], types: dict[str, str], group: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Losses and fit times (tasks × candidates) of one group's ok evaluations."""
    tasks = sorted(
        {r["task"] for r in matrix if group_of(types.get(r["task"], "")) == group}
    )
    candidates = sorted({r["candidate"] for r in matrix if r["task"] in tasks})
    losses = ok_values(matrix, tasks, candidates, "loss").dropna(how="all")
    times = ok_values(matrix, list(losses.index), candidates, "fit_time")
    return losses, times


def held_out_designs(
    losses: pd.DataFrame, times: pd.DataFrame, sizes: Sequence[int] = SIZES
) -> dict[str, tuple[float, float]]:
    """Mean held-out regret and mean relative cost of each design.

    Returns
    -------
    dict
        ``"defaults"``, ``"portfolio[:n]"`` and ``"defaults + n complements"``
        for n in ``sizes`` to
        (mean best regret over tasks, mean summed relative cost).
    """
    regret = normalised_regret(losses).to_numpy()
    relative = relative_cost(times).to_numpy()
    defaults = default_columns(losses.columns)
    designs: dict[str, list[tuple[float, float]]] = {"defaults": []}
    designs.update({f"portfolio[:{n}]": [] for n in sizes})
    designs.update({f"defaults + {n} complements": [] for n in sizes})
    for task in range(len(regret)):
        others = np.delete(regret, task, axis=0)
        cost = mean_cost(np.delete(relative, task, axis=0))
        members = greedy_portfolio(others, max(sizes), cost)
        complements = greedy_portfolio(
            others, max(sizes), cost, start=others[:, defaults].min(axis=1)
        )
        spent = np.nan_to_num(relative[task], nan=float(np.nanmax(relative[task])))
        reached = regret[task, defaults].min()
        designs["defaults"].append((reached, spent[defaults].sum()))
        for n in sizes:
            chosen = members[:n]
            designs[f"portfolio[:{n}]"].append(
                (regret[task, chosen].min(), spent[chosen].sum())
            )
            added = complements[:n]
            designs[f"defaults + {n} complements"].append(
                (
                    min(reached, regret[task, added].min(initial=1.0)),
                    spent[defaults].sum() + spent[added].sum(),
                )
            )
    return {
        name: (
            float(np.mean([r for r, _ in rows])),
            float(np.mean([c for _, c in rows])),
        )
        for name, rows in designs.items()
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=str(ROOT / "metadata" / "build"))
    args = parser.parse_args(argv)
    build_dir = Path(args.build_dir)
    matrix = read_jsonl(build_dir, "matrix")
    types = {r["task"]: r["type"] for r in read_jsonl(build_dir, "search")}
    for group in ("classification", "regression"):
        losses, times = group_tables(matrix, types, group)
        rows = [
            [name, f"{regret:.4f}", f"{cost:.1f}"]
            for name, (regret, cost) in held_out_designs(losses, times).items()
        ]
        print(f"\n{group}: {losses.shape[0]} tasks, {losses.shape[1]} candidates\n")
        print(markdown_table(["design", "held-out regret", "relative cost"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
