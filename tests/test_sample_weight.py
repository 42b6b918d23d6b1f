"""``fit(..., sample_weight=)``: checked, rescaled, and used by every model
and every loss of the fit."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import make_scorer, roc_auc_score
from sklearn.model_selection import cross_validate

from automl import AutoClassifier, AutoRegressor
from automl.data import check_sample_weight
from automl.ensemble.selection import metric_loss
from automl.evaluation import TrialSettings, fit_pipeline, predict_pipeline
from automl.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS, fast_loss
from automl.space import select_models
from tests.test_ensemble.problems import make_trial_data

FAST = {"time_limit": 30, "max_trials": 3, "n_jobs": 1, "meta_learning": False}


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([1.0, -1.0, 1.0], "negative"),
        ([1.0, np.nan, 1.0], "missing or infinite"),
        ([1.0, np.inf, 1.0], "missing or infinite"),
        ([0.0, 0.0, 0.0], "zero for every row"),
        ([1.0, 2.0], "one weight per row"),
        ([[1.0], [2.0], [3.0]], "1-d"),
        (["a", "b", "c"], "numbers"),
    ],
)
def test_bad_weights_say_what_is_wrong(weights, message) -> None:
    with pytest.raises(ValueError, match=message):
        check_sample_weight(weights, n_rows=3)


def test_a_class_whose_rows_all_weigh_zero_is_refused() -> None:
    X, y = load_breast_cancer(return_X_y=True)
    with pytest.raises(ValueError, match=r"class\(es\) \[0\]"):
        AutoClassifier(**FAST).fit(X, y, sample_weight=y.astype(float))


def test_weights_are_rescaled_to_mean_one_and_equal_weights_are_none() -> None:
    np.testing.assert_allclose(check_sample_weight([2, 6], n_rows=2), [0.5, 1.5])
    assert check_sample_weight(pd.Series([3.0] * 4), n_rows=4) is None
    assert check_sample_weight(None, n_rows=4) is None


def _repeated_rows_case(task: str, rng: np.random.Generator):
    n = 60
    counts = rng.integers(0, 4, size=n)
    counts[:4] = 1  # every class keeps a row
    if task == "regression":
        y = rng.normal(size=n)
        pred = y + rng.normal(size=n)
    else:
        y = np.arange(n) % 2
        p = np.clip(0.5 * y + rng.uniform(0.1, 0.5, size=n), 0.01, 0.99)
        pred = np.column_stack([1 - p, p])
        pred[:10] = pred[10:20]  # ties
    return y, pred, counts


@pytest.mark.parametrize(
    ("task", "metric"),
    [("binary", m) for m in CLASSIFICATION_METRICS if m != "f1_macro"]
    + [("regression", m) for m in REGRESSION_METRICS],
)
def test_a_weight_counts_like_that_many_repeated_rows(task, metric) -> None:
    y, pred, counts = _repeated_rows_case(task, np.random.default_rng(0))
    m = (REGRESSION_METRICS if task == "regression" else CLASSIFICATION_METRICS)[metric]
    loss = metric_loss(m, task)
    weighted = loss(y, pred, counts.astype(float))
    repeated = loss(np.repeat(y, counts), np.repeat(pred, counts, axis=0))
    assert weighted == pytest.approx(repeated, rel=1e-9, abs=1e-12)
    fast = fast_loss(m, task)
    if fast is not None:  # the numpy versions give scikit-learn's weighted values
        expected = m.loss(y, pred, counts)
        assert fast(y, pred, counts.astype(float)) == pytest.approx(expected)


def test_a_model_trained_on_weights_is_one_trained_on_repeated_rows() -> None:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X, y = X.iloc[:200], y.to_numpy()[:200]
    counts = np.random.default_rng(2).integers(1, 4, size=len(y))
    settings = TrialSettings(
        metric=CLASSIFICATION_METRICS["log_loss"], crash_loss=1e6, n_threads=1
    )
    config = {"model": "linear", "model:linear:C": 1.0}
    weighted = make_trial_data(X, y, "binary")
    weighted = replace(weighted, sample_weight=counts.astype(float))
    repeated = make_trial_data(
        X.iloc[np.repeat(np.arange(len(y)), counts)], np.repeat(y, counts), "binary"
    )

    def proba(data):
        model = fit_pipeline(config, data, None, settings, seed=0, deadline=None)
        return predict_pipeline(model, weighted.X, "binary", 2)

    np.testing.assert_allclose(proba(weighted), proba(repeated), atol=1e-3)
    plain = replace(weighted, sample_weight=None)
    assert np.abs(proba(plain) - proba(weighted)).max() > 1e-3


def test_families_that_cannot_weigh_rows_are_left_out() -> None:
    assert "knn" in select_models("binary")
    assert "knn" not in select_models("binary", weighted=True)
    X, y = load_breast_cancer(return_X_y=True)
    with pytest.raises(ValueError, match="cannot train on sample weights"):
        AutoClassifier(**FAST, include=["knn"]).fit(
            X, y, sample_weight=np.arange(len(y)) % 3
        )


def test_a_metric_that_cannot_weigh_is_refused_before_the_search() -> None:
    def unweighted_auc(y_true, y_score):
        return roc_auc_score(y_true, y_score)

    scorer = make_scorer(unweighted_auc, response_method="predict_proba")
    X, y = load_breast_cancer(return_X_y=True)
    with pytest.raises(ValueError, match="does not take sample_weight"):
        AutoClassifier(**FAST, metric=scorer).fit(
            X, y, sample_weight=np.arange(len(y)) % 3
        )


@pytest.mark.slow
def test_zero_weights_remove_rows_from_what_the_fit_learns() -> None:
    """Every row twice, the copy with the opposite label: unweighted there is
    nothing to learn; with the copies at weight 0 the fit learns the labels."""
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X2 = pd.concat([X, X], ignore_index=True)
    y2 = np.concatenate([y, 1 - y])
    weights = np.r_[np.ones(len(y)), np.zeros(len(y))]
    weighted = AutoClassifier(**FAST).fit(X2, y2, sample_weight=weights)
    assert weighted.validation_["weighted"]
    assert weighted.validation_["left_out_for_weights"] == ["knn"]
    assert "cannot weigh rows: knn" in weighted.summary()
    assert "knn" not in {t["config"]["model"] for t in weighted.trials_}
    assert weighted.best_score_ > 0.9  # the weighted validation AUC
    assert roc_auc_score(y, weighted.predict_proba(X)[:, 1]) > 0.9
    unweighted = AutoClassifier(**FAST).fit(X2, y2)
    assert roc_auc_score(y, unweighted.predict_proba(X)[:, 1]) < 0.8


@pytest.mark.slow
def test_weights_through_metadata_routing_and_for_regression(diabetes) -> None:
    X, y = diabetes
    weights = 1.0 + (np.arange(len(y)) % 5)
    with sklearn.config_context(enable_metadata_routing=True):
        reg = AutoRegressor(**FAST)
        reg.set_fit_request(sample_weight=True).set_score_request(sample_weight=True)
        result = cross_validate(
            reg, X, y, cv=2, params={"sample_weight": weights}, return_estimator=True
        )
    assert all(est.validation_["weighted"] for est in result["estimator"])
    assert np.all(result["test_score"] > 0.2)


def test_a_weighted_fit_decides_as_a_fit_on_repeated_rows() -> None:
    """Weights 0, 1, 2 (mean 1, so the rescaling keeps them) against rows
    dropped, kept and doubled, each copy validated in its original's fold."""
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X, y = X.iloc[:300].reset_index(drop=True), y.to_numpy()[:300]
    weights = np.arange(len(y)) % 3
    fold = (np.arange(len(y)) // 3) % 4
    repeat = np.repeat(np.arange(len(y)), weights)

    def pairs(rows_fold: np.ndarray) -> list:
        rows = np.arange(len(rows_fold))
        return [(rows[rows_fold != k], rows[rows_fold == k]) for k in range(4)]

    search = {**FAST, "max_trials": 1, "include": ["linear"]}
    weighted = AutoClassifier(**search, cv=pairs(fold)).fit(X, y, sample_weight=weights)
    repeated = AutoClassifier(**search, cv=pairs(fold[repeat])).fit(
        X.iloc[repeat], y[repeat]
    )
    assert weighted.best_config_ == repeated.best_config_
    assert weighted.best_score_ == pytest.approx(repeated.best_score_, abs=1e-6)
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), atol=1e-4
    )
