"""Read a corpus of datasets for the offline builder: an index and its splits.

A corpus is a folder with an ``index.csv``: one row per dataset with the
columns ``name``, ``file`` (relative to the folder; CSV, gzip or not),
``task`` (``binary``, ``multiclass`` or ``regression``) and optionally
``target`` (empty: the last column) and ``test_file`` (a separate test set).

The builder learns only from each dataset's *training* rows, split off with
the same fixed-seed rule as the project's benchmarks (``benchmarks/datasets.py``,
which a test keeps in step with this one), so that no benchmark test row
informs the knowledge base: 20 % of the rows go to the test set, per class for
classification (each class keeps at least one training row), drawn with
numpy's legacy ``RandomState``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

TASK_TYPES = ("binary", "multiclass", "regression")
TEST_SIZE = 0.2


@dataclass(frozen=True)
class CorpusDataset:
    """One dataset of a corpus index.

    Attributes
    ----------
    name : str
        Unique in its index.
    path : Path
        The data file.
    task : {"binary", "multiclass", "regression"}
    target : str
        Target column; empty means the last column.
    has_test_file : bool
        Whether the dataset brings its own test set (then all of ``path`` is
        training data).
    """

    name: str
    path: Path
    task: str
    target: str = ""
    has_test_file: bool = False


def read_corpus(folder: str | Path) -> list[CorpusDataset]:
    """The datasets of a corpus, in the order of its ``index.csv``.

    Parameters
    ----------
    folder : str or Path
        A folder holding ``index.csv``, or the index file itself.

    Returns
    -------
    list of CorpusDataset

    Raises
    ------
    FileNotFoundError
        If there is no index.
    ValueError
        If the index lacks a column or names an unknown task.
    """
    index = Path(folder).expanduser()
    if index.is_dir():
        index = index / "index.csv"
    if not index.is_file():
        raise FileNotFoundError(
            f"no corpus index at {index}: pass a folder holding index.csv"
        )
    frame = pd.read_csv(index, dtype=str, keep_default_na=False)
    missing = {"name", "file", "task"} - set(frame.columns)
    if missing:
        raise ValueError(f"{index} lacks the columns {sorted(missing)}")
    datasets = []
    for row in frame.to_dict("records"):
        if row["task"] not in TASK_TYPES:
            raise ValueError(
                f"{index}: unknown task {row['task']!r} for {row['name']}; "
                f"expected one of {TASK_TYPES}"
            )
        datasets.append(
            CorpusDataset(
                name=row["name"],
                path=index.parent / row["file"],
                task=row["task"],
                target=row.get("target", ""),
                has_test_file=bool(row.get("test_file", "")),
            )
        )
    return datasets


def training_rows(
    dataset: CorpusDataset, seed: int = 0
) -> tuple[pd.DataFrame, pd.Series]:
    """The dataset's training split, as the benchmarks split it.

    Parameters
    ----------
    dataset : CorpusDataset
    seed : int, default=0
        Seed of the split.

    Returns
    -------
    X : DataFrame
        Feature columns as ``pd.read_csv`` reads them.
    y : Series
        The target; rows with a missing target are dropped.
    """
    frame = pd.read_csv(dataset.path)
    y = frame.pop(dataset.target or frame.columns[-1])
    keep = y.notna().to_numpy()
    X, y = frame.loc[keep].reset_index(drop=True), y.loc[keep].reset_index(drop=True)
    if dataset.has_test_file:
        return X, y
    train = _train_positions(y, dataset.task, seed)
    return X.iloc[train].reset_index(drop=True), y.iloc[train].reset_index(drop=True)


def _train_positions(y: pd.Series, task: str, seed: int) -> np.ndarray:
    """Sorted positions of the training rows (see the module docstring)."""
    rng = np.random.RandomState(seed)
    n = len(y)
    if task == "regression":
        test = rng.permutation(n)[: _n_test(n)]
    else:
        codes, _ = pd.factorize(y, sort=True)
        parts = []
        for code in range(codes.max() + 1):
            members = np.flatnonzero(codes == code)
            rng.shuffle(members)
            parts.append(members[: min(_n_test(len(members)), len(members) - 1)])
        test = np.concatenate(parts) if parts else np.array([], dtype=int)
    is_test = np.zeros(n, dtype=bool)
    is_test[test] = True
    return np.flatnonzero(~is_test)


def _n_test(n: int) -> int:
    return math.floor(n * TEST_SIZE + 0.5)
