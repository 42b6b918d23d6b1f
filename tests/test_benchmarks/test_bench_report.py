"""The report: scores, normalisation, ranks, W/T/L, markdown and PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks import report
from benchmarks.ablations import default_pairs
from benchmarks.compare_runs import main as compare_runs_main
from benchmarks.compare_runs import outcome_rows, side_by_side
from benchmarks.report import build_report, is_tie, load_results, summarise
from benchmarks.run import RESULT_COLUMNS, append_row

# dataset -> system -> main metric value (AUC for "bin", RMSE for "reg").
VALUES = {
    "bin": {"automl": 0.90, "lightgbm": 0.85, "random_forest": 0.80, "constant": 0.5},
    "reg": {"automl": 8.0, "lightgbm": 9.0, "random_forest": 10.0, "constant": 20.0},
}


def write_results(
    folder: Path, failed: dict[tuple[str, str], str] | None = None
) -> Path:
    """Write a hand-made results file; ``failed`` maps (dataset, system) to status."""
    failed = failed or {}
    path = folder / "results.csv"
    for dataset, systems in VALUES.items():
        task, metric = (
            ("binary", "roc_auc") if dataset == "bin" else ("regression", "rmse")
        )
        for system, value in systems.items():
            status = failed.get((dataset, system), "ok")
            row = {
                "dataset": dataset,
                "task": task,
                "system": system,
                "version": f"{system} 1.0",
                "budget": 10,
                "seed": 0,
                "n_jobs": 2,
                "status": status,
                "fit_seconds": 5.0 if system == "automl" else 1.0,
                "predict_seconds": 0.1,
            }
            if status == "ok":
                row[metric] = value
            else:
                row["message"] = "killed at the hard timeout, 30 s"
            append_row(path, row)
    return path


def test_hand_made_file_has_the_runner_columns(tmp_path: Path) -> None:
    frame = pd.read_csv(write_results(tmp_path))
    assert list(frame.columns) == list(RESULT_COLUMNS)


def test_normalised_score_is_zero_for_rf_and_one_for_the_best(tmp_path: Path) -> None:
    summary = summarise(load_results(write_results(tmp_path)), 10)
    normalised = summary.normalised
    assert normalised.loc["bin"].to_dict() == pytest.approx(
        {"automl": 1.0, "lightgbm": 0.5, "random_forest": 0.0, "constant": -3.0}
    )
    assert normalised.loc["reg"].to_dict() == pytest.approx(
        {"automl": 1.0, "lightgbm": 0.5, "random_forest": 0.0, "constant": -5.0}
    )
    systems = summary.systems.set_index("system")
    assert systems.loc["automl", "mean rank"] == 1.0
    assert systems.loc["constant", "mean rank"] == 4.0
    assert systems.loc["lightgbm", "mean normalised score"] == pytest.approx(0.5)
    assert systems.loc["automl", "W/T/L vs lightgbm"] == "2/0/0"
    assert systems.loc["automl", "W/T/L vs random_forest"] == "2/0/0"
    assert systems.loc["constant", "W/T/L vs random_forest"] == "0/0/2"
    assert systems.loc["automl", "median fit time / budget"] == pytest.approx(0.5)
    assert list(summary.scores.columns) == [
        "automl",
        "lightgbm",
        "random_forest",
        "constant",
    ]


def test_another_reference_scores_zero_where_the_forest_was_not_run(
    tmp_path: Path,
) -> None:
    runs = load_results(write_results(tmp_path))
    summary = summarise(runs[runs["system"] != "random_forest"], 10, "lightgbm")
    assert summary.normalised.loc["bin"].to_dict() == pytest.approx(
        {"automl": 1.0, "lightgbm": 0.0, "constant": -7.0}
    )
    markdown, _ = build_report(
        tmp_path / "results.csv", tmp_path / "out", reference="lightgbm"
    )
    assert "(lightgbm = 0, best = 1)" in markdown
    assert "(score - lightgbm) / (best - lightgbm)" in markdown


def test_failure_is_scored_as_the_constant_predictor(tmp_path: Path) -> None:
    path = write_results(tmp_path, {("reg", "automl"): "timeout"})
    summary = summarise(load_results(path), 10)
    assert summary.scores.at["reg", "automl"] == -20.0
    # lightgbm is now the best on "reg": (-20 - -10) / (-9 - -10) = -10.
    assert summary.normalised.at["reg", "automl"] == pytest.approx(-10.0)
    assert summary.ranks.at["reg", "automl"] == 3.5  # tied with the constant
    systems = summary.systems.set_index("system")
    assert systems.loc["automl", "failures"] == 1
    assert systems.loc["automl", "W/T/L vs lightgbm"] == "1/0/1"
    assert systems.loc["lightgbm", "mean normalised score"] == pytest.approx(0.75)


def test_a_failure_without_a_constant_run_is_named_as_left_out(
    tmp_path: Path,
) -> None:
    runs = load_results(write_results(tmp_path, {("reg", "automl"): "timeout"}))
    summary = summarise(runs[runs["system"] != "constant"], 10)
    assert np.isnan(summary.normalised.at["reg", "automl"])
    settings = report.settings_markdown(summary, ["results.csv"])
    assert "left out of the means" in settings
    assert "reg / automl" in settings
    scored = report.settings_markdown(summarise(runs, 10), ["results.csv"])
    assert "left out of the means" not in scored


def test_rf_as_the_best_leaves_the_dataset_unnormalised(tmp_path: Path) -> None:
    path = write_results(
        tmp_path, {("bin", "automl"): "error", ("bin", "lightgbm"): "error"}
    )
    normalised = summarise(load_results(path), 10).normalised
    assert normalised.loc["bin"].isna().all()
    assert not normalised.loc["reg"].isna().any()


def test_last_row_of_a_run_wins(tmp_path: Path) -> None:
    path = write_results(tmp_path, {("bin", "automl"): "timeout"})
    append_row(
        path,
        {
            "dataset": "bin",
            "task": "binary",
            "system": "automl",
            "budget": 10,
            "seed": 0,
            "status": "ok",
            "roc_auc": 0.95,
        },
    )
    runs = load_results(path)
    assert len(runs) == 8
    assert runs.set_index(["dataset", "system"]).at[("bin", "automl"), "value"] == 0.95


def test_a_later_results_file_replaces_an_earlier_ones_runs(tmp_path: Path) -> None:
    peers = write_results(tmp_path / "peers", {("reg", "automl"): "timeout"})
    rerun = tmp_path / "rerun" / "results.csv"
    row = {"dataset": "reg", "task": "regression", "system": "automl"}
    append_row(rerun, row | {"budget": 10, "seed": 0, "status": "ok", "rmse": 7.0})

    markdown, _ = build_report([peers, rerun.parent], tmp_path / "out")

    assert "| reg | regression | RMSE ↓ | **7** | 9 | 10 | 20 |" in markdown
    assert "reg / automl / seed 0: timeout" not in markdown


def test_ties_use_a_relative_and_an_absolute_tolerance() -> None:
    assert is_tie(0.9005, 0.9, "roc_auc")
    assert not is_tie(0.902, 0.9, "roc_auc")
    assert is_tie(-100.05, -100.0, "rmse")
    assert not is_tie(-100.2, -100.0, "rmse")
    assert report.compare(np.nan, 1.0, "rmse") == "loss"


def test_build_report_writes_markdown_and_png(tmp_path: Path) -> None:
    path = write_results(tmp_path, {("reg", "automl"): "timeout"})
    markdown, files = build_report(path, tmp_path / "out")
    assert [f.name for f in files] == ["report.md", "normalised_scores.png"]
    assert files[0].read_text() == markdown
    assert files[1].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| system | version | mean rank | mean normalised score |" in markdown
    assert "| bin | binary | AUC ↑ | **0.9** | 0.85 | 0.8 | 0.5 |" in markdown
    assert "| reg | regression | RMSE ↓ | timeout |" in markdown
    assert "- automl loses to lightgbm on reg" in markdown
    assert "reg / automl / seed 0: timeout" in markdown


def test_report_leaves_out_systems_not_asked_for(tmp_path: Path) -> None:
    path = write_results(tmp_path)
    row = {"dataset": "bin", "task": "binary", "system": "automl_no_x/best_single"}
    append_row(path, row | {"budget": 10, "seed": 0, "status": "ok", "roc_auc": 0.99})
    everything, _ = build_report(path, tmp_path / "all")
    asked = ["automl", "lightgbm", "random_forest", "constant"]
    scoreboard, _ = build_report(path, tmp_path / "scoreboard", systems=asked)
    assert "| automl_no_x/best_single |" in everything
    assert "automl_no_x" not in scoreboard
    assert "| bin | binary | AUC ↑ | **0.9** | 0.85 | 0.8 | 0.5 |" in scoreboard


def test_report_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_results(tmp_path)
    assert report.main([str(tmp_path)]) == 0
    output = capsys.readouterr().out
    assert "## Summary" in output and "wrote " in output
    assert (tmp_path / "report.md").is_file()
    assert (tmp_path / "normalised_scores.png").is_file()


def test_added_results_are_reported_as_another_system(tmp_path: Path) -> None:
    ours = write_results(tmp_path / "ours")
    older = write_results(tmp_path / "older")
    frame = pd.read_csv(older)
    frame.loc[frame["system"] == "automl", "roc_auc"] = 0.7  # the older one loses
    frame.to_csv(older, index=False)

    markdown, _ = build_report(ours, tmp_path / "out", added={"foundation": older})

    header = next(line for line in markdown.splitlines() if "W/T/L vs" in line)
    assert "W/T/L vs foundation" in header
    row = next(line for line in markdown.splitlines() if line.startswith("| bin |"))
    assert "| 0.7 |" in row
    summary_row = next(
        line for line in markdown.splitlines() if line.startswith("| automl |")
    )
    cells = [c.strip() for c in summary_row.split("|")]
    column = [c.strip() for c in header.split("|")].index("W/T/L vs foundation")
    assert cells[column] == "1/1/0"  # won bin, tied reg (same RMSE)


def test_every_system_is_counted_against_autogluon_best_v150(tmp_path: Path) -> None:
    path = write_results(tmp_path)
    for dataset, task, metric, value in [
        ("bin", "binary", "roc_auc", 0.88),
        ("reg", "regression", "rmse", 7.0),
    ]:
        append_row(
            path,
            {
                "dataset": dataset,
                "task": task,
                "system": "autogluon_best_v150",
                "version": "autogluon.tabular 1.6",
                "budget": 10,
                "seed": 0,
                "n_jobs": 2,
                "status": "ok",
                "fit_seconds": 10.0,
                "predict_seconds": 0.1,
                metric: value,
            },
        )
    systems = summarise(load_results(path), 10).systems.set_index("system")
    assert systems.loc["automl", "W/T/L vs autogluon_best_v150"] == "1/0/1"
    assert systems.loc["lightgbm", "W/T/L vs autogluon_best_v150"] == "0/0/2"
    assert list(systems.index[:2]) == ["automl", "autogluon_best_v150"]


def test_ours_from_another_tree_is_counted_against_too(tmp_path: Path) -> None:
    path = write_results(tmp_path)
    for dataset, task, metric, value in [
        ("bin", "binary", "roc_auc", 0.91),
        ("reg", "regression", "rmse", 8.5),
    ]:
        row = {"dataset": dataset, "task": task, "system": "automl@before"}
        row.update(version="automl 0.1.0", budget=10, seed=0, n_jobs=2)
        append_row(path, {**row, "status": "ok", "fit_seconds": 9.0, metric: value})
    systems = summarise(load_results(path), 10).systems.set_index("system")
    assert systems.loc["automl", "W/T/L vs automl@before"] == "1/0/1"


def test_two_runs_compare_dataset_by_dataset(tmp_path: Path) -> None:
    before = load_results(write_results(tmp_path / "before"))
    after = before.copy()
    # ours improves on "bin" (AUC up) and loses on "reg" (RMSE up)
    ours = after["system"] == "automl"
    after.loc[ours, "score"] = after.loc[ours, "score"] + [0.05, -3.0]
    table = side_by_side(before, after, "automl", "automl", peer="lightgbm")
    assert table["outcome"].to_dict() == {"bin": "win", "reg": "loss"}
    # only the datasets both systems ran
    partial = before[~((before["system"] == "lightgbm") & (before["dataset"] == "reg"))]
    assert list(side_by_side(partial, after, "lightgbm", "automl").index) == ["bin"]
    assert table["before_vs_peer"].to_dict() == {"bin": "win", "reg": "win"}
    assert table["after_vs_peer"].to_dict() == {"bin": "win", "reg": "loss"}


def test_runs_can_be_scored_on_another_metric_column(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    for system, balanced in [("automl", 0.70), ("argmax", 0.60)]:
        row = {"dataset": "bin", "task": "binary", "system": system, "budget": 10}
        row |= {"seed": 0, "status": "ok", "roc_auc": 0.9}
        append_row(path, row | {"balanced_accuracy": balanced})
    main = load_results(path).set_index("system")
    assert main["metric"].eq("roc_auc").all() and main.loc["automl", "score"] == 0.9
    runs = load_results(path, "balanced_accuracy")
    assert runs["metric"].eq("balanced_accuracy").all()
    table = side_by_side(runs, runs, "argmax", "automl")
    assert table.loc["bin", ["before", "after"]].tolist() == [0.6, 0.7]
    assert table.loc["bin", "outcome"] == "win"


def test_outcome_rows_count_outcomes_and_average_error_ratios(
    tmp_path: Path,
) -> None:
    path = write_results(tmp_path)
    for dataset, task, metric, value in [
        ("bin", "binary", "roc_auc", 0.80),  # error 0.2 against ours' 0.1
        ("reg", "regression", "rmse", 2.0),  # against ours' 8.0
    ]:
        row = {"dataset": dataset, "task": task, "system": "automl_no_x"}
        append_row(path, row | {"budget": 10, "seed": 0, "status": "ok", metric: value})
    runs = load_results(path)
    assert default_pairs(runs) == [("automl_no_x", "automl")]
    rows = outcome_rows(side_by_side(runs, runs, "automl_no_x", "automl"))
    assert rows == [
        ("all", 2, "1/0/1", pytest.approx((0.5 * 4.0) ** 0.5)),
        ("rmse", 1, "0/0/1", pytest.approx(4.0)),
        ("roc_auc", 1, "1/0/0", pytest.approx(0.5)),
    ]


def test_compare_runs_keeps_only_tables_under_max_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_results(tmp_path)
    frame = pd.read_csv(path)
    frame["n_train"], frame["n_test"] = (
        frame["dataset"].map({"bin": 800, "reg": 8000}),
        200,
    )
    frame.to_csv(path, index=False)
    compare_runs_main([str(path), str(path), "--max-rows", "5000"])
    printed = capsys.readouterr().out
    assert "| bin |" in printed and "| reg |" not in printed
    assert "| all | 1 | 0/1/0 | 1.000 |" in printed
