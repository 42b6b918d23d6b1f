"""Budgets of the trials: all rows, successive halving or Hyperband, or decided
by the cost of the first full-budget trials.

A trial's budget is the fraction of the training rows it fits on. Successive
halving (SH) runs many configurations on few rows and promotes the best;
it pays when a full-budget trial is dear next to the time limit, and loses
when it is cheap (low rungs rank configurations worse than full ones, and
few configurations reach the full budget, the only ones the ensemble uses).

:class:`HalvingWhenDear` is the ``"auto"`` policy: it starts with full
budgets, so that the ensemble always has full-budget models, and switches to
successive halving once the trials show that too few more full-budget
trials would fit in the time left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from automl.policy import DEFAULT_POLICY, Policy
from automl.search.proposals import Optimizer, Proposal

Schedule = Literal["full", "successive_halving", "hyperband", "auto"]


@dataclass(frozen=True)
class Fidelity:
    """The budgets an optimiser proposes.

    Parameters
    ----------
    schedule : {"full", "successive_halving", "hyperband", "auto"}
        ``"auto"`` is :class:`HalvingWhenDear`: full budgets, then successive
        halving if full-budget trials prove too dear.
    min_budget : float or None
        The lowest budget fraction (None with ``"full"``).
    unit : {"rows", "iterations"}, default="rows"
        What a budget is a fraction of: the training rows, or the iterations
        of a family that has them (others then get a fraction of the rows).
    eta : int, default=3
        Successive halving keeps the best ``1 / eta`` of each rung.
    """

    schedule: Schedule
    min_budget: float | None = None
    unit: Literal["rows", "iterations"] = "rows"
    eta: int = 3

    def __post_init__(self) -> None:
        if (self.schedule == "full") != (self.min_budget is None):
            raise ValueError("min_budget is given exactly when budgets vary.")


FULL = Fidelity("full")


class HalvingWhenDear:
    """Full budgets first; successive halving once full trials prove too dear.

    After ``policy.halving_min_observations`` finished trials
    (``halving_min_observations_large`` on a large table) and during the
    first ``policy.halving_decide_within`` of the search, whenever fewer than
    ``policy.halving_full_trials_wanted`` more trials of their median duration
    would fit in ``seconds_left()`` on ``n_workers``, the halving optimiser is
    made,
    told every result so far and asked from then on. Trials proposed by the
    first optimiser and still running then are only recorded.

    Parameters
    ----------
    full : Optimizer
        Proposes full-budget trials.
    make_halving : callable
        Returns the successive-halving optimiser (called at most once), given
        the results so far (dicts with ``config``, ``seed``, ``budget``,
        ``loss``, ``status``, ``seconds``), which it is then told.
    seconds_left : callable
        Seconds the search has left.
    n_workers : int
    policy : Policy, optional
    large_table : bool, default=False
        Whether the table counts as large (``policy.large_table_rows``).
    """

    def __init__(
        self,
        full: Optimizer,
        make_halving: Callable[[list[dict[str, Any]]], Optimizer],
        seconds_left: Callable[[], float],
        n_workers: int,
        *,
        policy: Policy = DEFAULT_POLICY,
        large_table: bool = False,
    ) -> None:
        self.current = full
        self.min_observations = (
            policy.halving_min_observations_large
            if large_table
            else policy.halving_min_observations
        )
        self.full_trials_wanted = policy.halving_full_trials_wanted
        self.make_halving = make_halving
        self.seconds_left = seconds_left
        self.n_workers = n_workers
        self.switched = False
        self._asked = False
        self._decide_until = policy.halving_decide_within * seconds_left()
        self._full = full
        #: Every result so far, as ``tell_known`` takes it.
        self._told: list[dict[str, Any]] = []

    def tell(
        self, proposal: Proposal, loss: float, status: str, seconds: float
    ) -> None:
        if not self._from_full(proposal):  # else it is only recorded
            self.current.tell(proposal, loss, status, seconds)
        self._remember(
            proposal.config, proposal.seed, proposal.budget, loss, status, seconds
        )
        if not self.switched and self._too_dear():
            self._switch()

    def tell_known(
        self,
        config: dict[str, Any],
        *,
        seed: int,
        budget: float | None,
        loss: float,
        status: str,
        seconds: float,
    ) -> None:
        """A trial of an earlier fit; one on a partial budget means that fit
        had switched to halving, and this one switches at its first ask."""
        if budget is None:
            self.current.tell_known(
                config,
                seed=seed,
                budget=None,
                loss=loss,
                status=status,
                seconds=seconds,
            )
        self._remember(config, seed, budget, loss, status, seconds)

    def ask(self) -> Proposal:
        if not self._asked and any(t["budget"] is not None for t in self._told):
            self._switch()
        self._asked = True
        return self.current.ask()

    def close(self) -> None:
        self._full.close()
        if self.current is not self._full:
            self.current.close()

    def _from_full(self, proposal: Proposal) -> bool:
        return self.switched and proposal.budget is None

    def _remember(
        self,
        config: dict[str, Any],
        seed: int,
        budget: float | None,
        loss: float,
        status: str,
        seconds: float,
    ) -> None:
        self._told.append(
            dict(
                config=config,
                seed=seed,
                budget=budget,
                loss=loss,
                status=status,
                seconds=seconds,
            )
        )

    def _too_dear(self) -> bool:
        left = self.seconds_left()
        if len(self._told) < self.min_observations or left < self._decide_until:
            return False
        median = float(np.median([t["seconds"] for t in self._told]))
        return left * self.n_workers / max(median, 1e-9) < self.full_trials_wanted

    def _switch(self) -> None:
        halving = self.make_halving(self._told)
        for told in self._told:
            budget = 1.0 if told["budget"] is None else told["budget"]
            halving.tell_known(
                told["config"],
                seed=told["seed"],
                budget=budget,
                loss=told["loss"],
                status=told["status"],
                seconds=told["seconds"],
            )
        self.current = halving
        self.switched = True
