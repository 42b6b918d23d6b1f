"""Greedy ensemble selection on real out-of-fold predictions."""

from __future__ import annotations

import numpy as np
import pytest

from automl.ensemble import greedy_ensemble_selection, metric_loss
from automl.ensemble.selection import LossFn
from automl.metrics import score_predictions
from tests.test_ensemble.problems import Problem


def _setup(problem: Problem) -> tuple[list[np.ndarray], np.ndarray, LossFn]:
    preds = [c.predictions for c in problem.candidates]
    loss_fn = metric_loss(problem.metric, problem.data.task)
    return preds, problem.data.y, loss_fn


@pytest.mark.parametrize(
    "name", ["binary_problem", "multiclass_problem", "regression_problem"]
)
def test_weights_sum_to_one_and_beat_best_single(
    name: str, request: pytest.FixtureRequest
) -> None:
    problem = request.getfixturevalue(name)
    preds, y, loss_fn = _setup(problem)
    selection = greedy_ensemble_selection(preds, y, loss_fn, rounds=25)
    assert selection.weights.sum() == pytest.approx(1.0)
    assert np.all(selection.weights >= 0)
    best_single = min(loss_fn(y, p) for p in preds)
    assert selection.loss <= best_single + 1e-12
    assert len(selection.trajectory) == 25
    # The reported loss is the loss of the weighted average it returns.
    combined = selection.combine(preds)
    task = problem.data.task
    assert score_predictions(problem.metric, y, combined, task) == pytest.approx(
        selection.loss
    )
    # The first round is the best single candidate.
    assert selection.trajectory[0] == pytest.approx(best_single)


def test_running_sum_matches_counts(binary_problem: Problem) -> None:
    preds, y, loss_fn = _setup(binary_problem)
    selection = greedy_ensemble_selection(preds, y, loss_fn, rounds=10)
    counts = np.bincount(selection.indices, minlength=len(preds))
    np.testing.assert_allclose(selection.weights, counts / len(selection.indices))
    assert selection.members == [
        int(i) for i in np.argsort(-selection.weights, kind="stable") if counts[i]
    ]


@pytest.mark.parametrize("max_members", [1, 2])
def test_max_members_caps_distinct_members(
    multiclass_problem: Problem, max_members: int
) -> None:
    preds, y, loss_fn = _setup(multiclass_problem)
    selection = greedy_ensemble_selection(
        preds, y, loss_fn, rounds=30, max_members=max_members
    )
    assert len(selection.members) <= max_members
    assert len(set(selection.indices)) <= max_members


def test_deterministic_and_ties_go_to_lower_index(regression_problem: Problem) -> None:
    preds, y, loss_fn = _setup(regression_problem)
    first = greedy_ensemble_selection(preds, y, loss_fn)
    second = greedy_ensemble_selection(preds, y, loss_fn)
    np.testing.assert_array_equal(first.weights, second.weights)
    assert first.indices == second.indices
    # A duplicate of every candidate appended at the end never gets weight.
    doubled = greedy_ensemble_selection([*preds, *preds], y, loss_fn)
    assert np.all(doubled.weights[len(preds) :] == 0)
    np.testing.assert_array_equal(doubled.weights[: len(preds)], first.weights)


def test_bad_arguments_are_rejected(binary_problem: Problem) -> None:
    preds, y, loss_fn = _setup(binary_problem)
    with pytest.raises(ValueError, match="at least one candidate"):
        greedy_ensemble_selection([], y, loss_fn)
    with pytest.raises(ValueError, match="rounds"):
        greedy_ensemble_selection(preds, y, loss_fn, rounds=0)
    with pytest.raises(ValueError, match="rows"):
        greedy_ensemble_selection(preds, y[:-1], loss_fn)


def test_selection_on_weights_is_selection_on_repeated_rows(binary_problem) -> None:
    preds = [c.predictions for c in binary_problem.candidates]
    y = binary_problem.data.y
    counts = np.random.default_rng(1).integers(1, 4, size=len(y))
    loss = metric_loss(binary_problem.metric, "binary")
    weighted = greedy_ensemble_selection(
        preds, y, loss, rounds=10, sample_weight=counts.astype(float)
    )
    repeated = greedy_ensemble_selection(
        [np.repeat(p, counts, axis=0) for p in preds],
        np.repeat(y, counts),
        loss,
        rounds=10,
    )
    np.testing.assert_allclose(weighted.weights, repeated.weights)
    unweighted = greedy_ensemble_selection(preds, y, loss, rounds=10)
    assert weighted.loss != pytest.approx(unweighted.loss)


def test_the_one_standard_error_rule_keeps_a_prefix_within_noise(
    multiclass_problem: Problem,
) -> None:
    from automl.ensemble.selection import within_one_standard_error
    from automl.metrics import row_losses

    def shortened(repeat: int):
        preds, y, loss_fn = _setup(multiclass_problem)
        preds = [np.tile(p, (repeat, 1)) for p in preds]
        y = np.tile(y, repeat)
        selection = greedy_ensemble_selection(preds, y, loss_fn, rounds=25)

        def row_loss(p: np.ndarray) -> np.ndarray:
            return row_losses(multiclass_problem.metric, "multiclass", y, p)

        short = within_one_standard_error(selection, preds, row_loss)
        k = len(short.indices)
        assert short.indices == selection.indices[:k]
        assert short.weights.sum() == pytest.approx(1.0)
        gap = row_loss(short.combine(preds)) - row_loss(selection.combine(preds))
        assert gap.mean() <= gap.std(ddof=1) / np.sqrt(len(gap)) + 1e-12
        return k, len(selection.indices)

    k, n = shortened(1)
    assert k < n  # 150 rows: the last additions are within the noise
    # The same differences on 100 times the rows are beyond it: kept.
    assert shortened(100)[0] > k
