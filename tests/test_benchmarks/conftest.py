"""Two tiny datasets with an index, written to a temporary folder.

The benchmark tests never read ``../shared``: they make their own data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes

INDEX_COLUMNS = ["name", "file", "task", "target", "n_rows", "n_features"]


def binary_frame(n: int = 150, seed: int = 0) -> pd.DataFrame:
    """A binary task with a string column, NaN in both kinds of column."""
    rng = np.random.RandomState(seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    colour = rng.choice(["red", "green", "blue"], size=n)
    logit = 1.5 * x1 - x2 + (colour == "red") * 1.0
    label = np.where(logit + rng.normal(scale=0.5, size=n) > 0, "yes", "no")
    frame = pd.DataFrame({"x1": x1, "x2": x2, "colour": colour, "label": label})
    frame.loc[rng.rand(n) < 0.1, "x2"] = np.nan
    frame.loc[rng.rand(n) < 0.1, "colour"] = np.nan
    return frame


def regression_frame(n: int = 200) -> pd.DataFrame:
    """The first rows of scikit-learn's bundled diabetes data."""
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    frame = X.iloc[:n, :5].copy()
    frame["progression"] = y.iloc[:n]
    return frame


def write_index(folder: Path, rows: list[dict]) -> Path:
    """Write an ``index.csv`` in the corpus format."""
    path = folder / "index.csv"
    pd.DataFrame(rows, columns=INDEX_COLUMNS).to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def tiny_datasets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with ``tiny-binary``, ``tiny-regression`` and their index."""
    folder = tmp_path_factory.mktemp("datasets")
    binary = binary_frame()
    regression = regression_frame()
    binary.to_csv(folder / "tiny-binary.csv.gz", index=False)
    regression.to_csv(folder / "tiny-regression.csv.gz", index=False)
    write_index(
        folder,
        [
            {
                "name": "tiny-binary",
                "file": "tiny-binary.csv.gz",
                "task": "binary",
                "target": "label",
                "n_rows": len(binary),
                "n_features": 3,
            },
            {
                "name": "tiny-regression",
                "file": "tiny-regression.csv.gz",
                "task": "regression",
                "target": "progression",
                "n_rows": len(regression),
                "n_features": 5,
            },
        ],
    )
    return folder
