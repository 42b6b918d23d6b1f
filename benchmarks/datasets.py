"""Dataset index, loading and the fixed-seed train/test split.

An index is a CSV file with one row per dataset and at least the columns
``name``, ``file``, ``task`` (``binary``, ``multiclass`` or ``regression``) and
``target``; ``n_rows``, ``n_features`` and ``test_file`` are optional. File
names are relative to the index's folder. A dataset is one CSV file (gzip or
not); when its row has a ``test_file``, that file is the test set, otherwise
the benchmark splits the data 80/20 with a fixed seed (stratified for
classification).

The split uses numpy's legacy ``RandomState`` only, so that every system, in
whichever virtual environment its worker runs, sees exactly the same rows.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

TASKS = ("binary", "multiclass", "regression")
TEST_SIZE = 0.2


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset of an index.

    Attributes
    ----------
    name : str
        Dataset name, unique in its index.
    path : str
        Absolute path of the data file (the training file if ``test_path``).
    task : str
        ``binary``, ``multiclass`` or ``regression``.
    target : str
        Target column; empty means the last column.
    n_rows, n_features : int
        Shape as given by the index (0 if unknown).
    test_path : str or None
        Absolute path of a separate test file, if the dataset brings one.
    """

    name: str
    path: str
    task: str
    target: str
    n_rows: int = 0
    n_features: int = 0
    test_path: str | None = None

    def to_dict(self) -> dict:
        """Return the spec as a JSON-serialisable dict."""
        return asdict(self)


def index_path(source: str | Path) -> Path:
    """Return the index file of a dataset folder or index path.

    Parameters
    ----------
    source : str or Path
        A folder holding ``index.csv``, or the index file itself.

    Returns
    -------
    Path
        The index CSV file.
    """
    path = Path(source).expanduser().resolve()
    if path.is_dir():
        path = path / "index.csv"
    if not path.is_file():
        raise FileNotFoundError(f"no dataset index at {path}")
    return path


def _optional_int(value: object) -> int:
    try:
        return 0 if pd.isna(value) else int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


def _optional_str(value: object) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def read_index(source: str | Path) -> list[DatasetSpec]:
    """Read a dataset index.

    Parameters
    ----------
    source : str or Path
        A folder holding ``index.csv``, or the index file itself.

    Returns
    -------
    list of DatasetSpec
        The datasets, in the index's order.
    """
    path = index_path(source)
    frame = pd.read_csv(path)
    missing = {"name", "file", "task"} - set(frame.columns)
    if missing:
        raise ValueError(f"{path} lacks the columns {sorted(missing)}")
    specs = []
    for row in frame.to_dict("records"):
        task = str(row["task"])
        if task not in TASKS:
            raise ValueError(f"{path}: unknown task {task!r} for {row['name']}")
        test_file = _optional_str(row.get("test_file"))
        specs.append(
            DatasetSpec(
                name=str(row["name"]),
                path=str(path.parent / str(row["file"])),
                task=task,
                target=_optional_str(row.get("target")),
                n_rows=_optional_int(row.get("n_rows")),
                n_features=_optional_int(row.get("n_features")),
                test_path=str(path.parent / test_file) if test_file else None,
            )
        )
    return specs


def read_xy(path: str | Path, target: str = "") -> tuple[pd.DataFrame, pd.Series]:
    """Read one CSV file and split off its target column.

    Parameters
    ----------
    path : str or Path
        CSV file, optionally gzip-compressed.
    target : str, default=""
        Target column; empty means the last column.

    Returns
    -------
    X : DataFrame
        The feature columns, as ``pd.read_csv`` reads them.
    y : Series
        The target; rows whose target is missing are dropped from both.
    """
    frame = pd.read_csv(path)
    column = target or frame.columns[-1]
    y = frame.pop(column)
    keep = y.notna().to_numpy()
    if not keep.all():
        frame, y = frame.loc[keep], y.loc[keep]
    return frame.reset_index(drop=True), y.reset_index(drop=True)


def _n_test(n: int, test_size: float) -> int:
    return math.floor(n * test_size + 0.5)


def split_indices(
    y: pd.Series, task: str, seed: int, test_size: float = TEST_SIZE
) -> tuple[np.ndarray, np.ndarray]:
    """Return fixed-seed train and test row positions.

    Classification is stratified: each class gives ``round(test_size * n_c)``
    rows to the test set but keeps at least one in training, so a class seen
    in the test set is always seen in training.

    Parameters
    ----------
    y : Series
        The target.
    task : str
        ``binary``, ``multiclass`` or ``regression``.
    seed : int
        Seed of numpy's ``RandomState``.
    test_size : float, default=0.2
        Fraction of rows in the test set.

    Returns
    -------
    train, test : ndarray of int
        Sorted row positions.
    """
    rng = np.random.RandomState(seed)
    n = len(y)
    if task == "regression":
        order = rng.permutation(n)
        test = order[: _n_test(n, test_size)]
    else:
        codes, _ = pd.factorize(y, sort=True)
        parts = []
        for code in range(codes.max() + 1):
            members = np.flatnonzero(codes == code)
            rng.shuffle(members)
            k = min(_n_test(len(members), test_size), len(members) - 1)
            parts.append(members[:k])
        test = np.concatenate(parts) if parts else np.array([], dtype=int)
    is_test = np.zeros(n, dtype=bool)
    is_test[test] = True
    return np.flatnonzero(~is_test), np.flatnonzero(is_test)


def load_split(
    spec: DatasetSpec, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """Load a dataset and return its train/test split.

    Parameters
    ----------
    spec : DatasetSpec
        The dataset.
    seed : int
        Seed of the split (ignored when the dataset brings a test file).

    Returns
    -------
    X_train, X_test : DataFrame
    y_train, y_test : Series
    """
    X, y = read_xy(spec.path, spec.target)
    if spec.test_path:
        X_test, y_test = read_xy(spec.test_path, spec.target)
        return X, X_test[X.columns], y, y_test
    train, test = split_indices(y, spec.task, seed)
    return (
        X.iloc[train].reset_index(drop=True),
        X.iloc[test].reset_index(drop=True),
        y.iloc[train].reset_index(drop=True),
        y.iloc[test].reset_index(drop=True),
    )
