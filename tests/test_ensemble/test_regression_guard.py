"""The regression guard: one extrapolating member cannot drag the ensemble."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from automl.ensemble import build_ensemble
from automl.ensemble.fitted import guard_predictions
from automl.policy import Policy
from tests.test_ensemble.problems import Problem


def test_a_member_far_from_the_weighted_median_is_clipped() -> None:
    values = np.array([[10.0, 11.0, 500.0], [10.0, 11.0, 12.0]])
    weights = np.array([0.4, 0.3, 0.3])
    clipped = guard_predictions(values, weights, np.array([1.0, 1.0, 2.0]), 3.0)
    # Row 0: the median is 11; the third member may be at most 3 * 2 above it.
    np.testing.assert_allclose(clipped[0], [10.0, 11.0, 17.0])
    np.testing.assert_allclose(clipped[1], values[1])  # agreeing rows untouched


def test_a_regression_ensemble_is_guarded_on_an_outlying_row(
    regression_problem: Problem,
) -> None:
    data = regression_problem.data
    ensemble = build_ensemble(
        regression_problem.candidates,
        data,
        regression_problem.metric,
        stack=False,
        policy=Policy(checked_selection_rows=0),  # several members
    )
    assert "regression guard binds on" in ensemble.decision
    assert ensemble.guard is not None, ensemble.decision  # kept on these rows
    weighted = [m for m in ensemble.base if m.weight > 0]
    assert len(weighted) >= 2
    # A row far outside the training data: the members disagree wildly.
    outlier = data.X.iloc[[0]] * 40
    members = np.array([m.model.predict_raw(outlier)[0] for m in weighted])
    weights = np.array([m.weight for m in weighted])
    order = np.argsort(members)
    middle = np.argmax(np.cumsum(weights[order]) >= 0.5 * weights.sum())
    median = members[order][middle]
    guarded = ensemble.predict_raw(outlier)[0]
    plain = replace(ensemble, guard=None).predict_raw(outlier)[0]
    assert abs(guarded - median) < abs(plain - median)
    reach = ensemble.guard * max(m.oof_scale for m in weighted)
    assert abs(guarded - median) <= reach
