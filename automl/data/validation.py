"""Input validation: features ``X`` to a named DataFrame, target ``y`` to a 1-D array.

The messages follow scikit-learn's wording where its estimator checks look for
it ("Expected 2D array", "0 sample(s)", "Complex data not supported",
"Unknown label type", "requires y to be passed, but the target y is None").
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype
from scipy import sparse
from sklearn.exceptions import DataConversionWarning
from sklearn.utils import check_array
from sklearn.utils.multiclass import type_of_target

from automl.data.columns import MAX_MAGNITUDE, find_invalid_value

TargetTask = Literal["classification", "regression"]

_SPARSE_MESSAGE = (
    "Sparse input is not supported: {what} must be dense. Convert it with "
    "{name}.toarray() (or pass a pandas DataFrame)."
)


def generated_names(n_features: int) -> list[str]:
    """Column names given to unnamed input: ``["x0", "x1", ...]``.

    Parameters
    ----------
    n_features : int
        Number of columns.

    Returns
    -------
    list of str
    """
    return [f"x{i}" for i in range(n_features)]


def check_features(X: object) -> pd.DataFrame:
    """Validate features and return them as a DataFrame with string column names.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        A pandas DataFrame, a numpy array of any numeric, string or object dtype
        (read-only, memory-mapped and Fortran-ordered arrays are fine), a list of
        rows, or any object with a ``to_pandas()`` method (polars, pyarrow).
        Missing values (NaN, None, pd.NA, NaT) and infinities are allowed.

    Returns
    -------
    pandas.DataFrame
        The same values with a fresh ``RangeIndex``. DataFrame column names are
        converted with ``str``; unnamed input gets ``"x0", "x1", ...``. Values
        are not copied or converted here; ``FeatureTyper`` does that.

    Raises
    ------
    TypeError
        For sparse matrices, and for values that are neither numbers, strings,
        booleans, dates nor missing (e.g. dicts or lists inside a column).
    ValueError
        For input that is not 2-D (including a pandas Series), has no rows or
        no columns, holds complex numbers, or has duplicated column names.
    """
    if sparse.issparse(X):
        raise TypeError(_SPARSE_MESSAGE.format(what="X", name="X"))
    if not isinstance(X, pd.DataFrame | np.ndarray) and hasattr(X, "to_pandas"):
        X = X.to_pandas()
    if isinstance(X, pd.DataFrame):
        frame = _check_frame(X)
    else:
        frame = _array_to_frame(X)
    _check_values(frame)
    return frame


def _check_frame(X: pd.DataFrame) -> pd.DataFrame:
    """Validate a DataFrame's shape and column names; densify sparse columns."""
    _check_shape(X.shape)
    names = [str(name) for name in X.columns]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValueError(
            f"X has duplicated column names: {duplicated}. Column names (after "
            "conversion to str) must be unique; rename or drop the duplicates."
        )
    frame = X.set_axis(names, axis=1).reset_index(drop=True)
    for name in names:
        if isinstance(frame[name].dtype, pd.SparseDtype):
            frame[name] = frame[name].sparse.to_dense()
    return frame


def _array_to_frame(X: object) -> pd.DataFrame:
    """Validate an array-like with scikit-learn's ``check_array`` and name it."""
    if isinstance(X, pd.Series):
        X = X.to_numpy()
    try:
        array = check_array(X, dtype=None, ensure_all_finite=False, ensure_2d=True)
    except (TypeError, ValueError) as exc:  # e.g. 1-D, 3-D, ragged rows, 0 rows
        error = ValueError if isinstance(exc, ValueError) else TypeError
        raise error(f"X could not be read as a 2-D table: {exc}") from exc
    if not isinstance(X, np.ndarray) and array.dtype.kind in "US":
        # Lists mixing numbers and strings: numpy turned the numbers into text.
        array = np.asarray(X, dtype=object)
    # No copy: the frame is read only (FeatureTyper writes the typed copy), and a
    # copy of a 2M x 50 float table costs 800 MB and seconds.
    return pd.DataFrame(array, columns=generated_names(array.shape[1]), copy=False)


def _check_shape(shape: tuple[int, int]) -> None:
    """Raise scikit-learn's messages for 0 rows or 0 columns."""
    if shape[0] < 1:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={shape}) while a minimum of 1 "
            "is required."
        )
    if shape[1] < 1:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={shape}) while a minimum of 1 "
            "is required."
        )


def _check_values(frame: pd.DataFrame) -> None:
    """Reject complex numbers and non-scalar values (dicts, lists, ...)."""
    for name in frame.columns:
        value = find_invalid_value(frame[name])
        if value is None:
            continue
        if isinstance(value, complex | np.complexfloating):
            raise ValueError(
                f"Complex data not supported: column {name!r} holds {value!r}. "
                "Split it into real and imaginary parts."
            )
        raise TypeError(
            f"Column {name!r} holds a value of type {type(value).__name__} "
            f"({value!r:.60}); every feature argument must be a string or a "
            "number (or a bool, a date or missing). Convert or drop that column."
        )


def check_target(
    y: object,
    *,
    n_rows: int,
    task: TargetTask | str,
    estimator_name: str | None = None,
) -> np.ndarray:
    """Validate the target and return it as a 1-D numpy array.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        A list, numpy array, pandas Series or single-column DataFrame. A column
        vector of shape (n_samples, 1) is raveled with a
        ``DataConversionWarning``, as scikit-learn estimators do.
    n_rows : int
        Number of rows of ``X``; ``y`` must have as many values.
    task : {"classification", "regression"}
        Classification accepts labels of one type (strings, integers, bools or
        integral floats), at least two distinct ones, none missing. Regression
        accepts finite numbers of magnitude up to float32's largest (3.4e38),
        and bools.
    estimator_name : str, optional
        Used in the "y is None" message, e.g. ``"AutoClassifier"``.

    Returns
    -------
    numpy.ndarray
        Classification: the labels unchanged (numeric dtype, or object for
        strings); nullable, categorical and ``str`` pandas dtypes are unwrapped.
        Regression: float64.

    Raises
    ------
    ValueError
        With a message saying what is wrong with ``y`` and what to do.
    TypeError
        For a sparse ``y``.
    """
    if y is None:
        raise ValueError(
            f"{estimator_name or 'This estimator'} requires y to be passed, but "
            "the target y is None. Pass the target values as the second argument "
            "of fit."
        )
    if task not in ("classification", "regression"):
        raise ValueError(
            f"task must be 'classification' or 'regression', got {task!r}."
        )
    values = _target_to_1d(y)
    if len(values) != n_rows:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: X has "
            f"{n_rows} rows but y has {len(values)} values. Pass one target value "
            "per row of X."
        )
    if task == "classification":
        return _check_labels(values)
    return _check_continuous(values)


def check_groups(groups: object, *, n_rows: int) -> np.ndarray | None:
    """Validate group labels (one per row, none missing); None passes through.

    Parameters
    ----------
    groups : array-like of shape (n_samples,) or None
        Labels of any type that can be compared (ids, names, numbers).
    n_rows : int
        Number of rows of ``X``.

    Returns
    -------
    numpy.ndarray or None
        Integer codes of the groups (0..G-1, in sorted order of the labels).

    Raises
    ------
    ValueError
        With a message saying what is wrong and what to do.

    Examples
    --------
    >>> check_groups(["b", "a", "b"], n_rows=3).tolist()
    [1, 0, 1]
    """
    if groups is None:
        return None
    if sparse.issparse(groups):
        raise TypeError(_SPARSE_MESSAGE.format(what="groups", name="groups"))
    values = pd.Series(np.asarray(groups, dtype=object).ravel())
    if np.ndim(np.asarray(groups, dtype=object)) != 1:
        raise ValueError(
            "groups should be 1-d: one group label per row of X, got shape "
            f"{np.shape(np.asarray(groups, dtype=object))}."
        )
    if len(values) != n_rows:
        raise ValueError(
            f"X has {n_rows} rows but groups has {len(values)} labels. Pass one "
            "group label per row of X."
        )
    missing = int(values.isna().sum())
    if missing:
        raise ValueError(
            f"groups has {missing} missing labels; give every row a group (e.g. "
            "its own id for a row that belongs to no group)."
        )
    if values.nunique() < 2:
        raise ValueError(
            "groups has a single group; validation needs at least two (one to "
            "train on, one to validate on). Pass groups=None to validate by rows."
        )
    codes, _ = pd.factorize(values.astype(str), sort=True)
    return codes.astype(np.int64)


def check_sample_weight(sample_weight: object, *, n_rows: int) -> np.ndarray | None:
    """Validate sample weights and rescale them to a mean of 1.

    Rescaling makes the weights' unit irrelevant (weights 2 everywhere are
    no weights), so hyperparameters counted in rows, such as LightGBM's
    ``min_child_weight``, keep their meaning. Equal weights become None.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or None
        Non-negative, finite numbers; at least one positive.
    n_rows : int
        Number of rows of ``X``.

    Returns
    -------
    numpy.ndarray of float64 or None
        The weights divided by their mean; None if none were given or all
        are equal.

    Raises
    ------
    ValueError
        With a message saying what is wrong and what to do.

    Examples
    --------
    >>> check_sample_weight([1, 3], n_rows=2).tolist()
    [0.5, 1.5]
    >>> check_sample_weight([2, 2, 2], n_rows=3) is None
    True
    """
    if sample_weight is None:
        return None
    if sparse.issparse(sample_weight):
        raise TypeError(
            _SPARSE_MESSAGE.format(what="sample_weight", name="sample_weight")
        )
    try:
        weights = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            "sample_weight should hold numbers; convert it with "
            "pd.to_numeric(sample_weight)."
        ) from None
    if weights.ndim != 1:
        raise ValueError(
            "sample_weight should be 1-d: one weight per row of X, got shape "
            f"{weights.shape}."
        )
    if len(weights) != n_rows:
        raise ValueError(
            f"X has {n_rows} rows but sample_weight has {len(weights)} weights. "
            "Pass one weight per row of X."
        )
    bad = int(np.sum(~np.isfinite(weights)))
    if bad:
        raise ValueError(
            f"sample_weight has {bad} missing or infinite values; give every row "
            "a finite weight (0 leaves a row out)."
        )
    if np.any(weights < 0):
        raise ValueError(
            f"sample_weight has {int(np.sum(weights < 0))} negative values; "
            "weights must be 0 or more."
        )
    if not np.any(weights > 0):
        raise ValueError(
            "sample_weight is zero for every row; give some rows a positive weight."
        )
    if np.all(weights == weights[0]):
        return None
    return weights / weights.mean()


def _target_to_1d(y: object) -> np.ndarray:
    """Turn any supported container into a 1-D numpy array (object if mixed)."""
    if sparse.issparse(y):
        raise TypeError(_SPARSE_MESSAGE.format(what="y", name="y"))
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise ValueError(
                f"y should be a 1d array, got a DataFrame with {y.shape[1]} "
                "columns instead. Multi-output targets are not supported; pass a "
                "single column."
            )
        _warn_column_vector()
        y = y.iloc[:, 0]
    if isinstance(y, pd.Series):
        return _unwrap_object(_series_values(y))
    values = np.asarray(y) if isinstance(y, np.ndarray) else _list_to_array(y)
    if values.ndim == 2 and values.shape[1] == 1:
        _warn_column_vector()
        values = values.ravel()
    if values.ndim != 1:
        raise ValueError(
            f"y should be a 1d array, got an array of shape {values.shape} instead."
            " Multi-output targets are not supported; pass one value per row."
        )
    return _unwrap_object(values)


def _list_to_array(y: object) -> np.ndarray:
    """Lists keep their Python values (numbers stay numbers next to strings)."""
    try:
        values = np.asarray(y)
    except ValueError as exc:
        raise ValueError(f"y could not be read as a 1d array: {exc}") from exc
    if values.dtype.kind in "US":
        values = np.asarray(y, dtype=object)
    return values


def _series_values(y: pd.Series) -> np.ndarray:
    """Values of a Series; extension and categorical dtypes become numpy/object."""
    if isinstance(y.dtype, np.dtype):
        return y.to_numpy()
    return y.to_numpy(dtype=object, na_value=np.nan)


def _warn_column_vector() -> None:
    warnings.warn(
        "A column-vector y was passed when a 1d array was expected. Please change "
        "the shape of y to (n_samples,), for example using ravel().",
        DataConversionWarning,
        stacklevel=4,
    )


def _unwrap_object(values: np.ndarray) -> np.ndarray:
    """Object arrays of numbers only become int64 / bool / float64 arrays."""
    if values.dtype != np.dtype("O"):
        return values
    inferred = infer_dtype(values, skipna=True)
    missing = pd.isna(values)
    if inferred == "integer" and not missing.any():
        try:
            return values.astype(np.int64)
        except OverflowError:  # Python ints beyond int64 are read as floats
            pass
    if inferred == "boolean" and not missing.any():
        return values.astype(bool)
    if inferred in ("integer", "boolean", "floating", "mixed-integer-float", "empty"):
        try:
            return np.where(missing, np.nan, values).astype(np.float64)
        except OverflowError as exc:
            raise ValueError(
                "Input y contains an integer too large for dtype('float64') "
                f"({exc}). Rescale y, or convert its values to strings if they "
                "are class labels."
            ) from exc
    return values


def _check_labels(values: np.ndarray) -> np.ndarray:
    """Validate class labels (see ``check_target``)."""
    _reject_complex(values)
    if pd.isna(values).any():
        raise ValueError(
            "Input y contains missing values (NaN/None); a classifier needs a "
            "label for every row. Drop those rows or fill in their labels."
        )
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        raise ValueError(
            "Input y contains infinity; class labels must be finite. Drop those "
            "rows or fix their labels."
        )
    if values.dtype == np.dtype("O"):
        _reject_mixed_labels(values)
    target_type = type_of_target(values, input_name="y")
    if target_type not in ("binary", "multiclass"):
        raise ValueError(
            f"Unknown label type: {target_type}. A classifier needs discrete class "
            "labels (strings, integers or bools); use a regressor for a "
            "continuous target."
        )
    classes = np.unique(values)
    if len(classes) < 2:
        raise ValueError(
            f"y has only one class ({classes[0]!r}); a classifier needs at least "
            "two classes to learn from. Check the target column."
        )
    return values


def _reject_mixed_labels(values: np.ndarray) -> None:
    """Labels must be all strings or all numbers."""
    is_str = np.array([isinstance(v, str | bytes) for v in values], dtype=bool)
    if is_str.any() and not is_str.all():
        raise ValueError(
            "y contains a mix of strings and numbers as labels (e.g. "
            f"{values[is_str][0]!r} and {values[~is_str][0]!r}); class labels must "
            "all be of one type. Convert them, e.g. with y.astype(str)."
        )


def _check_continuous(values: np.ndarray) -> np.ndarray:
    """Validate a regression target (see ``check_target``)."""
    _reject_complex(values)
    if values.dtype.kind not in "biuf":
        example = values[~pd.isna(values)][:1]
        raise ValueError(
            "A regression target must be numeric, got non-numeric values such as "
            f"{example[0] if len(example) else None!r} (dtype {values.dtype}). "
            "Convert y to numbers, or use a classifier for class labels."
        )
    out = values.astype(np.float64)
    if np.isnan(out).any():
        raise ValueError(
            "Input y contains NaN (missing values); regression needs a finite "
            "target for every row. Drop those rows or fill in their values."
        )
    if np.isinf(out).any():
        raise ValueError(
            "Input y contains infinity or a value too large for dtype('float64'); "
            "regression needs finite targets. Drop or clip those rows."
        )
    largest = float(np.max(np.abs(out)))
    if largest > MAX_MAGNITUDE:
        raise ValueError(
            f"Input y contains values as large as {largest:.3g}; regression "
            f"supports magnitudes up to {MAX_MAGNITUDE:.3g} (float32's range, in "
            "which boosters compute, and squared errors must not overflow). "
            "Rescale y, e.g. divide it by a power of ten or take its logarithm."
        )
    return out


def _reject_complex(values: np.ndarray) -> None:
    if values.dtype.kind == "c" or (
        values.dtype == np.dtype("O") and infer_dtype(values, skipna=True) == "complex"
    ):
        raise ValueError("Complex data not supported in y. Pass real values.")
