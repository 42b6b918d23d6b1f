"""The tail report: ours' error over the random forest's and the best peer's."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from benchmarks.report import load_results
from benchmarks.tail import main, tail_table


def _results(folder: Path) -> Path:
    rows = []
    for system, auc, loss in [
        ("automl", 0.90, 0.30),
        ("random_forest", 0.80, 0.10),
        ("autogluon_best", 0.95, 0.05),
        ("flaml", 0.85, 0.20),
        ("constant", 0.50, 1.00),
    ]:
        rows.append({"dataset": "bin", "task": "binary", "roc_auc": auc})
        rows.append({"dataset": "multi", "task": "multiclass", "log_loss": loss})
        rows[-2]["system"] = rows[-1]["system"] = system
    frame = pd.DataFrame(rows).assign(
        seed=0, budget=60, status="ok", message="", version=""
    )
    frame.loc[(frame.system == "automl") & (frame.dataset == "multi"), "status"] = (
        "timeout"
    )
    path = folder / "results.csv"
    frame.to_csv(path, index=False)
    return path


def test_the_tail_is_ours_error_over_the_forests_and_the_best_peers(
    tmp_path: Path,
) -> None:
    table = tail_table(load_results(_results(tmp_path)))
    # binary: 1 - AUC; ours 0.10, the forest 0.20, the best peer 0.05
    assert table.loc["bin", "over_random_forest"] == pytest.approx(0.5)
    assert table.loc["bin", "over_best_peer"] == pytest.approx(2.0)
    assert table.loc["bin", "best_peer_system"] == "autogluon_best"
    # a failed run of ours counts as the constant predictor: 1.00 / 0.10
    assert table.loc["multi", "over_random_forest"] == pytest.approx(10.0)
    assert list(table.index) == ["multi", "bin"]  # worst first


def test_the_command_writes_the_worst_ratios(tmp_path: Path) -> None:
    _results(tmp_path)
    main([str(tmp_path), "--out", str(tmp_path / "tail.md")])
    text = (tmp_path / "tail.md").read_text()
    assert "**10**" in text and "1 of 2" in text


def test_a_rerun_of_ours_replaces_its_run_in_an_earlier_folder(tmp_path: Path) -> None:
    _results(tmp_path)
    rerun = pd.DataFrame(
        [{"dataset": "multi", "task": "multiclass", "system": "automl"}]
    ).assign(log_loss=0.15, seed=0, budget=60, status="ok", message="", version="")
    (tmp_path / "rerun").mkdir()
    rerun.to_csv(tmp_path / "rerun" / "results.csv", index=False)
    main([str(tmp_path), str(tmp_path / "rerun"), "--out", str(tmp_path / "tail.md")])
    text = (tmp_path / "tail.md").read_text()
    assert "**10**" not in text and "**1.5**" in text
