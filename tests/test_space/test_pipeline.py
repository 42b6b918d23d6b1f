"""Configurations -> pipelines that fit and predict on small real data."""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.pipeline import Pipeline

from automl.data.types import FeatureColumns
from automl.space import (
    MODELS,
    build_pipeline,
    build_space,
    config_to_dict,
    family_defaults,
    select_models,
)
from automl.space.components.sklearn_models import MLP_EARLY_STOPPING_ROWS
from tests.test_space.datasets import Dataset, cheap, make_dataset

N_SAMPLED = 20


def fit_and_check(values: dict[str, Any], data: Dataset) -> Pipeline:
    """Fit on ``data`` and check the shape and sanity of the predictions."""
    pipe = build_pipeline(cheap(values), data.ctx).fit(data.X, data.y)
    prediction = pipe.predict(data.X)
    assert prediction.shape == (len(data.X),)
    if data.ctx.task == "regression":
        assert np.isfinite(prediction).all()
        return pipe
    proba = pipe.predict_proba(data.X)
    n_classes = data.properties.n_classes
    assert proba.shape == (len(data.X), n_classes)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(np.unique(prediction)) <= set(range(n_classes or 0))
    return pipe


@pytest.mark.parametrize("missing", [False, True], ids=["full", "nan"])
@pytest.mark.parametrize("categorical", [False, True], ids=["num", "cat"])
def test_default_and_sampled_configurations_fit(
    task: str, categorical: bool, missing: bool
) -> None:
    data = make_dataset(task, categorical=categorical, missing=missing)
    cs = build_space(data.properties, select_models(task), seed=3)
    configs = [cs.get_default_configuration(), *cs.sample_configuration(N_SAMPLED)]
    for config in configs:
        fit_and_check(config_to_dict(config), data)


def test_every_family_default_fits(task: str) -> None:
    data = make_dataset(task, categorical=True, missing=True)
    cs = build_space(data.properties, select_models(task))
    for family, values in family_defaults(cs).items():
        pipe = fit_and_check(values, data)
        assert pipe[-1].family == family


def with_unseen_and_missing(X: pd.DataFrame) -> pd.DataFrame:
    """Rows with NaN in a numeric column and unseen (hence NaN) categories."""
    X_new = X.head(20).copy()
    X_new.iloc[:5, 0] = np.nan
    for column in X.select_dtypes("category").columns:
        X_new[column] = X_new[column].where(X_new.index >= 5)
    return X_new


@pytest.mark.parametrize("family", list(MODELS))
def test_every_family_fits_each_encoder_and_balancing(family: str) -> None:
    data = make_dataset("multiclass", categorical=True, missing=True)
    cs = build_space(data.properties, [family])
    base = family_defaults(cs)[family]
    X_new = with_unseen_and_missing(data.X)
    for encoder in cs["categorical_encoder"].choices:
        values = {**base, "categorical_encoder": encoder}
        if "class_weight" in values:
            values["class_weight"] = "balanced"
        pipe = fit_and_check(values, data)
        weighting = getattr(pipe[-1], "class_weight", None)
        assert weighting == ("balanced" if "class_weight" in values else None)
        proba = pipe.predict_proba(X_new)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)


@pytest.mark.parametrize("kind", ["numeric only", "categorical only"])
def test_one_kind_of_column(kind: str) -> None:
    if kind == "numeric only":
        data = make_dataset("binary", missing=True)
    else:
        data = make_dataset("binary", categorical=True, missing=True, numeric=False)
    cs = build_space(data.properties, select_models("binary"), seed=4)
    for config in [cs.get_default_configuration(), *cs.sample_configuration(8)]:
        fit_and_check(config_to_dict(config), data)


def test_pipeline_pickles_and_clones(task: str) -> None:
    data = make_dataset(task, categorical=True, missing=True)
    cs = build_space(data.properties, select_models(task))
    for values in family_defaults(cs).values():
        pipe = fit_and_check(values, data)
        restored = pickle.loads(pickle.dumps(pipe))
        np.testing.assert_allclose(restored.predict(data.X), pipe.predict(data.X))
        fresh = clone(pipe)
        assert not hasattr(fresh[-1], "estimator_")
        assert is_regressor(fresh) == (task == "regression")
        assert is_classifier(fresh) == (task != "regression")


def test_missing_class_in_training_subset_keeps_all_columns() -> None:
    data = make_dataset("multiclass")
    keep = data.y != 2
    cs = build_space(data.properties, select_models("multiclass"))
    for values in family_defaults(cs).values():
        pipe = build_pipeline(cheap(values), data.ctx).fit(data.X[keep], data.y[keep])
        proba = pipe.predict_proba(data.X)
        assert proba.shape == (len(data.X), 3)
        assert np.all(proba[:, 2] == 0.0)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_an_mlp_classifier_stops_early_only_on_large_tables() -> None:
    # On a small table sklearn's early stopping (accuracy on a 10 % split, 10
    # epochs without a gain) stopped the MLP after a few epochs, underfitted.
    data = make_dataset("binary", n_rows=None)
    values = family_defaults(build_space(data.properties, ["mlp"]))["mlp"]
    mlp = build_pipeline(values, data.ctx).fit(data.X, data.y)[-1].estimator_
    assert not mlp.early_stopping
    assert mlp.n_iter_ > 50
    large = dataclasses.replace(
        data.ctx,
        properties=dataclasses.replace(data.properties, n_rows=MLP_EARLY_STOPPING_ROWS),
    )
    assert build_pipeline(values, large)[-1].estimator.early_stopping
    regression = make_dataset("regression", n_rows=None)
    values = family_defaults(build_space(regression.properties, ["mlp"]))["mlp"]
    assert build_pipeline(values, regression.ctx)[-1].estimator.early_stopping


def test_threads_and_seed_reach_every_library() -> None:
    data = make_dataset("binary", categorical=True)
    ctx = dataclasses.replace(data.ctx, n_threads=2, seed=11)
    cs = build_space(data.properties, select_models("binary"))
    defaults = family_defaults(cs)
    expected = {
        "lightgbm": {"n_jobs": 2, "random_state": 11, "verbose": -1},
        "xgboost": {"n_jobs": 2, "random_state": 11, "verbosity": 0},
        "catboost": {"thread_count": 2, "random_seed": 11, "verbose": 0},
        "random_forest": {"n_jobs": 2, "random_state": 11},
        "knn": {"n_jobs": 2},
        "hist_gb": {"random_state": 11},
    }
    for family, params in expected.items():
        step = build_pipeline(defaults[family], ctx)[-1]
        assert step.n_threads == 2
        assert params.items() <= step.estimator.get_params().items(), family


def test_column_names_that_boosters_reject_are_handled() -> None:
    data = make_dataset("regression", categorical=True)
    X = data.X.rename(columns={data.X.columns[0]: 'a "quoted" [name]: {x}'})
    columns = FeatureColumns(
        numeric=tuple(
            c for c in X.columns if not isinstance(X[c].dtype, pd.CategoricalDtype)
        ),
        categorical=data.ctx.columns.categorical,
    )
    ctx = dataclasses.replace(data.ctx, columns=columns)
    cs = build_space(data.properties, ["lightgbm", "xgboost"])
    for values in family_defaults(cs).values():
        build_pipeline(cheap(values), ctx).fit(X, data.y).predict(X)
