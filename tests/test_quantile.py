"""Quantile regression: the pinball loss, each family's quantile objective, the fit."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.base import clone
from sklearn.datasets import load_diabetes
from sklearn.metrics import mean_pinball_loss
from sklearn.model_selection import train_test_split

import automl
from automl import AutoRegressor
from automl.ensemble.calibration import quantile_shifts
from automl.metrics import get_metric, pinball, row_losses
from automl.policy import Policy
from automl.space import MODELS, build_pipeline, build_space, family_defaults
from automl.space.pipeline import ModelQuantileRegressor, constant_quantiles
from automl.space.registry import select_models
from tests.conftest import TEST_BUDGET
from tests.test_space.datasets import cheap, make_dataset

LEVELS = (0.1, 0.5, 0.9)
QUANTILE_FAMILIES = select_models("regression", quantile=True)


def test_the_pinball_loss_is_scikit_learns_averaged_over_the_levels() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(size=200)
    q = np.sort(rng.normal(size=(200, 3)), axis=1)
    weights = rng.uniform(0.5, 2.0, size=200)
    metric = pinball([0.9, 0.1, 0.5])  # sorted: the columns' order
    assert metric.quantile_levels == LEVELS
    expected = np.mean(
        [mean_pinball_loss(y, q[:, j], alpha=a) for j, a in enumerate(LEVELS)]
    )
    assert metric.loss(y, q) == pytest.approx(expected)
    weighted = np.mean(
        [
            mean_pinball_loss(y, q[:, j], alpha=a, sample_weight=weights)
            for j, a in enumerate(LEVELS)
        ]
    )
    assert metric.loss(y, q, weights) == pytest.approx(weighted)
    rows = row_losses(metric, "regression", y, q)
    assert rows is not None and np.mean(rows) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("metric", "levels", "message"),
    [
        ("pinball", None, "needs the quantiles"),
        ("rmse", LEVELS, "scored with the pinball loss"),
        (None, [0.5, 1.0], "strictly between 0 and 1"),
        (None, [0.5, 0.5], "distinct"),
        (None, "median", "strictly between 0 and 1"),
    ],
)
def test_bad_quantile_settings_say_what_to_do(metric, levels, message) -> None:
    with pytest.raises(ValueError, match=message):
        get_metric(metric, "regression", levels)


def test_classification_has_no_quantiles() -> None:
    with pytest.raises(ValueError, match="for regression"):
        get_metric("pinball", "binary", LEVELS)


def test_only_families_with_a_quantile_objective_are_searched() -> None:
    families = set(QUANTILE_FAMILIES)
    assert {"lightgbm", "linear"} <= families
    assert not families & {"knn", "random_forest", "extra_trees", "mlp"}
    with pytest.raises(ValueError, match="no quantile objective"):
        select_models("regression", include=["knn"], quantile=True)


@pytest.mark.parametrize("family", QUANTILE_FAMILIES)
def test_each_family_fits_its_quantile_objective(family: str) -> None:
    data = make_dataset("regression", categorical=True, missing=True, n_rows=300)
    ctx = dataclasses.replace(data.ctx, quantile_levels=LEVELS)
    defaults = family_defaults(build_space(data.properties, [family]))
    pipeline = build_pipeline(cheap(defaults[family], cap=50), ctx)
    model_step = pipeline.steps[-1][1]
    assert isinstance(model_step, ModelQuantileRegressor)
    pipeline.fit(data.X, data.y)
    q = pipeline.predict(data.X)
    assert q.shape == (len(data.y), 3)
    assert (np.diff(q, axis=1) >= 0).all()  # never crossing
    below = (data.y[:, None] <= q).mean(axis=0)
    # On its training rows each level holds about its share of the targets.
    assert below[0] < below[1] < below[2], below
    assert below[0] < 0.35 and below[2] > 0.65, below
    again = pickle.loads(pickle.dumps(pipeline)).predict(data.X)
    np.testing.assert_allclose(again, q)
    assert clone(pipeline).steps[-1][1].levels == LEVELS


def test_constant_quantiles_are_the_targets_quantiles() -> None:
    y = np.arange(101, dtype=float)
    X = np.zeros((101, 1))
    q = constant_quantiles(LEVELS).fit(X, y).predict(X[:2])
    np.testing.assert_allclose(q, [[10, 50, 90]] * 2)


def test_quantiles_too_narrow_out_of_fold_are_shifted_to_hold_their_share() -> None:
    rng = np.random.RandomState(0)
    y = rng.normal(size=4_000)
    levels = (0.05, 0.5, 0.95)
    # Quantiles half as far from the centre as they should be.
    narrow = np.tile(0.5 * norm.ppf(levels), (len(y), 1))
    shift = quantile_shifts(narrow, y, levels, seed=0)
    assert shift is not None and shift[0] < 0 < shift[2] and abs(shift[1]) < 0.1
    shifted = narrow + shift
    held = (y[:, None] <= shifted).mean(axis=0)
    np.testing.assert_allclose(held, levels, atol=0.01)
    # Quantiles already right: no shift survives the held-out check, or a tiny one.
    right = np.tile(norm.ppf(levels), (len(y), 1))
    kept = quantile_shifts(right, y, levels, seed=0)
    assert kept is None or np.abs(kept).max() < 0.1


@pytest.fixture(scope="module")
def quantile_fit():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.4, random_state=0
    )
    # Enough trials for an ensemble, kept without the selection check's
    # verdict (which may keep the best single model on 265 rows).
    budget = {
        **TEST_BUDGET,
        "max_trials": 6,
        "policy": Policy(checked_selection_rows=0),
    }
    reg = AutoRegressor(**budget, quantile_levels=[0.9, 0.1, 0.5])
    return reg.fit(X_train, y_train), X_test, y_test, y_train


@pytest.mark.slow
def test_a_quantile_fit_predicts_ordered_quantiles_that_beat_the_constant(
    quantile_fit,
) -> None:
    reg, X_test, y_test, y_train = quantile_fit
    assert reg.metric_.name == "pinball" and reg.metric_.quantile_levels == LEVELS
    assert {t["config"]["model"] for t in reg.trials_} <= set(QUANTILE_FAMILIES)
    q = reg.predict(X_test)
    assert q.shape == (len(X_test), 3)
    assert (np.diff(q, axis=1) >= 0).all()
    covered = np.mean((q[:, 0] <= y_test) & (y_test <= q[:, 2]))
    # 177 test rows: an 80 % interval's coverage has a standard error of 3 points.
    assert 0.65 < covered < 0.93, covered
    constant = np.tile(np.quantile(y_train, LEVELS), (len(y_test), 1))
    loss = reg.metric_.loss(y_test.to_numpy(), q)
    baseline = reg.metric_.loss(y_test.to_numpy(), constant)
    assert loss < 0.95 * baseline, (loss, baseline)
    assert "pinball" in reg.summary()


@pytest.mark.slow
def test_a_quantile_fit_averages_members_and_conformalizes_its_quantiles(
    quantile_fit,
) -> None:
    reg, X_test, y_test, _ = quantile_fit
    assert reg.ensemble_info_["kind"] == "ensemble"  # members averaged ...
    assert not reg.ensemble_info_.get("stackers")  # ... never stacked
    q = reg.predict(X_test)
    cqr = reg.predict_interval(X_test, alpha=0.2)  # levels 0.1 and 0.9
    shift = cqr - q[:, [0, 2]]
    # One conformal correction for every row: out by q on both sides.
    np.testing.assert_allclose(shift[:, 0], shift[0, 0])
    np.testing.assert_allclose(shift[:, 1], -shift[:, 0])
    conformity = reg.model_.conformity
    assert conformity.oof_coverage(0.2) >= 0.8  # at least 1 - alpha by construction
    shift = reg.model_.quantile_shift  # the CQR scores are of the shifted quantiles
    if shift is not None:
        assert "quantiles shifted" in reg.ensemble_info_["decision"]
        held = (conformity.targets[:, None] <= conformity.predictions).mean(axis=0)
        np.testing.assert_allclose(held, LEVELS, atol=0.03)
    covered = np.mean((cqr[:, 0] <= y_test) & (y_test <= cqr[:, 1]))
    assert 0.7 < covered < 0.95, covered  # 177 test rows: 3 points of error
    assert "80% conformalized quantile intervals" in reg.summary()
    with pytest.raises(ValueError, match="levels 0.05 and 0.95"):
        reg.predict_interval(X_test, alpha=0.1)
    with pytest.raises(ValueError, match="predicts quantiles"):
        reg.plot_intervals()


def test_a_quantile_fit_refuses_families_without_a_quantile_objective(
    diabetes,
) -> None:
    X, y = diabetes
    reg = AutoRegressor(**TEST_BUDGET, quantile_levels=LEVELS, include=["knn"])
    with pytest.raises(ValueError, match="no quantile objective"):
        reg.fit(X, y)
    assert "quantile_levels" in AutoRegressor().get_params()
    assert MODELS["knn"].quantile_objective is False


@pytest.mark.slow
@pytest.mark.parametrize("format", ["pickle", "skops"])
def test_a_quantile_fit_saves_and_loads(quantile_fit, tmp_path, format) -> None:
    reg, X_test, _, _ = quantile_fit
    path = reg.save(tmp_path / f"quantiles.{format}", format=format)
    loaded = automl.load(path)
    np.testing.assert_allclose(loaded.predict(X_test), reg.predict(X_test))


def test_a_trial_log_of_other_quantile_levels_is_not_resumed(
    diabetes, tmp_path
) -> None:
    X, y = diabetes
    budget = {**TEST_BUDGET, "max_trials": 1, "include": ["linear"]}
    AutoRegressor(**budget, quantile_levels=LEVELS, output_dir=tmp_path).fit(X, y)
    other = AutoRegressor(**budget, quantile_levels=[0.5], output_dir=tmp_path)
    with pytest.raises(
        ValueError, match=r"quantile_levels=\[0.1, 0.5, 0.9\] in the log"
    ):
        other.fit(X, y)
