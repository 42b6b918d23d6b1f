import numpy as np
import pytest

from automl.policy import Policy
from automl.resampling import (
    OutOfFold,
    choose_cv_repeats,
    choose_min_budget,
    choose_resampling,
    holdout_rows,
    make_splits,
    subsample,
    validation_indices,
)


def test_auto_uses_cv_on_small_data_and_holdout_on_large() -> None:
    assert choose_resampling("auto", 500, 60) == "cv"
    assert choose_resampling("auto", 3_000, 60) == "cv"
    assert choose_resampling("auto", 3_000, 10) == "holdout"
    assert choose_resampling("auto", 60_000, 600) == "holdout"
    assert choose_resampling("auto", 3_000, None) == "cv"
    assert choose_resampling("auto", 8_000, None) == "holdout"
    assert choose_resampling("holdout", 100, 60) == "holdout"


def test_auto_cross_validates_larger_tables_when_the_budget_affords_it() -> None:
    # 60 s on 2 cores: k-fold up to 5,000 rows, as always.
    assert choose_resampling("auto", 5_000, 60, n_cores=2) == "cv"
    assert choose_resampling("auto", 8_000, 60, n_cores=2) == "holdout"
    # Five times the core-seconds: five times the rows.
    assert choose_resampling("auto", 20_000, 300, n_cores=2) == "cv"
    assert choose_resampling("auto", 20_000, 60, n_cores=10) == "cv"
    assert choose_resampling("auto", 30_000, 300, n_cores=2) == "holdout"
    # Fewer cores never cross-validate less than the fixed 5,000 rows.
    assert choose_resampling("auto", 5_000, 60, n_cores=1) == "cv"
    assert choose_resampling("auto", 200_000, 36_000, n_cores=2) == "holdout"


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


def test_a_holdout_can_be_sized_in_rows() -> None:
    y = np.arange(100_000.0)
    capped = Policy(holdout_max_rows=2_500)
    [(train, valid)] = make_splits("holdout", y, "regression", seed=0, policy=capped)
    assert len(valid) == 2_500 and len(train) == 97_500
    assert holdout_rows(100_000) == 10_000  # 10,000 rows at most by default
    assert holdout_rows(40_000) == 8_000  # under the cap: the fraction
    assert holdout_rows(100_000, Policy(holdout_max_rows=0)) == 20_000
    assert holdout_rows(5_000, capped) == 1_000


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


def test_repeated_cv_validates_every_row_once_per_repeat_with_new_folds() -> None:
    y = np.array([0] * 40 + [1] * 10)
    splits = make_splits("cv", y, "binary", seed=0, n_repeats=2)
    assert len(splits) == 10
    np.testing.assert_array_equal(validation_indices(splits), np.arange(50))
    counts = np.bincount(np.concatenate([valid for _, valid in splits]))
    assert counts.tolist() == [2] * 50
    first = {tuple(valid) for _, valid in splits[:5]}
    assert first.isdisjoint({tuple(valid) for _, valid in splits[5:]})
    # one repeat is exactly the plain k-fold
    plain = make_splits("cv", y, "binary", seed=0)
    for (a, b), (c, d) in zip(plain, make_splits("cv", y, "binary", 0, 1), strict=True):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


def test_out_of_fold_predictions_are_the_mean_over_repeats() -> None:
    y = np.arange(30) % 3
    splits = make_splits("cv", y, "multiclass", seed=0, n_repeats=3)
    rng = np.random.RandomState(0)
    per_split = [rng.rand(len(valid), 3) for _, valid in splits]
    oof = OutOfFold(splits)
    for (_, valid), pred in zip(splits, per_split, strict=True):
        oof.add(valid, pred)
    expected = np.zeros((30, 3))
    for (_, valid), pred in zip(splits, per_split, strict=True):
        expected[valid] += pred / 3
    np.testing.assert_allclose(oof.predictions(), expected)


def test_auto_repeats_small_tables_by_the_time_each_row_gets() -> None:
    assert choose_cv_repeats("auto", "cv", 1_000, 60, n_cores=2) == 2
    assert (
        choose_cv_repeats("auto", "cv", 300, 60, n_cores=2) == Policy().max_cv_repeats
    )
    assert choose_cv_repeats("auto", "cv", 3_000, 60, n_cores=2) == 1
    assert choose_cv_repeats("auto", "cv", 3_000, 300, n_cores=2) == 3
    assert choose_cv_repeats("auto", "cv", 300, None, n_cores=2) == 1
    assert choose_cv_repeats("auto", "holdout", 300, 600, n_cores=2) == 1
    assert choose_cv_repeats(4, "cv", 50_000, 10, n_cores=1) == 4
    assert choose_cv_repeats(4, "holdout", 500, 60, n_cores=1) == 1


def test_a_holdout_with_too_few_rows_of_the_rarest_class_turns_to_k_fold() -> None:
    rare = Policy()
    rows_alone = Policy(min_holdout_minority=0)
    # 20,000 rows at 60 s on 2 cores: a holdout by rows alone
    assert choose_resampling("auto", 20_000, 60, 2) == "holdout"
    assert choose_resampling("auto", 20_000, 60, 2, rows_alone, 400) == "holdout"
    # its 20 % would hold 80 of 400 positives: too few to rank trials on
    assert choose_resampling("auto", 20_000, 60, 2, rare, n_minority=400) == "cv"
    assert choose_resampling("auto", 20_000, 60, 2, rare, n_minority=5_000) == (
        "holdout"
    )
    assert choose_resampling("holdout", 20_000, 60, 2, rare, n_minority=40) == (
        "holdout"  # the user's choice stands
    )
    assert choose_resampling("auto", 500_000, 60, 2, rare, n_minority=40) == (
        "holdout"  # beyond cv_max_rows_long, k-fold is too dear
    )
