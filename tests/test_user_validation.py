"""Validation the user controls: ``cv`` (int, splitter or index pairs) and
``fit(..., groups=)``, also through scikit-learn's metadata routing."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    TimeSeriesSplit,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from automl import AutoClassifier, AutoRegressor
from automl.data import check_features, check_groups
from automl.plan import Machine
from automl.prepare import prepare
from automl.resampling import splits_on, validation_indices

FAST = {"time_limit": 20, "max_trials": 2, "n_jobs": 1, "meta_learning": False}
MACHINE = Machine(cores=1, memory_limit_mb=4_000)


def _cancer() -> tuple:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    groups = np.arange(len(y)) // 7  # 82 groups of up to 7 rows
    return X, y, groups


def _splits(groups=None, **params):
    X, y, _ = _cancer()
    params = {**AutoClassifier(**FAST).get_params(), **params}
    codes = check_groups(groups, n_rows=len(y))
    prepared = prepare(
        check_features(X), y.to_numpy(), "binary", params, MACHINE, groups=codes
    )
    return prepared.data.splits, prepared.plan


def test_groups_never_straddle_a_split_and_are_not_repeated() -> None:
    _, _, groups = _cancer()
    splits, plan = _splits(groups)
    assert plan.resampling == "cv" and plan.cv_repeats == 1
    assert len(splits) == 5
    for train, valid in splits:
        assert not set(groups[train]) & set(groups[valid])
    assert len(validation_indices(splits)) == len(groups)  # every row validated


def test_the_users_splitter_and_index_pairs_are_used_as_given() -> None:
    splits, _ = _splits(cv=TimeSeriesSplit(n_splits=3))
    assert len(splits) == 3
    assert all(train.max() < valid.min() for train, valid in splits)  # the past
    rows = np.arange(569)
    pairs = [(rows[:400], rows[400:]), (rows[169:], rows[:169])]
    given, _ = _splits(cv=pairs)
    assert [(len(t), len(v)) for t, v in given] == [(400, 169), (400, 169)]
    three, _ = _splits(cv=3)
    assert len(three) == 3 and len(validation_indices(three)) == 569


def test_splits_follow_the_rows_a_memory_cut_keeps() -> None:
    splits = [(np.array([0, 1, 2, 5]), np.array([3, 4]))]
    kept = np.array([1, 3, 5])
    ((train, valid),) = splits_on(splits, kept)
    assert train.tolist() == [0, 2] and valid.tolist() == [1]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"cv": 5, "resampling": "holdout"}, "pass one of them"),
        ({"cv": 5, "cv_repeats": 3}, "repeated splitter"),
    ],
)
def test_conflicting_validation_parameters_are_refused(params, message) -> None:
    X, y, _ = _cancer()
    with pytest.raises(ValueError, match=message):
        AutoClassifier(**FAST, **params).fit(X, y)


def test_bad_groups_and_splits_say_what_to_do() -> None:
    X, y, groups = _cancer()
    clf = AutoClassifier(**FAST)
    with pytest.raises(ValueError, match="one group label per row"):
        clf.fit(X, y, groups=groups[:-1])
    with pytest.raises(ValueError, match="single group"):
        clf.fit(X, y, groups=np.zeros(len(y)))
    with pytest.raises(ValueError, match="missing labels"):
        clf.fit(X, y, groups=[None, *list(groups[1:])])
    outside = [(np.arange(100), np.arange(600, 700))]
    with pytest.raises(ValueError, match="outside"):
        AutoClassifier(**FAST, cv=outside).fit(X, y)


@pytest.mark.slow
def test_a_time_ordered_fit_says_how_many_rows_were_validated() -> None:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    reg = AutoRegressor(**FAST, cv=TimeSeriesSplit(n_splits=3)).fit(X, y)
    validated = reg.validation_["validated_rows"]
    assert validated < reg.validation_["rows"] == len(y)
    assert reg.validation_["splitter"] == "TimeSeriesSplit"
    assert f"{validated:,} of {len(y):,} rows validated" in reg.summary()
    assert reg.predict(X.iloc[:5]).shape == (5,)
    # Its members are refitted on all rows, not bags of the folds' models
    # (which never saw the latest rows).
    assert reg.model_.members
    assert all(m["predictor"] == "full refit" for m in reg.model_.members)


@pytest.mark.slow
def test_grouped_fits_through_metadata_routing() -> None:
    X, y, groups = _cancer()
    with sklearn.config_context(enable_metadata_routing=True):
        clf = AutoClassifier(**FAST).set_fit_request(groups=True)
        scores = cross_val_score(
            clf, X, y, cv=GroupKFold(n_splits=2), params={"groups": groups}
        )
        assert scores.shape == (2,) and (scores > 0.8).all()
        pipe = make_pipeline(FunctionTransformer(), clf)
        search = GridSearchCV(pipe, {"autoclassifier__max_trials": [1]}, cv=2)
        search.fit(X, y, groups=groups)
        fitted = search.best_estimator_[-1]
        assert fitted.validation_["splitter"] == "group k-fold (your groups)"
