"""The final refit of a partial-budget trial takes the rows the time left allows."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer

from automl import AutoClassifier
from automl.costs import CostModel
from automl.evaluation import TrialSettings, refit
from automl.policy import Policy

pytestmark = pytest.mark.slow

SHARE = Policy().refit_time_share
affordable_budget = CostModel().refit_budget


def test_all_rows_when_the_scaled_up_fit_time_fits() -> None:
    assert affordable_budget(1 / 9, 1.0, 60.0) is None
    assert affordable_budget(None, 100.0, 1.0) is None


def test_fewer_rows_when_time_is_short_but_never_fewer_than_the_trial_saw() -> None:
    budget = affordable_budget(1 / 27, 2.0, 20.0)
    assert budget == pytest.approx(SHARE * 20.0 / (2.0 * 27))
    assert budget is not None and 1 / 27 < budget < 1
    assert affordable_budget(1 / 27, 20.0, 1.0) == 1 / 27
    halved = CostModel(Policy(refit_time_share=0.3)).refit_budget(1 / 27, 2.0, 20.0)
    assert halved == pytest.approx(budget / 2)


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
    from automl.metrics import get_metric

    def settings(unit: str, **caps: float) -> TrialSettings:
        metric = get_metric("accuracy", "binary")
        return TrialSettings(metric, 1.0, 1, budget_unit=unit, row_caps=caps)

    booster = {"model": "lightgbm", "model:lightgbm:n_estimators": 100.0}
    config, rows = budgeted(booster, 0.25, settings("iterations"))
    assert (config["model:lightgbm:n_estimators"], rows) == (25, None)
    assert budgeted(booster, 0.25, settings("rows")) == (booster, 0.25)
    linear = {"model": "linear", "model:linear:C": 1.0}
    assert budgeted(linear, 0.25, settings("iterations")) == (linear, 0.25)
    assert budgeted(booster, 1.0, settings("iterations")) == (booster, None)


def test_a_family_with_a_row_cap_never_fits_on_more_rows_than_its_cap() -> None:
    from automl.evaluation import budgeted
    from automl.metrics import get_metric

    metric = get_metric("accuracy", "binary")
    capped = TrialSettings(metric, 1.0, 1, row_caps={"knn": 0.2})
    knn, booster = {"model": "knn"}, {"model": "lightgbm"}
    assert budgeted(knn, None, capped) == (knn, 0.2)
    assert budgeted(knn, 0.5, capped) == (knn, 0.2)
    assert budgeted(knn, 0.1, capped) == (knn, 0.1)  # a lower budget stays
    assert budgeted(booster, None, capped) == (booster, None)  # not capped

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    plan, data = AutoClassifier(max_trials=1)._plan(X, y)
    capped = TrialSettings(plan.metric, 1.0, 1, row_caps={"knn": 0.2})
    model = refit(knn, data=data, settings=capped, seed=0, deadline=None)
    assert model[-1].estimator_.n_samples_fit_ == int(np.ceil(0.2 * len(y)))


def test_each_fold_model_stops_fitting_early_enough_to_predict_its_rows() -> None:
    import time

    from automl.evaluation import fit_folds
    from automl.limits import fit_deadline

    now = time.time()
    assert fit_deadline(None, 0.2) is None
    assert fit_deadline(now + 100, 0.2) == pytest.approx(now + 80, abs=1)
    assert fit_deadline(now - 5, 0.2) == pytest.approx(time.time(), abs=1)

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    plan, data = AutoClassifier(max_trials=1)._plan(X, y)
    settings = TrialSettings(plan.metric, 1.0, 1, predict_share=0.25)
    models: list = []
    deadline = time.time() + 500
    fit_folds({"model": "linear"}, data, settings, 0, deadline, keep=models.append)
    first = models[0][-1].deadline  # the model step's own deadline
    share = 500 / len(data.splits)  # the first fold's share of the time
    assert first == pytest.approx(deadline - 500 + 0.75 * share, abs=2)
