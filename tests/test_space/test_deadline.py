"""Iterative models stop adding iterations at the deadline and still predict.

The deadline is read against an injected clock, so that no assertion here
depends on how fast the machine is.
"""

from __future__ import annotations

import pickle
import time
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from automl.space import MODELS, build_pipeline, build_space, family_defaults
from automl.space.components.catboost import CatBoostDeadline
from automl.space.components.lightgbm import LightGBMDeadline
from automl.space.components.xgboost import XGBoostDeadline
from tests.test_space.datasets import context

pytestmark = pytest.mark.slow

# Each of these configurations needs well over 2 s on this data and 1 thread.
SLOW = {
    "lightgbm": 5000,
    "xgboost": 5000,
    "catboost": 5000,
    "hist_gb": 5000,
    "random_forest": 500,  # extra_trees shares the forests' code path
    "mlp": 300,
}
# A wide, deep MLP: the default one may converge in under a second on fast machines.
WIDER = {"mlp": {"model:mlp:n_layers": 3, "model:mlp:n_units": 256.0}}


@pytest.fixture(scope="module")
def big() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    n, d = 30_000, 20
    X = pd.DataFrame(rng.normal(size=(n, d)), columns=[f"x{i}" for i in range(d)])
    X["c"] = pd.Categorical(rng.choice(list("abcdefgh"), n))
    signal = X["x0"] + X["x1"] * X["x2"] + rng.normal(size=n)
    return X, (signal > 0).astype("int64").to_numpy()


def slow_values(family: str, X: pd.DataFrame, y: np.ndarray) -> dict:
    props = context(X, y, "binary").properties
    values = family_defaults(build_space(props, [family]))[family]
    values[f"model:{family}:{MODELS[family].fidelity}"] = SLOW[family]
    return {**values, **WIDER.get(family, {})}


class TickingClock:
    """A fake clock: every reading is ``tick`` seconds after the one before.

    The boosters' deadline callbacks read the clock once per iteration, so on
    this clock a deadline is a number of iterations, whatever the machine.
    """

    def __init__(self, tick: float) -> None:
        self.now = 0.0
        self.tick = tick

    def __call__(self) -> float:
        self.now += self.tick
        return self.now


def fitted_units(family: str, estimator: Any) -> int:
    """Boosting rounds or trees the fitted library estimator holds."""
    if family == "lightgbm":
        return int(estimator.booster_.current_iteration())
    if family == "xgboost":
        return int(estimator.get_booster().num_boosted_rounds())
    if family == "catboost":
        return int(estimator.tree_count_)
    if family == "hist_gb":
        return int(estimator.n_iter_)
    return len(estimator.estimators_)


def fit_on_clock(
    family: str, X: pd.DataFrame, y: np.ndarray, deadline: float, clock: Any
) -> Any:
    ctx = replace(context(X, y, "binary", deadline=deadline), clock=clock)
    pipe = build_pipeline(slow_values(family, X, y), ctx).fit(X, y)
    assert pipe[-1].stopped_early_
    assert float(np.mean(pipe.predict(X) == y)) > 0.6
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_allclose(restored.predict_proba(X[:50]).sum(axis=1), 1.0)
    return pipe


@pytest.mark.parametrize("family", ["lightgbm", "xgboost", "catboost"])
def test_boosters_stop_at_the_deadline_on_their_clock(
    family: str, big: tuple[pd.DataFrame, np.ndarray]
) -> None:
    X, y = big
    pipe = fit_on_clock(family, X, y, deadline=0.5, clock=TickingClock(0.01))
    assert 1 <= fitted_units(family, pipe[-1].estimator_) <= 50


@pytest.mark.parametrize("family", ["hist_gb", "random_forest", "mlp"])
def test_chunked_fits_stop_at_the_deadline_on_their_clock(
    family: str, big: tuple[pd.DataFrame, np.ndarray]
) -> None:
    # Chunks are sized from the measured time per unit, so the clock must
    # measure work: this process's CPU seconds, which other load cannot move.
    X, y = big
    deadline = time.process_time() + 1.0
    pipe = fit_on_clock(family, X, y, deadline=deadline, clock=time.process_time)
    if family != "mlp":  # the MLP's max_iter counts the epochs of one chunk
        assert fitted_units(family, pipe[-1].estimator_) < SLOW[family]


@pytest.mark.parametrize("family", ["lightgbm", "random_forest", "mlp"])
def test_past_deadline_still_gives_a_fitted_model(
    family: str, big: tuple[pd.DataFrame, np.ndarray]
) -> None:
    X, y = big[0][:2000], big[1][:2000]
    values = slow_values(family, X, y)
    pipe = build_pipeline(values, context(X, y, "binary", deadline=time.time() - 5))
    proba = pipe.fit(X, y).predict_proba(X)
    assert pipe[-1].stopped_early_
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_no_deadline_fits_everything(big: tuple[pd.DataFrame, np.ndarray]) -> None:
    X, y = big[0][:2000], big[1][:2000]
    for family in ["lightgbm", "random_forest", "hist_gb"]:
        values = slow_values(family, X, y)
        values[f"model:{family}:{MODELS[family].fidelity}"] = 40
        pipe = build_pipeline(values, context(X, y, "binary")).fit(X, y)
        assert not pipe[-1].stopped_early_


@pytest.mark.parametrize(
    "callback", [LightGBMDeadline, XGBoostDeadline, CatBoostDeadline]
)
def test_callbacks_pickle(callback: type) -> None:
    restored = pickle.loads(pickle.dumps(callback(123.0, TickingClock(1.0))))
    assert restored.deadline == 123.0
    assert restored.clock() == 1.0
