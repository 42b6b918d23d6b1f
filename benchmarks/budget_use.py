"""Where ours spends its time limit, from a scoreboard run's ``details.jsonl``.

``python -m benchmarks.budget_use benchmarks/results/<run>``

``benchmarks.run`` keeps what each of our fits reports about itself
(``System.details``: ``fit_time_``, ``search_time_``, ``ensemble_info_``)
beside ``results.csv``. This writes ``<run>/budget_use.md``: per system, the
median and maximum of fit / budget (the fit as the benchmark timed it), the
largest overrun, and the median seconds from the last trial to the end of
``fit``; per run, the time the search reserved for the final model against
what it took, and each stage of the final model against the time plan's
estimate.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.report import load_results, markdown_table
from benchmarks.run import DETAILS_FILE

REPORT_FILE = "budget_use.md"
#: The final model's stages the cost model estimates (``automl.costs``).
STAGES = (
    "selection_check",
    "members",
    "stacking_check",
    "stacking_check_stackers",
    "stack",
)


def load_details(folder: Path) -> pd.DataFrame:
    """The last details line of each (dataset, system, seed, budget)."""
    lines = (folder / DETAILS_FILE).read_text().splitlines()
    frame = pd.DataFrame([json.loads(line) for line in lines if line.strip()])
    keys = ["dataset", "system", "seed", "budget"]
    frame["budget"] = frame["budget"].astype(float)
    return frame.drop_duplicates(keys, keep="last").set_index(keys)


def runs_table(folder: Path) -> pd.DataFrame:
    """One row per run of ours: benchmark timings joined with the details."""
    results = load_results(folder / "results.csv")
    results = results[results["status"] == "ok"].copy()
    results["budget"] = results["budget"].astype(float)
    keys = ["dataset", "system", "seed", "budget"]
    details = load_details(folder)
    table = results.set_index(keys)[["fit_seconds"]].join(details, how="inner")
    table["fit_over_budget"] = table["fit_seconds"] / table.index.get_level_values(
        "budget"
    )
    table["after_search"] = table["fit_time"] - table["search_time"]
    final = table["final_model"].apply(lambda d: d if isinstance(d, dict) else {})
    table["kind"] = final.apply(lambda d: d.get("kind"))
    table["reserved"] = final.apply(lambda d: d.get("reserved_seconds"))
    for stage in STAGES:
        table[f"{stage}_s"] = final.apply(
            lambda d, s=stage: d.get("stage_seconds", {}).get(s)
        )
        table[f"{stage}_est"] = final.apply(
            lambda d, s=stage: d.get("stage_estimates", {}).get(s)
        )
    return table.reset_index()


def system_summary(table: pd.DataFrame) -> list[list[str]]:
    rows = []
    for (system, budget), runs in table.groupby(["system", "budget"]):
        over = runs["fit_seconds"] - budget
        rows.append(
            [
                str(system),
                f"{budget:g}",
                str(len(runs)),
                f"{runs['fit_over_budget'].median():.3f}",
                f"{runs['fit_over_budget'].max():.3f}",
                f"{over.max():+.1f}",
                f"{runs['after_search'].median():.1f}",
                f"{runs['reserved'].median():.1f}",
            ]
        )
    return rows


def stage_summary(table: pd.DataFrame) -> list[list[str]]:
    """Per stage: runs where it ran, median seconds, median actual / estimate."""
    rows = []
    for stage in STAGES:
        ran = table.dropna(subset=[f"{stage}_s", f"{stage}_est"])
        ran = ran[ran[f"{stage}_est"] > 0]
        if ran.empty:
            continue
        ratio = ran[f"{stage}_s"] / ran[f"{stage}_est"]
        rows.append(
            [
                stage,
                str(len(ran)),
                f"{ran[f'{stage}_s'].median():.2f}",
                f"{np.median(ratio):.2f}",
                f"{ratio.max():.2f}",
            ]
        )
    return rows


def run_rows(table: pd.DataFrame) -> list[list[str]]:
    def number(value: Any) -> str:
        return "–" if value is None or pd.isna(value) else f"{float(value):.1f}"

    return [
        [
            r.dataset,
            r.system,
            f"{r.fit_over_budget:.3f}",
            number(r.search_time),
            number(r.after_search),
            number(r.reserved),
            str(r.kind),
            " / ".join(
                f"{number(getattr(r, f'{s}_s'))} ({number(getattr(r, f'{s}_est'))})"
                for s in STAGES
            ),
        ]
        for r in table.sort_values(["system", "dataset"]).itertuples()
    ]


def report(folder: Path) -> str:
    table = runs_table(folder)
    parts = [
        f"# Budget use: {folder.name}",
        "",
        "fit / budget as the benchmark timed `fit`; *after* = seconds from the "
        "last trial to the end of `fit`; *reserved* = what the search kept free "
        "for the final model when it stopped.",
        "",
        markdown_table(
            [
                "system",
                "budget",
                "runs",
                "median fit/budget",
                "max fit/budget",
                "max over (s)",
                "median after (s)",
                "median reserved (s)",
            ],
            system_summary(table),
        ),
        "",
        "Final-model stages against the time plan's estimates (before its "
        "safety factor):",
        "",
        markdown_table(
            ["stage", "runs", "median s", "median actual/estimate", "max"],
            stage_summary(table),
        ),
        "",
        markdown_table(
            [
                "dataset",
                "system",
                "fit/budget",
                "search s",
                "after s",
                "reserved s",
                "final model",
                "selection check / members / stacking check (its stackers) / stack "
                "s (estimate)",
            ],
            run_rows(table),
        ),
    ]
    return "\n".join(parts) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="a benchmarks.run output folder")
    args = parser.parse_args(argv)
    text = report(args.folder)
    (args.folder / REPORT_FILE).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
