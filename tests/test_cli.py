"""The automl command: fit, predict, leaderboard, and one-line errors."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

from automl import persistence
from automl.cli import infer_task, main, read_table

pytestmark = pytest.mark.slow

FAST = ["--time-limit", "30", "--max-trials", "3", "--n-jobs", "1", "-q"]


@pytest.fixture(scope="module")
def kaggle(tmp_path_factory) -> Path:
    """train.csv / test.csv / answers.csv in the shape of a Kaggle competition."""
    folder = tmp_path_factory.mktemp("kaggle")
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    table = X.iloc[:, :10].copy()
    table.insert(0, "id", np.arange(10_000, 10_000 + len(table)))
    table["diagnosis"] = np.where(y == 1, "benign", "malignant")
    shuffled = table.sample(frac=1.0, random_state=0).reset_index(drop=True)
    train, test = shuffled.iloc[:420], shuffled.iloc[420:]
    train.to_csv(folder / "train.csv", index=False)
    test.drop(columns="diagnosis").to_csv(folder / "test.csv", index=False)
    test.drop(columns="diagnosis").to_parquet(folder / "test.parquet")
    test[["id", "diagnosis"]].to_csv(folder / "answers.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def model(kaggle) -> Path:
    path = kaggle / "model.automl"
    code = main(
        [
            "fit",
            str(kaggle / "train.csv"),
            "--target",
            "diagnosis",
            "--id-column",
            "id",
            "--include",
            "linear,extra_trees",
            "--out",
            str(path),
            *FAST,
        ]
    )
    assert code == 0
    return path


def test_fit_saves_a_model_that_remembers_target_and_id(model) -> None:
    info = persistence.read_metadata(model)["info"]
    assert info["target"] == "diagnosis"
    assert info["id_column"] == "id"
    assert info["task"] == "binary"
    clf = persistence.load(model)
    assert "id" not in clf.feature_names_in_  # the id is not a feature
    assert clf.n_features_in_ == 10


def test_predict_writes_a_submission(kaggle, model, capsys) -> None:
    out = kaggle / "submission.csv"
    assert (
        main(["predict", str(model), str(kaggle / "test.csv"), "--out", str(out)]) == 0
    )
    submission = pd.read_csv(out)
    answers = pd.read_csv(kaggle / "answers.csv")
    assert list(submission.columns) == ["id", "diagnosis"]
    assert submission["id"].tolist() == answers["id"].tolist()
    assert (submission["diagnosis"] == answers["diagnosis"]).mean() > 0.85
    assert f"wrote {len(answers)} predictions" in capsys.readouterr().out


def test_predict_proba_from_parquet_writes_positive_class_probabilities(
    kaggle, model
) -> None:
    out = kaggle / "proba.csv"
    args = ["predict", str(model), str(kaggle / "test.parquet"), "-o", str(out)]
    assert main([*args, "--proba"]) == 0
    proba = pd.read_csv(out)
    assert list(proba.columns) == ["id", "diagnosis"]
    assert proba["diagnosis"].between(0, 1).all()
    # classes_ are sorted: "malignant" is the positive (second) class
    answers = pd.read_csv(kaggle / "answers.csv")
    malignant = answers["diagnosis"] == "malignant"
    assert proba.loc[malignant, "diagnosis"].mean() > 0.5
    assert proba.loc[~malignant, "diagnosis"].mean() < 0.5


def test_predict_to_standard_output(kaggle, model, capsys) -> None:
    assert main(["predict", str(model), str(kaggle / "test.csv"), "-o", "-"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "id,diagnosis"
    assert len(lines) == 1 + len(pd.read_csv(kaggle / "answers.csv"))


def test_leaderboard_prints_summary_and_table_and_exports(kaggle, model, capsys):
    out = kaggle / "leaderboard.csv"
    assert main(["leaderboard", str(model), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("AutoClassifier: binary, 10 features")
    assert "rank" in printed and "hyperparameters" in printed
    assert pd.read_csv(out)["trial_id"].notna().sum() == 3  # + the ensemble rows


def test_regression_is_inferred_and_proba_is_refused(tmp_path, capsys) -> None:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    X.assign(progression=y).to_csv(tmp_path / "train.csv", index=False)
    X.iloc[:20].to_csv(tmp_path / "test.csv", index=False)
    model = tmp_path / "reg.automl"
    fit = ["fit", str(tmp_path / "train.csv"), "-t", "progression", "-o", str(model)]
    assert main([*fit, "--include", "linear", *FAST]) == 0
    assert "task regression (inferred" in capsys.readouterr().err
    predict = ["predict", str(model), str(tmp_path / "test.csv")]
    out = tmp_path / "pred.csv"
    assert main([*predict, "-o", str(out)]) == 0
    assert pd.read_csv(out)["progression"].between(0, 400).all()
    assert main([*predict, "-o", str(out), "--proba"]) == 2
    assert "--proba needs a classification model" in capsys.readouterr().err


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bad")
    (folder / "empty.csv").write_text("")
    (folder / "header_only.csv").write_text("a,b,target\n")
    X, y = load_iris(return_X_y=True, as_frame=True)
    X.assign(species=y).to_csv(folder / "iris.csv", index=False)
    (folder / "notes.txt").write_text("not a model")
    return folder


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fit", "{d}/missing.csv", "-t", "y"], "cannot read {d}/missing.csv: no such"),
        (["fit", "{d}", "-t", "y"], "a folder, not a file"),
        (["fit", "{d}/empty.csv", "-t", "y"], "{d}/empty.csv is empty."),
        (["fit", "{d}/header_only.csv", "-t", "target"], "has no rows"),
        (["fit", "{d}/iris.csv", "-t", "kind"], "no column 'kind' in {d}/iris.csv"),
        (["fit", "{d}/iris.csv", "-t", "species", "--task", "binary"], "3 classes"),
        (["fit", "{d}/iris.csv", "-t", "species", "--drop", "nope"], "'nope'"),
        (["predict", "{d}/nope.automl", "{d}/iris.csv"], "No model file"),
        (["predict", "{d}/notes.txt", "{d}/iris.csv"], "not a model file"),
        (["leaderboard", "{d}/empty.csv"], "not a model file"),
    ],
)
def test_mistakes_give_one_line_errors_and_status_2(
    bad_inputs, capsys, args, message
) -> None:
    folder = str(bad_inputs)
    code = main([a.format(d=folder) for a in args])
    err = capsys.readouterr().err
    assert code == 2
    assert message.format(d=folder) in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_predict_names_the_columns_the_model_needs(kaggle, model, capsys) -> None:
    partial = kaggle / "partial.csv"
    pd.read_csv(kaggle / "test.csv").drop(columns=["mean radius"]).to_csv(
        partial, index=False
    )
    assert main(["predict", str(model), str(partial)]) == 2
    assert "lacks columns the model was trained on: 'mean radius'" in (
        capsys.readouterr().err
    )


def test_usage_errors_and_help_return_status_codes(capsys) -> None:
    assert main([]) == 2
    assert main(["fit", "train.csv"]) == 2  # --target is required
    assert "required: --target" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert "fit" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("values", "task"),
    [
        ([0.5, 1.5, 2.25, 3.0], "regression"),
        (list(range(100)), "regression"),
        ([1, 2, 3, 1, 2, 3], "multiclass"),
        ([0, 1, 1, 0], "binary"),
        ([True, False, True], "binary"),
        (["a", "b", "c"], "multiclass"),
        ([1.0, 0.0, 1.0], "binary"),
    ],
)
def test_infer_task(values, task) -> None:
    assert infer_task(pd.Series(values)) == task


def test_read_table_reads_tsv_and_parquet(tmp_path) -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    frame.to_csv(tmp_path / "t.tsv", sep="\t", index=False)
    frame.to_parquet(tmp_path / "t.parquet")
    frame.to_csv(tmp_path / "t.csv.gz", index=False)
    for name in ["t.tsv", "t.parquet", "t.csv.gz"]:
        pd.testing.assert_frame_equal(
            read_table(tmp_path / name), frame, check_dtype=False
        )


def test_the_installed_console_script(kaggle, model) -> None:
    script = shutil.which("automl", path=str(Path(sys.executable).parent))
    assert script, "the automl console script is missing: run pip install -e ."
    out = kaggle / "script.csv"
    done = subprocess.run(
        [script, "predict", str(model), str(kaggle / "test.csv"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert len(pd.read_csv(out)) == len(pd.read_csv(kaggle / "answers.csv"))
    missing = subprocess.run(
        [script, "predict", str(model), str(kaggle / "nope.csv")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 2
    assert missing.stderr.strip().startswith("automl predict: error: cannot read")
