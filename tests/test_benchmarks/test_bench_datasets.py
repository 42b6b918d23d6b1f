"""The dataset index, loading, the fixed-seed split and the suites."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.datasets import load_split, read_index, split_indices
from benchmarks.suites import CONFIRMATION, LARGE, QUICK, STANDARD, select
from tests.test_benchmarks.conftest import binary_frame, write_index


def test_read_index_accepts_folder_or_file(tiny_datasets: Path) -> None:
    from_folder = read_index(tiny_datasets)
    from_file = read_index(tiny_datasets / "index.csv")
    assert from_folder == from_file
    assert [s.name for s in from_folder] == ["tiny-binary", "tiny-regression"]
    assert [s.task for s in from_folder] == ["binary", "regression"]
    assert all(Path(s.path).is_file() for s in from_folder)


def test_read_index_rejects_unknown_task(tmp_path: Path) -> None:
    write_index(tmp_path, [{"name": "a", "file": "a.csv", "task": "ranking"}])
    with pytest.raises(ValueError, match="unknown task"):
        read_index(tmp_path)


def test_stratified_split_is_fixed_and_keeps_proportions() -> None:
    y = pd.Series(["a"] * 80 + ["b"] * 20 + ["c"])
    train, test = split_indices(y, "binary", seed=3)
    again_train, again_test = split_indices(y, "binary", seed=3)
    assert np.array_equal(train, again_train) and np.array_equal(test, again_test)
    assert len(np.intersect1d(train, test)) == 0
    assert len(train) + len(test) == len(y)
    assert y[test].value_counts().to_dict() == {"a": 16, "b": 4}
    assert 100 in train  # a class with one row stays in training
    other_train, _ = split_indices(y, "binary", seed=4)
    assert not np.array_equal(train, other_train)


def test_regression_split_is_80_20() -> None:
    train, test = split_indices(pd.Series(np.arange(101.0)), "regression", seed=0)
    assert (len(train), len(test)) == (81, 20)


def test_load_split_uses_a_test_file_when_given(tmp_path: Path) -> None:
    binary_frame(100, seed=1).to_csv(tmp_path / "train.csv", index=False)
    binary_frame(30, seed=2).to_csv(tmp_path / "test.csv", index=False)
    index = pd.DataFrame(
        [
            {
                "name": "own",
                "file": "train.csv",
                "task": "binary",
                "target": "label",
                "test_file": "test.csv",
            }
        ]
    )
    index.to_csv(tmp_path / "index.csv", index=False)
    (spec,) = read_index(tmp_path)
    X_train, X_test, _, _ = load_split(spec, seed=0)
    assert (len(X_train), len(X_test)) == (100, 30)
    assert "label" not in X_train.columns and list(X_test.columns) == list(X_train)


def test_suites_select_by_name(tiny_datasets: Path) -> None:
    specs = read_index(tiny_datasets)
    assert select(specs, "full") == specs
    assert [s.name for s in select(specs, names=["tiny-regression"])] == [
        "tiny-regression"
    ]
    with pytest.raises(ValueError, match="not in the index"):
        select(specs, "quick")
    assert len(QUICK) == 10 and len(set(QUICK)) == 10
    assert len(STANDARD) == 30 and len(set(STANDARD)) == 30


def test_the_confirmation_suite_shares_no_table_with_the_tuned_suites() -> None:
    assert len(CONFIRMATION) == 30 and len(set(CONFIRMATION)) == 30
    assert not set(CONFIRMATION) & {*QUICK, *STANDARD, *LARGE}


def test_extra_datasets_are_taken_only_where_named(tmp_path: Path) -> None:
    corpus, extra = tmp_path / "corpus", tmp_path / "extra"
    for folder, name in ((corpus, "in-corpus"), (extra, "in-extra")):
        folder.mkdir()
        binary_frame(20, seed=0).to_csv(folder / f"{name}.csv", index=False)
        write_index(
            folder,
            [
                {
                    "name": name,
                    "file": f"{name}.csv",
                    "task": "binary",
                    "target": "label",
                }
            ],
        )
    specs, extras = read_index(corpus), read_index(extra)
    assert select(specs, "full", extra=extras) == specs
    named = select(specs, names=["in-extra", "in-corpus"], extra=extras)
    assert [s.name for s in named] == ["in-extra", "in-corpus"]


def test_builder_corpus_reader_keeps_the_benchmark_split(tiny_datasets: Path) -> None:
    # The offline builder reads the corpus without importing `benchmarks`
    # (peer environments cannot import `automl`); both must split alike, or
    # benchmark test rows would inform the knowledge base.
    from automl.metalearning.corpus import read_corpus, training_rows

    specs, datasets = read_index(tiny_datasets), read_corpus(tiny_datasets)
    for spec, dataset in zip(specs, datasets, strict=True):
        X_train, _, y_train, _ = load_split(spec, seed=0)
        X, y = training_rows(dataset, seed=0)
        pd.testing.assert_frame_equal(X, X_train)
        pd.testing.assert_series_equal(y, y_train)
