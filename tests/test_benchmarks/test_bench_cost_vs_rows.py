"""benchmarks.cost_vs_rows: score and memory against rows from results files."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.cost_vs_rows import cost_table, main
from benchmarks.run import append_row

# dataset -> (train rows, {system: (AUC, peak MB)})
RUNS = {
    "big": (
        1_000_000,
        {"automl": (0.80, 4000), "flaml": (0.79, 900), "lightgbm": (0.75, 300)},
    ),
    "small": (
        10_000,
        {"automl": (0.90, 1500), "flaml": (0.92, 500), "lightgbm": (0.88, 200)},
    ),
    "flaml-missing": (50_000, {"automl": (0.70, 1000), "lightgbm": (0.60, 200)}),
}


def _results(folder: Path, runs: dict = RUNS) -> Path:
    for dataset, (rows, systems) in runs.items():
        for system, (auc, memory) in systems.items():
            append_row(
                folder / "results.csv",
                {
                    "dataset": dataset,
                    "task": "binary",
                    "system": system,
                    "version": "1.0",
                    "budget": 300,
                    "seed": 0,
                    "n_jobs": 2,
                    "status": "ok",
                    "fit_seconds": 290.0,
                    "peak_memory_mb": memory,
                    "roc_auc": auc,
                    "n_train": rows,
                },
            )
    return folder


def test_tables_in_order_of_rows_with_scores_against_the_reference(
    tmp_path: Path,
) -> None:
    table = cost_table([_results(tmp_path)], 300.0, reference="lightgbm")
    assert list(dict.fromkeys(table["dataset"])) == ["small", "big"]  # complete only
    by = table.set_index(["dataset", "system"])
    assert by.at[("big", "automl"), "normalised"] == pytest.approx(1.0)
    assert by.at[("big", "flaml"), "normalised"] == pytest.approx(0.8)
    assert by.at[("small", "automl"), "normalised"] == pytest.approx(0.5)
    assert by.at[("small", "lightgbm"), "normalised"] == pytest.approx(0.0)
    assert by.at[("big", "automl"), "peak_memory_mb"] == 4000


def test_a_later_folder_replaces_an_earlier_folders_run(tmp_path: Path) -> None:
    earlier = _results(tmp_path / "earlier")
    rerun = {"big": (1_000_000, {"automl": (0.78, 3000)})}
    later = _results(tmp_path / "later", rerun)
    by = cost_table([earlier, later], 300.0).set_index(["dataset", "system"])
    assert by.at[("big", "flaml"), "normalised"] == pytest.approx(1.0)
    assert by.at[("big", "automl"), "normalised"] == pytest.approx(0.75)
    assert by.at[("big", "automl"), "peak_memory_mb"] == 3000


def test_a_failed_run_keeps_its_table_and_shows_its_status(tmp_path: Path) -> None:
    folder = _results(tmp_path)
    row = {"dataset": "big", "task": "binary", "system": "flaml", "budget": 300}
    append_row(folder / "results.csv", row | {"seed": 0, "status": "timeout"})
    assert main([str(folder)]) == 0
    markdown = (tmp_path / "cost_vs_rows.md").read_text()
    assert "| big (1,000,000) | 1.00 / 3.9 | timeout | 0.00 / 0.3 |" in markdown


def test_main_writes_the_markdown_and_the_plot(tmp_path: Path) -> None:
    assert main([str(_results(tmp_path))]) == 0
    markdown = (tmp_path / "cost_vs_rows.md").read_text()
    assert "| big (1,000,000) | 1.00 / 3.9 | 0.80 / 0.9 | 0.00 / 0.3 |" in markdown
    assert (tmp_path / "cost_vs_rows.png").stat().st_size > 0
