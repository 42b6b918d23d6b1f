"""The fit's plan, decided from made-up tables and machines: nothing is fitted."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from automl import AutoClassifier, AutoRegressor
from automl.costs import CostModel
from automl.data.types import DatasetProperties
from automl.ensemble import Candidate
from automl.plan import Machine, Table, plan_fit, threads_per_model
from automl.policy import DEFAULT_POLICY, Policy
from automl.search.fidelity import FULL, Fidelity


def table(n_rows: int, n_features: int = 20, task: str = "binary") -> Table:
    """A numeric float64 table of the given shape."""
    properties = DatasetProperties(
        n_rows=n_rows,
        n_features=n_features,
        n_numeric=n_features,
        n_categorical=0,
        n_datetime=0,
        has_missing_numeric=False,
        has_missing_categorical=False,
        max_cardinality=0,
        missing_fraction=0.0,
        task=task,  # type: ignore[arg-type]
        n_classes=None if task == "regression" else 2,
    )
    return Table(properties, n_rows * n_features * 8 / 2**20, 8, n_rows)


def params(**overrides: Any) -> dict[str, Any]:
    return {**AutoClassifier().get_params(), **overrides}


ROOMY = Machine(cores=8, memory_limit_mb=64_000)


def test_a_large_table_under_a_small_limit_gets_fewer_workers_and_a_row_cut() -> None:
    big = table(2_000_000, n_features=50)
    roomy = plan_fit(params(), big, ROOMY)
    tight = plan_fit(params(), big, Machine(cores=8, memory_limit_mb=6_000))
    assert roomy.memory.n_rows == 2_000_000
    assert tight.memory.n_workers < roomy.memory.n_workers
    assert tight.memory.n_rows < 2_000_000
    assert tight.memory.planned_mb <= 6_000
    assert any("subsample" in note for note in tight.memory.notes)


def test_resampling_follows_rows_and_time_limit() -> None:
    assert plan_fit(params(time_limit=300), table(3_000), ROOMY).resampling == "cv"
    assert plan_fit(params(time_limit=20), table(3_000), ROOMY).resampling == "holdout"
    # on tiny tables a holdout is too noisy, whatever the budget
    assert plan_fit(params(time_limit=20), table(500), ROOMY).resampling == "cv"
    assert plan_fit(params(time_limit=60), table(50_000), ROOMY).resampling == "holdout"
    # a budget that affords k-fold on more rows gets it
    assert plan_fit(params(time_limit=300), table(50_000), ROOMY).resampling == "cv"
    forced = plan_fit(params(resampling="holdout"), table(500), ROOMY)
    assert forced.resampling == "holdout"


def test_k_fold_is_repeated_on_small_tables_the_time_limit_affords() -> None:
    two_cores = Machine(cores=2, memory_limit_mb=64_000)
    assert plan_fit(params(time_limit=60), table(1_000), two_cores).cv_repeats == 2
    assert plan_fit(params(time_limit=60), table(4_000), two_cores).cv_repeats == 1
    assert plan_fit(params(), table(50_000), two_cores).cv_repeats == 1  # large
    given = plan_fit(params(cv_repeats=1), table(300), two_cores)
    assert given.cv_repeats == 1


def test_workers_threads_and_trial_limits() -> None:
    plan = plan_fit(params(n_jobs=4, time_limit=100), table(50_000), ROOMY)
    assert plan.n_cores == 4
    assert plan.memory.n_workers * plan.threads_per_trial <= 4
    assert plan.per_trial_time_limit == 25.0
    assert plan.ensemble_threads == 4
    short = plan_fit(params(time_limit=10), table(500), ROOMY)
    assert short.per_trial_time_limit == 5.0  # never below 5 s
    assert short.threads_per_trial == 1  # small data: one thread per model
    given = plan_fit(params(per_trial_time_limit=7, time_limit=None), table(500), ROOMY)
    assert given.per_trial_time_limit == 7.0
    endless = plan_fit(params(time_limit=None, max_trials=3), table(500), ROOMY)
    assert endless.per_trial_time_limit is None


def test_dask_runs_one_thread_per_trial_and_no_local_workers() -> None:
    plan = plan_fit(params(), table(50_000), Machine(8, 64_000, dask=True))
    assert plan.threads_per_trial == 1
    assert plan.memory.n_workers == 0


def test_on_dask_a_trial_is_sized_to_the_workers_memory() -> None:
    data = table(60_000, n_features=30)
    small = Machine(8, 64_000, dask=True, dask_trial_mb=450)
    plan = plan_fit(params(), data, small)
    assert plan.per_trial_memory_mb == 450
    assert plan.memory.working_mb < 450 - plan.policy.worker_base_mb
    assert "knn" in plan.memory.skipped  # its distances do not fit in a worker
    roomy = plan_fit(
        params(), data, Machine(8, 64_000, dask=True, dask_trial_mb=64_000)
    )
    assert "knn" not in roomy.memory.skipped


def test_families_too_large_for_the_limit_are_left_out() -> None:
    data = table(60_000, n_features=30)
    plan = plan_fit(params(), data, Machine(cores=2, memory_limit_mb=1_000))
    assert "knn" in plan.memory.skipped  # its distance matrices do not fit
    assert "knn" not in plan.models
    assert set(plan_fit(params(), data, ROOMY).models) > set(plan.models)


def test_families_too_large_for_all_rows_are_searched_on_the_rows_that_fit() -> None:
    data = table(60_000, n_features=30)
    plan = plan_fit(params(), data, Machine(cores=2, memory_limit_mb=1_000)).memory
    assert plan.row_caps and not plan.subsampled
    for family, cap in plan.row_caps.items():
        assert family not in plan.skipped
        assert Policy().min_subsample_rows / 60_000 <= cap < 1
        assert any(
            n.startswith(f"{family} searched and refitted on") for n in plan.notes
        )
    roomy = plan_fit(params(), data, Machine(cores=2, memory_limit_mb=4_000)).memory
    assert all(roomy.row_caps.get(f, 1.0) > cap for f, cap in plan.row_caps.items())


def test_a_large_tables_final_model_must_predict_its_rows_within_the_time_limit() -> (
    None
):
    large = Policy().large_table_rows
    plan = plan_fit(params(time_limit=300), table(3 * large), ROOMY)
    assert plan.infer_limit == 300 / (3 * large)
    assert plan_fit(params(time_limit=300), table(large - 1), ROOMY).infer_limit is None
    assert (
        plan_fit(params(time_limit=None), table(3 * large), ROOMY).infer_limit is None
    )
    mine = plan_fit(params(time_limit=300, infer_limit=1e-3), table(3 * large), ROOMY)
    assert mine.infer_limit == 1e-3


def test_the_reserve_is_capped_and_zero_without_a_time_limit() -> None:
    plan = plan_fit(params(time_limit=60), table(1_000), ROOMY)
    assert 1.0 < plan.reserve.seconds([], costs()) <= 1.0 + 0.3 * 60
    endless = plan_fit(params(time_limit=None, max_trials=2), table(1_000), ROOMY)
    assert endless.reserve.seconds([], costs()) == 0.0


def test_budgets_follow_multi_fidelity_and_the_table_size() -> None:
    plan = plan_fit(params(), table(50_000), ROOMY)
    assert plan.fidelity(4_000) == FULL  # auto: a full trial is cheap here
    assert plan.fidelity(40_000) == Fidelity("auto", 2_000 / 40_000)
    for value, schedule in [(True, "successive_halving"), ("hyperband", "hyperband")]:
        chosen = plan_fit(params(multi_fidelity=value), table(50_000), ROOMY)
        assert chosen.fidelity(40_000) == Fidelity(schedule, 2_000 / 40_000)
    full = plan_fit(params(multi_fidelity=False), table(50_000), ROOMY)
    assert full.fidelity(40_000) == FULL
    iterations = plan_fit(params(multi_fidelity="iterations"), table(2_000), ROOMY)
    assert iterations.fidelity(1_600) == Fidelity(
        "successive_halving", 1 / 16, unit="iterations", eta=4
    )
    # No rung cuts rows: the memory plan counts every row.
    assert iterations.memory.n_rows == 2_000


def test_metric_and_task_come_from_the_parameters() -> None:
    regression = {**AutoRegressor().get_params(), "metric": "mae"}
    plan = plan_fit(regression, table(1_000, task="regression"), ROOMY)
    assert plan.task == "regression"
    assert plan.metric.name == "mae"
    assert plan_fit(params(), table(1_000), ROOMY).metric.name == "roc_auc"


def test_threads_per_model() -> None:
    policy = Policy()
    assert threads_per_model(1_000, 8, 2, policy) == 1
    assert threads_per_model(10_000, 8, 2, policy) == 4
    assert threads_per_model(10_000, 2, 4, policy) == 1
    assert threads_per_model(1_000, 8, 2, Policy(single_thread_rows=500)) == 4


def _candidates(durations: list[float]) -> list[Candidate]:
    return [
        Candidate({"model": family}, 0, 0.1 * i, np.zeros(1), i, duration)
        for i, (family, duration) in enumerate(
            zip(["lightgbm", "linear", "knn", "random_forest"], durations, strict=True)
        )
    ]


def costs(n_splits: int = 5, **kwargs: Any) -> CostModel:
    """The cost model of 5-fold (or an 80/20 holdout): refits see 5/4 the rows."""
    return CostModel(n_splits=n_splits, refit_rows=1.25, **kwargs)


def reserve(
    trials: list[Candidate],
    model: CostModel,
    stack: bool | str = "auto",
    n_refits: int | None = None,
) -> float:
    return model.reserve(trials, stack=stack, refit_full=False, n_refits=n_refits)


def test_no_time_is_kept_for_a_stack_the_cap_cannot_afford() -> None:
    policy = plan_fit(params(time_limit=60, cv_repeats=1), table(1_000), ROOMY).reserve
    five = costs()
    base = policy.seconds([], five) - reserve([], five)
    cheap, dear = _candidates([0.5] * 4), _candidates([20.0] * 4)
    with_stack = reserve(cheap, five)
    assert policy.seconds(cheap, five) == pytest.approx(base + with_stack)
    # Stacking these would need more than the cap: only the members' time is kept.
    members_only = reserve(dear, five, stack=False)
    assert reserve(dear, five) > 0.25 * 60
    assert policy.seconds(dear, five) == pytest.approx(
        base + min(members_only, 0.25 * 60)
    )


def test_no_time_is_kept_for_a_stack_over_its_share_of_the_time_limit() -> None:
    policy = plan_fit(params(time_limit=60, cv_repeats=1), table(1_000), ROOMY).reserve
    five = costs()
    base = policy.seconds([], five) - reserve([], five)
    candidates = _candidates([1.5] * 4)
    members_only = reserve(candidates, five, stack=False)
    with_stack = reserve(candidates, five)
    # Under the ensemble's cap, but the stacking part is over 10 % of 60 s.
    assert with_stack <= 0.25 * 60 and with_stack - members_only > 0.1 * 60
    assert policy.seconds(candidates, five) == pytest.approx(base + members_only)
    longer = replace(policy, time_limit=120)
    base_120 = longer.seconds([], five) - reserve([], five)
    assert longer.seconds(candidates, five) == pytest.approx(base_120 + with_stack)
    # the policy's share decides
    roomier = replace(policy, policy=Policy(stack_share=0.2))
    assert roomier.seconds(candidates, five) == pytest.approx(base + with_stack)


def test_the_plan_makes_the_cost_model_of_its_splits() -> None:
    plan = plan_fit(params(time_limit=60, cv_repeats=2), table(1_000), ROOMY)
    assert plan.reserve.cv_repeats == 2
    rows = np.arange(1_000)
    splits = [(rows[rows % 5 != k], rows[rows % 5 == k]) for k in range(5)] * 2
    model = plan.cost_model(splits, 1_000)
    assert (model.n_splits, model.cv_repeats) == (10, 2)
    assert model.refit_rows == pytest.approx(1.25)
    assert model.policy is plan.policy


def test_the_stacking_check_is_estimated_on_one_of_the_repeated_k_folds() -> None:
    candidates = _candidates([2.0] * 4)
    once = reserve(candidates, costs(10))
    repeated = reserve(candidates, costs(10, cv_repeats=2))
    assert repeated < once


def test_the_checks_stackers_run_on_one_k_fold_the_stacks_on_all_repeats() -> None:
    candidates = _candidates([2.0] * 4)
    members = reserve(candidates, costs(), stack=False)

    def stacking(cv_repeats: int) -> float:
        return reserve(candidates, costs(cv_repeats=cv_repeats)) - members

    final_stackers = stacking(10**12)  # what does not shrink with the repeats
    stackers = costs().stackers(candidates)
    assert final_stackers == pytest.approx(Policy().reserve_safety * stackers)
    check = stacking(1) - final_stackers
    assert stacking(3) - final_stackers == pytest.approx(check / 3)
    assert costs(cv_repeats=3).stackers_after_check(0.8) == pytest.approx(3.0)


def test_the_stackers_are_estimated_dearer_with_more_classes() -> None:
    """The stackers' boosting grows one tree per class and round."""
    plan = plan_fit(params(time_limit=60), table(1_000), ROOMY)
    assert plan.reserve.n_classes == 2
    candidates = _candidates([2.0] * 4)

    def with_classes(n_classes: int | None) -> float:
        return reserve(candidates, costs(n_classes=n_classes))

    assert with_classes(2) < with_classes(4) < with_classes(19)
    # Regression stacks like binary, and keeps time for the residual scale.
    scale = DEFAULT_POLICY.reserve_safety * costs(n_classes=None).conformity()
    assert scale > 0
    assert with_classes(None) == pytest.approx(with_classes(2) + scale)


def test_the_residual_scale_is_estimated_from_the_rows_its_models_fit_on() -> None:
    """Its two models fit on at most ``CONFORMITY_FIT_ROWS`` rows each; past
    that only their predictions grow with the validated rows (birthdays'
    248,625 rows under ``TimeSeriesSplit`` were estimated at 7.7 s for about
    1 s of work, and the search and the builder kept that time free)."""

    def scale(n_valid: int, n_columns: int) -> float:
        model = costs(n_classes=None, n_valid=n_valid, n_columns=n_columns)
        return model.conformity()

    assert scale(40_000, 50) > scale(40_000, 10) > scale(1_000, 10)
    assert scale(40_000, 10) < scale(1_000_000, 10) < 5 * scale(40_000, 10)


def test_refits_on_all_cores_are_estimated_faster_than_their_trials() -> None:
    two_cores = Machine(cores=2, memory_limit_mb=64_000)
    plan = plan_fit(params(time_limit=100), table(50_000), two_cores)
    assert (plan.memory.n_workers, plan.threads_per_trial) == (2, 1)
    assert plan.ensemble_threads == 2
    assert plan.reserve.refit_speedup == 2.0
    candidates = _candidates([4.0] * 4)
    alone = reserve(candidates, costs(1, refit_speedup=2.0), stack=False)
    beside = reserve(candidates, costs(1), stack=False)
    assert alone < beside
    # the builder's estimate of one refit is the reserve's
    assert costs(1, refit_speedup=2.0).refit(candidates[0]) == pytest.approx(2.5)


def test_a_trial_on_a_share_of_the_rows_costs_more_on_all_of_them() -> None:
    trial = _candidates([4.0] * 4)[0]
    quarter = replace(trial, budget=0.25)
    assert costs(5).refit(quarter) == pytest.approx(4 * costs(5).refit(trial))
    assert costs(5).bag(quarter) == pytest.approx(4 * costs(5).bag(trial))


def test_a_holdout_keeps_time_only_for_refits_the_cap_affords(tmp_path) -> None:
    policy = plan_fit(params(time_limit=60), table(1_000), ROOMY).reserve
    holdout = costs(1)
    base = policy.seconds([], holdout) - reserve([], holdout)
    model = tmp_path / "model.joblib"
    model.write_bytes(b"0" * 1000)
    cheap, middling, dear = (
        [
            replace(c, model_files=(str(model),), model_save_seconds=0.01)
            for c in _candidates([s] * 4)
        ]
        for s in (0.5, 5.0, 40.0)
    )
    refits = reserve(cheap, holdout, stack=False)
    assert policy.seconds(cheap, holdout) == pytest.approx(base + refits)
    # Refitting all of these would take more than the cap, the best alone not:
    # its refit is kept time for, the others will be the models their trials kept.
    best_refit = reserve(middling, holdout, stack=False, n_refits=1)
    assert reserve(middling, holdout, stack=False) > 0.25 * 60 > best_refit
    assert policy.seconds(middling, holdout) == pytest.approx(base + best_refit)
    # Not even the best one's refit fits: only the reading of the kept models.
    kept = reserve(dear, holdout, stack=False, n_refits=0)
    assert reserve(dear, holdout, stack=False, n_refits=1) > 0.25 * 60
    assert policy.seconds(dear, holdout) == pytest.approx(base + kept)


def test_a_holdout_keeps_time_to_grow_a_best_trial_that_fitted_on_a_share(
    tmp_path,
) -> None:
    policy = plan_fit(params(time_limit=60), table(1_000), ROOMY).reserve
    holdout, cap = costs(1), 0.25 * 60
    base = policy.seconds([], holdout) - reserve([], holdout)
    model = tmp_path / "model.joblib"
    model.write_bytes(b"0" * 1000)
    ninth = [
        replace(c, budget=1 / 9, model_files=(str(model),), model_save_seconds=0.01)
        for c in _candidates([4.0] * 4)
    ]
    kept = reserve(ninth, holdout, stack=False, n_refits=0)
    assert kept < 1
    # The best refitted on all rows would need more than the cap: the time
    # left under it grows the best on about a third of the rows instead.
    assert reserve(ninth, holdout, stack=False, n_refits=1) > cap
    assert policy.seconds(ninth, holdout) == pytest.approx(base + cap)
    share = holdout.grown_share(ninth[0], (cap - kept) / Policy().reserve_safety)
    assert share is not None and 2 / 9 < share < 1
    off = replace(policy, policy=Policy(grow_best=False))
    assert off.seconds(ninth, holdout) == pytest.approx(base + kept)
    # Kept as soon as a partial trial is in the pool, though a dear trial on
    # all rows leads: the best partial trial often comes late.
    leading = [replace(ninth[0], budget=1.0, duration=40.0, loss=-1.0), *ninth[1:]]
    assert policy.seconds(leading, holdout) == pytest.approx(base + cap)
    # Less than twice the trial's rows would fit: not worth the search's time.
    slow = [replace(c, duration=20.0) for c in ninth]
    assert holdout.grown_share(slow[0], cap) is None
    slow_kept = reserve(slow, holdout, stack=False, n_refits=0)
    assert policy.seconds(slow, holdout) == pytest.approx(base + slow_kept)
    # A trial on all rows is never grown.
    assert holdout.grown_share(_candidates([4.0] * 4)[0], 10**6) is None
