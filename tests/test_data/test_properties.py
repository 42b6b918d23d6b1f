"""Tests of ``dataset_properties``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl.data import FeatureTyper, dataset_properties

pytestmark = pytest.mark.filterwarnings("error")


def _typed() -> tuple[pd.DataFrame, FeatureTyper]:
    X = pd.DataFrame(
        {
            "n": [1.0, np.nan, 3.0, 4.0],
            "c": ["a", "b", None, "c"],
            "k": ["x", "y", "x", "y"],
            "d": pd.to_datetime(["2020-01-01", "2020-02-01", "2020-03-01", None]),
        }
    )
    typer = FeatureTyper().fit(X)
    return typer.transform(X), typer


def test_properties_of_a_mixed_frame() -> None:
    Xt, typer = _typed()
    props = dataset_properties(Xt, typer.columns_, task="multiclass", n_classes=3)
    # d -> d__month, d__day_of_week, d__epoch
    assert props.n_rows == 4
    assert props.n_features == 6
    assert props.n_numeric == 4
    assert props.n_categorical == 2
    assert props.n_datetime == 3
    assert props.has_missing_numeric and props.has_missing_categorical
    assert props.max_cardinality == 3
    # n: 1, c: 1, each datetime column: 1 -> 5 of 24 cells.
    assert props.missing_fraction == pytest.approx(5 / 24)
    assert props.task == "multiclass" and props.n_classes == 3


def test_regression_without_categoricals() -> None:
    Xt = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    typer = FeatureTyper().fit(Xt)
    props = dataset_properties(typer.transform(Xt), typer.columns_, task="regression")
    assert props.max_cardinality == 0
    assert props.missing_fraction == 0.0
    assert not props.has_missing_numeric and not props.has_missing_categorical
    assert props.n_classes is None


@pytest.mark.parametrize(
    ("task", "n_classes", "match"),
    [
        ("binary", 3, "n_classes == 2"),
        ("binary", None, "n_classes == 2"),
        ("multiclass", 2, "n_classes >= 3"),
        ("clustering", None, "task must be one of"),
    ],
)
def test_invalid_task_or_n_classes_raise(
    task: str, n_classes: int | None, match: str
) -> None:
    Xt, typer = _typed()
    with pytest.raises(ValueError, match=match):
        dataset_properties(Xt, typer.columns_, task=task, n_classes=n_classes)  # type: ignore[arg-type]
