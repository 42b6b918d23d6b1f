"""Tests of ``check_features`` and ``check_target``."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.exceptions import DataConversionWarning

from automl.data import check_features, check_target

pytestmark = pytest.mark.filterwarnings("error")


# --------------------------------------------------------------------------- X


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32])
def test_numeric_arrays_become_frames_named_x0_x1(dtype: type) -> None:
    X = np.arange(6).reshape(3, 2).astype(dtype)
    frame = check_features(X)
    assert list(frame.columns) == ["x0", "x1"]
    assert frame.shape == (3, 2)
    assert frame["x1"].tolist() == [1, 3, 5]
    assert frame["x0"].dtype == dtype


def test_object_array_of_floats_keeps_numbers() -> None:
    X = np.array([[1.5, "a"], [2.5, None]], dtype=object)
    frame = check_features(X)
    assert frame["x0"].tolist() == [1.5, 2.5]
    assert frame["x1"].tolist()[0] == "a"


def test_list_of_rows_mixing_numbers_and_strings_keeps_numbers() -> None:
    frame = check_features([[1, "a"], [2, "b"]])
    assert frame["x0"].tolist() == [1, 2]
    assert not isinstance(frame["x0"].iloc[0], str)
    assert frame["x1"].tolist() == ["a", "b"]


def test_dataframe_names_are_converted_to_str() -> None:
    X = pd.DataFrame([[1, 2], [3, 4]], columns=[0, ("a", "b")], index=[7, 9])
    frame = check_features(X)
    assert list(frame.columns) == ["0", "('a', 'b')"]
    assert isinstance(frame.index, pd.RangeIndex)
    assert frame["0"].tolist() == [1, 3]


def test_duplicated_column_names_raise_naming_them() -> None:
    X = pd.DataFrame([[1, 2, 3]], columns=["a", "b", "a"])
    with pytest.raises(ValueError, match=re.escape("duplicated column names: ['a']")):
        check_features(X)


def test_names_duplicated_after_str_conversion_raise() -> None:
    X = pd.DataFrame([[1, 2]], columns=[1, "1"])
    with pytest.raises(ValueError, match=re.escape("duplicated column names: ['1']")):
        check_features(X)


@pytest.mark.parametrize(
    "X",
    [np.arange(3.0), [1.0, 2.0, 3.0], pd.Series([1.0, 2.0, 3.0])],
    ids=["ndarray", "list", "series"],
)
def test_1d_input_raises_sklearn_message(X: object) -> None:
    with pytest.raises(ValueError, match="Expected 2D array, got 1D array instead"):
        check_features(X)
    with pytest.raises(ValueError, match=re.escape("array.reshape(-1, 1)")):
        check_features(X)


@pytest.mark.parametrize(
    "X",
    [np.empty((0, 3)), pd.DataFrame({"a": [], "b": []})],
    ids=["ndarray", "dataframe"],
)
def test_zero_rows_raise(X: object) -> None:
    with pytest.raises(ValueError, match=re.escape("0 sample(s)")):
        check_features(X)


@pytest.mark.parametrize(
    "X", [np.empty((3, 0)), pd.DataFrame(index=range(3))], ids=["ndarray", "dataframe"]
)
def test_zero_columns_raise(X: object) -> None:
    with pytest.raises(ValueError, match=re.escape("0 feature(s)")):
        check_features(X)


@pytest.mark.parametrize(
    "X",
    [
        np.array([[1 + 2j], [3 + 0j]]),
        pd.DataFrame({"z": np.array([1 + 2j, 3 + 0j])}),
        pd.DataFrame({"z": np.array([1 + 2j, 3], dtype=object)}),
    ],
    ids=["ndarray", "complex-column", "object-column"],
)
def test_complex_data_raises(X: object) -> None:
    with pytest.raises(ValueError, match="Complex data not supported"):
        check_features(X)


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_sparse_input_raises_type_error(fmt: str) -> None:
    X = sparse.random(5, 3, density=0.5, format=fmt, random_state=0)
    with pytest.raises(TypeError, match=r"Sparse input is not supported.*toarray\(\)"):
        check_features(X)


def test_dict_values_raise_type_error_like_sklearn() -> None:
    X = np.array([[1.0, 2.0], [{"foo": "bar"}, 3.0]], dtype=object)
    # The wording scikit-learn's check_dtype_object looks for.
    with pytest.raises(TypeError, match=r"argument must be .* string.* number"):
        check_features(X)


def test_missing_values_and_inf_are_allowed() -> None:
    X = pd.DataFrame({"a": [np.nan, np.inf, 1.0], "b": [None, pd.NA, "x"]})
    frame = check_features(X)
    assert frame["a"].isna().tolist() == [True, False, False]
    assert np.isinf(frame["a"].iloc[1])


def test_read_only_input_is_not_modified() -> None:
    X = np.arange(6, dtype=float).reshape(3, 2)
    X.setflags(write=False)
    frame = check_features(X)
    assert frame.to_numpy().tolist() == X.tolist()


# --------------------------------------------------------------------------- y


def test_none_target_raises() -> None:
    with pytest.raises(
        ValueError,
        match="AutoClassifier requires y to be passed, but the target y is None",
    ):
        check_target(
            None, n_rows=3, task="classification", estimator_name="AutoClassifier"
        )


def test_length_mismatch_names_both_lengths() -> None:
    with pytest.raises(ValueError, match="X has 4 rows but y has 3 values"):
        check_target([0, 1, 0], n_rows=4, task="classification")


@pytest.mark.parametrize(
    "y",
    [np.array([[0], [1], [0]]), pd.DataFrame({"t": [0, 1, 0]})],
    ids=["ndarray", "dataframe"],
)
def test_column_vector_warns_and_is_raveled(y: object) -> None:
    with pytest.warns(DataConversionWarning, match="A column-vector y was passed"):
        out = check_target(y, n_rows=3, task="classification")
    assert out.shape == (3,)
    assert out.tolist() == [0, 1, 0]


def test_multi_output_target_raises() -> None:
    with pytest.raises(ValueError, match="y should be a 1d array"):
        check_target(np.zeros((3, 2)), n_rows=3, task="regression")


@pytest.mark.parametrize(
    ("y", "expected"),
    [
        (["cat", "dog", "cat"], ["cat", "dog", "cat"]),
        (np.array([3, 1, 2]), [3, 1, 2]),
        ([True, False, True], [True, False, True]),
        (pd.Series(["a", "b", "a"], dtype="str"), ["a", "b", "a"]),
        (pd.Series(["a", "b", "a"], dtype="category"), ["a", "b", "a"]),
        (pd.Series([1, 2, 1], dtype="Int64"), [1, 2, 1]),
        (np.array([0, 1, 2], dtype=object), [0, 1, 2]),
        (np.array([0.0, 1.0, 0.0]), [0.0, 1.0, 0.0]),
    ],
    ids=["str", "int", "bool", "pd-str", "category", "Int64", "object-int", "float"],
)
def test_classification_labels_of_any_type(y: object, expected: list[object]) -> None:
    out = check_target(y, n_rows=3, task="classification")
    assert isinstance(out, np.ndarray) and out.ndim == 1
    assert out.tolist() == expected


def test_object_integer_labels_become_integers() -> None:
    out = check_target(
        np.array([0, 1, 2], dtype=object), n_rows=3, task="classification"
    )
    assert out.dtype == np.int64


@pytest.mark.parametrize(
    "y",
    [
        ["a", None, "b"],
        [0.0, np.nan, 1.0],
        pd.Series([1, None, 0], dtype="Int64"),
        pd.Series(["a", pd.NA, "b"], dtype="string"),
    ],
    ids=["None", "nan", "Int64-NA", "string-NA"],
)
def test_missing_labels_raise(y: object) -> None:
    with pytest.raises(
        ValueError, match=re.escape("y contains missing values (NaN/None)")
    ):
        check_target(y, n_rows=3, task="classification")


def test_mixed_label_types_raise() -> None:
    with pytest.raises(ValueError, match="mix of strings and numbers"):
        check_target(["a", 1, "b"], n_rows=3, task="classification")


def test_continuous_labels_raise_unknown_label_type() -> None:
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        check_target([0.5, 1.2, 3.3], n_rows=3, task="classification")


def test_infinite_labels_raise() -> None:
    with pytest.raises(ValueError, match="infinity"):
        check_target([0.0, np.inf, 1.0], n_rows=3, task="classification")


def test_single_class_raises() -> None:
    with pytest.raises(ValueError, match=r"y has only one class .* at least two"):
        check_target(["a", "a", "a"], n_rows=3, task="classification")


@pytest.mark.parametrize(
    "y",
    [[1, 2, 3], np.array([1.5, 2.5, 3.5], dtype=np.float32), pd.Series([1, 2, 3])],
    ids=["list", "float32", "series"],
)
def test_regression_target_is_float64(y: object) -> None:
    out = check_target(y, n_rows=3, task="regression")
    assert out.dtype == np.float64
    assert out.tolist() == pytest.approx(np.asarray(y, dtype=float).tolist())


def test_regression_object_numbers_are_accepted() -> None:
    out = check_target(np.array([1, 2.5, 3], dtype=object), n_rows=3, task="regression")
    assert out.tolist() == [1.0, 2.5, 3.0]


@pytest.mark.parametrize(
    ("y", "match"),
    [
        ([1.0, np.nan, 2.0], "y contains NaN"),
        ([1.0, None, 2.0], "y contains NaN"),
        (pd.Series([1.0, None, 2.0], dtype="Float64"), "y contains NaN"),
        ([1.0, np.inf, 2.0], "y contains infinity"),
        (["a", "b", "c"], "must be numeric"),
        (pd.Series(["1", "2", "3"], dtype="str"), "must be numeric"),
        (np.array([1 + 1j, 2, 3]), "Complex data not supported"),
    ],
    ids=["nan", "None", "Float64-NA", "inf", "strings", "str-dtype", "complex"],
)
def test_regression_target_errors(y: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        check_target(y, n_rows=3, task="regression")


def test_unknown_task_raises() -> None:
    with pytest.raises(ValueError, match="task must be 'classification' or"):
        check_target([1, 2], n_rows=2, task="ranking")


def test_sparse_target_raises() -> None:
    with pytest.raises(TypeError, match="Sparse input is not supported"):
        check_target(sparse.csr_matrix(np.ones((3, 1))), n_rows=3, task="regression")
