"""Hostile but plausible input, tried systematically with hypothesis.

Every generated table and target must end in one of two ways:

* a usable model: ``predict`` / ``predict_proba`` give the right shapes, finite
  probabilities that sum to 1 and labels among ``classes_``; or
* a ``ValueError`` / ``TypeError`` raised by automl's own code (the last
  traceback frame is inside ``automl/``) whose message names the problem;

never a traceback from pandas, numpy, scikit-learn or a booster, and never a
hang. The data stage is cheap, so it gets most examples; the real ``fit`` gets
a couple of dozen with a tiny budget; ``predict`` gets input that drifts from
what the model was fitted on.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st
from scipy import sparse

import automl
from automl import AutoClassifier, AutoRegressor
from automl.data import FeatureTyper, check_features, check_target
from automl.exceptions import FallbackModelWarning

pytestmark = pytest.mark.slow

AUTOML_DIR = Path(automl.__file__).resolve().parent
#: A clear message says which input is wrong (X, y, a column, the target ...).
_NAMES_THE_PROBLEM = re.compile(
    r"\b(X|y)\b|column|target|feature|label|sample|class", re.IGNORECASE
)
#: float32's largest value: every model library can take typed numbers below it.
FLOAT32_MAX = float(np.finfo(np.float32).max)
#: Families searched by the fit property, one per example (all are quick here).
FAMILIES = [
    "linear",
    "lightgbm",
    "knn",
    "hist_gb",
    "xgboost",
    "random_forest",
    "mlp",
    "extra_trees",
    "catboost",
]
TIME_LIMIT = 10
#: A fit may overrun ``time_limit`` by this much (worker start-up, refit).
TIME_SLACK = 20

_COMMON = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}

# ------------------------------------------------------------------- strategies

_EXTREME_FLOATS = [
    1e300,
    -1e300,
    1e-300,
    -1e-300,
    5e-324,
    float(np.finfo(np.float64).max),
    np.inf,
    -np.inf,
    np.nan,
    0.0,
]
_ORDINARY = st.floats(-1e3, 1e3, allow_nan=False)
_FLOATS = st.one_of(_ORDINARY, _ORDINARY, st.sampled_from(_EXTREME_FLOATS))
_MISSING = st.sampled_from([None, np.nan, pd.NA])
_WORDS = st.sampled_from(
    ["a", "b", "", " ", "é", "日本", "🙂", "nan", "None", "1", "1.0", "True"]
)
_TEXT = st.one_of(
    _WORDS, st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=6)
)
_TIMEZONES = st.sampled_from(
    ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
)
_DATETIMES = st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1))
_ANY_DATE = st.one_of(
    _DATETIMES,
    st.dates(),  # years 1 to 9999: outside pandas' nanosecond range
    st.builds(lambda d, tz: pd.Timestamp(d).tz_localize(tz), _DATETIMES, _TIMEZONES),
)
_NAMES = st.one_of(
    st.sampled_from(["a", "b", "x0", "x1", "é", "日本", "", "col 1", "a__year"]),
    _TEXT,
    st.integers(-2, 5),
    st.tuples(st.integers(0, 2), st.sampled_from(["a", "b"])),
    st.none(),
    st.just(1.5),
)
COLUMN_KINDS = [
    "float",
    "huge_or_tiny",
    "int",
    "bool",
    "all_nan",
    "all_none",
    "constant",
    "text",
    "high_cardinality",
    "category",
    "bools_and_numbers",
    "mixed_objects",
    "datetime",
    "datetime_tz",
    "datetime_mixed_tz",
    "nullable",
    "timedelta",
    "numeric_strings",
]


def _values(draw: st.DrawFn, element: st.SearchStrategy[Any], n: int) -> list[Any]:
    return draw(st.lists(element, min_size=n, max_size=n))


def _datetime_column(draw: st.DrawFn, kind: str, n: int) -> pd.Series:
    if kind == "datetime_mixed_tz":
        return pd.Series(_values(draw, st.one_of(_ANY_DATE, _MISSING), n), dtype=object)
    stamps = pd.Series(
        pd.to_datetime(_values(draw, st.one_of(_DATETIMES, st.none()), n))
    )
    if kind == "datetime_tz":
        tz = draw(_TIMEZONES)
        return stamps.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    return stamps


@st.composite
def columns(draw: st.DrawFn, n: int, kind: str | None = None) -> pd.Series:
    """One column of ``n`` rows of a hostile kind."""
    kind = kind or draw(st.sampled_from(COLUMN_KINDS))
    if kind == "float":
        return pd.Series(_values(draw, _FLOATS, n), dtype="float64")
    if kind == "huge_or_tiny":
        scale = draw(st.sampled_from([1e300, 1e200, 1e39, 1e-200, 1e-300]))
        return pd.Series(np.asarray(_values(draw, _ORDINARY, n)) * scale)
    if kind == "int":
        ints = st.one_of(st.integers(-3, 3), st.integers(-(2**63), 2**63 - 1))
        return pd.Series(_values(draw, ints, n), dtype="int64")
    if kind == "bool":
        return pd.Series(_values(draw, st.booleans(), n), dtype=bool)
    if kind == "all_nan":
        return pd.Series([np.nan] * n, dtype="float64")
    if kind == "all_none":
        return pd.Series([None] * n, dtype=object)
    if kind == "constant":
        value = draw(st.one_of(_FLOATS, _WORDS, st.booleans(), _DATETIMES, _MISSING))
        return pd.Series([value] * n)
    if kind == "text":
        dtype = draw(st.sampled_from([object, "str", "string"]))
        return pd.Series(_values(draw, st.one_of(_TEXT, _MISSING), n), dtype=dtype)
    if kind == "high_cardinality":
        prefix = draw(_TEXT)
        return pd.Series([f"{prefix}{i}✓" for i in range(n)])
    if kind == "category":
        values = _values(draw, st.one_of(_WORDS, st.integers(0, 3), st.none()), n)
        extra = draw(st.lists(st.sampled_from(["unused", "zz"]), unique=True))
        levels = list(dict.fromkeys([v for v in values if v is not None] + extra))
        ordered = draw(st.booleans())
        return pd.Series(pd.Categorical(values, categories=levels, ordered=ordered))
    if kind == "bools_and_numbers":
        mixed = st.one_of(st.booleans(), st.sampled_from([0, 1, 2.5, -1]), _MISSING)
        return pd.Series(_values(draw, mixed, n), dtype=object)
    if kind == "mixed_objects":
        anything = st.one_of(
            _TEXT, st.integers(), _FLOATS, st.booleans(), _MISSING, _ANY_DATE
        )
        return pd.Series(_values(draw, anything, n), dtype=object)
    if kind.startswith("datetime"):
        return _datetime_column(draw, kind, n)
    if kind == "nullable":
        dtype = draw(st.sampled_from(["Int64", "boolean", "Float64", "string"]))
        element = {
            "Int64": st.integers(-5, 5),
            "boolean": st.booleans(),
            "Float64": _ORDINARY,
            "string": _TEXT,
        }[dtype]
        values = _values(draw, st.one_of(element, st.just(pd.NA)), n)
        return pd.Series(pd.array(values, dtype=dtype))
    if kind == "timedelta":
        seconds = _values(draw, st.one_of(_ORDINARY, st.just(np.nan)), n)
        return pd.Series(pd.to_timedelta(seconds, unit="s"))
    assert kind == "numeric_strings", kind
    numbers = st.one_of(
        _FLOATS.map(str),
        st.sampled_from(["", " 3 ", "1,5", "1e400", "-inf", "0x10", "NaN"]),
    )
    return pd.Series(_values(draw, numbers, n), dtype=object)


@st.composite
def tables(
    draw: st.DrawFn, min_rows: int = 1, max_rows: int = 30, max_cols: int = 5
) -> Any:
    """A hostile feature table: a DataFrame (mostly), an object array or rows."""
    n = draw(st.integers(min_rows, max_rows))
    n_cols = draw(st.integers(1, max_cols))
    cols = [draw(columns(n)) for _ in range(n_cols)]
    names = draw(st.lists(_NAMES, min_size=n_cols, max_size=n_cols))
    if draw(st.sampled_from([True, True, True, False])):
        names = _made_unique(names)
    frame = pd.concat(cols, axis=1, ignore_index=True)
    frame.columns = names
    container = draw(st.sampled_from(["frame", "frame", "frame", "array", "rows"]))
    if container == "array":
        return frame.to_numpy(dtype=object)
    if container == "rows":
        return frame.astype(object).to_numpy().tolist()
    return frame


def _made_unique(names: list[Any]) -> list[Any]:
    """Rename names equal (as ``str``) to an earlier one: ``"a"`` -> ``"a.1"``."""
    seen: set[str] = set()
    out = []
    for i, name in enumerate(names):
        out.append(name if str(name) not in seen else f"{name}.{i}")
        seen.add(str(out[-1]))
    return out


def _shuffled(draw: st.DrawFn, values: list[Any]) -> list[Any]:
    return list(draw(st.permutations(values)))


#: Target kinds that a classifier accepts (given two classes or more).
VALID_LABELS = [
    "int",
    "str",
    "bool",
    "integral_float",
    "imbalanced",
    "one_per_class",
    "category",
    "nullable",
]
INVALID_LABELS = ["single_class", "continuous", "with_missing", "mixed_str_and_numbers"]
#: Target kinds that a regressor accepts.
VALID_NUMBERS = ["float", "int", "large", "tiny", "bool", "constant"]
INVALID_NUMBERS = [
    "huge",
    "extreme_range",
    "with_inf",
    "with_nan",
    "strings",
    "numeric_strings",
]


@st.composite
def classification_targets(
    draw: st.DrawFn, n: int, kinds: list[str] = VALID_LABELS + INVALID_LABELS
) -> Any:
    """Class labels, valid or not, in a list, an array or a Series."""
    kind = draw(st.sampled_from(kinds))
    if kind == "int":
        y: Any = _values(draw, st.integers(0, 2), n)
    elif kind == "str":
        y = _values(draw, _WORDS, n)
    elif kind == "bool":
        y = _values(draw, st.booleans(), n)
    elif kind == "integral_float":
        y = [float(v) for v in _values(draw, st.integers(-1, 1), n)]
    elif kind == "imbalanced":
        y = _shuffled(draw, ["rare"] + ["common"] * (n - 1))
    elif kind == "one_per_class":
        y = [f"class {i}" for i in range(n)]
    elif kind == "single_class":
        y = ["only"] * n
    elif kind == "continuous":
        y = _values(draw, _FLOATS, n)
    elif kind == "with_missing":
        y = [*_values(draw, st.integers(0, 1), n - 1), draw(_MISSING)]
    elif kind == "mixed_str_and_numbers":
        y = _values(draw, st.sampled_from([0, 1, "a", "b"]), n)
    elif kind == "category":
        y = pd.Series(pd.Categorical(_values(draw, _WORDS, n)))
    else:
        y = pd.Series(pd.array(_values(draw, st.integers(0, 1), n), dtype="Int64"))
    return _target_container(draw, y)


@st.composite
def regression_targets(
    draw: st.DrawFn, n: int, kinds: list[str] = VALID_NUMBERS + INVALID_NUMBERS
) -> Any:
    """Numeric targets, valid or not, in a list, an array or a Series."""
    kind = draw(st.sampled_from(kinds))
    ordinary = np.asarray(_values(draw, _ORDINARY, n))
    if kind == "float":
        y: Any = list(ordinary)
    elif kind == "int":
        y = _values(draw, st.integers(-(2**40), 2**40), n)
    elif kind == "large":  # within float32's range
        y = list(ordinary * draw(st.sampled_from([1e30, 3e35])))
    elif kind == "huge":
        y = list(ordinary * draw(st.sampled_from([1e300, 1e200, 1e40])) + 1e40)
    elif kind == "tiny":
        y = list(ordinary * 1e-300)
    elif kind == "extreme_range":
        y = _values(draw, st.sampled_from([1e300, -1e300, 1e-300, 0.0, 1.0]), n)
    elif kind == "with_inf":
        y = [*ordinary[:-1], draw(st.sampled_from([np.inf, -np.inf]))]
    elif kind == "with_nan":
        y = [*ordinary[:-1], draw(_MISSING)]
    elif kind == "strings":
        y = _values(draw, _WORDS, n)
    elif kind == "numeric_strings":
        y = [str(v) for v in ordinary]
    elif kind == "bool":
        y = _values(draw, st.booleans(), n)
    else:
        y = [draw(_ORDINARY)] * n
    return _target_container(draw, y)


def _target_container(draw: st.DrawFn, y: Any) -> Any:
    if isinstance(y, pd.Series):
        return y
    container = draw(st.sampled_from(["list", "array", "series"]))
    if container == "array":
        return np.asarray(y, dtype=object if _has_str(y) else None)
    if container == "series":
        return pd.Series(y)
    return y


def _has_str(values: list[Any]) -> bool:
    return any(isinstance(v, str) for v in values)


@st.composite
def cases(
    draw: st.DrawFn, min_rows: int = 1, max_rows: int = 30, valid_y: bool = False
) -> tuple:
    """``(X, y, task)`` with ``len(y)`` equal to the number of rows of ``X``.

    ``valid_y`` draws only targets that ``check_target`` accepts (for ``fit``,
    where the table is what is under test).
    """
    X = draw(tables(min_rows=min_rows, max_rows=max_rows))
    n = len(X)
    if draw(st.sampled_from(["classification", "regression"])) == "regression":
        kinds = VALID_NUMBERS if valid_y else VALID_NUMBERS + INVALID_NUMBERS
        return X, draw(regression_targets(n, kinds)), "regression"
    kinds = VALID_LABELS if valid_y else VALID_LABELS + INVALID_LABELS
    return X, draw(classification_targets(n, kinds)), "classification"


# ---------------------------------------------------------------------- helpers


def assert_clear_error(exc: BaseException) -> None:
    """A ValueError/TypeError raised by automl's code, naming the problem."""
    where = "".join(traceback.format_exception(exc))
    if not isinstance(exc, ValueError | TypeError):
        pytest.fail(f"expected a ValueError or TypeError, got:\n{where}")
    last = Path(traceback.extract_tb(exc.__traceback__)[-1].filename).resolve()
    if not last.is_relative_to(AUTOML_DIR):
        pytest.fail(f"the error comes from a dependency ({last}), not automl:\n{where}")
    message = str(exc)
    if len(message) < 20 or not _NAMES_THE_PROBLEM.search(message):
        pytest.fail(f"the message does not say what is wrong: {message!r}\n{where}")


def run_or_clear_error(action: Callable[[], Any]) -> tuple[bool, Any]:
    """``(True, result)``, or ``(False, error)`` after ``assert_clear_error``."""
    try:
        return True, action()
    except Exception as exc:
        assert_clear_error(exc)
        event(f"clear {type(exc).__name__}: {_first_words(str(exc))}")
        return False, exc


def _first_words(message: str) -> str:
    """The start of a message without the values in it (for hypothesis events)."""
    return re.sub(r"[\[('\"{].*", "...", message.splitlines()[0])[:50]


def assert_usable_classifier(clf: AutoClassifier, X: Any, n_rows: int) -> None:
    proba = clf.predict_proba(X)
    assert proba.shape == (n_rows, len(clf.classes_))
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    labels = clf.predict(X)
    assert labels.shape == (n_rows,)
    assert np.isin(labels, clf.classes_).all()


def assert_usable_regressor(reg: AutoRegressor, X: Any, n_rows: int) -> None:
    pred = reg.predict(X)
    assert pred.shape == (n_rows,)
    assert np.isfinite(pred).all()


# ------------------------------------------- cases that exposed bugs, kept

_A = np.random.default_rng(0).normal(size=24)
_LABELS = np.array(["no", "yes"])[(_A > 0).astype(int)]
#: Column names mixing str with int / None (scikit-learn's validate_data raised).
MIXED_NAMES = pd.DataFrame({0: _A, "a": -_A, None: _A > 0})
#: Magnitudes beyond float32 (forests and XGBoost raised, kNN and scaled linear
#: models got infinities or NaN, so every trial crashed).
HUGE_VALUES = pd.DataFrame({"huge": _A * 1e300, "tiny": _A * 1e-300})
#: A Python int beyond float64 in an object column (pandas' OverflowError).
HUGE_INT = pd.DataFrame({"n": pd.Series([10**400, 1, 2] * 8, dtype=object)})
#: One row of the minority class: a fold trains on one class, and every trial
#: crashed ("needs samples of at least 2 classes").
IMBALANCED = ["rare"] + ["common"] * 23
#: One row per class: a fold misses a class in the middle of 0..k-1, which
#: XGBoost rejects ("Invalid classes inferred from unique values of y").
ONE_PER_CLASS = [f"class {i}" for i in range(6)]
#: No column varies (kept, as every column is constant): CatBoost raised "All
#: features are either constant or ignored" in every trial.
NOTHING_VARIES = pd.DataFrame({"empty": [np.nan] * 8, "same": ["x"] * 8})
#: A column observed in one row only: folds without that row have it all-NaN,
#: where HistGradientBoosting's binning raised ("window shape cannot be larger").
MOSTLY_MISSING = pd.DataFrame({"rare": [np.nan] * 11 + [1.0], "n": np.arange(12.0)})


# ----------------------------------------------------------- 1. the data stage


def _data_stage(X: Any, y: Any, task: str) -> None:
    """What ``fit`` runs first, with the invariants of its output."""
    frame = check_features(X)
    y_checked = check_target(y, n_rows=len(frame), task=task)
    typer = FeatureTyper().fit(frame)
    Xt = typer.transform(frame)
    assert list(Xt.columns) == list(typer.columns_.all)
    assert len(Xt) == len(frame)
    for name in typer.columns_.numeric:
        values = Xt[name].to_numpy()
        assert values.dtype.kind == "f"
        # NaN is fine; the rest must be a number every model library can take.
        assert not (np.abs(values) > FLOAT32_MAX).any(), (name, values)
    for name in typer.columns_.categorical:
        categories = Xt[name].cat.categories
        assert all(isinstance(c, str) for c in categories)
    assert y_checked.shape == (len(frame),)
    if task == "regression":
        assert y_checked.dtype == np.float64
        assert (np.abs(y_checked) <= FLOAT32_MAX).all()
    else:
        assert not pd.isna(y_checked).any()
        assert len(np.unique(y_checked)) >= 2


@pytest.mark.timeout(120)
@settings(max_examples=200, **_COMMON)
@given(case=cases())
@example(case=(MIXED_NAMES, _LABELS, "classification"))
@example(case=(HUGE_VALUES, _A, "regression"))
@example(case=(HUGE_INT, _LABELS, "classification"))
@example(case=(HUGE_VALUES, list(_A * 1e300), "regression"))  # a clear error
@example(case=(HUGE_INT, [10**400] + [1] * 23, "regression"))  # a clear error
def test_data_stage_types_the_table_or_says_what_is_wrong(case: tuple) -> None:
    X, y, task = case
    ok, _ = run_or_clear_error(lambda: _data_stage(X, y, task))
    if ok:
        # The rest of what fit checks before searching (names, labels, splits);
        # one family keeps the memory plan (a space per family) cheap.
        cls = AutoClassifier if task == "classification" else AutoRegressor
        estimator = cls(include=["linear"])
        ok, _ = run_or_clear_error(lambda: estimator._plan(X, y))
    event("accepted" if ok else "rejected")


def _malformed() -> st.SearchStrategy[Any]:
    """Containers that are not a 2-D table of scalars, or have no rows or columns."""
    sizes = st.integers(0, 3)
    return st.one_of(
        st.builds(lambda n: np.zeros(n), sizes),
        st.builds(lambda n, m: np.zeros((n, m, 2)), sizes, sizes),
        st.builds(lambda n, m: np.zeros((n, m)), sizes, sizes),
        st.builds(lambda n, m: pd.DataFrame(np.zeros((n, m))), sizes, sizes),
        st.lists(st.lists(st.integers(), min_size=1, max_size=3), max_size=4),
        st.one_of(st.none(), st.integers(), _TEXT, st.just([])),
        st.dictionaries(_WORDS, st.integers(), max_size=3),
        st.builds(lambda n: pd.Series(np.arange(n)), sizes),
        st.builds(lambda n: np.full((n, 2), 1 + 2j), sizes),
        st.builds(lambda n: sparse.random(n + 1, 2, density=0.5), sizes),
    )


@settings(max_examples=60, **_COMMON)
@given(X=_malformed())
def test_malformed_containers_are_rejected_clearly(X: Any) -> None:
    ok, frame = run_or_clear_error(lambda: check_features(X))
    if ok:  # a well-formed list of rows or 2-D array
        assert frame.shape[0] >= 1 and frame.shape[1] >= 1
        run_or_clear_error(lambda: FeatureTyper().fit_transform(frame))
    event("accepted" if ok else "rejected")


# ------------------------------------------------------------ 2. the real fit


@pytest.mark.timeout(240)
# A fit takes seconds, so a failing example is reported as drawn, not shrunk
# (shrinking would take many minutes); the drawn tables are small anyway.
@settings(
    max_examples=5, phases=[Phase.explicit, Phase.reuse, Phase.generate], **_COMMON
)
@given(
    case=cases(min_rows=2, max_rows=30, valid_y=True), family=st.sampled_from(FAMILIES)
)
@example(case=(MIXED_NAMES, _LABELS, "classification"), family="linear")
@example(case=(HUGE_VALUES, _LABELS, "classification"), family="xgboost")
@example(case=(HUGE_VALUES.iloc[:24], IMBALANCED, "classification"), family="linear")
@example(case=(HUGE_VALUES.iloc[:6], ONE_PER_CLASS, "classification"), family="xgboost")
@example(case=(NOTHING_VARIES, _A[:8], "regression"), family="catboost")
@example(case=(MOSTLY_MISSING, _LABELS[:12], "classification"), family="hist_gb")
def test_fit_gives_a_usable_model_or_says_what_is_wrong(
    case: tuple, family: str
) -> None:
    X, y, task = case
    estimator_class = AutoClassifier if task == "classification" else AutoRegressor
    estimator = estimator_class(
        time_limit=TIME_LIMIT,
        max_trials=2,
        n_jobs=1,
        include=[family],
        stacking=False,
        random_state=0,
    )
    start = time.monotonic()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ok, _ = run_or_clear_error(lambda: estimator.fit(X, y))
    assert time.monotonic() - start < TIME_LIMIT + TIME_SLACK
    event("fitted" if ok else "rejected")
    if not ok:
        return
    fallback = [w for w in caught if issubclass(w.category, FallbackModelWarning)]
    errors = [t["error"] for t in estimator.trials_ if t["status"] != "ok"]
    assert not fallback, f"every {family} trial failed on this data: {errors}"
    if isinstance(estimator, AutoClassifier):
        assert_usable_classifier(estimator, X, len(X))
    else:
        assert_usable_regressor(estimator, X, len(X))


# ---------------------------------------------------------- 3. predict drift


@pytest.fixture(scope="module")
def training_frame() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    n = 60
    X = pd.DataFrame(
        {
            "num": rng.normal(size=n),
            "count": rng.integers(0, 5, n),
            "colour": rng.choice(["red", "green", "blue"], n),
            "flag": rng.random(n) > 0.5,
            "when": pd.date_range("2024-01-01", periods=n, freq="37h", tz="UTC"),
            "grade": pd.Categorical(rng.choice(["lo", "hi"], n)),
            "maybe": pd.array(rng.integers(0, 3, n), dtype="Int64"),
        }
    )
    y = np.where(X["num"] + (X["colour"] == "red") > 0.5, "yes", "no")
    return X, y


@pytest.fixture(scope="module")
def fitted_classifier(training_frame: tuple) -> AutoClassifier:
    X, y = training_frame
    budget = {"time_limit": 30, "max_trials": 2, "n_jobs": 1, "stacking": False}
    return AutoClassifier(include=["lightgbm", "linear"], **budget).fit(X, y)


@pytest.fixture(scope="module")
def fitted_array_regressor(training_frame: tuple) -> AutoRegressor:
    X, _ = training_frame
    values = X[["num", "count"]].to_numpy()
    budget = {"time_limit": 30, "max_trials": 2, "n_jobs": 1, "stacking": False}
    return AutoRegressor(include=["linear"], **budget).fit(values, X["num"] * 2)


DRIFTS = [
    "add_column",
    "drop_column",
    "unseen_categories",
    "numbers_to_strings",
    "strings_to_numbers",
    "mixed_objects",
    "all_missing",
    "huge_values",
    "change_timezone",
    "dates_to_strings",
    "nullable_to_float",
    "reorder",
    "duplicate_column",
    "rename_to_ints",
    "rows",
    "to_array",
]


def _apply_drift(draw: st.DrawFn, X: pd.DataFrame, drift: str, fitted: list) -> Any:
    """``X`` with one change of the kind ``drift`` (unchanged if not applicable)."""
    n = len(X)
    present = [c for c in X.columns if c in fitted]
    column = draw(st.sampled_from(present)) if present else None
    if drift == "add_column":
        return X.assign(**{draw(_WORDS) + "_new": draw(columns(n))})
    if drift == "drop_column" and column is not None:
        return X.drop(columns=column)
    if drift == "unseen_categories" and column is not None:
        return X.assign(**{column: _values(draw, _TEXT, n)})
    if drift == "numbers_to_strings" and column is not None:
        return X.assign(**{column: X[column].astype(str)})
    if drift == "strings_to_numbers" and column is not None:
        return X.assign(**{column: _values(draw, _FLOATS, n)})
    if drift in ("mixed_objects", "all_missing", "huge_values") and column is not None:
        kind = {"all_missing": "all_none", "huge_values": "huge_or_tiny"}
        return X.assign(**{column: draw(columns(n, kind.get(drift, drift)))})
    if drift == "change_timezone" and "when" in X.columns:
        when = pd.to_datetime(X["when"], errors="coerce", utc=True)
        return X.assign(when=when.dt.tz_convert(draw(_TIMEZONES)))
    if drift == "dates_to_strings" and "when" in X.columns:
        return X.assign(when=X["when"].astype(str))
    if drift == "nullable_to_float" and "maybe" in X.columns:
        return X.assign(maybe=X["maybe"].astype("Float64"))
    if drift == "reorder":
        return X[list(draw(st.permutations(list(X.columns))))]
    if drift == "duplicate_column" and column is not None:
        return pd.concat([X, X[[column]]], axis=1)
    if drift == "rename_to_ints":
        return X.set_axis(range(X.shape[1]), axis=1)
    if drift == "rows" and n > 0:
        return X.iloc[draw(st.lists(st.integers(0, n - 1), max_size=5))]
    return X


def _predict_must_fail(X: Any, fitted: list[str]) -> bool:
    """Empty input, a fit column missing, duplicated names, or the wrong width."""
    if len(X) == 0:
        return True
    if isinstance(X, np.ndarray):
        return X.shape[1] != len(fitted)
    names = [str(name) for name in X.columns]
    return len(set(names)) < len(names) or not set(fitted) <= set(names)


@st.composite
def drifted(draw: st.DrawFn, X: pd.DataFrame) -> tuple[Any, list[str]]:
    """``X`` after one to three drifts, and the drifts."""
    fitted = list(X.columns)
    drifts = draw(st.lists(st.sampled_from(DRIFTS), min_size=1, max_size=3))
    for drift in drifts:
        if not isinstance(X, pd.DataFrame):
            break
        if drift == "to_array":
            X = X.to_numpy(dtype=object)
        else:
            X = _apply_drift(draw, X, drift, fitted)
    return X, drifts


@pytest.mark.timeout(180)
@settings(max_examples=60, **_COMMON)
@given(data=st.data())
def test_predict_on_drifted_input_works_or_says_what_is_wrong(
    data: st.DataObject, fitted_classifier: AutoClassifier, training_frame: tuple
) -> None:
    X, _ = training_frame
    X_new, drifts = data.draw(drifted(X.iloc[:20]))
    must_fail = _predict_must_fail(X_new, list(X.columns))
    event("drifts: " + ", ".join(sorted(set(drifts))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ok, _ = run_or_clear_error(
            lambda: assert_usable_classifier(fitted_classifier, X_new, len(X_new))
        )
    event("predicted" if ok else "rejected")
    assert ok != must_fail, f"drifts {drifts}: predict {'worked' if ok else 'failed'}"


@settings(max_examples=40, **_COMMON)
@given(
    n_cols=st.integers(0, 4),
    n_rows=st.integers(0, 5),
    kind=st.sampled_from(["float", "text", "mixed_objects", "datetime"]),
    as_frame=st.booleans(),
    data=st.data(),
)
def test_predict_on_arrays_of_the_wrong_shape_says_so(
    n_cols: int,
    n_rows: int,
    kind: str,
    as_frame: bool,
    data: st.DataObject,
    fitted_array_regressor: AutoRegressor,
) -> None:
    frame = pd.concat(
        [data.draw(columns(n_rows, kind)) for _ in range(n_cols)] or [pd.Series()],
        axis=1,
        ignore_index=True,
    ).iloc[:n_rows, :n_cols]
    X = frame if as_frame else frame.to_numpy(dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ok, _ = run_or_clear_error(
            lambda: assert_usable_regressor(fitted_array_regressor, X, n_rows)
        )
    assert ok == (n_cols == 2 and n_rows > 0)
