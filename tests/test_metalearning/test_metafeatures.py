"""Tests of ``compute_metafeatures`` and ``metafeature_vector``."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from automl.data import FeatureTyper, check_features
from automl.metalearning.metafeatures import (
    METAFEATURE_NAMES,
    compute_metafeatures,
    metafeature_vector,
)

pytestmark = pytest.mark.filterwarnings("error")

#: Meta-features that depend on the number of rows (or on a row subsample).
_SIZE_DEPENDENT = {
    "n_rows",
    "log_n_rows",
    "log_features_per_row",
    "landmark_1nn",
    "landmark_stump",
}


def _metafeatures(
    X: pd.DataFrame,
    y: np.ndarray,
    task: str,
    *,
    landmarkers: bool = True,
    random_state: int = 0,
    drop_constant: bool = True,
) -> dict[str, float]:
    """Type ``X`` as ``_BaseAuto._prepare`` does, then compute meta-features."""
    frame = check_features(X)
    typer = FeatureTyper(drop_constant=drop_constant).fit(frame)
    return compute_metafeatures(
        typer.transform(frame),
        y,
        task,
        typer.columns_,
        landmarkers=landmarkers,
        random_state=random_state,
    )


def _codes(y: pd.Series) -> np.ndarray:
    return np.unique(np.asarray(y), return_inverse=True)[1].astype(np.int64)


def _assert_valid(mf: dict[str, float]) -> None:
    assert tuple(mf) == METAFEATURE_NAMES
    assert all(
        isinstance(value, float) and math.isfinite(value) for value in mf.values()
    )


@pytest.mark.parametrize(
    ("name", "task"),
    [
        ("iris", "multiclass"),
        ("breast_cancer", "binary"),
        ("diabetes", "regression"),
        ("mixed_frame", "multiclass"),
    ],
)
def test_keys_and_finite_values_on_real_data(
    name: str, task: str, request: pytest.FixtureRequest
) -> None:
    X, y = request.getfixturevalue(name)
    target = y.to_numpy(dtype=float) if task == "regression" else _codes(y)
    mf = _metafeatures(X, target, task)
    _assert_valid(mf)
    assert mf["n_rows"] == len(X)
    assert list(metafeature_vector(mf)) == list(mf.values())


def test_iris_values(iris: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = iris
    mf = _metafeatures(X, _codes(y), "multiclass")
    assert mf["n_features"] == 4
    assert mf["log_features_per_row"] == pytest.approx(math.log(4 / 150))
    assert mf["n_classes"] == 3
    assert mf["class_prob_min"] == mf["class_prob_max"] == pytest.approx(1 / 3)
    assert mf["class_prob_std"] == pytest.approx(0.0)
    assert mf["class_entropy"] == pytest.approx(math.log2(3))
    assert mf["share_numeric"] == 1.0
    assert mf["target_skewness"] == mf["target_kurtosis"] == 0.0
    skewness = stats.skew(X.to_numpy(), axis=0)
    kurtosis = stats.kurtosis(X.to_numpy(), axis=0)
    assert mf["skewness_max"] == pytest.approx(skewness.max())
    assert mf["skewness_mean"] == pytest.approx(skewness.mean())
    assert mf["kurtosis_min"] == pytest.approx(kurtosis.min())
    assert mf["kurtosis_std"] == pytest.approx(kurtosis.std())
    # Iris is easy for 1-NN; a single split separates one class out of three.
    assert mf["landmark_1nn"] > 0.8
    assert 0.3 < mf["landmark_stump"] < 0.7


def test_regression_target_statistics(diabetes: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = diabetes
    target = y.to_numpy(dtype=float)
    mf = _metafeatures(X, target, "regression")
    assert mf["n_classes"] == 0.0
    assert mf["class_entropy"] == mf["class_prob_max"] == 0.0
    assert mf["target_skewness"] == pytest.approx(stats.skew(target))
    assert mf["target_kurtosis"] == pytest.approx(stats.kurtosis(target))


def test_one_feature() -> None:
    x = np.linspace(-1.0, 1.0, 40)
    mf = _metafeatures(pd.DataFrame({"x": x}), (x > 0.3).astype(np.int64), "binary")
    _assert_valid(mf)
    assert mf["n_features"] == 1 and mf["log_n_features"] == 0.0
    assert mf["skewness_std"] == 0.0 and mf["kurtosis_std"] == 0.0
    # The target is a threshold of the only feature: a stump finds it.
    assert mf["landmark_stump"] > 0.8


def test_all_categorical_frame() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "a": rng.choice(["x", "y"], 60),
            "b": pd.Categorical(rng.choice(["p", "q", "r", "s"], 60)),
        }
    )
    mf = _metafeatures(X, rng.integers(0, 2, 60), "binary")
    _assert_valid(mf)
    assert mf["share_categorical"] == 1.0 and mf["share_numeric"] == 0.0
    assert mf["log_cardinality_max"] == pytest.approx(math.log(4))
    assert mf["log_cardinality_mean"] == pytest.approx((math.log(2) + math.log(4)) / 2)
    for name in ("skewness_mean", "kurtosis_max", "landmark_1nn", "landmark_stump"):
        assert mf[name] == 0.0


def test_all_missing_columns_count_as_missing() -> None:
    X = pd.DataFrame(
        {
            "gone": [np.nan] * 8,
            "gone_text": pd.Series([None] * 8, dtype=object),
            "x": [1.0, 2.0, np.nan, 4.0, 5.0, 7.0, 8.0, 20.0],
            "c": ["a", "b", "a", "b", "a", "b", "a", "b"],
        }
    )
    y = np.array([0, 1] * 4)
    mf = _metafeatures(X, y, "binary", drop_constant=False)
    _assert_valid(mf)
    assert mf["missing_cell_share"] == pytest.approx(17 / 32)
    assert mf["missing_column_share"] == pytest.approx(3 / 4)
    assert mf["missing_row_share"] == 1.0
    # The all-missing column has no moments: only "x" is summarised.
    present = X["x"].dropna().to_numpy()
    assert (
        mf["skewness_min"] == mf["skewness_max"] == pytest.approx(stats.skew(present))
    )


def test_two_rows_per_class() -> None:
    X = pd.DataFrame({"x": [0.0, 0.1, 5.0, 5.1, 9.0, 9.2], "c": list("aabbcc")})
    mf = _metafeatures(X, np.array([0, 0, 1, 1, 2, 2]), "multiclass")
    _assert_valid(mf)
    assert mf["n_classes"] == 3
    assert mf["class_prob_std"] == pytest.approx(0.0)


def test_doubling_rows_changes_only_size_features(
    mixed_frame: tuple[pd.DataFrame, pd.Series],
) -> None:
    X, y = mixed_frame
    y = _codes(y)
    once = _metafeatures(X, y, "multiclass")
    twice = _metafeatures(
        pd.concat([X, X], ignore_index=True), np.tile(y, 2), "multiclass"
    )
    assert twice["log_n_rows"] == pytest.approx(once["log_n_rows"] + math.log(2))
    assert twice["log_features_per_row"] == pytest.approx(
        once["log_features_per_row"] - math.log(2)
    )
    for name in set(METAFEATURE_NAMES) - _SIZE_DEPENDENT:
        assert twice[name] == pytest.approx(once[name], abs=1e-9), name


def test_moments_are_scale_free(
    diabetes: tuple[pd.DataFrame, pd.Series],
) -> None:
    X, y = diabetes
    target = y.to_numpy(dtype=float)
    huge = X * 1e36
    base = _metafeatures(X, target, "regression")
    scaled = _metafeatures(huge, target * 1e36, "regression")
    _assert_valid(scaled)
    for name in METAFEATURE_NAMES:
        assert scaled[name] == pytest.approx(base[name], rel=1e-6, abs=1e-9), name


def test_landmarkers_flag_and_determinism(
    breast_cancer: tuple[pd.DataFrame, pd.Series],
) -> None:
    X, y = breast_cancer
    with_landmarks = _metafeatures(X, _codes(y), "binary", random_state=3)
    again = _metafeatures(X, _codes(y), "binary", random_state=3)
    without = _metafeatures(X, _codes(y), "binary", landmarkers=False)
    assert with_landmarks == again
    assert with_landmarks["landmark_1nn"] > 0.5
    assert without["landmark_1nn"] == without["landmark_stump"] == 0.0
    for name in set(METAFEATURE_NAMES) - {"landmark_1nn", "landmark_stump"}:
        assert without[name] == with_landmarks[name], name


def test_noise_target_gets_no_landmark_skill() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(400, 3)), columns=["a", "b", "c"])
    mf = _metafeatures(X, rng.normal(size=400), "regression")
    assert mf["landmark_stump"] < 0.1
    assert mf["landmark_1nn"] < 0.0  # 1-NN on noise doubles the squared error


def test_large_mixed_table() -> None:
    """50,000 rows and ~20 mixed columns: subsampled statistics stay cheap."""
    rng = np.random.default_rng(0)
    n = 50_000
    columns: dict[str, object] = {f"num{i}": rng.lognormal(size=n) for i in range(12)}
    columns.update(
        {f"cat{i}": rng.choice(list("abcdefgh"[: i + 2]), n) for i in range(5)}
    )
    columns["flag"] = rng.random(n) > 0.5
    columns["when"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(
        rng.integers(0, 10**7, n), unit="s"
    )
    X = pd.DataFrame(columns)
    X.loc[rng.random(n) < 0.1, "num0"] = np.nan
    mf = _metafeatures(X, rng.integers(0, 3, n), "multiclass")
    _assert_valid(mf)
    assert mf["n_rows"] == n
    assert mf["missing_row_share"] == pytest.approx(0.1, abs=0.01)
    assert mf["share_datetime"] > 0
    # Lognormal(0, 1) has skewness of about 6 (estimated on a subsample).
    assert 3.0 < mf["skewness_max"] < 12.0


def test_metafeature_vector_needs_every_name() -> None:
    mf = dict.fromkeys(METAFEATURE_NAMES, 1.0) | {"extra": 5.0}
    mf["n_rows"] = 7.0
    vector = metafeature_vector(mf)
    assert vector.shape == (len(METAFEATURE_NAMES),)
    assert vector[METAFEATURE_NAMES.index("n_rows")] == 7.0
    del mf["class_entropy"]
    with pytest.raises(ValueError, match=r"lack \['class_entropy'\].*recompute"):
        metafeature_vector(mf)


def test_bad_inputs_are_rejected(iris: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = iris
    typer = FeatureTyper().fit(X)
    typed = typer.transform(X)
    with pytest.raises(ValueError, match="task must be one of"):
        compute_metafeatures(typed, _codes(y), "ranking", typer.columns_)
    with pytest.raises(ValueError, match="150 rows but y has 149"):
        compute_metafeatures(typed, _codes(y)[1:], "multiclass", typer.columns_)
    with pytest.raises(ValueError, match="same FeatureTyper"):
        compute_metafeatures(typed.iloc[:, :2], _codes(y), "multiclass", typer.columns_)
