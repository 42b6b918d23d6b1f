"""Tests of ``FeatureTyper``: column kinds, output dtypes, transform-time robustness."""

from __future__ import annotations

import pickle
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from automl.data import FeatureColumns, FeatureTyper, check_features
from automl.data.specs import OTHER_LEVEL

pytestmark = pytest.mark.filterwarnings("error")

MISSING = {"nan": np.nan, "None": None, "pd.NA": pd.NA}
N_ROWS = 6


def _with_missing(values: list[object], missing: str | None) -> list[object]:
    """The values, with the third one replaced by the missing marker."""
    if missing is None:
        return values
    return [*values[:2], MISSING[missing], *values[3:]]


def _numbers(dtype: str | None) -> Callable[[str | None], pd.Series]:
    def build(missing: str | None) -> pd.Series:
        values = _with_missing([1, 2, 3, 4, 5, 7], missing)
        if missing is not None and dtype in ("int64", "int32", "float32", "float64"):
            # What users get: numpy ints can't hold NaN, and pd.NA forces object.
            series = pd.Series(values)
            return series if missing == "pd.NA" else series.astype("float32")
        return pd.Series(values, dtype=dtype)

    return build


def _bools(dtype: str | None) -> Callable[[str | None], pd.Series]:
    def build(missing: str | None) -> pd.Series:
        values = _with_missing([True, False, True, True, False, False], missing)
        if missing is not None and dtype == "bool":
            return pd.Series(values, dtype=object)
        return pd.Series(values, dtype=dtype)

    return build


def _strings(dtype: str) -> Callable[[str | None], pd.Series]:
    def build(missing: str | None) -> pd.Series:
        values = _with_missing(["a", "b", "c", "a", "b", "c"], missing)
        return pd.Series(values, dtype=dtype)

    return build


def _dates(tz: str | None) -> Callable[[str | None], pd.Series]:
    def build(missing: str | None) -> pd.Series:
        values = _with_missing(
            [
                "2020-01-01 00:00",
                "2020-06-15 12:30",
                "2021-03-04 08:00",
                "2021-12-31 23:59",
                "2022-07-04 06:15",
                "2023-02-28 18:45",
            ],
            missing,
        )
        dates = pd.Series(pd.to_datetime(values))
        return dates if tz is None else dates.dt.tz_localize(tz)

    return build


COLUMN_CASES: dict[str, tuple[Callable[[str | None], pd.Series], str]] = {
    "int64": (_numbers("int64"), "numeric"),
    "int32": (_numbers("int32"), "numeric"),
    "float64": (_numbers("float64"), "numeric"),
    "float32": (_numbers("float32"), "numeric"),
    "Int64": (_numbers("Int64"), "numeric"),
    "Float64": (_numbers("Float64"), "numeric"),
    "object_numbers": (_numbers("object"), "numeric"),
    "bool": (_bools("bool"), "numeric"),
    "boolean": (_bools("boolean"), "numeric"),
    "category": (_strings("category"), "categorical"),
    "object_strings": (_strings("object"), "categorical"),
    "str": (_strings("str"), "categorical"),
    "string": (_strings("string"), "categorical"),
    "datetime": (_dates(None), "datetime"),
    "datetime_tz": (_dates("Europe/Berlin"), "datetime"),
}


@pytest.mark.parametrize("missing", [None, "nan", "None", "pd.NA"])
@pytest.mark.parametrize("case", sorted(COLUMN_CASES))
def test_dtype_matrix_kind_and_output_dtype(case: str, missing: str | None) -> None:
    build, kind = COLUMN_CASES[case]
    column = build(missing)
    X = pd.DataFrame({"col": column, "other": np.arange(N_ROWS, dtype=float)})
    typer = FeatureTyper().fit(X)
    Xt = typer.transform(X)

    assert typer.kinds_["col"] == kind
    derived = [name for name in Xt.columns if name != "other"]
    if kind == "categorical":
        assert derived == ["col"]
        assert isinstance(Xt["col"].dtype, pd.CategoricalDtype)
        assert list(Xt["col"].cat.categories) == ["a", "b", "c"]
        assert all(isinstance(c, str) for c in Xt["col"].cat.categories)
        assert typer.columns_.categorical == ("col",)
    else:
        assert all(Xt[name].dtype == np.float64 for name in derived)
        assert set(derived) <= set(typer.columns_.numeric)
    if kind == "datetime":
        assert "col" not in Xt.columns
        assert "col__epoch" in derived and "col__year" in derived
        assert set(typer.columns_.datetime) == set(derived)
    # Exactly the missing row is missing in every output column.
    expected_missing = [missing is not None and i == 2 for i in range(N_ROWS)]
    for name in derived:
        assert Xt[name].isna().tolist() == expected_missing, name


@pytest.mark.parametrize("case", ["int64", "bool", "boolean", "object_numbers"])
def test_numeric_values_are_float64_with_bools_as_0_1(case: str) -> None:
    build, _ = COLUMN_CASES[case]
    column = build("None")
    Xt = FeatureTyper().fit_transform(pd.DataFrame({"col": column, "k": range(6)}))
    expected = pd.to_numeric(column.astype(object), errors="coerce").astype(float)
    np.testing.assert_array_equal(Xt["col"].to_numpy(), expected.to_numpy())


def test_columns_are_in_order_numeric_then_categorical() -> None:
    X = pd.DataFrame(
        {
            "c1": ["a", "b", "a"],
            "n1": [1.0, 2.0, 3.0],
            "c2": pd.Categorical(["x", "y", "x"]),
            "n2": [4, 5, 7],
        }
    )
    typer = FeatureTyper().fit(X)
    assert typer.columns_ == FeatureColumns(("n1", "n2"), ("c1", "c2"))
    assert list(typer.transform(X).columns) == ["n1", "n2", "c1", "c2"]
    assert list(typer.get_feature_names_out()) == ["n1", "n2", "c1", "c2"]
    assert typer.n_features_in_ == 4
    assert list(typer.feature_names_in_) == ["c1", "n1", "c2", "n2"]


def test_reordered_columns_give_the_same_output() -> None:
    X = pd.DataFrame(
        {"age": [30, 40, 50], "city": ["A", "B", "A"], "income": [1.0, 2.0, 3.0]}
    )
    typer = FeatureTyper().fit(X)
    reordered = X[["city", "income", "age"]]
    pd.testing.assert_frame_equal(typer.transform(reordered), typer.transform(X))


def test_unseen_categories_become_missing() -> None:
    X = pd.DataFrame({"city": ["A", "B", "A", "B"], "n": [1, 2, 3, 4]})
    typer = FeatureTyper().fit(X)
    new = pd.DataFrame({"city": ["C", "A", None, "B"], "n": [1, 2, 3, 4]})
    city = typer.transform(new)["city"]
    assert city.isna().tolist() == [True, False, True, False]
    assert list(city.cat.categories) == ["A", "B"]


def test_pandas_categorical_keeps_declared_categories_and_order() -> None:
    dtype = pd.CategoricalDtype(["low", "mid", "high"], ordered=True)
    X = pd.DataFrame({"level": pd.Series(["high", "low", "high"], dtype=dtype)})
    Xt = FeatureTyper().fit_transform(X)
    assert list(Xt["level"].cat.categories) == ["low", "mid", "high"]
    assert Xt["level"].cat.ordered


def test_integer_categories_match_floats_at_transform() -> None:
    X = pd.DataFrame({"zip": pd.Categorical([10115, 80331, 10115]), "n": [1, 2, 3]})
    typer = FeatureTyper().fit(X)
    # The same codes arrive as floats because a missing value forced float64.
    new = pd.DataFrame({"zip": [80331.0, np.nan, 10115.0], "n": [1, 2, 3]})
    assert typer.transform(new)["zip"].tolist() == ["80331", np.nan, "10115"]


def test_missing_column_raises_naming_it() -> None:
    X = pd.DataFrame({"age": [1, 2, 3], "city": ["a", "b", "a"]})
    typer = FeatureTyper().fit(X)
    with pytest.raises(
        ValueError, match=re.escape("X is missing columns seen during fit: ['age']")
    ) as info:
        typer.transform(X[["city"]])
    # scikit-learn's wording follows, so its estimator checks recognise the error.
    assert "Feature names seen at fit time, yet now missing:\n- age\n" in str(
        info.value
    )


def test_extra_columns_are_ignored_with_a_warning() -> None:
    X = pd.DataFrame({"age": [1, 2, 3], "city": ["a", "b", "a"]})
    typer = FeatureTyper().fit(X)
    extra = X.assign(notes=["x", "y", "z"], score=[0.1, 0.2, 0.3])
    with pytest.warns(UserWarning, match=re.escape("['notes', 'score']")):
        Xt = typer.transform(extra)
    pd.testing.assert_frame_equal(Xt, typer.transform(X))


def test_wrong_number_of_features_for_unnamed_input() -> None:
    X = np.arange(20, dtype=float).reshape(5, 4)
    typer = FeatureTyper(estimator_name="AutoClassifier").fit(X)
    message = "X has 3 features, but AutoClassifier is expecting 4 features as input."
    with pytest.raises(ValueError, match=re.escape(message)):
        typer.transform(X[:, :3])


def test_unnamed_input_after_named_fit_is_matched_by_position() -> None:
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4.0, 5.0, 6.0]})
    typer = FeatureTyper().fit(X)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        Xt = typer.transform(X.to_numpy())
    pd.testing.assert_frame_equal(Xt, typer.transform(X))


def test_ndarray_fit_names_columns_x0_x1() -> None:
    X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]], dtype=np.float32)
    typer = FeatureTyper().fit(X)
    assert not typer.has_feature_names_
    assert typer.columns_.numeric == ("x0", "x1")
    assert typer.transform(X)["x1"].tolist() == [2.0, 4.0, 7.0]


def test_all_missing_and_constant_columns_are_dropped() -> None:
    X = pd.DataFrame(
        {
            "empty": [np.nan, None, np.nan, np.nan],
            "empty_str": pd.Series([None] * 4, dtype="str"),
            "constant": ["a"] * 4,
            "one_value_and_missing": [1.0, np.nan, 1.0, 1.0],
            "useful": [1, 2, 3, 4],
        }
    )
    typer = FeatureTyper().fit(X)
    assert set(typer.dropped_) == {"empty", "empty_str", "constant"}
    assert typer.dropped_["empty"] == "all values missing"
    assert typer.columns_.all == ("one_value_and_missing", "useful")
    # Dropped columns still have a kind, and transform still runs.
    assert typer.kinds_["constant"] == "categorical"
    assert typer.transform(X).shape == (4, 2)


def test_constant_columns_are_kept_when_all_are_constant() -> None:
    X = pd.DataFrame({"a": [1.0, 1.0], "b": ["x", "x"]})
    typer = FeatureTyper().fit(X)
    assert typer.dropped_ == {}
    assert typer.columns_.all == ("a", "b")


def test_drop_constant_false_keeps_everything() -> None:
    X = pd.DataFrame({"empty": [np.nan] * 3, "n": [1, 2, 3]})
    typer = FeatureTyper(drop_constant=False).fit(X)
    Xt = typer.transform(X)
    assert typer.columns_.numeric == ("empty", "n")
    assert Xt["empty"].isna().all()


def test_high_cardinality_column_is_capped_with_other_level() -> None:
    rng = np.random.default_rng(0)
    # 50 frequent levels (20 rows each) and 2000 levels seen once.
    frequent = [f"f{i}" for i in range(50) for _ in range(20)]
    rare = [f"r{i}" for i in range(2000)]
    values = rng.permutation(np.array(frequent + rare, dtype=object))
    X = pd.DataFrame({"code": values, "n": np.arange(len(values))})
    typer = FeatureTyper(max_categories=1000).fit(X)
    Xt = typer.transform(X)
    categories = list(Xt["code"].cat.categories)
    assert categories == [*sorted(f"f{i}" for i in range(50)), OTHER_LEVEL]
    assert (Xt["code"] == OTHER_LEVEL).sum() == 2000
    new = pd.DataFrame({"code": ["f3", "never-seen", None], "n": [0, 1, 2]})
    assert typer.transform(new)["code"].tolist() == ["f3", OTHER_LEVEL, np.nan]


def test_capped_column_keeps_the_most_frequent_levels() -> None:
    values = ["a"] * 5 + ["b"] * 4 + ["c"] * 3 + ["d"] * 2 + ["e", "f"]
    X = pd.DataFrame({"v": values})
    Xt = FeatureTyper(max_categories=3).fit_transform(X)
    assert list(Xt["v"].cat.categories) == ["a", "b", OTHER_LEVEL]
    assert Xt["v"].value_counts()[OTHER_LEVEL] == 7


def test_identifier_like_column_is_dropped() -> None:
    X = pd.DataFrame({"id": [f"id-{i}" for i in range(1500)], "n": np.arange(1500) % 7})
    typer = FeatureTyper().fit(X)
    assert "id" in typer.dropped_
    assert "identifier-like" in typer.dropped_["id"]
    assert typer.columns_.all == ("n",)


def test_inf_becomes_nan() -> None:
    X = pd.DataFrame({"v": [1.0, np.inf, -np.inf, 4.0], "w": [1, 2, 3, 4]})
    Xt = FeatureTyper().fit_transform(X)
    assert Xt["v"].isna().tolist() == [False, True, True, False]
    assert np.isfinite(Xt.to_numpy(dtype=float)[[0, 3]]).all()


def test_changed_dtypes_are_coerced_at_transform() -> None:
    X = pd.DataFrame(
        {
            "num": [1.5, 2.5, 3.5],
            "cat": ["1", "2", "1"],
            "when": pd.to_datetime(["2020-01-01", "2021-01-01", "2022-01-01"]),
        }
    )
    typer = FeatureTyper().fit(X)
    new = pd.DataFrame(
        {
            "num": ["2.5", "oops", None],
            "cat": [2, 1, 3],
            "when": ["2021-01-01", "not a date", None],
        }
    )
    Xt = typer.transform(new)
    assert Xt["num"].tolist()[0] == 2.5
    assert Xt["num"].isna().tolist() == [False, True, True]
    assert Xt["cat"].tolist()[:2] == ["2", "1"] and pd.isna(Xt["cat"].iloc[2])
    assert Xt["when__year"].tolist()[0] == 2021.0
    assert Xt["when__year"].isna().tolist() == [False, True, True]
    assert list(Xt.dtypes.astype(str)) == list(typer.transform(X).dtypes.astype(str))


def test_datetime_parts_skip_constant_parts() -> None:
    dates = pd.to_datetime(["2020-01-01", "2020-02-01", "2020-03-01", None])
    typer = FeatureTyper().fit(pd.DataFrame({"d": dates}))
    # Same year, day, hour and minute everywhere: only month, weekday and epoch.
    assert typer.columns_.numeric == ("d__month", "d__day_of_week", "d__epoch")


def test_tz_aware_datetime_parts_are_local_and_epoch_is_utc() -> None:
    dates = pd.Series(pd.to_datetime(["2020-01-01 00:30", "2020-01-02 13:00"]))
    X = pd.DataFrame({"d": dates.dt.tz_localize("Europe/Berlin")})
    Xt = FeatureTyper().fit_transform(X)
    assert Xt["d__hour"].tolist() == [0.0, 13.0]
    assert Xt["d__epoch"].iloc[0] == pd.Timestamp("2019-12-31 23:30").timestamp()


def test_naive_datetimes_after_tz_aware_fit_are_read_in_that_zone() -> None:
    dates = pd.Series(pd.to_datetime(["2020-01-01 00:30", "2020-01-02 13:00"]))
    typer = FeatureTyper().fit(pd.DataFrame({"d": dates.dt.tz_localize("UTC")}))
    Xt = typer.transform(pd.DataFrame({"d": dates}))
    assert Xt["d__hour"].tolist() == [0.0, 13.0]


def test_datetime_part_names_avoid_existing_columns() -> None:
    dates = pd.to_datetime(["2020-01-01", "2021-01-01", "2022-06-01"])
    X = pd.DataFrame({"d": dates, "d__year": [1.0, 2.0, 3.0]})
    typer = FeatureTyper().fit(X)
    assert len(set(typer.columns_.all)) == len(typer.columns_.all)
    assert "d__year" in typer.columns_.numeric and "d__year_1" in typer.columns_.all
    assert typer.transform(X)["d__year"].tolist() == [1.0, 2.0, 3.0]


def test_mixed_object_column_is_categorical_strings() -> None:
    X = pd.DataFrame({"m": np.array([1, "a", 2.5, None, True], dtype=object)})
    Xt = FeatureTyper().fit_transform(X)
    assert sorted(Xt["m"].cat.categories) == ["1", "2.5", "True", "a"]
    assert Xt["m"].isna().tolist() == [False, False, False, True, False]


def test_output_has_a_fresh_range_index() -> None:
    X = pd.DataFrame({"v": [1.0, 2.0, 3.0], "c": list("aba")}, index=[10, 5, 7])
    Xt = FeatureTyper().fit_transform(X)
    assert isinstance(Xt.index, pd.RangeIndex)
    assert Xt["v"].tolist() == [1.0, 2.0, 3.0]


def test_read_only_memmap_and_fortran_arrays(tmp_path: pytest.TempPathFactory) -> None:
    base = np.asfortranarray(np.arange(12, dtype=np.float64).reshape(4, 3))
    path = tmp_path / "x.dat"  # type: ignore[operator]
    writer = np.memmap(path, dtype=np.float64, mode="w+", shape=base.shape)
    writer[:] = base
    writer.flush()
    memmap = np.memmap(path, dtype=np.float64, mode="r", shape=base.shape)
    read_only = base.copy(order="F")
    read_only.setflags(write=False)
    for X in (memmap, read_only, base):
        Xt = FeatureTyper().fit(X).transform(X)
        np.testing.assert_array_equal(Xt.to_numpy(), base)


def test_transform_before_fit_raises() -> None:
    with pytest.raises(NotFittedError):
        FeatureTyper().transform(pd.DataFrame({"a": [1]}))


def test_max_categories_must_be_at_least_two() -> None:
    with pytest.raises(ValueError, match="max_categories must be at least 2"):
        FeatureTyper(max_categories=1).fit(pd.DataFrame({"a": ["x", "y"]}))


def _mixed_frame() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 200
    return pd.DataFrame(
        {
            "num": rng.normal(size=n),
            "cat": rng.choice(["a", "b", "c", None], size=n),
            "flag": pd.array(rng.choice([True, False, None], size=n), dtype="boolean"),
            "when": pd.date_range("2020-01-01", periods=n, freq="7h", tz="UTC"),
        }
    )


def test_pickle_round_trip_gives_identical_output() -> None:
    X = _mixed_frame()
    typer = FeatureTyper().fit(X)
    restored = pickle.loads(pickle.dumps(typer))
    pd.testing.assert_frame_equal(restored.transform(X), typer.transform(X))
    assert restored.columns_ == typer.columns_
    assert restored.specs_ == typer.specs_


def test_fit_is_deterministic() -> None:
    X = _mixed_frame()
    first, second = FeatureTyper().fit(X), FeatureTyper().fit(X.copy())
    assert first.specs_ == second.specs_
    pd.testing.assert_frame_equal(first.transform(X), second.transform(X))


def test_transform_accepts_validated_frames_unchanged() -> None:
    X = _mixed_frame()
    typer = FeatureTyper().fit(check_features(X))
    pd.testing.assert_frame_equal(
        typer.transform(check_features(X)), typer.transform(X)
    )


@pytest.mark.parametrize(
    "written",
    [
        ["2015-12-31T23:21:49Z", "2016-01-01T08:05:00Z", "2016-02-03T17:45:10Z"],
        ["1969-01-01", "1970-02-03", "1971-12-31"],
        ["1/1/2011", "12/31/2011", "2/28/2012"],
        ["8 Mar 2017 10:15", "March 9, 2017", "10-Apr-2018"],
    ],
)
def test_dates_written_as_strings_are_datetimes(written: list[str]) -> None:
    X = pd.DataFrame({"when": [*written, None] * 3, "n": np.arange(12.0)})
    typer = FeatureTyper().fit(X)
    assert typer.kinds_["when"] == "datetime"
    Xt = typer.transform(X)
    expected = pd.to_datetime(pd.Series(written), format="mixed")
    assert Xt["when__year"].iloc[:3].tolist() == expected.dt.year.astype(float).tolist()
    assert Xt["when__epoch"].isna().tolist() == [False, False, False, True] * 3


@pytest.mark.parametrize(
    "values",
    [
        ["20170308", "20170309", "20170310"],  # numbers, not written dates
        ["1.2.3", "2.0.1", "v3"],  # versions
        ["2017-03-08", "soon", "later"],  # mostly not dates
        ["2017-03-08", "2017-13-45", "2017-02-30"],  # written as dates, not dates
    ],
)
def test_strings_that_are_not_dates_stay_categorical(values: list[str]) -> None:
    X = pd.DataFrame({"when": values * 4})
    assert FeatureTyper().fit(X).kinds_["when"] == "categorical"


def test_column_types_keep_dates_written_as_strings_categorical() -> None:
    X = pd.DataFrame({"when": ["2020-01-01", "2020-06-01", "2021-01-01"] * 4})
    typer = FeatureTyper(column_types={"when": "categorical"}).fit(X)
    assert typer.kinds_["when"] == "categorical"
    assert typer.columns_.categorical == ("when",)
