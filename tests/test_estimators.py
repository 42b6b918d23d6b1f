"""The scikit-learn contract, the public API and clear errors for bad input."""

from __future__ import annotations

import pickle
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import make_scorer, roc_auc_score
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from automl import AutoClassifier, AutoRegressor, Policy
from automl.exceptions import FallbackModelWarning
from automl.search import reuse_workers
from tests.conftest import TEST_BUDGET


@pytest.fixture(scope="module", autouse=True)
def _keep_workers_between_fits():
    """Hundreds of short fits here: start worker processes once, not per fit
    (tests/test_robustness checks that a plain fit leaves none behind)."""
    with reuse_workers():
        yield


# Checks our estimators fail on purpose, with the reason.
EXPECTED_FAILED_CHECKS: dict[str, str] = {
    "check_sample_weight_equivalence_on_dense_data": (
        "A weight of k and k copies of a row give the same loss and the same "
        "model on the same rows (tests/test_sample_weight.py), but the copies "
        "land in different folds of our validation, so the search and the "
        "ensemble see other data."
    ),
}


def _checked_estimators() -> list:
    budget = {**TEST_BUDGET, "max_trials": 1, "include": ["lightgbm", "linear"]}
    return [AutoClassifier(**budget), AutoRegressor(**budget)]


@pytest.mark.slow
@parametrize_with_checks(
    _checked_estimators(), expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS
)
def test_sklearn_contract(estimator, check) -> None:
    check(estimator)


def test_fit_predict_leaderboard_on_a_real_dataset(breast_cancer) -> None:
    X, y = breast_cancer
    clf = AutoClassifier(**TEST_BUDGET).fit(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.score(X, y) > 0.9
    board = clf.leaderboard()
    assert board["rank"].tolist() == list(range(1, len(board) + 1))
    chosen = board[board["origin"] == "ensemble (chosen)"]
    assert len(chosen) == 1 and chosen["model"].item() in {"ensemble", "stack"}
    trials = board[board["trial_id"].notna()].reset_index(drop=True)
    assert len(trials) == 3 == len(clf.trials_)
    assert trials["score"].is_monotonic_decreasing  # ROC AUC: higher first
    assert clf.best_config_ == trials.loc[0, "config"]
    assert clf.best_score_ == pytest.approx(trials.loc[0, "score"])
    assert sum(weight for _, weight in clf.ensemble_) == pytest.approx(1.0)
    assert list(clf.feature_names_in_) == list(X.columns)
    assert clf.n_features_in_ == X.shape[1]


def test_an_infer_limit_no_model_meets_leaves_the_fastest_one(breast_cancer) -> None:
    X, y = breast_cancer
    clf = AutoClassifier(**TEST_BUDGET, refit_full=True, infer_limit=1e-12).fit(X, y)
    info = clf.ensemble_info_
    assert info["kind"] == "single" and len(info["members"]) == 1
    assert "infer_limit 1e-12 s/row NOT met" in info["decision"]
    assert clf.score(X, y) > 0.9


@pytest.mark.slow
def test_string_labels_and_mixed_columns(mixed_frame) -> None:
    X, y = mixed_frame
    clf = AutoClassifier(**TEST_BUDGET).fit(X, y)
    assert set(clf.classes_) == {"setosa", "versicolor", "virginica"}
    assert clf.metric_.name == "log_loss"
    assert set(clf.predict(X)) <= set(clf.classes_)
    shuffled = X[list(reversed(X.columns))]  # reordered columns work
    np.testing.assert_allclose(clf.predict_proba(shuffled), clf.predict_proba(X))
    with pytest.raises(ValueError, match="colour"):
        clf.predict(X.drop(columns="colour"))


@pytest.mark.slow
def test_regressor_on_a_real_dataset(diabetes) -> None:
    X, y = diabetes
    reg = AutoRegressor(**TEST_BUDGET).fit(X, y)
    assert reg.metric_.name == "rmse"
    assert reg.predict(X).shape == (len(X),)
    assert reg.score(X, y) > 0.3


@pytest.mark.slow
def test_identical_leaderboards_with_a_fixed_seed(iris) -> None:
    X, y = iris
    first = AutoClassifier(**TEST_BUDGET).fit(X, y)
    second = AutoClassifier(**TEST_BUDGET).fit(X, y)
    columns = ["model", "loss", "status", "config"]
    pd.testing.assert_frame_equal(
        first.leaderboard()[columns], second.leaderboard()[columns]
    )
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))


@pytest.mark.slow
def test_clone_pickle_pipeline_grid_search_and_cross_val(iris) -> None:
    X, y = iris
    clf = AutoClassifier(**{**TEST_BUDGET, "max_trials": 2})
    assert clone(clf).get_params() == clf.get_params()
    fitted = clf.fit(X, y)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))

    quick = clone(clf).set_params(max_trials=1)  # the contract, not the search
    pipe = make_pipeline(FunctionTransformer(), clone(quick)).fit(X, y)
    assert pipe.score(X, y) > 0.9
    scores = cross_val_score(clone(quick), X, y, cv=2)
    assert scores.shape == (2,) and scores.min() > 0.8
    grid = GridSearchCV(quick, {"resampling": ["holdout", "cv"]}, cv=2).fit(X, y)
    assert grid.best_params_["resampling"] in ("holdout", "cv")


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (np.empty((0, 3)), [], "0 sample"),
        (np.ones((5, 2)), [1] * 5, "class"),
        (np.ones((4, 2)), [0, 1, 0], "inconsistent|length|4.*3|3.*4"),
        (np.ones((4, 2)), [0, 1, None, 1], "missing"),
    ],
)
def test_bad_training_data_gets_a_clear_error(X, y, message) -> None:
    with pytest.raises(ValueError, match=message):
        AutoClassifier(**TEST_BUDGET).fit(X, y)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_bad_regression_target_gets_a_clear_error(bad) -> None:
    X, y = np.random.RandomState(0).rand(10, 2), np.arange(10, dtype=float)
    y[3] = bad
    with pytest.raises(ValueError, match="NaN|inf|finite"):
        AutoRegressor(**TEST_BUDGET).fit(X, y)


def test_bad_parameters_get_sklearn_grade_errors(iris) -> None:
    X, y = iris
    with pytest.raises(ValueError, match="Unknown metric 'auroc'"):
        AutoClassifier(**TEST_BUDGET, metric="auroc").fit(X, y)
    with pytest.raises(ValueError, match="'resampling' parameter of AutoClassifier"):
        AutoClassifier(**TEST_BUDGET, resampling="kfold").fit(X, y)
    with pytest.raises(ValueError, match="'time_limit' parameter"):
        AutoClassifier(time_limit=-1).fit(X, y)
    with pytest.raises(ValueError, match="time_limit or a max_trials"):
        AutoClassifier(time_limit=None).fit(X, y)
    with pytest.raises(ValueError, match="xgbost"):
        AutoClassifier(**TEST_BUDGET, include=["xgbost"]).fit(X, y)
    with pytest.raises(ValueError, match="'infer_limit' parameter"):
        AutoClassifier(**TEST_BUDGET, infer_limit=0).fit(X, y)
    for n_jobs in (0, -2):  # joblib's convention: 0 means nothing
        with pytest.raises(InvalidParameterError, match="'n_jobs' parameter"):
            AutoClassifier(**{**TEST_BUDGET, "n_jobs": n_jobs}).fit(X, y)


def test_wrong_feature_count_at_predict(iris) -> None:
    X, y = iris
    clf = AutoClassifier(**{**TEST_BUDGET, "max_trials": 1}).fit(X.to_numpy(), y)
    with pytest.raises(ValueError, match="4 features"):
        clf.predict(X.to_numpy()[:, :3])


@pytest.mark.timing
@pytest.mark.slow
def test_time_limit_is_kept_and_beats_a_random_forest() -> None:
    """On a real table with strings and missing values, 30 s means about 30 s."""
    X, y = _cancer_with_strings_and_missing()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    start = time.time()
    clf = AutoClassifier(time_limit=30, random_state=0).fit(X_train, y_train)
    elapsed = time.time() - start
    assert elapsed < 35, elapsed
    assert len(clf.trials_) >= 3
    forest = make_pipeline(
        FunctionTransformer(lambda f: pd.get_dummies(f).fillna(-1)),
        RandomForestClassifier(random_state=0),
    )
    forest.fit(X_train, y_train)
    ours = roc_auc_score(y_test, clf.predict_proba(X_test)[:, 1])
    theirs = roc_auc_score(y_test, forest.predict_proba(X_test)[:, 1])
    assert ours >= theirs - 0.005, (ours, theirs)


def _cancer_with_strings_and_missing() -> tuple[pd.DataFrame, pd.Series]:
    """Breast cancer data with a string column and missing values added."""
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    rng = np.random.RandomState(0)
    X = X.iloc[:, :10].copy()
    X["size_class"] = pd.qcut(X.iloc[:, 0], 4, labels=list("abcd")).astype(str)
    X.loc[rng.rand(len(X)) < 0.15, "mean texture"] = np.nan
    X.loc[rng.rand(len(X)) < 0.1, "size_class"] = None
    return X, pd.Series(np.where(y == 1, "benign", "malignant"))


def _column_kinds(n: int) -> dict[str, pd.Series]:
    rng = np.random.RandomState(1)
    words = rng.choice(["low", "mid", "high"], n)
    return {
        "int": pd.Series(rng.randint(0, 10, n)),
        "float": pd.Series(rng.randn(n)),
        "bool": pd.Series(rng.rand(n) > 0.5),
        "category": pd.Series(pd.Categorical(words)),
        "object_str": pd.Series(words.astype(object)),
        "pandas_str": pd.Series(words, dtype="str"),
        "nullable_int": pd.Series(rng.randint(0, 10, n), dtype="Int64"),
        "datetime": pd.Series(pd.date_range("2024-01-01", periods=n, freq="D")),
        "datetime_tz": pd.Series(
            pd.date_range("2024-01-01", periods=n, freq="h", tz="Europe/Paris")
        ),
    }


@pytest.mark.slow
@pytest.mark.parametrize("with_missing", [False, True])
@pytest.mark.parametrize("kind", list(_column_kinds(5)))
def test_every_column_kind_fits_and_predicts(iris, kind, with_missing) -> None:
    X, y = iris
    X = X.iloc[:, :2].copy()
    column = _column_kinds(len(X))[kind]
    if with_missing:  # pandas picks the missing marker: NaN, NaT, pd.NA or None
        column = column.where(np.arange(len(X)) % 7 != 0)
    X["extra"] = column.array
    # lightgbm takes the column natively, linear through imputers and encoders
    budget = {**TEST_BUDGET, "max_trials": 2, "include": ["lightgbm", "linear"]}
    clf = AutoClassifier(**budget).fit(X, y)
    assert [t["status"] for t in clf.trials_] == ["ok", "ok"]
    assert clf.predict_proba(X).shape == (len(X), 3)


def test_without_a_full_budget_trial_the_best_partial_one_is_refitted(
    breast_cancer,
) -> None:
    X, y = breast_cancer
    budget = {**TEST_BUDGET, "max_trials": 2, "multi_fidelity": True}
    with warnings.catch_warnings():
        warnings.simplefilter("error", FallbackModelWarning)
        clf = AutoClassifier(**budget).fit(X, y)
    assert all(t["budget"] < 1 for t in clf.trials_)
    assert clf.model_ is not clf.fallback_
    assert clf.best_config_["model"] in {t["config"]["model"] for t in clf.trials_}
    assert clf.score(X, y) > 0.9
    info = clf.ensemble_info_  # said even without an ensemble
    assert info["kind"] == "single"
    assert "no trial finished on all rows" in info["decision"]
    [member] = info["members"]
    assert member["family"] == clf.best_config_["model"]
    assert member["predictor"] == "full refit"


def test_on_large_tables_trials_on_a_share_of_the_rows_join_the_ensemble(
    breast_cancer,
) -> None:
    X, y = breast_cancer
    budget = {**TEST_BUDGET, "max_trials": 2, "multi_fidelity": True}
    # From 100 rows on, this table of 569 rows counts as large.
    policy = Policy(large_table_rows=100)
    clf = AutoClassifier(**budget, policy=policy).fit(X, y)
    assert all(t["budget"] < 1 for t in clf.trials_)
    info = clf.ensemble_info_
    assert info["kind"] in {"single", "ensemble", "stack"}
    assert "no trial finished on all rows" not in info["decision"]
    assert {m["family"] for m in info["members"]} <= {
        t["config"]["model"] for t in clf.trials_
    }
    # The training rows must be predicted within the time limit there.
    assert (
        f"infer_limit {TEST_BUDGET['time_limit'] / len(y):.3g} s/row"
        in (info["decision"])
    )
    assert clf.score(X, y) > 0.9


def test_when_no_trial_succeeds_the_constant_baseline_predicts_and_says_why(
    iris,
) -> None:
    X, y = iris

    def broken(y_true, y_pred):
        raise ValueError("this metric is broken")

    budget = {**TEST_BUDGET, "max_trials": 2, "metric": make_scorer(broken)}
    with pytest.warns(FallbackModelWarning, match="no trial finished"):
        clf = AutoClassifier(**budget).fit(X, y)
    assert {t["status"] for t in clf.trials_} == {"crashed"}
    assert clf.ensemble_info_["kind"] == "fallback"
    assert clf.ensemble_info_["decision"] == "no trial succeeded: constant baseline"
    assert clf.predict(X).shape == (len(X),)


def test_docs_list_the_registered_families() -> None:
    from pathlib import Path

    from automl.space import MODELS

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    listed = ", ".join(f"`{name}`" for name in MODELS)
    assert f"Model families to search / leave out: {listed}" in readme
    assert ", ".join(f'"{name}"' for name in MODELS) in AutoClassifier.__doc__


def test_a_given_decision_threshold_decides_the_labels(breast_cancer) -> None:
    X, y = breast_cancer
    budget = {**TEST_BUDGET, "max_trials": 2, "metric": "accuracy"}
    clf = AutoClassifier(**budget, decision_threshold=0.9).fit(X, y)
    proba = clf.predict_proba(X)
    expected = clf.classes_[(proba[:, 1] >= 0.9).astype(int)]
    np.testing.assert_array_equal(clf.predict(X), expected)
    assert clf.ensemble_info_["calibration"]["threshold"] == 0.9
    assert "decision threshold 0.9" in clf.summary()


def test_a_threshold_for_a_multiclass_target_is_refused(iris) -> None:
    X, y = iris
    clf = AutoClassifier(**TEST_BUDGET, decision_threshold=0.3)
    with pytest.raises(ValueError, match="for binary targets; this one is multiclass"):
        clf.fit(X, y)


def test_repeated_cv_gives_bags_of_every_repeats_fold_models(breast_cancer) -> None:
    X, y = breast_cancer
    budget = {**TEST_BUDGET, "max_trials": 2, "include": ["lightgbm", "linear"]}
    clf = AutoClassifier(**{**budget, "cv_repeats": 2}).fit(X, y)
    assert clf.cv_repeats_ == 2
    assert [t["status"] for t in clf.trials_] == ["ok", "ok"]
    assert {m["predictor"] for m in clf.model_.members} == {"bag of 10"}
    assert "k-fold repeated 2 times" in clf.summary()
    assert roc_auc_score(y, clf.predict_proba(X)[:, 1]) > 0.95
