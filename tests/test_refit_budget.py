"""The final refit of a partial-budget trial takes the rows the time left allows."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer

from automl import AutoClassifier
from automl.evaluation import TrialResult, TrialSettings, refit
from automl.run import REFIT_TIME_SHARE, affordable_budget
from automl.search import TrialRecord

pytestmark = pytest.mark.slow


def _record(budget: float | None, fit_time: float) -> TrialRecord:
    outcome = TrialResult(loss=0.1, status="ok", fit_time=fit_time)
    return TrialRecord(
        0,
        {"model": "linear"},
        0,
        budget,
        "smac",
        0.1,
        "ok",
        0.0,
        fit_time,
        outcome=outcome,
    )


def test_all_rows_when_the_scaled_up_fit_time_fits() -> None:
    assert affordable_budget(_record(1 / 9, 1.0), seconds=60.0) is None
    assert affordable_budget(_record(None, 100.0), seconds=1.0) is None


def test_fewer_rows_when_time_is_short_but_never_fewer_than_the_trial_saw() -> None:
    budget = affordable_budget(_record(1 / 27, 2.0), seconds=20.0)
    assert budget == pytest.approx(REFIT_TIME_SHARE * 20.0 / (2.0 * 27))
    assert 1 / 27 < budget < 1
    assert affordable_budget(_record(1 / 27, 20.0), seconds=1.0) == 1 / 27


def test_refit_on_a_budget_fits_on_that_share_of_the_rows() -> None:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    plan, data = AutoClassifier(max_trials=1)._plan(X, y)
    settings = TrialSettings(metric=plan.metric, crash_loss=1.0, n_threads=1)
    for budget, rows in ((0.25, int(np.ceil(0.25 * len(y)))), (None, len(y))):
        model = refit(
            {"model": "knn"},
            data=data,
            settings=settings,
            seed=0,
            deadline=None,
            budget=budget,
        )
        assert model[-1].estimator_.n_samples_fit_ == rows


def test_iteration_budgets_cut_the_iterations_of_the_families_that_have_them() -> None:
    from automl.evaluation import budgeted

    booster = {"model": "lightgbm", "model:lightgbm:n_estimators": 100.0}
    config, rows = budgeted(booster, 0.25, "iterations")
    assert (config["model:lightgbm:n_estimators"], rows) == (25, None)
    assert budgeted(booster, 0.25, "rows") == (booster, 0.25)
    linear = {"model": "linear", "model:linear:C": 1.0}
    assert budgeted(linear, 0.25, "iterations") == (linear, 0.25)  # no iterations
    assert budgeted(booster, 1.0, "iterations") == (booster, None)
