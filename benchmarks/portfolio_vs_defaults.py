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
over the members) says what each design costs.

Then, to tell what a larger matrix would bring: the same held-out regret of
the knowledge base's portfolio (its size chosen by leave-one-task-out, as
:func:`automl.metalearning.metadata.compile_metadata` does) with all the
matrix's task candidates, and with random shares of them (the defaults
always in). No fit runs: this reads ``matrix-*.jsonl`` and
``search-*.jsonl`` only.
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
    MAX_SIZE,
    choose_size,
    greedy_portfolio,
    held_out_regret,
    mean_cost,
    normalised_regret,
    relative_cost,
)
from benchmarks.report import markdown_table

ROOT = Path(__file__).resolve().parents[1]
SIZES = (3, 6, 9, 12, 21)
#: Shares of the task candidates kept in :func:`thinned_matrix`.
SHARES = (1.0, 0.5, 0.25)
#: Portfolio members a 60 s fit evaluates, about (leave-one-task-out runs).
EARLY_MEMBERS = 10


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


def thinned_matrix(
    losses: pd.DataFrame,
    times: pd.DataFrame,
    shares: Sequence[float] = SHARES,
    draws: int = 5,
    seed: int = 0,
) -> list[tuple[float, float, float, float]]:
    """Held-out regret of the portfolio with a share of the task candidates.

    Regrets are normalised on the whole matrix, then each draw keeps the
    family defaults and a random ``share`` of the other candidates.

    Returns
    -------
    list of (share, chosen size, regret at that size, regret after
    :data:`EARLY_MEMBERS` members)
        Means over ``draws`` random subsets (one when ``share`` is 1).
    """
    regret = normalised_regret(losses).to_numpy()
    relative = relative_cost(times).to_numpy()
    defaults = default_columns(losses.columns)
    others = [i for i in range(regret.shape[1]) if i not in defaults]
    rng = np.random.RandomState(seed)
    rows = []
    for share in shares:
        results = []
        for _ in range(1 if share == 1.0 else draws):
            kept = rng.choice(others, round(share * len(others)), replace=False)
            columns = defaults + sorted(kept.tolist())
            size = min(MAX_SIZE, len(columns))
            curve = held_out_regret(regret[:, columns], size, relative[:, columns])
            chosen = choose_size(curve)
            early = curve[min(EARLY_MEMBERS, size) - 1]
            results.append((chosen, curve[chosen - 1], early))
        rows.append((share, *np.mean(results, axis=0).tolist()))
    return rows


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
        thinned = [
            [f"{share:.2f}", f"{size:.1f}", f"{regret:.4f}", f"{early:.4f}"]
            for share, size, regret, early in thinned_matrix(losses, times)
        ]
        print(f"\n{group}: the portfolio with a share of the task candidates\n")
        header = ["share", "chosen size", "held-out regret", f"after {EARLY_MEMBERS}"]
        print(markdown_table(header, thinned))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
