"""Second layer on out-of-fold predictions, and the dynamic-stacking check."""

from __future__ import annotations

import numpy as np
import pytest

from automl.ensemble import (
    BaseMember,
    FittedEnsemble,
    StackCheck,
    check_stacking,
    fit_bag,
    fit_stackers,
    metric_loss,
)
from automl.ensemble.stacking import FEATURE_PREFIX, stack_features
from automl.evaluation import TrialSettings
from automl.metrics import score_predictions
from tests.test_ensemble.problems import Problem


def _settings(problem: Problem) -> TrialSettings:
    return TrialSettings(metric=problem.metric, crash_loss=1e6, n_threads=1)


def test_stack_features_shapes(
    binary_problem: Problem, multiclass_problem: Problem
) -> None:
    data = binary_problem.data
    preds = [c.predictions for c in binary_problem.candidates]
    frame = stack_features(preds, "binary", None)
    assert frame.shape == (len(data.y), len(preds))  # one logit per base model
    with_x = stack_features(preds, "binary", data.X)
    assert with_x.shape == (len(data.y), data.X.shape[1] + len(preds))
    assert list(with_x.columns[: data.X.shape[1]]) == list(data.X.columns)
    # The logit keeps the order of the positive-class probability.
    first = frame[f"{FEATURE_PREFIX}0_1"].to_numpy()
    assert np.all(np.diff(first[np.argsort(preds[0][:, 1])]) >= 0)
    multi = [c.predictions for c in multiclass_problem.candidates]
    assert stack_features(multi, "multiclass", None).shape[1] == 3 * len(multi)


@pytest.mark.parametrize("name", ["multiclass_problem", "regression_problem"])
def test_stackers_give_oof_for_every_row(
    name: str, request: pytest.FixtureRequest
) -> None:
    problem: Problem = request.getfixturevalue(name)
    data = problem.data
    base = [c.predictions for c in problem.candidates]
    stackers = fit_stackers(base, data, _settings(problem), seed=0, deadline=None)
    assert [s.spec.name for s in stackers] == ["stack_linear", "stack_lightgbm"]
    worst_base = max(c.loss for c in problem.candidates)
    for stacker in stackers:
        assert stacker.oof.shape == base[0].shape
        loss = score_predictions(problem.metric, data.y, stacker.oof, data.task)
        assert loss < worst_base  # it learned something from the base models
        new = stacker.predict_raw(
            [c.predictions[:7] for c in problem.candidates], data.X.iloc[:7]
        )
        assert new.shape == base[0][:7].shape


def _check(problem: Problem, plain: list[np.ndarray] | None = None) -> StackCheck:
    """The stacking check on the problem's three best candidates."""
    return check_stacking(
        [(c.config, c.seed) for c in problem.candidates[:3]],
        problem.data,
        _settings(problem),
        metric_loss(problem.metric, problem.data.task),
        seed=0,
        deadline=None,
        rounds=10,
        plain=plain,
    )


def test_check_stacking_records_an_honest_decision(binary_problem: Problem) -> None:
    data = binary_problem.data
    check = _check(binary_problem)
    assert check.n_holdout == len(data.splits[0][1])
    assert np.isfinite(check.ensemble_loss) and np.isfinite(check.stack_loss)
    assert check.use_stack == (check.stack_loss < check.ensemble_loss)
    assert len(check.details["stack_weights"]) == 2  # over the stackers
    assert sum(check.details["stack_weights"]) == pytest.approx(1.0)


def test_fitted_stack_predicts_through_the_stacker(
    multiclass_problem: Problem,
) -> None:
    """The stack path of FittedEnsemble feeds base predictions to the stacker."""
    problem = multiclass_problem
    data, settings = problem.data, _settings(problem)
    cands = problem.candidates[:2]
    bags = [fit_bag(c.config, data, settings, seed=0, deadline=None) for c in cands]
    stackers = fit_stackers(
        [c.predictions for c in cands], data, settings, seed=0, deadline=None
    )
    base = [
        BaseMember(c.name, c.trial_id, c.family, b.model, 0.0, c.config)
        for c, b in zip(cands, bags, strict=True)
    ]
    ensemble = FittedEnsemble(
        "stack",
        data.task,
        data.n_classes,
        base,
        stackers=stackers,
        stacker_weights=[1.0, 0.0],
        stack_inputs=[0, 1],
    )
    X = data.X.iloc[:20]
    expected = stackers[0].predict_raw([b.model.predict_raw(X) for b in bags], X)
    np.testing.assert_allclose(ensemble.predict_proba(X), expected)
    # The stacker first; its inputs are listed with weight 0.
    assert [(m["layer"], m["weight"]) for m in ensemble.members] == [
        (2, 1.0),
        (1, 0.0),
        (1, 0.0),
    ]


def test_the_check_can_weigh_the_stack_against_the_fits_plain_ensemble(
    binary_problem: Problem,
) -> None:
    """Given the plain ensemble's members, the check compares the stack with
    them, not with its own bases: a plain member that is right on every row
    leaves the stack nothing to win."""
    perfect = np.eye(2)[binary_problem.data.y]
    check = _check(binary_problem, [binary_problem.candidates[0].predictions, perfect])
    assert check.ensemble_loss < check.details["bases_ensemble_loss"]
    assert not check.use_stack


def test_the_policy_gives_the_check_the_fits_plain_ensemble(
    multiclass_problem: Problem, monkeypatch: pytest.MonkeyPatch
) -> None:
    from automl.ensemble import build_ensemble, steps
    from automl.policy import Policy

    given: list[object] = []

    def recording(*args: object, **kwargs: object) -> object:
        given.append(kwargs["plain"])
        return check_stacking(*args, **kwargs)

    monkeypatch.setattr(steps, "check_stacking", recording)
    problem = multiclass_problem
    for against_plain in (False, True):
        build_ensemble(
            problem.candidates,
            problem.data,
            problem.metric,
            policy=Policy(stack_check_against_plain=against_plain),
        )
    off, on = given
    assert off is None
    assert on is not None and 1 <= len(on) <= len(problem.candidates)
