"""``FeatureTyper``: learn each column's kind at fit, give every frame those types.

The typed frame is what the rest of the flow sees: numeric columns as float64,
categorical columns as pandas ``category`` with string categories fixed at fit,
datetime columns expanded into numeric parts, free-text columns as strings.
Columns are matched by name.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from automl.data.columns import KINDS
from automl.data.specs import (
    ColumnSpec,
    TextSpec,
    TypedColumns,
    fit_spec,
    is_constant,
)
from automl.data.types import FeatureColumns
from automl.data.validation import check_features, generated_names

#: How many column names an error or warning lists before "...".
_MAX_NAMES_SHOWN = 10


class FeatureTyper(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):  # type: ignore[call-arg]
    """Infer column kinds at fit; convert any frame to those types.

    Parameters
    ----------
    max_categories : int, default=1000
        Cap on the levels of a categorical column. A column with more distinct
        strings keeps its ``max_categories - 1`` most frequent levels among those
        seen at least twice (ties broken alphabetically) and maps every other
        non-missing value, at fit and at transform, to the level ``"__other__"``.
        An identifier-like column (no level repeats) thus becomes constant and is
        dropped.
    drop_constant : bool, default=True
        Drop columns that hold a single value in every row at fit (an all-missing
        column counts as constant; a value plus some missing does not). When
        every column is constant, none is dropped.
    estimator_name : str, optional
        Name used in error messages ("X has 3 features, but AutoClassifier is
        expecting 4 features as input."). Defaults to ``"FeatureTyper"``.
    float32 : bool, default=False
        Store numeric columns as float32 where that is safe (half the memory
        of float64, which matters for large tables): a column stays float64
        when its values exceed float32's range, or when float32's rounding at
        its largest magnitude is coarser than 1/1000 of its standard deviation
        (e.g. identifiers near 1e9 that differ by 1).
    column_types : dict of str to str, optional
        The kind of some columns, by name: "numeric", "categorical",
        "datetime" or "text"; the others' kinds are inferred.

    Attributes
    ----------
    columns_ : FeatureColumns
        Names of the output columns by kind, in output order (``columns_.all``).
    specs_ : dict of str to spec
        The fitted recipe of each kept input column (``NumericSpec``,
        ``CategoricalSpec``, ``DatetimeSpec`` or ``TextSpec``), in input order.
    kinds_ : dict of str to {"numeric", "categorical", "datetime", "text"}
        The kind inferred for every input column (dropped ones included).
    dropped_ : dict of str to str
        Input columns left out of the output, with the reason.
    n_features_in_ : int
        Number of input columns seen during fit.
    feature_names_in_ : ndarray of str
        Input column names seen during fit (``"x0", "x1", ...`` for arrays).
    has_feature_names_ : bool
        False when fit on unnamed input (names were generated). Input is then
        matched by position, and only the number of columns is checked.
    float32_columns_ : tuple of str
        Output numeric columns stored as float32 (empty unless ``float32``).

    Notes
    -----
    Conversion rules, at fit and at transform:

    * numeric: ints, floats, bools (0/1), nullable ``Int64``/``Float64``/
      ``boolean``, timedeltas (seconds) and object columns of numbers become
      float64. **±inf becomes NaN**, as does any value that cannot be read as a
      number (so a numeric column arriving as strings of numbers still works).
      Magnitudes beyond float32's range (3.4e38) are clipped to it: forests
      and boosters compute in float32.
    * categorical: ``category``, strings (object, ``str``, ``string``) and mixed
      columns become ``category`` with string categories fixed at fit (declared
      order for pandas categoricals, sorted otherwise). Unseen values become
      missing, except in capped high-cardinality columns (see
      ``max_categories``).
    * text: string columns of free text (see
      :func:`~automl.data.columns.looks_like_text`), or named in
      ``column_types``, stay strings (missing as NaN); the pipeline encodes
      them.
    * datetime: datetime64 (naive or tz-aware), object columns of dates and
      strings written as dates (:func:`~automl.data.columns.looks_like_dates`)
      become
      ``<name>__year``, ``__month``, ``__day``, ``__day_of_week``, ``__hour``,
      ``__minute`` (each only when not constant at fit; local wall-clock time)
      and ``<name>__epoch`` (seconds since 1970 UTC). The original is dropped.

    Missing values (NaN, None, pd.NA, NaT) are allowed everywhere and stay
    missing. Output columns come in the order of ``columns_.all``: numeric
    (including datetime parts) first, then categorical, then text, each in
    input order.
    """

    def __init__(
        self,
        *,
        max_categories: int = 1000,
        drop_constant: bool = True,
        estimator_name: str | None = None,
        float32: bool = False,
        column_types: Mapping[str, str] | None = None,
    ) -> None:
        self.max_categories = max_categories
        self.drop_constant = drop_constant
        self.estimator_name = estimator_name
        self.float32 = float32
        self.column_types = column_types

    def fit(self, X: object, y: object = None) -> FeatureTyper:
        """Learn the kind, categories and datetime parts of every column.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Training features (validated with ``check_features``).
        y : None
            Ignored.

        Returns
        -------
        self : FeatureTyper
        """
        if self.max_categories < 2:
            raise ValueError(
                f"max_categories must be at least 2, got {self.max_categories}."
            )
        frame = check_features(X)
        _check_column_types(self.column_types, frame.columns)
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        self.has_feature_names_ = list(frame.columns) != generated_names(frame.shape[1])
        specs, dropped, narrow = _fit_specs(frame, self)
        self.kinds_ = {name: spec.kind for name, spec in specs.items()}
        self.dropped_ = dropped
        self.specs_ = {
            name: spec for name, spec in specs.items() if name not in dropped
        }
        self.columns_ = _feature_columns(list(self.specs_.values()))
        kept = set(self.columns_.numeric)
        self.float32_columns_ = tuple(name for name in narrow if name in kept)
        return self

    def transform(self, X: object) -> pd.DataFrame:
        """Convert features to the types learned at fit.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Features with the fit-time columns, in any order (extra columns are
            ignored with a ``UserWarning``). Unnamed input is matched by position.

        Returns
        -------
        pandas.DataFrame
            Columns ``columns_.all``: float64 numeric columns, then ``category``
            columns with exactly the fit-time categories; a fresh RangeIndex.

        Raises
        ------
        ValueError
            When fit-time columns are missing, or unnamed input has a different
            number of columns than at fit.
        """
        check_is_fitted(self, "columns_")
        frame = self._align_columns(check_features(X))
        blocks = _NumericBlocks(
            self.columns_.numeric, getattr(self, "float32_columns_", ()), len(frame)
        )
        categorical: TypedColumns = {}
        text: TypedColumns = {}
        for name, spec in self.specs_.items():
            for out_name, values in spec.transform(frame[name]).items():
                if isinstance(values, pd.Categorical):
                    categorical[out_name] = values
                elif spec.kind == "text":
                    text[out_name] = values
                else:
                    blocks.put(out_name, values)
        parts = blocks.frames()
        for typed in (categorical, text):
            if typed:
                parts.append(pd.DataFrame(typed, copy=False))
        out = parts[0] if len(parts) == 1 else pd.concat(parts, axis=1)
        return out[list(self.columns_.all)].set_axis(pd.RangeIndex(len(frame)))

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Names of the output columns, in output order.

        Parameters
        ----------
        input_features : None
            Ignored; present for scikit-learn compatibility.

        Returns
        -------
        ndarray of str
        """
        check_is_fitted(self, "columns_")
        return np.asarray(self.columns_.all, dtype=object)

    @property
    def _name(self) -> str:
        return self.estimator_name or type(self).__name__

    def _align_columns(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Return ``frame`` with the fit-time columns, by name or by position."""
        fitted = list(self.feature_names_in_)
        names = list(frame.columns)
        unnamed = names == generated_names(len(names))
        if unnamed or not self.has_feature_names_:
            return self._align_by_position(frame, unnamed=unnamed)
        present = set(names)
        missing = [name for name in fitted if name not in present]
        fitted_set = set(fitted)
        extra = [name for name in names if name not in fitted_set]
        if missing:
            raise ValueError(_missing_columns_message(missing, extra))
        if extra:
            warnings.warn(
                f"X has columns not seen during fit; they are ignored: {_show(extra)}.",
                UserWarning,
                stacklevel=3,
            )
        return frame

    def _align_by_position(self, frame: pd.DataFrame, *, unnamed: bool) -> pd.DataFrame:
        """Match unnamed input (or input to a typer fit on unnamed data) by position."""
        if frame.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {frame.shape[1]} features, but {self._name} is expecting "
                f"{self.n_features_in_} features as input."
            )
        fitted = list(self.feature_names_in_)
        if list(frame.columns) == fitted:
            return frame
        if unnamed:
            message = (
                f"X does not have valid feature names, but {self._name} was fitted "
                "with feature names; columns are matched by position."
            )
        else:
            message = (
                f"X has feature names, but {self._name} was fitted without feature "
                "names; columns are matched by position."
            )
        warnings.warn(message, UserWarning, stacklevel=4)
        return frame.set_axis(fitted, axis=1)


class _NumericBlocks:
    """The numeric output written column by column into one 2-D array per dtype,
    which becomes a pandas block without a copy (building the frame from a dict
    of columns would copy the whole table once more)."""

    def __init__(self, names: tuple[str, ...], narrow: tuple[str, ...], n: int):
        narrow_set = set(narrow)
        self.names = {
            np.dtype(np.float32): [c for c in names if c in narrow_set],
            np.dtype(np.float64): [c for c in names if c not in narrow_set],
        }
        self.arrays = {
            dtype: np.empty((len(cols), n), dtype=dtype)
            for dtype, cols in self.names.items()
        }
        self.where = {
            name: (dtype, i)
            for dtype, cols in self.names.items()
            for i, name in enumerate(cols)
        }

    def put(self, name: str, values: np.ndarray) -> None:
        dtype, i = self.where[name]
        self.arrays[dtype][i] = values

    def frames(self) -> list[pd.DataFrame]:
        return [
            pd.DataFrame(self.arrays[dtype].T, columns=cols, copy=False)
            for dtype, cols in self.names.items()
            if cols
        ]


#: float32's largest finite value; larger magnitudes would become infinite.
_FLOAT32_MAX = float(np.finfo(np.float32).max)
#: float32's rounding at a column's largest magnitude must stay below this share
#: of the column's standard deviation.
_FLOAT32_ROUNDING = 1e-3


def _float32_safe(values: np.ndarray | pd.Categorical) -> bool:
    """Whether a numeric output column loses nothing that matters in float32."""
    if isinstance(values, pd.Categorical) or values.dtype == object:
        return False
    finite = np.isfinite(values)
    if not finite.any():
        return True
    top = float(np.max(np.abs(values[finite])))
    spread = float(np.std(values[finite]))
    ulp = top * float(np.finfo(np.float32).eps)
    return top <= _FLOAT32_MAX and (spread == 0.0 or ulp <= _FLOAT32_ROUNDING * spread)


def _feature_columns(specs: list[ColumnSpec]) -> FeatureColumns:
    """Collect output names by kind from the kept specs (input order)."""
    numeric: list[str] = []
    categorical: list[str] = []
    datetime: list[str] = []
    text: list[str] = []
    for spec in specs:
        if isinstance(spec, TextSpec):
            text.append(spec.name)
            if spec.levels is not None:
                categorical.append(spec.levels.name)
            continue
        (categorical if spec.kind == "categorical" else numeric).extend(
            spec.output_names
        )
        if spec.kind == "datetime":
            datetime.extend(spec.output_names)
    return FeatureColumns(
        numeric=tuple(numeric),
        categorical=tuple(categorical),
        datetime=tuple(datetime),
        text=tuple(text),
    )


def _fit_specs(
    frame: pd.DataFrame, typer: FeatureTyper
) -> tuple[dict[str, ColumnSpec], dict[str, str], list[str]]:
    """Fit a spec per column with ``typer``'s parameters; return all specs,
    the dropped columns and the numeric output columns that can be float32."""
    taken = set(frame.columns)
    specs: dict[str, ColumnSpec] = {}
    reasons: dict[str, str] = {}
    narrow: list[str] = []
    kinds = typer.column_types or {}
    for name in frame.columns:
        spec = fit_spec(
            frame[name],
            name,
            max_categories=typer.max_categories,
            taken=taken,
            kind=kinds.get(name),  # type: ignore[arg-type]
        )
        taken.update(spec.output_names)
        specs[name] = spec
        if not (typer.drop_constant or typer.float32):
            continue
        typed = spec.transform(frame[name])
        if typer.drop_constant and is_constant(typed):
            reasons[name] = _constant_reason(frame[name], spec)
        if typer.float32:
            narrow.extend(n for n, v in typed.items() if _float32_safe(v))
    if len(reasons) == len(specs):
        reasons = {}
    return specs, reasons, narrow


def _check_column_types(
    column_types: Mapping[str, str] | None, names: pd.Index
) -> None:
    """Refuse kinds we do not know and columns ``X`` does not have."""
    if column_types is None:
        return
    if not isinstance(column_types, Mapping):
        raise TypeError(
            "column_types should be a dict from column name to kind, e.g. "
            f'{{"review": "text"}}; got {type(column_types).__name__}.'
        )
    wrong = {c: k for c, k in column_types.items() if k not in KINDS}
    if wrong:
        raise ValueError(
            f"column_types gives unknown kinds {wrong}; each kind is one of "
            f"{list(KINDS)}."
        )
    unknown = [c for c in column_types if c not in set(names)]
    if unknown:
        raise ValueError(
            f"column_types names columns that X does not have: {_show(unknown)}. "
            f"X's columns are {_show([str(n) for n in names])}."
        )


def _constant_reason(column: pd.Series, spec: ColumnSpec) -> str:
    """Why a constant column is dropped (for ``dropped_``)."""
    if column.isna().all():
        return "all values missing"
    if spec.kind == "categorical" and getattr(spec, "other", None) is not None:
        return "identifier-like: too many distinct strings, none repeated"
    return "constant: a single value in every row"


def _show(names: list[str]) -> str:
    """Format a list of names for a message, shortened when long."""
    if len(names) <= _MAX_NAMES_SHOWN:
        return repr(names)
    shown = repr(names[:_MAX_NAMES_SHOWN])[:-1]
    return f"{shown}, ... ({len(names) - _MAX_NAMES_SHOWN} more)]"


def _missing_columns_message(missing: list[str], extra: list[str]) -> str:
    """Our message, followed by scikit-learn's own wording for feature names."""
    message = (
        f"X is missing columns seen during fit: {_show(missing)}. Pass all the "
        "columns used in fit (their order does not matter; extra columns are "
        "ignored).\nThe feature names should match those that were passed during "
        "fit.\n"
    )
    if extra:
        message += "Feature names unseen at fit time:\n" + _bullets(sorted(extra))
    message += "Feature names seen at fit time, yet now missing:\n"
    return message + _bullets(sorted(missing))


def _bullets(names: list[str]) -> str:
    """scikit-learn's list format: at most five ``- name`` lines, then ``- ...``."""
    lines = [f"- {name}\n" for name in names[:5]]
    if len(names) > 5:
        lines.append("- ...\n")
    return "".join(lines)
