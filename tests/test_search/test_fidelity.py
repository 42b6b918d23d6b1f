"""The auto budget policy: full budgets, halving once full trials prove dear."""

from __future__ import annotations

from ConfigSpace import ConfigurationSpace, Float

from automl.policy import Policy
from automl.search import SMACOptimizer
from automl.search.fidelity import FULL, Fidelity, HalvingWhenDear
from automl.search.optimizer import stage_budgets

MIN_BUDGET = 1 / 9
MIN_OBSERVATIONS = Policy().halving_min_observations
FULL_TRIALS_WANTED = Policy().halving_full_trials_wanted


def _space() -> ConfigurationSpace:
    space = ConfigurationSpace(seed=0)
    space.add(Float("x", (0.0, 1.0), default=0.5))
    return space


class Clock:
    """Seconds the search has left, moved by hand."""

    def __init__(self, left: float) -> None:
        self.left = left

    def __call__(self) -> float:
        return self.left


def _policy(
    clock: Clock, n_workers: int = 1, large_table: bool = False
) -> HalvingWhenDear:
    def make(fidelity: Fidelity) -> SMACOptimizer:
        return SMACOptimizer(_space(), seed=0, fidelity=fidelity)

    halving = Fidelity("successive_halving", MIN_BUDGET)
    return HalvingWhenDear(
        make(FULL),
        lambda told: make(halving),
        clock,
        n_workers,
        large_table=large_table,
    )


def _run(policy: HalvingWhenDear, n_trials: int, seconds: float) -> list:
    budgets = []
    for _ in range(n_trials):
        proposal = policy.ask()
        budgets.append(proposal.budget)
        loss = (proposal.config["x"] - 0.3) ** 2
        policy.tell(proposal, loss, "ok", seconds)
    return budgets


def test_cheap_full_budget_trials_keep_the_full_budget() -> None:
    clock = Clock(left=100.0)
    policy = _policy(clock)
    # 100 s left, 1 s per trial: 100 more fit, far above what is wanted.
    budgets = _run(policy, 2 * MIN_OBSERVATIONS, seconds=1.0)
    assert budgets == [None] * len(budgets)
    assert not policy.switched
    policy.close()


def test_dear_trials_switch_to_halving_after_the_first_observations() -> None:
    clock = Clock(left=100.0)
    policy = _policy(clock, n_workers=2)
    seconds = 2 * 100.0 / (FULL_TRIALS_WANTED - 1)  # just too dear on 2 workers
    budgets = _run(policy, MIN_OBSERVATIONS, seconds)
    assert budgets == [None] * MIN_OBSERVATIONS
    assert policy.switched
    later = _run(policy, 12, seconds=seconds)
    assert set(later) <= set(stage_budgets(MIN_BUDGET))
    assert min(later) < 1.0  # halving: low rungs first
    policy.close()


def test_a_large_table_decides_on_fewer_finished_trials() -> None:
    seconds = 2 * 100.0 / (FULL_TRIALS_WANTED - 1)  # just too dear on 2 workers
    fewer = Policy().halving_min_observations_large
    assert fewer < MIN_OBSERVATIONS
    for large_table, switched in [(False, False), (True, True)]:
        policy = _policy(Clock(left=100.0), n_workers=2, large_table=large_table)
        assert _run(policy, fewer, seconds) == [None] * fewer
        assert policy.switched is switched
        policy.close()


def test_no_switch_in_the_second_half_of_the_search() -> None:
    clock = Clock(left=100.0)
    policy = _policy(clock)
    clock.left = 40.0  # past half the time: too late to start rungs
    budgets = _run(policy, 2 * MIN_OBSERVATIONS, seconds=30.0)
    assert budgets == [None] * len(budgets)
    assert not policy.switched
    policy.close()


def test_a_resumed_fit_that_had_switched_switches_at_once() -> None:
    policy = _policy(Clock(left=100.0))
    policy.tell_known(
        {"x": 0.5}, seed=0, budget=None, loss=0.04, status="ok", seconds=1
    )
    policy.tell_known(
        {"x": 0.2}, seed=0, budget=MIN_BUDGET, loss=0.01, status="ok", seconds=1
    )
    proposal = policy.ask()
    assert policy.switched
    assert proposal.budget in stage_budgets(MIN_BUDGET)
    policy.close()
