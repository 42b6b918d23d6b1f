"""The runner: one process per run, rows, resume, timeouts, errors, peers."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from benchmarks import budget_use
from benchmarks import run as runner
from benchmarks.datasets import DatasetSpec, read_index
from benchmarks.run import RESULT_COLUMNS, read_rows, run_benchmark
from benchmarks.systems import (
    AutoML,
    AutoMLBalancedAccuracy,
    LightGBM,
    RunSettings,
    metadata_without,
)
from tests.test_benchmarks.conftest import binary_frame

pytestmark = pytest.mark.slow

BASELINES = ["constant", "lightgbm", "random_forest"]


@pytest.fixture(scope="module")
def baseline_results(
    tiny_datasets: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Results of the three baselines on both tiny datasets, budget 2 s."""
    out = tmp_path_factory.mktemp("results")
    run_benchmark(read_index(tiny_datasets), BASELINES, 2, [0], out, n_jobs=1)
    return out


def test_one_row_per_run_with_every_column(baseline_results: Path) -> None:
    frame = pd.read_csv(baseline_results / "results.csv")
    assert list(frame.columns) == list(RESULT_COLUMNS)
    assert len(frame) == 6
    assert set(frame["status"]) == {"ok"}, frame["message"].tolist()
    assert set(frame["system"]) == set(BASELINES)
    assert (frame["budget"] == 2).all() and (frame["n_jobs"] == 1).all()
    assert frame["version"].str.contains(r"\d").all()
    assert (frame["fit_seconds"] >= 0).all() and (frame["predict_seconds"] >= 0).all()
    assert (frame["peak_memory_mb"] > 0).all()
    assert (frame["n_test"] > 0).all()


def test_metrics_follow_the_task(baseline_results: Path) -> None:
    frame = pd.read_csv(baseline_results / "results.csv").set_index(
        ["dataset", "system"]
    )
    binary = frame.loc["tiny-binary"]
    regression = frame.loc["tiny-regression"]
    assert binary[["roc_auc", "log_loss", "balanced_accuracy"]].notna().all().all()
    assert binary[["rmse", "r2"]].isna().all().all()
    assert regression[["rmse", "r2"]].notna().all().all()
    assert regression[["roc_auc", "log_loss"]].isna().all().all()
    assert binary.loc["constant", "roc_auc"] == 0.5
    assert binary.loc["lightgbm", "roc_auc"] > 0.7
    assert regression.loc["random_forest", "r2"] > 0


def test_logs_are_written_per_run(baseline_results: Path) -> None:
    logs = sorted(p.name for p in (baseline_results / "logs").iterdir())
    assert "tiny-binary.lightgbm.seed0.budget2.log" in logs
    assert len(logs) == 6


def test_rerun_skips_finished_runs(
    baseline_results: Path, tiny_datasets: Path, tmp_path: Path
) -> None:
    out = tmp_path / "resumed"
    shutil.copytree(baseline_results, out)
    specs = read_index(tiny_datasets)
    assert run_benchmark(specs, BASELINES, 2, [0], out, n_jobs=1) == []
    # Only the new seed runs, and a system named twice runs once.
    added = run_benchmark(specs[:1], ["constant", "constant"], 2, [0, 1, 1], out)
    assert [(r["system"], r["seed"]) for r in added] == [("constant", 1)]
    assert len(read_rows(out / "results.csv")) == 7


@pytest.mark.timing
def test_hard_timeout_kills_the_run_and_is_recorded(
    tiny_datasets: Path, tmp_path: Path
) -> None:
    specs = read_index(tiny_datasets)[:1]
    rows = run_benchmark(
        specs,
        ["random_forest"],
        60,
        [0],
        tmp_path,
        timeout_factor=0,
        timeout_margin=0.3,
    )
    (row,) = rows
    assert row["status"] == "timeout"
    assert "hard timeout" in row["message"]
    assert row["total_seconds"] < 10
    # A timeout is a finished run; --retry-failed runs it again.
    assert run_benchmark(specs, ["random_forest"], 60, [0], tmp_path) == []
    (again,) = run_benchmark(
        specs, ["random_forest"], 60, [0], tmp_path, retry_failed=True
    )
    assert again["status"] == "ok"


def test_a_worker_killed_at_its_timeout_writes_its_stacks(tmp_path: Path) -> None:
    waiting = (
        "import faulthandler, signal, time\n"
        "faulthandler.register(signal.SIGUSR1, all_threads=True)\n"
        "print('ready', flush=True)\n"
        "def stuck_in_predict():\n"
        "    time.sleep(60)\n"
        "stuck_in_predict()\n"
    )
    log = tmp_path / "worker.log"
    with log.open("w") as handle:
        process = subprocess.Popen(
            [sys.executable, "-c", waiting],
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        while "ready" not in log.read_text():
            assert process.poll() is None
            time.sleep(0.05)
        runner.dump_stacks(process)
        runner.kill_group(process.pid)
        process.wait()
    assert "stuck_in_predict" in log.read_text()


def test_a_failing_run_is_an_error_row(tmp_path: Path) -> None:
    missing = DatasetSpec("ghost", str(tmp_path / "ghost.csv"), "binary", "y")
    (row,) = run_benchmark([missing], ["constant"], 1, [0], tmp_path / "out")
    assert row["status"] == "error"
    assert "FileNotFoundError" in row["message"]
    assert row["version"].startswith("sklearn")


def test_missing_peer_is_skipped_not_failed(
    tiny_datasets: Path, tmp_path: Path
) -> None:
    lines: list[str] = []
    rows = run_benchmark(
        read_index(tiny_datasets),
        ["flaml"],
        1,
        [0],
        tmp_path,
        pythons={"flaml": str(tmp_path / "no-such-python")},
        echo=lines.append,
    )
    assert rows == []
    assert any("skipping flaml: not installed" in line for line in lines)


def test_autogluon_presets_run_in_autogluon_environment(
    tiny_datasets: Path, tmp_path: Path
) -> None:
    lines: list[str] = []
    rows = run_benchmark(
        read_index(tiny_datasets),
        ["autogluon_best_v150", "autogluon_best", "autogluon_medium"],
        1,
        [0],
        tmp_path,
        pythons={"autogluon": str(tmp_path / "no-such-python")},
        echo=lines.append,
    )
    assert rows == []
    skipped = [line for line in lines if line.startswith("skipping")]
    assert len(skipped) == 3
    assert all("setup_autogluon.sh" in line for line in skipped)


def test_unknown_system_is_refused(tiny_datasets: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown systems"):
        run_benchmark(read_index(tiny_datasets), ["nope"], 1, [0], tmp_path)


def test_a_system_runs_with_the_package_of_another_tree(
    tiny_datasets: Path, tmp_path: Path
) -> None:
    tree = tmp_path / "before"
    (tree / "automl").mkdir(parents=True)
    (tree / "automl" / "__init__.py").write_text("")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    where = subprocess.run(
        [sys.executable, "-c", "import automl, benchmarks; print(automl.__file__)"],
        env=runner.worker_environment(tree, scratch),
        cwd=scratch,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).resolve() == (tree / "automl" / "__init__.py").resolve()
    # The tree's package is only swapped in: the runner's own benchmarks run it.
    specs = read_index(tiny_datasets)[:1]
    trees = {"here": Path(runner.ROOT)}
    rows = run_benchmark(
        specs, ["constant@here"], 1, [0], tmp_path / "out", trees=trees
    )
    assert [(r["system"], r["status"]) for r in rows] == [("constant@here", "ok")]
    with pytest.raises(ValueError, match="--tree other="):
        run_benchmark(specs, ["constant@other"], 1, [0], tmp_path / "out", trees=trees)
    with pytest.raises(ValueError, match="peer"):
        run_benchmark(specs, ["flaml@here"], 1, [0], tmp_path / "out", trees=trees)


def test_ours_warm_starts_without_the_dataset_it_is_scored_on(tmp_path: Path) -> None:
    folder = Path(str(metadata_without("adult", tmp_path)))
    metadata = json.loads((folder / "metadata.json").read_text())
    names = {task["name"] for task in metadata["tasks"]}
    assert "adult" not in names and len(names) > 100  # the committed records


def test_command_line(
    tiny_datasets: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "--datasets",
        str(tiny_datasets),
        "--systems",
        "constant",
        "--budget",
        "1",
        "--out",
        str(tmp_path),
    ]
    assert runner.main([*argv, "--dry-run"]) == 0
    assert capsys.readouterr().out.split() == [
        "tiny-binary.constant.seed0.budget1",
        "tiny-regression.constant.seed0.budget1",
    ]
    assert runner.main(argv) == 0
    output = capsys.readouterr().out
    assert "[2/2] tiny-regression constant seed=0: ok" in output
    assert len(read_rows(tmp_path / "results.csv")) == 2


def _automl_imports() -> bool:
    try:
        from automl import AutoClassifier, AutoRegressor  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.timing
@pytest.mark.skipif(not _automl_imports(), reason="automl does not import yet")
def test_automl_runs_under_the_runner(tiny_datasets: Path, tmp_path: Path) -> None:
    rows = run_benchmark(
        read_index(tiny_datasets)[:1],
        ["automl"],
        5,
        [0],
        tmp_path,
        n_jobs=1,
        memory_limit_mb=3_000,
    )
    (row,) = rows
    assert row["status"] == "ok", row["message"]
    assert row["version"].startswith("automl ")
    # The machinery, not the score: a 5 s fit on a busy machine may fall back
    # to a constant model.
    assert 0 <= row["roc_auc"] <= 1
    assert row["fit_seconds"] < 5 + 10
    # What the fit said about its time, beside the row (and not in it).
    assert "details" not in row
    (details,) = [json.loads(x) for x in (tmp_path / "details.jsonl").open()]
    assert (details["dataset"], details["system"]) == (row["dataset"], "automl")
    assert 0 < details["search_time"] <= details["fit_time"]
    assert details["n_trials"] == sum(details["budgets"].values())
    assert "kind" in details["final_model"]
    members = details["final_model"]["members"]  # family, weight, predictor
    assert all(isinstance(family, str) and weight > 0 for family, weight, _ in members)
    # One short line per trial: family, budget, status, loss, fit seconds and
    # the second of the fit it ended at.
    assert 0 < len(details["trials"]) <= details["n_trials"]
    assert all(
        len(line) == 6
        and isinstance(line[0], str)
        and 0 < line[5] <= row["fit_seconds"] + 0.1
        for line in details["trials"]
    )
    assert details["memory_limit_mb"] == 3_000  # told to ours, and recorded
    report = budget_use.report(tmp_path)
    assert "| automl | 5 | 1 |" in report


def test_variant_rows_share_the_fit_and_keep_their_own_scores() -> None:
    row = {
        "system": "automl",
        "fit_seconds": 9.0,
        "roc_auc": 0.9,
        "variants": {"automl/best_single": {"roc_auc": 0.8, "predict_seconds": 0.1}},
    }
    (variant,) = runner.variant_rows({**row, "system": "automl@67328fa"})
    assert variant["system"] == "automl@67328fa/best_single"
    (variant,) = runner.variant_rows(row)
    assert "variants" not in row
    assert variant["system"] == "automl/best_single"
    assert (variant["fit_seconds"], variant["roc_auc"]) == (9.0, 0.8)


@pytest.mark.skipif(not _automl_imports(), reason="automl does not import yet")
def test_best_single_variant_is_the_best_trial_of_the_same_fit() -> None:
    class FewTrials(AutoML):
        options: ClassVar[dict[str, Any]] = {"max_trials": 3, "meta_learning": False}

    frame = binary_frame(n=300)
    X, y = frame.drop(columns="label"), frame["label"]
    system = FewTrials()
    system.fit(X, y, RunSettings("binary", budget=60, seed=0, n_jobs=1))
    ensemble = system.model.model_
    (name, single), *rest = system.same_fit_variants().items()

    assert (name, rest) == ("automl/best_single", [])
    assert system.model.model_ is ensemble  # the fit's own ensemble is untouched
    board = system.model.leaderboard()
    trials = board[board["trial_id"].notna() & (board["status"] == "ok")]
    best = int(trials.sort_values("loss")["trial_id"].iloc[0])
    (member,) = single.model.model_.base
    assert (member.trial_id, member.weight) == (best, 1.0)
    expected = member.model.predict_raw(system.model.typer_.transform(X))
    np.testing.assert_allclose(single.predict_proba(X), expected, rtol=1e-9)


@pytest.mark.skipif(not _automl_imports(), reason="automl does not import yet")
def test_argmax_variant_is_the_same_fit_without_its_decision_rule() -> None:
    class FewTrials(AutoMLBalancedAccuracy):
        options: ClassVar[dict[str, Any]] = {
            **AutoMLBalancedAccuracy.options,
            "max_trials": 3,
            "meta_learning": False,
        }

    frame = binary_frame(n=300)
    X, y = frame.drop(columns="label"), frame["label"]
    system = FewTrials()
    system.fit(X, y, RunSettings("binary", budget=60, seed=0, n_jobs=1))
    assert system.model.metric == "balanced_accuracy"
    rule = system.model.model_.calibration
    argmax = system.same_fit_variants()["automl_balanced_accuracy/argmax"]

    assert system.model.model_.calibration is rule  # the fit's own rule is untouched
    proba = system.predict_proba(X)
    np.testing.assert_allclose(argmax.predict_proba(X), proba)
    classes = np.asarray(system.classes_)
    np.testing.assert_array_equal(argmax.predict(X), classes[proba.argmax(axis=1)])
    np.testing.assert_array_equal(system.predict(X), classes[rule.labels(proba)])


def test_lightgbm_baseline_fits_column_names_lightgbm_refuses() -> None:
    frame = binary_frame(n=200)
    X, y = frame.drop(columns="label"), frame["label"]
    X.columns = [f"char_freq_{c}" for c in ';([!$"'[: X.shape[1]]]
    system = LightGBM()
    system.fit(X, y, RunSettings("binary", budget=60, seed=0, n_jobs=1))
    proba = system.predict_proba(X)
    assert proba.shape == (len(X), 2)
    assert X.columns[0] == "char_freq_;"  # the caller's frame is untouched


def test_ablations_are_policies_that_change_a_default() -> None:
    from automl import Policy
    from benchmarks.systems import SYSTEMS

    ablations = [s for s in SYSTEMS.values() if getattr(s, "policy", None)]
    assert len(ablations) >= 4
    for system in ablations:
        policy = Policy(**system.policy)  # a TypeError names an unknown field
        assert policy != Policy(), system.name


def test_no_benchmark_assigns_a_module_global_of_automl() -> None:
    import re
    from pathlib import Path

    import benchmarks

    for path in Path(benchmarks.__file__).parent.glob("*.py"):
        assert not re.search(r"\bsetattr\(", path.read_text()), path


def test_variant_options_name_real_estimator_parameters() -> None:
    from automl import AutoClassifier
    from benchmarks.systems import SYSTEMS

    parameters = AutoClassifier().get_params()
    varied = [s for s in SYSTEMS.values() if getattr(s, "options", None)]
    assert len(varied) >= 5
    for system in varied:
        assert set(system.options) <= set(parameters), system.name


def test_generated_tables_have_their_documented_structure() -> None:
    from benchmarks.generate import make_table

    binary = make_table(20_000, "binary")
    assert binary.columns[-1] == "target" and binary.shape[1] == 17
    assert 0.25 < binary["target"].mean() < 0.4
    missing = binary.isna().mean()
    assert abs(missing["x7"] - 0.1) < 0.01 and abs(missing["x8"] - 0.3) < 0.01
    assert binary["store"].nunique() > 1_000  # Zipf: many of the 5,000 levels
    again = make_table(20_000, "binary")
    pd.testing.assert_frame_equal(binary, again)  # reproducible from the seed
    regression = make_table(5_000, "regression")
    assert regression["target"].dtype == float and regression["target"].std() > 1
