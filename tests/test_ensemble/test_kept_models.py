"""Trials keep their fold models; the ensemble makes its bags of them."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from automl.costs import CostModel
from automl.ensemble import Candidate, CandidatePool, build_ensemble
from automl.ensemble.bagging import load_bag
from automl.ensemble.selection import EnsembleSelection, metric_loss
from automl.ensemble.state import BuildState
from automl.ensemble.steps import GrowBest, Members
from automl.evaluation import TrialSettings, evaluate, predict_pipeline
from automl.metrics import Metric, get_metric
from automl.policy import Policy
from automl.resampling import validation_indices
from automl.space import build_space, family_defaults
from tests.test_ensemble.problems import Problem

LIGHTGBM_SMALL = {"model:lightgbm:n_estimators": 30}


def _lightgbm(problem: Problem) -> dict:
    space = build_space(problem.data.properties, models=["lightgbm"], seed=0)
    return {**family_defaults(space)["lightgbm"], **LIGHTGBM_SMALL}


def _settings(problem: Problem, tmp_path: Path, metric: Metric | None = None):
    return TrialSettings(
        metric=metric or problem.metric,
        crash_loss=1e6,
        n_threads=1,
        models_dir=str(tmp_path),
    )


def _kept_candidate(
    problem: Problem, tmp_path: Path, trial_id: int, budget: float | None = None
) -> Candidate:
    """A trial that keeps its model; on ``budget`` of the rows, a large
    table's (whose partial trials keep theirs too)."""
    config = _lightgbm(problem)
    settings = replace(_settings(problem, tmp_path), partial_models=True)
    result = evaluate(
        config,
        data=problem.data,
        settings=settings,
        seed=trial_id,
        deadline=None,
        budget=budget,
    )
    assert result.status == "ok", result.error
    return Candidate(
        config,
        trial_id,
        result.loss,
        result.predictions,
        trial_id=trial_id,
        duration=result.fit_time,
        model_files=result.model_files,
        model_save_seconds=result.model_save_seconds,
        budget=1.0 if budget is None else budget,
    )


def test_a_full_budget_trial_keeps_the_fold_models_it_was_scored_with(
    binary_problem: Problem, tmp_path: Path
) -> None:
    data = binary_problem.data
    config = _lightgbm(binary_problem)
    settings = _settings(binary_problem, tmp_path)
    result = evaluate(config, data=data, settings=settings, seed=0, deadline=None)
    assert result.status == "ok", result.error
    assert len(result.model_files) == len(data.splits)
    # reading them back is estimated from the time their writes took
    assert 0 < result.model_save_seconds < result.fit_time
    estimate = CostModel().read(result.model_files, result.model_save_seconds)
    assert estimate > result.model_save_seconds
    assert sorted(str(p) for p in tmp_path.iterdir()) == sorted(result.model_files)
    bag = load_bag(result.model_files, data.task, data.n_classes)
    # Each kept fold model gives exactly the trial's predictions of its fold.
    order = validation_indices(data.splits)
    position = np.empty(len(data.y), dtype=np.int64)
    position[order] = np.arange(len(order))
    for model, (_, valid) in zip(bag.models, data.splits, strict=True):
        pred = predict_pipeline(model, data.X.iloc[valid], data.task, data.n_classes)
        np.testing.assert_array_equal(pred, result.predictions[position[valid]])


def test_partial_budget_trials_keep_nothing_and_holdout_trials_their_model(
    binary_problem: Problem, holdout_problem: Problem, tmp_path: Path
) -> None:
    config = _lightgbm(binary_problem)
    settings = _settings(binary_problem, tmp_path)

    def trial(problem: Problem, settings: TrialSettings, budget: float | None):
        result = evaluate(
            config,
            data=problem.data,
            settings=settings,
            seed=0,
            deadline=None,
            budget=budget,
        )
        assert result.status == "ok", result.error
        return result

    assert trial(binary_problem, settings, 0.5).model_files == ()
    assert list(tmp_path.iterdir()) == []
    assert len(trial(holdout_problem, settings, None).model_files) == 1
    # On large tables partial trials join the pool, and keep their models.
    keeping = replace(settings, partial_models=True)
    assert len(trial(holdout_problem, keeping, 0.5).model_files) == 1


@pytest.mark.timing
def test_holdout_members_are_their_trials_models_when_refits_do_not_fit(
    holdout_problem: Problem, tmp_path: Path
) -> None:
    data = holdout_problem.data
    kept = [_kept_candidate(holdout_problem, tmp_path, i) for i in range(2)]
    # Refits on all rows "took" an hour each in their trials; a minute is left.
    slow = [replace(c, duration=3600.0) for c in kept]
    ensemble = build_ensemble(
        slow, data, holdout_problem.metric, deadline=time.time() + 60
    )
    assert "refitting 0, the others are the models their trials fitted" in (
        ensemble.decision
    )
    n = len(ensemble.base)
    assert f"({n} kept from their trials, 0 refitted)" in ensemble.decision or (
        f"models (0 refitted on all rows, {n} kept)" in ensemble.decision
    )
    assert ensemble.fit_seconds < 30
    member = ensemble.base[0]
    candidate = next(c for c in kept if c.trial_id == member.trial_id)
    valid = data.splits[0][1]
    np.testing.assert_allclose(
        member.model.predict_raw(data.X.iloc[valid]), candidate.predictions
    )


def test_a_trial_that_fails_after_its_folds_leaves_no_files(
    binary_problem: Problem, tmp_path: Path
) -> None:
    nan_metric = Metric("always_nan", lambda y, p: float("nan"), False, "proba")
    settings = _settings(binary_problem, tmp_path, metric=nan_metric)
    result = evaluate(
        _lightgbm(binary_problem),
        data=binary_problem.data,
        settings=settings,
        seed=0,
        deadline=None,
    )
    assert result.status == "crashed"
    assert "non-finite" in (result.error or "")
    assert list(tmp_path.iterdir()) == []


def test_the_ensemble_reads_kept_bags_instead_of_refitting(
    binary_problem: Problem, tmp_path: Path
) -> None:
    data = binary_problem.data
    kept = [_kept_candidate(binary_problem, tmp_path, i) for i in range(2)]
    # A configuration that cannot be built: only the kept models can serve.
    unbuildable = [replace(c, config={"model": "no-such-family"}) for c in kept]
    ensemble = build_ensemble(unbuildable, data, binary_problem.metric, stack=False)
    n_members = len(ensemble.base)
    assert f"({n_members} kept from their trials, 0 refitted)" in ensemble.decision
    member = ensemble.base[0]
    candidate = next(c for c in kept if c.trial_id == member.trial_id)
    expected = load_bag(candidate.model_files, data.task, data.n_classes)
    np.testing.assert_array_equal(
        member.model.predict_raw(data.X), expected.predict_raw(data.X)
    )


def test_a_candidate_whose_files_are_gone_is_refitted(
    binary_problem: Problem, tmp_path: Path
) -> None:
    candidate = _kept_candidate(binary_problem, tmp_path, 0)
    for path in candidate.model_files:
        Path(path).unlink()
    ensemble = build_ensemble(
        [candidate], binary_problem.data, binary_problem.metric, stack=False
    )
    assert "(0 kept from their trials, 1 refitted)" in ensemble.decision


def test_the_pool_deletes_the_models_of_the_trials_it_drops(
    binary_problem: Problem, tmp_path: Path
) -> None:
    first, second, third = (
        _kept_candidate(binary_problem, tmp_path, i) for i in range(3)
    )
    pool = CandidatePool(max_candidates=1)
    assert pool.add(replace(first, loss=0.5))
    assert not pool.add(replace(second, loss=0.6))  # worse: never kept
    assert pool.add(replace(third, loss=0.4))  # better: the first drops out
    for dropped in (first, second):
        assert not any(Path(p).exists() for p in dropped.model_files)
    assert all(Path(p).exists() for p in third.model_files)


def test_the_pool_keeps_the_best_models_within_its_disk_limit(
    binary_problem: Problem, tmp_path: Path
) -> None:
    candidates = [_kept_candidate(binary_problem, tmp_path, i) for i in range(3)]
    one_bag = sum(Path(p).stat().st_size for p in candidates[0].model_files)
    pool = CandidatePool(max_model_bytes=int(1.5 * one_bag))
    for loss, candidate in zip([0.3, 0.2, 0.1], candidates, strict=True):
        pool.add(replace(candidate, loss=loss))
    assert len(pool) == 3  # every candidate stays; only the worst lose their files
    best, *rest = pool.candidates
    assert best.loss == pytest.approx(0.1) and best.model_files
    assert all(c.model_files == () for c in rest)
    assert sorted(str(p) for p in tmp_path.iterdir()) == sorted(best.model_files)


def test_a_holdout_refits_the_members_it_affords_and_keeps_the_others(
    holdout_problem: Problem, tmp_path: Path
) -> None:
    data = holdout_problem.data
    first, second = (_kept_candidate(holdout_problem, tmp_path, i) for i in range(2))
    # The first "took" an hour: no time to refit it; the second is cheap.
    ranked = [replace(first, duration=3600.0), second]
    settings = TrialSettings(metric=holdout_problem.metric, crash_loss=1e6, n_threads=1)
    state = BuildState(
        ranked,
        data,
        holdout_problem.metric,
        settings,
        Policy(),
        CostModel.for_splits(data.splits, len(data.y)),
        deadline=time.time() + 60,
        seed=0,
        full=False,
    )
    state.selection = EnsembleSelection(np.array([0.6, 0.4]), [0, 1], [0.0], 0.0)
    assert Members().affordable(state) == [0, 1]
    assert state.as_kept == {0}
    assert "refitting 1, the others" in state.notes[-1]
    assert state.fit_member(0) and state.fit_member(1)
    kept = load_bag(first.model_files, data.task, data.n_classes)
    np.testing.assert_array_equal(  # the slow member is its trial's own model
        state.fitted[0].predict_raw(data.X), kept.predict_raw(data.X)
    )
    own = load_bag(second.model_files, data.task, data.n_classes)
    refit = state.fitted[1].predict_raw(data.X)
    assert not np.array_equal(refit, own.predict_raw(data.X))  # refitted on all rows


def test_a_refit_out_of_time_leaves_the_trials_own_model_as_the_member(
    holdout_problem: Problem, tmp_path: Path
) -> None:
    candidate = _kept_candidate(holdout_problem, tmp_path, 0)
    now = time.time()
    state = BuildState(
        [candidate],
        holdout_problem.data,
        holdout_problem.metric,
        _settings(holdout_problem, tmp_path),
        Policy(),
        CostModel(),
        deadline=now,  # the refit's deadline has passed when it starts
        seed=0,
        full=True,
        clock=lambda: now,
    )
    assert state.fit_member(0)
    assert "no time to finish its refit on all rows" in state.notes[-1]
    valid = holdout_problem.data.splits[0][1]
    np.testing.assert_allclose(
        state.fitted[0].predict_raw(holdout_problem.data.X.iloc[valid]),
        candidate.predictions,
    )


def test_the_members_refits_leave_the_time_kept_for_the_last_step(
    regression_problem: Problem, tmp_path: Path
) -> None:
    state = BuildState(
        [],
        regression_problem.data,
        regression_problem.metric,
        _settings(regression_problem, tmp_path),
        Policy(),
        CostModel(n_valid=len(regression_problem.data.y)),
        deadline=100.0,
        seed=0,
        full=False,
        clock=lambda: 0.0,
    )
    assert state.kept_for_last > 0  # the residual scale of adaptive intervals
    deadline = state.member_deadline()
    assert deadline == 100.0 - Policy().margin_seconds - state.kept_for_last


def test_a_holdouts_best_trial_on_a_share_of_the_rows_is_grown_on_more(
    holdout_problem: Problem, tmp_path: Path
) -> None:
    problem = Problem(holdout_problem.data, get_metric("log_loss", "binary"))
    data = problem.data
    quarter = _kept_candidate(problem, tmp_path, 0, 0.25)
    ensemble = build_ensemble(
        [quarter], data, problem.metric, deadline=time.time() + 60
    )
    assert "lightgbm#0 grown from 0.25 to 1 of the rows" in ensemble.decision
    assert "single of 1 models (0 refitted on all rows, 0 kept, 1 grown)" in (
        ensemble.decision
    )
    grown_loss = ensemble.validation_losses["best_single"]
    assert grown_loss < quarter.loss
    # The member is the grown model, scored on holdout rows it did not train
    # on (not refitted on all rows afterwards).
    valid = data.splits[0][1]
    member = ensemble.base[0].model.predict_raw(data.X.iloc[valid])
    loss = metric_loss(problem.metric, data.task)
    assert loss(data.y[valid], member) == pytest.approx(grown_loss)
    off = build_ensemble(
        [quarter],
        data,
        problem.metric,
        deadline=time.time() + 60,
        policy=Policy(grow_best=False),
    )
    assert "grown" not in off.decision


def test_a_grown_model_no_better_on_the_holdout_leaves_the_trial_the_candidate(
    holdout_problem: Problem, tmp_path: Path
) -> None:
    problem = Problem(holdout_problem.data, get_metric("log_loss", "binary"))
    quarter = _kept_candidate(problem, tmp_path, 0, 0.25)
    perfect = replace(quarter, loss=0.0)  # no model can beat it
    state = BuildState(
        [perfect],
        problem.data,
        problem.metric,
        _settings(problem, tmp_path),
        Policy(),
        CostModel.for_splits(problem.data.splits, len(problem.data.y)),
        deadline=time.time() + 60,
        seed=0,
        full=False,
    )
    assert GrowBest().run(state)
    assert "holdout loss 0 -> " in state.notes[-1]
    assert state.notes[-1].endswith("the trial's model kept")
    assert state.ranked == [perfect] and state.fitted == {}


def test_no_time_to_grow_leaves_the_best_trial_as_it_is(
    holdout_problem: Problem, tmp_path: Path
) -> None:
    quarter = _kept_candidate(holdout_problem, tmp_path, 0, 0.25)
    # Growing it "would take" an hour; a minute is left.
    slow = replace(quarter, duration=3600.0)
    state = BuildState(
        [slow],
        holdout_problem.data,
        holdout_problem.metric,
        _settings(holdout_problem, tmp_path),
        Policy(),
        CostModel.for_splits(holdout_problem.data.splits, len(holdout_problem.data.y)),
        deadline=time.time() + 60,
        seed=0,
        full=False,
    )
    assert not GrowBest().run(state)
    assert "no time to grow it on more" in state.notes[-1]
    assert state.ranked == [slow] and state.fitted == {}
