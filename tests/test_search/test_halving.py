"""Successive halving promotes while the workers stay busy, and after a resume."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ConfigSpace import ConfigurationSpace, Float

from automl.search import SMACOptimizer
from automl.search.fidelity import Fidelity
from automl.search.optimizer import stage_budgets

MIN_BUDGET = 1 / 27
RUNGS = stage_budgets(MIN_BUDGET)  # 1/27, 1/9, 1/3, 1


def _space() -> ConfigurationSpace:
    space = ConfigurationSpace(seed=0)
    space.add(Float("x", (0.0, 1.0)), Float("y", (0.0, 1.0)))
    return space


def _loss(config: dict[str, Any]) -> float:
    return (config["x"] - 0.3) ** 2 + config["y"]


def _halving() -> SMACOptimizer:
    return SMACOptimizer(
        _space(), seed=1, fidelity=Fidelity("successive_halving", MIN_BUDGET)
    )


def _run_two_in_flight(optimizer: SMACOptimizer, n_trials: int) -> list[Any]:
    """Ask and tell as two workers do: a trial is told after the next is asked."""
    running, finished = [optimizer.ask()], []
    while len(finished) < n_trials:
        running.append(optimizer.ask())
        proposal = running.pop(0)
        optimizer.tell(proposal, _loss(proposal.config), "ok", 1.0)
        finished.append(proposal)
    return finished


def _known(
    optimizer: SMACOptimizer, n: int, budgets: tuple[float, ...], seed: int
) -> list[dict]:
    """``n`` results on each of ``budgets`` told before the first ask, each
    better than any new one."""
    configs = [dict(c) for c in _space().sample_configuration(n)]
    for config in configs:
        loss = _loss(config) - 10.0
        for budget in budgets:
            optimizer.tell_known(
                config, seed=seed, budget=budget, loss=loss, status="ok", seconds=1
            )
    return configs


def _seed() -> int:
    probe = _halving()  # the seed an optimiser of this scenario gives its trials
    seed = probe.ask().seed
    probe.close()
    return seed


def test_promotions_run_before_new_first_rung_batches() -> None:
    # SMAC's own intensifier promoted 8 of 90 trials here, none above 1/9.
    optimizer = _halving()
    budgets = Counter(p.budget for p in _run_two_in_flight(optimizer, 90))
    optimizer.close()
    assert set(budgets) == set(RUNGS)  # a configuration reached all rows


def test_known_first_rung_results_are_promoted_without_running_them_again() -> None:
    # SMAC's own intensifier raised ValueError here at its first promotion.
    optimizer = _halving()
    known = _known(optimizer, 5, (RUNGS[0],), _seed())
    finished = _run_two_in_flight(optimizer, 40)
    optimizer.close()
    first_rung = [p.config for p in finished if p.budget == RUNGS[0]]
    assert not any(config in first_rung for config in known)
    promoted = [p.config for p in finished if p.budget == RUNGS[1]]
    assert all(config in promoted for config in known)  # the best 5 of 27


def test_full_budget_results_are_not_run_again_on_the_first_rung() -> None:
    # What "auto" tells halving when it switches: trials on all rows.
    optimizer = _halving()
    known = _known(optimizer, 5, (1.0,), _seed())
    finished = _run_two_in_flight(optimizer, 40)
    optimizer.close()
    assert not any(p.config in known for p in finished)
    assert any(p.budget == RUNGS[1] for p in finished)  # the first batch promoted


def test_a_resumed_configuration_that_reached_all_rows_still_completes_its_rung() -> (
    None
):
    # An earlier halving fit promoted these up to all rows; SMAC judged their
    # first rung by their highest budget only and never promoted the bracket.
    optimizer = _halving()
    known = _known(optimizer, 5, (RUNGS[0], 1.0), _seed())
    finished = _run_two_in_flight(optimizer, 40)
    optimizer.close()
    promoted = [p.config for p in finished if p.budget == RUNGS[1]]
    assert all(config in promoted for config in known)
