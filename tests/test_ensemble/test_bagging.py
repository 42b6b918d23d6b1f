"""k-fold bags of real pipelines."""

from __future__ import annotations

import time

import numpy as np
import pytest

from automl.ensemble import BaggedModel, BagTimeoutError, fit_bag
from automl.evaluation import TrialSettings
from automl.resampling import validation_indices
from tests.test_ensemble.problems import Problem


def _settings(problem: Problem) -> TrialSettings:
    return TrialSettings(metric=problem.metric, crash_loss=1e6, n_threads=1)


def test_bag_oof_covers_every_row_and_reproduces_the_trial(
    binary_problem: Problem,
) -> None:
    data = binary_problem.data
    candidate = binary_problem.candidates[0]  # lightgbm, deterministic
    bag = fit_bag(
        candidate.config,
        data,
        _settings(binary_problem),
        seed=candidate.seed,
        deadline=None,
    )
    assert bag.oof is not None
    np.testing.assert_array_equal(bag.rows, np.arange(len(data.y)))
    assert bag.oof.shape == (len(data.y), 2)
    # Same config, seed and folds as the trial: the same OOF predictions.
    np.testing.assert_allclose(bag.oof, candidate.predictions, atol=1e-10)
    assert bag.model.n_models == len(data.splits)
    proba = bag.model.predict_proba(data.X.iloc[:50])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # The bag is the average of its fold models.
    folds = [m.predict_proba(data.X.iloc[:50]) for m in bag.model.models]
    np.testing.assert_allclose(proba, np.mean(folds, axis=0))
    assert np.array_equal(bag.model.predict(data.X.iloc[:50]), proba.argmax(axis=1))


def test_regression_bag_predicts_values(regression_problem: Problem) -> None:
    data = regression_problem.data
    linear = next(c for c in regression_problem.candidates if c.family == "linear")
    bag = fit_bag(
        linear.config, data, _settings(regression_problem), seed=0, deadline=None
    )
    pred = bag.model.predict(data.X)
    assert pred.shape == (len(data.y),)
    assert np.corrcoef(pred, data.y)[0, 1] > 0.5
    with pytest.raises(AttributeError, match="regression"):
        bag.model.predict_proba(data.X)


def test_holdout_bag_and_refit_full(holdout_problem: Problem) -> None:
    data = holdout_problem.data
    config = holdout_problem.candidates[0].config
    settings = _settings(holdout_problem)
    bag = fit_bag(config, data, settings, seed=0, deadline=None)
    # A holdout split: one model, OOF only for the validation rows.
    assert bag.model.n_models == 1
    np.testing.assert_array_equal(bag.rows, validation_indices(data.splits))
    assert bag.oof is not None and len(bag.oof) == len(bag.rows) < len(data.y)
    full = fit_bag(config, data, settings, seed=0, deadline=None, refit_full=True)
    assert full.oof is None and full.model.n_models == 1
    assert full.model.predict_proba(data.X).shape == (len(data.y), 2)


def test_bag_raises_when_the_deadline_has_passed(binary_problem: Problem) -> None:
    config = binary_problem.candidates[0].config
    with pytest.raises(BagTimeoutError, match="fold 1 of 5"):
        fit_bag(
            config,
            binary_problem.data,
            _settings(binary_problem),
            seed=0,
            deadline=time.time() - 1,
        )


def test_bagged_model_needs_models() -> None:
    with pytest.raises(ValueError, match="at least one"):
        BaggedModel([], "binary", 2)


def test_a_family_with_a_row_cap_is_bagged_and_refitted_on_that_share(
    binary_problem: Problem,
) -> None:
    data = binary_problem.data
    knn = next(c for c in binary_problem.candidates if c.family == "knn")
    settings = TrialSettings(
        metric=binary_problem.metric, crash_loss=1e6, n_threads=1, row_caps={"knn": 0.3}
    )
    bag = fit_bag(knn.config, data, settings, seed=0, deadline=None)
    for model, (train, _) in zip(bag.model.models, data.splits, strict=True):
        assert model[-1].estimator_.n_samples_fit_ == int(np.ceil(0.3 * len(train)))
    assert bag.oof is not None and bag.oof.shape == (len(data.y), 2)  # every row
    full = fit_bag(knn.config, data, settings, seed=0, deadline=None, refit_full=True)
    assert full.model.models[0][-1].estimator_.n_samples_fit_ == int(
        np.ceil(0.3 * len(data.y))
    )
