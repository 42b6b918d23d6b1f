"""The leave-one-task-out warm-start benchmark: report arithmetic and one tiny run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from automl.metalearning.build import main as build
from benchmarks.compare_runs import outcome_rows
from benchmarks.datasets import DatasetSpec
from benchmarks.metalearning import (
    RUNS_FILE,
    anytime_curve,
    arms_side_by_side,
    held_out_tasks,
    main,
    normalised_regret,
    normalised_scores,
    pooled_runs,
    read_runs,
    score_table,
    stratified_sample,
    wins_ties_losses,
    write_report,
)
from tests.test_benchmarks.conftest import binary_frame, write_index


def run(
    task: str,
    arm: str,
    score: float,
    metric: str = "roc_auc",
    budget: float = 10.0,
    **extra: Any,
) -> dict[str, Any]:
    kind = "regression" if metric == "rmse" else "binary"
    record = {"task": task, "type": kind, "budget": budget, "arm": arm}
    record.update(metric=metric, test_score=score, n_trials=3)
    return {"curve": [[1.0, 0.5]], **record, **extra}


# task -> (warm, cold, random) main-metric values
SCORES = {
    "a": (0.9, 0.8, 0.7),  # AUC: warm best, random worst
    "b": (10.0, 12.0, 10.0),  # RMSE: warm and random tie for best
    "c": (0.8, 0.8005, 0.8),  # AUC within 0.001: a tie throughout
}


def synthetic_runs() -> list[dict[str, Any]]:
    runs = []
    for task, values in SCORES.items():
        metric = "rmse" if task == "b" else "roc_auc"
        for arm, value in zip(("warm", "cold", "random"), values, strict=True):
            runs.append(run(task, arm, value, metric))
    runs += [run("d", "warm", 0.9), run("d", "cold", 0.8)]  # random missing
    runs += [run("e", "warm", 0.9), run("e", "random", 0.8)]
    runs.append({**run("e", "cold", 0.0), "error": "ValueError: boom"})
    runs += [run("a", arm, 0.5, budget=60.0) for arm in ("warm", "cold")]
    return runs


def test_only_tasks_with_every_arm_are_compared() -> None:
    scores = score_table(synthetic_runs(), 10.0)
    assert list(scores.index) == ["a", "b", "c"]
    assert scores.loc["b", "cold"] == -12.0  # RMSE turned higher-is-better


def test_normalised_scores_put_best_at_one_worst_at_zero_and_ties_at_one() -> None:
    normal = normalised_scores(score_table(synthetic_runs(), 10.0))
    np.testing.assert_allclose(normal.loc["a"], [1.0, 0.5, 0.0])
    np.testing.assert_allclose(normal.loc["b"], [1.0, 0.0, 1.0])
    np.testing.assert_allclose(normal.loc["c"], [1.0, 1.0, 1.0])


def test_wins_ties_losses_use_the_benchmark_tie_tolerance() -> None:
    scores = score_table(synthetic_runs(), 10.0)
    assert wins_ties_losses(scores, "warm", "cold") == (2, 1, 0)
    assert wins_ties_losses(scores, "warm", "random") == (1, 2, 0)
    assert wins_ties_losses(scores, "cold", "warm") == (0, 1, 2)


def test_arms_of_two_runs_are_compared_on_the_tasks_both_have() -> None:
    first = synthetic_runs()
    second = [{**r, "arm": "cold"} for r in first if r["arm"] == "warm"]  # a rerun
    table = arms_side_by_side(first, "cold", second, "cold", 10.0)
    assert list(table.index) == ["a", "b", "c", "d"]  # e's cold run failed
    assert list(table["outcome"]) == ["loss", "loss", "tie", "loss"]
    (_, n, outcome, ratio), *per_metric = outcome_rows(table)
    assert (n, outcome) == (4, "0/1/3")
    assert ratio > 1.0  # cold's errors are larger than the rerun's
    assert {m for m, *_ in per_metric} == {"roc_auc", "rmse"}


def test_pooled_runs_average_each_task_over_the_folders_that_all_have_it(
    tmp_path: Path,
) -> None:
    seeds = [tmp_path / "seed0", tmp_path / "seed1"]
    for folder, scores in zip(seeds, [(0.8, 0.7), (0.9, 0.6)], strict=True):
        folder.mkdir()
        records = [run("a", "warm", scores[0]), run("b", "warm", scores[1])]
        if folder.name == "seed1":
            records.append(run("c", "warm", 0.5))  # only one seed ran c
        (folder / RUNS_FILE).write_text("".join(json.dumps(r) + "\n" for r in records))
    pooled = {r["task"]: r["test_score"] for r in pooled_runs(seeds)}
    assert pooled == pytest.approx({"a": 0.85, "b": 0.65})


def test_regret_is_one_before_the_first_trial_and_zero_at_the_best_loss() -> None:
    curves = {"warm": [[1.0, 0.4], [3.0, 0.2]], "cold": [[2.0, 0.35]], "random": []}
    regret = normalised_regret(curves, np.array([0.5, 1.0, 2.0, 3.0, 10.0]))
    np.testing.assert_allclose(regret["warm"], [1, 1, 1, 0, 0])
    np.testing.assert_allclose(regret["cold"], [1, 1, 0.75, 0.75, 0.75])
    np.testing.assert_allclose(regret["random"], [1, 1, 1, 1, 1])


def test_anytime_curve_keeps_full_budget_improvements_in_finish_order() -> None:
    def trial(started: float, loss: float, **kw: Any) -> dict[str, Any]:
        base = {"started": started, "duration": 1.0, "loss": loss}
        return {"status": "ok", "budget": None, **base, **kw}

    trials = [
        trial(4.0, 0.1),
        trial(0.0, 0.5),
        trial(1.0, 0.6),  # no improvement
        trial(2.0, 0.05, budget=1 / 3),  # a lower budget: not comparable
        trial(2.5, 0.01, status="crashed"),
        trial(2.0, 0.3, budget=1.0),
    ]
    assert anytime_curve(trials) == [[1.0, 0.5], [3.0, 0.3], [5.0, 0.1]]


def test_a_sample_keeps_the_task_types_in_proportion_and_spans_the_sizes() -> None:
    specs = [
        DatasetSpec(f"{task}-{rows}", "", task, "y", n_rows=rows)
        for task, count in (("binary", 20), ("regression", 10))
        for rows in range(100, 100 * (count + 1), 100)
    ]
    sample = stratified_sample(specs, 6)
    binary = [s.n_rows for s in sample if s.task == "binary"]
    regression = [s.n_rows for s in sample if s.task == "regression"]
    assert len(binary) == 4 and len(regression) == 2
    assert (min(binary), max(binary)) == (100, 2_000)
    assert regression == [100, 1_000]


def test_report_has_the_summary_and_a_png_per_budget(tmp_path: Path) -> None:
    with (tmp_path / RUNS_FILE).open("w") as handle:
        for record in synthetic_runs():
            handle.write(json.dumps(record) + "\n")
        handle.write('{"task": "torn')  # a run killed mid-write
    assert len(read_runs(tmp_path / RUNS_FILE)) == len(synthetic_runs())
    text = write_report(tmp_path).read_text()
    assert "## Budget 10 s" in text and "## Budget 60 s" in text
    assert "3 tasks with every arm (warm, cold, random; 2 binary, 1 regression)" in text
    assert "warm vs cold: 2 wins, 1 ties, 0 losses" in text
    assert "| warm | 1.000 | 1.67 |" in text  # normalised 1, 1, 1; ranks 1, 1.5, 2.5
    # 60 s ran only warm and cold (``--arms warm,cold``): compared on their own.
    assert "1 tasks with every arm (warm, cold; 1 binary)" in text
    assert "warm vs cold: 0 wins, 1 ties, 0 losses" in text
    assert "warm vs random" not in text.split("## Budget 60 s")[1]
    assert (tmp_path / "anytime-10s.png").read_bytes()[:4] == b"\x89PNG"


@pytest.fixture(scope="module")
def tiny_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A corpus of two binary tasks and the builder's search and features records."""
    corpus = tmp_path_factory.mktemp("corpus")
    rows = []
    for seed in range(2):
        name = f"binary-{seed}"
        binary_frame(n=160, seed=seed).to_csv(corpus / f"{name}.csv", index=False)
        rows.append(
            {"name": name, "file": f"{name}.csv", "task": "binary", "target": "label"}
        )
    write_index(corpus, rows)
    out = tmp_path_factory.mktemp("metadata")
    args = ["--corpus", str(corpus), "--out", str(out), "--steps", "search,features"]
    build([*args, "--search-trials", "2", "--models", "linear"])
    return corpus, out / "build"


@pytest.mark.slow
@pytest.mark.timing  # 4 s fits: on a starved machine no trial may finish
def test_three_arms_run_resumably_on_a_held_out_task(
    tiny_build: tuple[Path, Path], tmp_path: Path
) -> None:
    corpus, build_dir = tiny_build
    assert held_out_tasks(build_dir) == {"binary-0", "binary-1"}
    args = ["--datasets", str(corpus), "--build-dir", str(build_dir)]
    args += ["--tasks", "binary-0", "--budget", "4", "--include", "linear"]
    args += ["--out", str(tmp_path), "--n-jobs", "2"]
    main(args)
    runs = {r["arm"]: r for r in read_runs(tmp_path / RUNS_FILE)}
    assert set(runs) == {"warm", "cold", "random"}
    for record in runs.values():
        assert "error" not in record, record
        assert record["workers"] == 2  # the fit ran two trials at a time
        assert 0.5 < record["test_score"] <= 1.0  # ROC AUC of a learnable task
        losses = [loss for _, loss in record["curve"]]
        assert losses == sorted(losses, reverse=True)
    # The held-out task is left out of the knowledge base: binary-1 alone is in
    # it, and its best configuration seeds the warm arm.
    assert runs["warm"]["knowledge_base"]["tasks"] == 1
    assert runs["warm"]["design"].get("nearest-task") == 1
    assert "nearest-task" not in runs["cold"]["design"]
    assert set(runs["random"]["origins"]) <= {"random"}
    main(args)  # everything is there: nothing runs again
    assert len(read_runs(tmp_path / RUNS_FILE)) == 3
    assert (tmp_path / "report.md").is_file()
