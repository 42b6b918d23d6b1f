"""Greedy portfolio selection and its leave-one-task-out size choice."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from automl.metalearning.metadata import portfolio_members, trial_seconds_at_size
from automl.metalearning.portfolio import (
    choose_size,
    defaults_then_complements,
    greedy_portfolio,
    held_out_regret,
    mean_cost,
    normalised_regret,
    relative_cost,
)


def test_regret_is_zero_for_each_tasks_best_and_one_for_missing() -> None:
    losses = pd.DataFrame(
        {"a": [0.1, 5.0], "b": [0.3, 1.0], "c": [np.nan, 3.0]}, index=["t1", "t2"]
    )
    regret = normalised_regret(losses)
    assert regret.loc["t1", "a"] == 0.0 and regret.loc["t1", "b"] == 1.0
    assert regret.loc["t1", "c"] == 1.0  # failed or not run
    assert regret.loc["t2", "b"] == 0.0 and regret.loc["t2", "c"] == 0.5


def test_greedy_picks_the_complementary_pair_not_two_similar_candidates() -> None:
    # Candidate 0 is decent everywhere; 1 is best on the first half of the
    # tasks, 2 on the second half; 3 is a near copy of 1.
    regret = np.array([[0.3, 0.0, 1.0, 0.05]] * 5 + [[0.3, 1.0, 0.0, 1.0]] * 5)
    assert greedy_portfolio(regret, 1) == [0]
    assert sorted(greedy_portfolio(regret, 3)[:3]) == [0, 1, 2]
    assert greedy_portfolio(regret, 10) == greedy_portfolio(regret, 3)  # stops early


def test_from_a_start_only_members_that_add_to_it_are_chosen() -> None:
    # The start already has the first half of the tasks solved: candidate 2
    # (best on the second half) comes first, and 1 (first half) never joins.
    regret = np.array([[0.3, 0.0, 1.0]] * 5 + [[0.3, 1.0, 0.0]] * 5)
    start = np.array([0.0] * 5 + [1.0] * 5)
    assert greedy_portfolio(regret, 3, start=start) == [2]


def test_defaults_come_first_then_what_complements_them() -> None:
    # Defaults 0 and 1 (1 no better than 0 anywhere); candidate 3 beats
    # everything on every task, 2 only where 3 does too.
    regret = np.array([[0.2, 0.4, 0.1, 0.0], [0.3, 0.5, 1.0, 0.0]])
    assert greedy_portfolio(regret, 4)[0] == 3
    assert defaults_then_complements(regret, 4, [0, 1]) == [0, 3]
    assert defaults_then_complements(regret, 1, [0, 1]) == [0]


def test_held_out_curve_never_rises_and_size_is_where_it_flattens() -> None:
    rng = np.random.RandomState(0)
    regret = rng.rand(20, 12)
    curve = held_out_regret(regret, 8)
    assert len(curve) == 8
    assert np.all(np.diff(curve) <= 1e-12)
    size = choose_size(curve, tolerance=0.0)
    assert curve[size - 1] == curve.min()
    assert choose_size(np.array([0.5, 0.2, 0.199, 0.199]), tolerance=0.005) == 2


def test_held_out_task_does_not_shape_its_own_portfolio() -> None:
    # Candidate 1 is good only on task 0. In-sample it joins the portfolio;
    # held out, task 0 must do without it.
    regret = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    assert greedy_portfolio(regret, 2) == [0, 1]
    assert held_out_regret(regret, 2)[1] > 0  # task 0 keeps regret 1


def test_with_costs_a_cheap_near_best_candidate_comes_before_a_costly_best() -> None:
    # Candidate 0 is best but ten times the cost of 1, which is nearly as good.
    regret = np.array([[0.0, 0.1, 1.0], [0.0, 0.1, 1.0]])
    assert greedy_portfolio(regret, 3) == [0]  # nothing adds to a perfect member
    assert greedy_portfolio(regret, 3, np.array([10.0, 1.0, 1.0])) == [1, 0]


def test_costs_are_relative_per_task_floored_and_filled_for_never_run() -> None:
    times = pd.DataFrame(
        {"a": [1.0, 100.0], "b": [2.0, 200.0], "c": [0.01, 1.0], "d": np.nan},
        index=["small", "large"],
    )
    relative = relative_cost(times)
    assert relative.loc["small", "b"] == relative.loc["large", "b"]  # scale-free
    cost = mean_cost(relative.to_numpy())
    assert cost[1] == max(cost[:3])  # the costliest one that ran
    assert cost[2] == 0.1  # floored: 1 % of the median is overhead-bound
    assert cost[3] == cost[1]  # never ran: as costly as the costliest


def test_held_out_portfolios_follow_the_costs_of_the_other_tasks() -> None:
    # Candidate 0 is perfect everywhere but ten times the cost of 1 (regret 0.5).
    regret = np.array([[0.0, 0.5]] * 3)
    relative = relative_cost(pd.DataFrame([[10.0, 1.0]] * 3)).to_numpy()
    np.testing.assert_allclose(held_out_regret(regret, 2), [0.0, 0.0])
    np.testing.assert_allclose(held_out_regret(regret, 2, relative), [0.5, 0.0])


def test_within_a_budget_members_after_it_runs_out_do_not_count() -> None:
    # Candidate 0 is perfect but takes the whole budget on task 0; 1 is cheap.
    regret = np.array([[0.0, 0.5], [0.0, 0.5], [0.0, 0.5]])
    seconds = np.array([[100.0, 1.0]] * 3)
    unlimited = held_out_regret(regret, 2)
    assert unlimited[0] == 0.0
    limited = held_out_regret(regret, 2, seconds=seconds, budget=50.0)
    assert limited[0] == 1.0  # the first member never finishes
    assert limited[1] == 1.0  # nor can the second start after it


def test_portfolio_for_a_fit_follows_its_time_limit_and_cores() -> None:
    by_limit = {
        limit: {"members": [f"m{limit}"]} for limit in ("30", "60", "300", "3600")
    }
    metadata = {
        "portfolio": {"regression": {"members": ["all"], "by_time_limit": by_limit}}
    }
    assert portfolio_members(metadata, "regression", None, 2) == ["all"]
    assert portfolio_members(metadata, "regression", 10, 2) == ["m30"]  # below all
    assert portfolio_members(metadata, "regression", 100, 2) == ["m60"]
    assert portfolio_members(metadata, "regression", 100, 8) == ["m300"]  # 4x cores
    assert portfolio_members(metadata, "regression", 1e5, 2) == ["m3600"]
    older = {"portfolio": {"regression": {"members": ["all"]}}}
    assert portfolio_members(older, "regression", 60, 2) == ["all"]


def test_portfolio_for_a_fit_follows_the_cost_of_its_rows() -> None:
    by_limit = {
        limit: {"members": [f"m{limit}"]} for limit in ("30", "60", "300", "3600")
    }
    group = {"members": ["all"], "by_time_limit": by_limit, "median_trial_scale": 1.0}
    metadata = {"portfolio": {"binary": group}}
    assert portfolio_members(metadata, "binary", 60, 2, n_rows=2_000) == ["m60"]
    # 4,500 rows: five folds on 1.5 times the rows, 60 s reach as far as 40 s.
    assert portfolio_members(metadata, "binary", 60, 2, n_rows=4_500) == ["m30"]
    assert portfolio_members(metadata, "binary", 600, 2, n_rows=4_500) == ["m300"]


def test_trial_time_at_full_size_scales_the_matrix_time() -> None:
    assert trial_seconds_at_size(2.0, 1_000) == 2.0  # measured at this size
    assert trial_seconds_at_size(2.0, 4_500) == 3.0  # 5 folds on 1.5x rows
    assert trial_seconds_at_size(2.0, 30_000) == 4.0  # holdout: 1 fit on 10x rows
    # 300 s on 2 cores cross-validates 20,000 rows: 5 fits on 6.7x rows.
    assert trial_seconds_at_size(2.0, 20_000, 300) == pytest.approx(2.0 * 20 / 3)
    assert trial_seconds_at_size(2.0, 20_000, 60) == pytest.approx(2.0 * 4 / 3)
