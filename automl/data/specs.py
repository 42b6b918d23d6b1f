"""Fitted per-column recipes: how one input column becomes typed output columns.

A spec is learned from the training column by ``fit_spec`` and later applied to
any column with the same name by ``spec.transform``. Specs are small frozen
dataclasses, so a fitted ``FeatureTyper`` pickles and compares cleanly.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import tzinfo

import numpy as np
import pandas as pd

from automl.data.columns import (
    Kind,
    align_timezone,
    datetime_part,
    epoch_seconds,
    infer_kind,
    looks_like_text,
    n_distinct,
    str_codes,
    to_datetime,
    to_float,
    to_str,
    values_as_str,
)

#: Calendar parts extracted from a datetime column (kept when not constant).
DATETIME_PARTS: tuple[str, ...] = (
    "year",
    "month",
    "day",
    "day_of_week",
    "hour",
    "minute",
)
#: Name of the level that stands for rare levels of a high-cardinality column.
OTHER_LEVEL = "__other__"

TypedColumns = dict[str, "np.ndarray | pd.Categorical"]


@dataclass(frozen=True)
class NumericSpec:
    """A numeric input column: output is the same name as float64."""

    name: str
    kind: Kind = "numeric"

    @property
    def output_names(self) -> tuple[str, ...]:
        """Names of the output columns (all numeric)."""
        return (self.name,)

    def transform(self, column: pd.Series) -> TypedColumns:
        """Return ``{name: float64 array}``; unreadable values become NaN."""
        return {self.name: to_float(column)}


@dataclass(frozen=True)
class CategoricalSpec:
    """A categorical input column with the string categories seen at fit.

    ``other`` is set for high-cardinality columns: values outside ``dtype``'s
    categories then map to that level instead of to missing.
    """

    name: str
    dtype: pd.CategoricalDtype
    other: str | None = None
    kind: Kind = "categorical"

    @property
    def output_names(self) -> tuple[str, ...]:
        """Names of the output columns (all categorical)."""
        return (self.name,)

    def transform(self, column: pd.Series) -> TypedColumns:
        """Return ``{name: Categorical}``; unseen values become missing (or other)."""
        return {self.name: self.encode(*str_codes(column))}

    def encode(self, codes: np.ndarray, labels: np.ndarray) -> pd.Categorical:
        """Map factorized codes and their string labels to the fixed dtype."""
        label_codes = self.dtype.categories.get_indexer(labels)
        if self.other is not None:
            label_codes[label_codes < 0] = self.dtype.categories.get_loc(self.other)
        out = np.full(len(codes), -1, dtype=label_codes.dtype)
        present = codes >= 0
        out[present] = label_codes[codes[present]]
        return pd.Categorical.from_codes(out, dtype=self.dtype)


@dataclass(frozen=True)
class DatetimeSpec:
    """A datetime input column expanded into numeric parts plus the epoch value.

    ``tz`` is the fit-time time zone (``None`` when naive); parts are computed on
    local wall-clock time in that zone, the epoch value in UTC seconds.
    """

    name: str
    tz: tzinfo | None
    parts: tuple[str, ...]
    part_names: tuple[str, ...]
    epoch_name: str
    kind: Kind = "datetime"

    @property
    def output_names(self) -> tuple[str, ...]:
        """Names of the output columns (all numeric)."""
        return (*self.part_names, self.epoch_name)

    def transform(self, column: pd.Series) -> TypedColumns:
        """Return the float64 part columns and the epoch column; NaN for NaT."""
        dates = align_timezone(to_datetime(column), self.tz)
        out: TypedColumns = {
            name: datetime_part(dates, part)
            for part, name in zip(self.parts, self.part_names, strict=True)
        }
        out[self.epoch_name] = epoch_seconds(dates)
        return out


@dataclass(frozen=True)
class TextSpec:
    """A free-text input column: output is the same name as strings (missing
    as NaN), which the pipeline's text encoder turns into numbers.

    ``levels``: where texts repeat (a title rated by many users, a material
    shared by many artworks), the text as a categorical too, under
    ``<name>__level`` (the texts seen at least twice; the others one level):
    the n-grams lose which exact text a row has, which on those tables
    carried more than the words (movielens and tate_text at 60 s: test RMSE
    4 % worse with the n-grams alone than as a categorical).
    """

    name: str
    levels: CategoricalSpec | None = None
    kind: Kind = "text"

    @property
    def output_names(self) -> tuple[str, ...]:
        """Names of the output columns: the text, then its levels if any."""
        return (self.name,) if self.levels is None else (self.name, self.levels.name)

    def transform(self, column: pd.Series) -> TypedColumns:
        """Return ``{name: object array of str}`` (missing values stay NaN)
        and the levels' ``Categorical``."""
        out: TypedColumns = {self.name: to_str(column)}
        if self.levels is not None:
            out.update(self.levels.transform(column))
        return out


ColumnSpec = NumericSpec | CategoricalSpec | DatetimeSpec | TextSpec


def fit_spec(
    column: pd.Series,
    name: str,
    *,
    max_categories: int,
    taken: Collection[str],
    kind: Kind | None = None,
) -> ColumnSpec:
    """Learn the spec of one training column.

    Parameters
    ----------
    column : pandas.Series
        The training column.
    name : str
        Its name.
    max_categories : int
        Categorical columns with more distinct levels keep their
        ``max_categories - 1`` most frequent levels seen at least twice, plus the
        level ``"__other__"`` for all the rest.
    taken : collection of str
        Output names already in use; datetime part names avoid them.
    kind : {"numeric", "categorical", "datetime", "text"} or None
        The user's kind for the column; None infers it (strings that
        :func:`~automl.data.columns.looks_like_text` are text).

    Returns
    -------
    NumericSpec, CategoricalSpec, DatetimeSpec or TextSpec
    """
    if kind is None:
        kind = infer_kind(column)
        if kind == "categorical" and looks_like_text(column):
            kind = "text"
    if kind == "numeric":
        return NumericSpec(name)
    if kind == "datetime":
        return _fit_datetime(column, name, taken=taken)
    if kind == "text":
        return _fit_text(column, name, max_categories=max_categories, taken=taken)
    return _fit_categorical(column, name, max_categories=max_categories)


def _fit_text(
    column: pd.Series, name: str, *, max_categories: int, taken: Collection[str]
) -> TextSpec:
    """A text column, with its levels where some texts repeat (see TextSpec)."""
    level_name = _unique_name(f"{name}__level", taken)
    seen, counts = _label_counts(*str_codes(column))
    levels = _capped_categorical(
        seen, counts, level_name, max_categories=max_categories
    )
    if is_constant(levels.transform(column)):  # no text repeats: all "other"
        return TextSpec(name)
    return TextSpec(name, levels)


def _fit_categorical(
    column: pd.Series, name: str, *, max_categories: int
) -> CategoricalSpec:
    """Fix the string categories of a categorical column (capped if too many)."""
    seen, counts = _label_counts(*str_codes(column))
    ordered = False
    if isinstance(column.dtype, pd.CategoricalDtype):
        declared = values_as_str(np.asarray(column.cat.categories))
        levels = list(dict.fromkeys(declared))
        ordered = bool(column.dtype.ordered)
    else:
        levels = list(seen)
    if len(levels) > max_categories:
        return _capped_categorical(seen, counts, name, max_categories=max_categories)
    if not isinstance(column.dtype, pd.CategoricalDtype):
        levels.sort()
    return CategoricalSpec(name, pd.CategoricalDtype(levels, ordered=ordered))


def _label_counts(
    codes: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct string labels and their row counts (missing rows not counted)."""
    per_code = np.bincount(codes[codes >= 0], minlength=len(labels))
    label_ids, levels = pd.factorize(labels)
    if len(levels) == len(labels):
        return labels, per_code
    counts = np.bincount(label_ids, weights=per_code, minlength=len(levels))
    return np.asarray(levels, dtype=object), counts.astype(np.int64)


def _capped_categorical(
    levels: np.ndarray, counts: np.ndarray, name: str, *, max_categories: int
) -> CategoricalSpec:
    """Keep the most frequent repeated levels; the rest become ``OTHER_LEVEL``."""
    repeated = np.flatnonzero(counts >= 2)
    by_level = repeated[np.argsort(levels[repeated], kind="stable")]
    by_count = by_level[np.argsort(-counts[by_level], kind="stable")]
    kept = sorted(levels[by_count[: max_categories - 1]])
    other = _unique_name(OTHER_LEVEL, set(kept))
    dtype = pd.CategoricalDtype([*kept, other], ordered=False)
    return CategoricalSpec(name, dtype, other=other)


def _fit_datetime(
    column: pd.Series, name: str, *, taken: Collection[str]
) -> DatetimeSpec:
    """Choose the non-constant calendar parts of a datetime column."""
    dates = to_datetime(column)
    tz = dates.dt.tz
    parts = tuple(
        part
        for part in DATETIME_PARTS
        if n_distinct(datetime_part(dates, part)[dates.notna().to_numpy()]) > 1
    )
    used = set(taken)
    part_names = []
    for part in parts:
        part_names.append(_unique_name(f"{name}__{part}", used))
        used.add(part_names[-1])
    epoch_name = _unique_name(f"{name}__epoch", used)
    return DatetimeSpec(name, tz, parts, tuple(part_names), epoch_name)


def _unique_name(base: str, taken: Collection[str]) -> str:
    """``base``, or ``base_1``, ``base_2``, ... whichever is not taken."""
    candidate, i = base, 0
    while candidate in taken:
        i += 1
        candidate = f"{base}_{i}"
    return candidate


def is_constant(typed: TypedColumns) -> bool:
    """Whether every output column of a spec holds a single value (NaN counts).

    Parameters
    ----------
    typed : dict
        The output of ``spec.transform`` on the training column.

    Returns
    -------
    bool
    """
    for values in typed.values():
        codes = values.codes if isinstance(values, pd.Categorical) else values
        if not _single_value(np.asarray(codes)):
            return False
    return True


def _single_value(values: np.ndarray) -> bool:
    """``n_distinct(values) <= 1``, without hashing numeric arrays (a min and a
    max instead: 50 columns of 2M rows take 0.1 s instead of 20 s)."""
    if values.dtype.kind not in "biuf" or len(values) == 0:
        return n_distinct(values) <= 1
    if values.dtype.kind == "f":
        missing = np.isnan(values)
        if missing.all():
            return True
        if missing.any():
            return False
    return bool(values.min() == values.max())
