"""Column-level helpers: infer a column's kind and convert it to a fixed type.

Every converter here *coerces* instead of raising: a value that cannot be read
as the wanted type becomes missing. This is what lets ``FeatureTyper.transform``
accept a column whose dtype changed between fit and predict (for example a
numeric column that arrives as strings of numbers).
"""

from __future__ import annotations

import re
import warnings
from datetime import tzinfo
from typing import Literal

import numpy as np
import pandas as pd
from pandas.api.types import (
    infer_dtype,
    is_bool_dtype,
    is_complex_dtype,
    is_datetime64_any_dtype,
    is_numeric_dtype,
    is_timedelta64_dtype,
)

Kind = Literal["numeric", "categorical", "datetime", "text"]
KINDS: tuple[Kind, ...] = ("numeric", "categorical", "datetime", "text")

#: A string column is free text when more than this share of its non-missing
#: values are distinct ... (AutoGluon's rule, ``check_if_nlp_feature``)
TEXT_MIN_UNIQUE_SHARE = 0.01
#: ... and its distinct values have at least this many words on average
#: (AutoGluon: 3). Shorter texts, names and titles, are categoricals: as text
#: (4.07 words on average) tate_text's titles lost on five splits out of five
#: to the same column as a categorical at 60 s (RMSE 3.754 against 3.543 on
#: average; AutoGluon ``best_quality_v150`` 3.577), titanic's names did no
#: better (0.840 / 0.890 ROC AUC against 0.846 / 0.896); the tweets (18
#: words) gain from their text (0.972 against 0.724).
#: ``benchmarks/results/text-60s-short-texts``. ``column_types`` makes any
#: string column text.
TEXT_MIN_MEAN_WORDS = 5.0
#: ... and at least this share of its rows hold a text no other row has. Texts
#: that mostly repeat are levels whose identity is the signal (a movie's title
#: rated by many users, a material shared by many artworks): as text they lost
#: to the same columns as categoricals (movielens 0.900 against 0.866 RMSE,
#: tate_text 3.785 against 3.636 at 60 s, ``benchmarks/results/text-60s``).
TEXT_MIN_SINGLE_SHARE = 0.5
#: A string column holds dates when at least this share of its distinct values
#: (a sample of ``DATE_SAMPLE`` of them) are written as dates and parse as dates.
DATE_MIN_SHARE = 0.95
DATE_SAMPLE = 1000
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:[ap]m)?)?"
_ZONE = r"(?:\s*(?:z|utc|gmt|[+-]\d{2}:?\d{2}))?"
#: Dates as people and systems write them: 2017-03-08, 2017/3/8 12:30,
#: 2015-12-31T23:21:49Z, 08.03.2017, 3/8/17, 8 Mar 2017, March 8, 2017. Plain
#: numbers (20170308) are not dates: they stay numeric.
_DATE_PATTERN = re.compile(
    r"\s*(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"
    r"|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}"
    rf"|\d{{1,2}}[ -]{_MONTH}[ ,-]*\d{{2,4}}"
    rf"|{_MONTH} \d{{1,2}},? \d{{4}})"
    rf"{_TIME}{_ZONE}\s*",
    re.IGNORECASE,
)

#: ``infer_dtype`` results (``skipna=True``) of object columns that are numbers.
_NUMERIC_INFERRED = frozenset(
    {"integer", "floating", "mixed-integer-float", "decimal", "boolean", "empty"}
)
#: ``infer_dtype`` results of object columns that are dates or timestamps.
_DATETIME_INFERRED = frozenset({"datetime", "datetime64", "date"})
#: ``infer_dtype`` results that may hide non-scalar values (dicts, lists, ...).
_MIXED_INFERRED = frozenset({"mixed", "mixed-integer", "unknown-array"})
#: Largest float whose integer value is exact; used to print ``3.0`` as ``"3"``.
_EXACT_INT_LIMIT = 2.0**53
#: Largest magnitude of a numeric feature: float32's largest value. Forests and
#: boosters work in float32 (larger values become infinite there, and they reject
#: them) and scalers square values (1e200 squared overflows float64), so larger
#: magnitudes are clipped to it.
MAX_MAGNITUDE = float(np.finfo(np.float32).max)


def infer_kind(column: pd.Series) -> Kind:
    """Return the kind of one input column.

    Parameters
    ----------
    column : pandas.Series
        One column of the validated input frame.

    Returns
    -------
    {"numeric", "categorical", "datetime"}
        ``numeric`` for numbers and booleans (numpy, nullable and object columns
        that hold numbers only, timedeltas), ``datetime`` for datetime64 (naive or
        tz-aware), object columns of dates and strings that
        :func:`looks_like_dates`, ``categorical`` for everything
        else (``category``, strings, mixed values).
    """
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if is_datetime64_any_dtype(dtype):
        return "datetime"
    if is_bool_dtype(dtype) or is_timedelta64_dtype(dtype):
        return "numeric"
    if is_numeric_dtype(dtype) and not is_complex_dtype(dtype):
        return "numeric"
    inferred = infer_dtype(column, skipna=True)
    if inferred in _NUMERIC_INFERRED:
        return "numeric"
    if inferred in _DATETIME_INFERRED:
        return "datetime"
    if inferred == "string" and looks_like_dates(column):
        return "datetime"
    return "categorical"


def looks_like_dates(column: pd.Series) -> bool:
    """Whether a string column holds dates (or timestamps) written as text.

    A CSV's dates arrive as strings; read as categorical levels they lose the
    hour, weekday and order they carry (the hour of 4,543 tweets tells the
    phone they were sent from: ours' test ROC AUC went from 0.937 to
    0.956-0.960 with it; a time-ordered table's test RMSE from 35.2 to 30.7).

    Parameters
    ----------
    column : pandas.Series
        A column of strings.

    Returns
    -------
    bool
        True when at least ``DATE_MIN_SHARE`` of a sample of its distinct
        values match a written date (``_DATE_PATTERN``) and pandas reads them
        as dates.
    """
    distinct = pd.Series(column.dropna().unique())
    if distinct.empty:
        return False
    if len(distinct) > DATE_SAMPLE:
        distinct = distinct.sample(DATE_SAMPLE, random_state=0)
    texts = distinct.astype(str)
    written = texts.map(lambda text: _DATE_PATTERN.fullmatch(text) is not None)
    if written.mean() < DATE_MIN_SHARE:
        return False
    parsed = to_datetime(texts)
    return bool(parsed.notna().mean() >= DATE_MIN_SHARE)


def looks_like_text(column: pd.Series) -> bool:
    """Whether a string column holds free text rather than category levels.

    Free text (reviews, titles, descriptions): strings, more than
    ``TEXT_MIN_UNIQUE_SHARE`` of the values distinct, at least
    ``TEXT_MIN_MEAN_WORDS`` words on average over the distinct values, and
    at least ``TEXT_MIN_SINGLE_SHARE`` of the rows holding a text that no
    other row has (texts that mostly repeat are category levels). A pandas
    ``category`` column is never text: its levels were declared.

    Parameters
    ----------
    column : pandas.Series

    Returns
    -------
    bool
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        return False
    values = column.dropna()
    if values.empty or infer_dtype(values, skipna=True) != "string":
        return False
    counts = values.value_counts()
    if len(counts) <= TEXT_MIN_UNIQUE_SHARE * len(values):
        return False
    if (counts == 1).sum() < TEXT_MIN_SINGLE_SHARE * len(values):
        return False
    words = pd.Series(counts.index).str.split().str.len()
    return bool(words.mean() >= TEXT_MIN_MEAN_WORDS)


def find_invalid_value(column: pd.Series) -> object | None:
    """Return the first value that cannot be a feature (complex, dict, list, ...).

    Parameters
    ----------
    column : pandas.Series
        One column of the input frame.

    Returns
    -------
    object or None
        The offending value, or ``None`` when every value is a number, string,
        boolean, date or missing. Only object columns whose values are of mixed
        or unknown types are scanned, so the check is cheap for clean data.
    """
    if is_complex_dtype(column.dtype):
        return column.iloc[0]
    if column.dtype != np.dtype("O"):
        return None
    inferred = infer_dtype(column, skipna=True)
    if inferred == "complex":
        return column.dropna().iloc[0]
    if inferred not in _MIXED_INFERRED:
        return None
    for value in column.to_numpy():
        if isinstance(value, complex) or not pd.api.types.is_scalar(value):
            return value
    return None


def to_float(column: pd.Series) -> np.ndarray:
    """Convert a column to a float64 array; unreadable values and ±inf become NaN.

    Magnitudes above ``MAX_MAGNITUDE`` (3.4e38) are clipped to it.

    Parameters
    ----------
    column : pandas.Series
        Any column: numeric, nullable, boolean, timedelta, category, strings.

    Returns
    -------
    numpy.ndarray
        A new float64 array of the same length. Booleans map to 0/1, timedeltas
        to seconds, strings of numbers to their value; anything else is NaN.
        Finite values lie within ``[-MAX_MAGNITUDE, MAX_MAGNITUDE]``.
    """
    dtype = column.dtype
    if is_timedelta64_dtype(dtype):
        seconds = column / pd.Timedelta(seconds=1)
        values = seconds.to_numpy(dtype="float64", na_value=np.nan)
    elif is_datetime64_any_dtype(dtype) or is_complex_dtype(dtype):
        values = np.full(len(column), np.nan)
    elif is_bool_dtype(dtype) or is_numeric_dtype(dtype):
        values = column.to_numpy(dtype="float64", na_value=np.nan)
    else:
        values = _parse_numbers(column)
    values = np.array(values, dtype="float64", copy=True)
    values[~np.isfinite(values)] = np.nan
    np.clip(values, -MAX_MAGNITUDE, MAX_MAGNITUDE, out=values)
    return values


def _parse_numbers(column: pd.Series) -> np.ndarray:
    """Read an object / string / category column as numbers, coercing failures."""
    objects = pd.Series(column.to_numpy(dtype=object), copy=False)
    try:
        parsed = pd.to_numeric(objects, errors="coerce")
        return np.asarray(parsed.to_numpy(dtype="float64", na_value=np.nan))
    except (TypeError, ValueError, OverflowError):  # e.g. the int 10**400
        return np.array([_one_float(value) for value in objects], dtype="float64")


def _one_float(value: object) -> float:
    """Read one value as a float, or NaN."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return float("nan")


def str_codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Factorize a column into integer codes and the string label of each code.

    Parameters
    ----------
    column : pandas.Series
        Any column. Integral numbers print without a decimal part (``3.0`` ->
        ``"3"``), so that an integer column that gained a missing value (and so
        became float) still matches the categories learned from integers.

    Returns
    -------
    codes : numpy.ndarray
        int64 codes into ``labels``; -1 for missing (NaN, None, pd.NA, NaT).
    labels : numpy.ndarray
        Object array of ``str``, one per distinct value (labels may repeat when
        distinct values print the same, e.g. ``1`` and ``"1"``).

    Notes
    -----
    ``str`` is applied to distinct values only, so the cost is one hash pass
    over the rows.
    """
    if column.dtype == np.dtype("O") and infer_dtype(column, skipna=True) not in (
        "string",
        "empty",
    ):
        # Mixed values: hashing would merge True with 1, so format each row first.
        values = column.to_numpy()
        present = ~pd.isna(values)
        formatted = np.full(len(values), None, dtype=object)
        formatted[present] = [_format_value(value) for value in values[present]]
        column = pd.Series(formatted, dtype=object, copy=False)
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), values_as_str(np.asarray(uniques))


def values_as_str(values: np.ndarray) -> np.ndarray:
    """Format distinct, non-missing values as an object array of ``str``.

    Parameters
    ----------
    values : numpy.ndarray
        1-D array of any dtype without missing values.

    Returns
    -------
    numpy.ndarray
        Object array of ``str``; integral floats print without ``.0``.
    """
    if values.dtype.kind in "iuf":
        return np.array([_format_number(float(v)) for v in values], dtype=object)
    if infer_dtype(values, skipna=False) == "string":
        return values.astype(object)
    return np.array([_format_value(v) for v in values], dtype=object)


def _format_value(value: object) -> str:
    """``str`` of a value, with integral floats (numpy or Python) as integers."""
    if isinstance(value, float | np.floating) and not isinstance(value, bool):
        return _format_number(float(value))
    return str(value)


def _format_number(value: float) -> str:
    """``3.0`` -> ``"3"``; other floats as ``str``."""
    if abs(value) < _EXACT_INT_LIMIT and value == np.floor(value):
        return str(int(value))
    return str(value)


def to_str(column: pd.Series) -> np.ndarray:
    """Convert a column to an object array of ``str`` with ``NaN`` for missing.

    Parameters
    ----------
    column : pandas.Series
        Any column (formatted as in ``str_codes``).

    Returns
    -------
    numpy.ndarray
        Object array; missing values are ``np.nan``.
    """
    codes, labels = str_codes(column)
    out = np.full(len(codes), np.nan, dtype=object)
    present = codes >= 0
    out[present] = labels[codes[present]]
    return out


def to_datetime(column: pd.Series) -> pd.Series:
    """Convert a column to a datetime64 Series; unreadable values become NaT.

    Parameters
    ----------
    column : pandas.Series
        A datetime64 column (returned as is), or strings / date objects that are
        parsed. Numbers and booleans are not read as dates (they become NaT).

    Returns
    -------
    pandas.Series
        A datetime64 Series (tz-aware when the input is), same index.
    """
    if is_datetime64_any_dtype(column.dtype):
        return column
    if is_bool_dtype(column.dtype) or is_numeric_dtype(column.dtype):
        return _all_nat(column)
    objects = pd.Series(column.to_numpy(dtype=object), index=column.index)
    best = _all_nat(column)
    for utc in (False, True):
        parsed = _parse_dates(objects, utc=utc)
        if parsed is not None and parsed.notna().sum() > best.notna().sum():
            best = parsed
    return best


def _parse_dates(column: pd.Series, *, utc: bool) -> pd.Series | None:
    """``pd.to_datetime`` with coercion and without its format warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = pd.to_datetime(column, errors="coerce", format="mixed", utc=utc)
        except (TypeError, ValueError, OverflowError):
            return None
    return parsed if is_datetime64_any_dtype(parsed.dtype) else None


def _all_nat(column: pd.Series) -> pd.Series:
    """A datetime64 Series of NaT shaped like ``column``."""
    return pd.Series(pd.NaT, index=column.index, dtype="datetime64[ns]")


def align_timezone(column: pd.Series, tz: tzinfo | None) -> pd.Series:
    """Express a datetime64 Series in the time zone seen at fit (``None``: naive).

    Parameters
    ----------
    column : pandas.Series
        A datetime64 Series, naive or tz-aware.
    tz : tzinfo or None
        The fit-time time zone. Aware values are converted to it; naive values
        are read as wall-clock times in it (nonexistent or ambiguous times become
        NaT). With ``tz=None``, aware values are converted to naive UTC.

    Returns
    -------
    pandas.Series
        The aligned Series.
    """
    current = column.dt.tz
    if tz is None:
        if current is None:
            return column
        return column.dt.tz_convert("UTC").dt.tz_localize(None)
    if current is None:
        return column.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    return column.dt.tz_convert(tz)


def epoch_seconds(column: pd.Series) -> np.ndarray:
    """Seconds since 1970-01-01 UTC (naive values are read as UTC), NaN for NaT.

    Parameters
    ----------
    column : pandas.Series
        A datetime64 Series, naive or tz-aware.

    Returns
    -------
    numpy.ndarray
        float64 array.
    """
    if column.dt.tz is not None:
        column = column.dt.tz_convert("UTC").dt.tz_localize(None)
    delta = (column - pd.Timestamp("1970-01-01")) / pd.Timedelta(seconds=1)
    return np.asarray(delta.to_numpy(dtype="float64", na_value=np.nan))


def datetime_part(column: pd.Series, part: str) -> np.ndarray:
    """One calendar part (``year``, ``month``, ``hour``, ...) as float64, NaN for NaT.

    Parameters
    ----------
    column : pandas.Series
        A datetime64 Series, naive or tz-aware (parts are local wall-clock).
    part : str
        A ``Series.dt`` attribute name such as ``"day_of_week"``.

    Returns
    -------
    numpy.ndarray
        float64 array.
    """
    values = getattr(column.dt, part)
    return np.asarray(values.to_numpy(dtype="float64", na_value=np.nan))


def n_distinct(values: np.ndarray) -> int:
    """Number of distinct values, counting missing (NaN) as one value.

    Parameters
    ----------
    values : numpy.ndarray
        A 1-D float64 or object array.

    Returns
    -------
    int
    """
    return int(pd.Series(values, copy=False).nunique(dropna=False))
