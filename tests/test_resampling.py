import numpy as np
import pytest

from automl.resampling import (
    choose_min_budget,
    choose_resampling,
    make_splits,
    subsample,
    validation_indices,
)


def test_auto_uses_cv_on_small_data_and_holdout_on_large() -> None:
    assert choose_resampling("auto", 500, 60) == "cv"
    assert choose_resampling("auto", 3_000, 60) == "cv"
    assert choose_resampling("auto", 3_000, 10) == "holdout"
    assert choose_resampling("auto", 50_000, 600) == "holdout"
    assert choose_resampling("holdout", 100, 60) == "holdout"


def test_cv_validates_every_row_once_and_stratifies() -> None:
    y = np.array([0] * 40 + [1] * 10)
    splits = make_splits("cv", y, "binary", seed=0)
    assert len(splits) == 5
    np.testing.assert_array_equal(validation_indices(splits), np.arange(50))
    for train, valid in splits:
        assert set(train).isdisjoint(valid)
        assert y[valid].sum() == 2  # 10 positives over 5 folds


def test_holdout_is_a_stratified_fifth() -> None:
    y = np.array([0] * 80 + [1] * 15 + [2] * 5)
    [(train, valid)] = make_splits("holdout", y, "multiclass", seed=1)
    assert len(valid) == 20 and len(train) == 80
    assert np.bincount(y[valid]).tolist() == [16, 3, 1]


def test_one_row_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="n_samples=1"):
        make_splits("cv", np.array([0.5]), "regression", seed=0)


def test_successive_halving_only_where_the_lowest_rung_has_enough_rows() -> None:
    assert choose_min_budget("auto", 4_000) is None
    assert choose_min_budget(False, 100_000) is None
    assert choose_min_budget("auto", 9_000) == pytest.approx(2_000 / 9_000)
    assert choose_min_budget("auto", 1_000_000) == pytest.approx(1 / 27)
    assert choose_min_budget(True, 600) == pytest.approx(1 / 3)


def test_subsamples_are_nested_and_sized_by_budget() -> None:
    train = np.arange(100, 400)
    third, full = subsample(train, 1 / 3, seed=0), subsample(train, 1.0, seed=0)
    assert len(third) == 100 and set(third) <= set(full) == set(train)
    assert set(subsample(train, 1 / 9, seed=0)) <= set(third)
