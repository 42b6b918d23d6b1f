"""The plan of a fit: every decision made before the first trial, in one value.

:func:`plan_fit` is a pure function of the estimator's parameters, the typed
training table's facts and the machine (cores and free memory, passed in):
it decides the memory plan (workers, rows, families left out), the
resampling, the threads and the time and memory limits of a trial, and how
much time to keep for the ensemble. Nothing here fits or reads the machine,
so every decision can be unit-tested on made-up tables.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from automl.costs import CostModel
from automl.data.types import DatasetProperties, Task
from automl.memory import SUBSAMPLE_NOTE, MemoryPlan, plan_fit_memory
from automl.metrics import Metric, get_metric
from automl.policy import DEFAULT_POLICY, Policy
from automl.resampling import (
    Resampling,
    choose_cv_repeats,
    choose_min_budget,
    choose_resampling,
)
from automl.search.fidelity import FULL, Fidelity
from automl.space import select_models

logger = logging.getLogger("automl")


@dataclass(frozen=True)
class Machine:
    """What the fit may use of the computer it runs on.

    Parameters
    ----------
    cores : int
        Cores this process may run on.
    memory_limit_mb : float
        The fit's memory limit: the ``memory_limit`` parameter, else a share
        of the memory available when ``fit`` starts.
    dask : bool, default=False
        Whether trials run on a Dask cluster (no local worker processes).
    dask_trial_mb : float or None, default=None
        On a Dask cluster, the MiB one trial may use there: the smallest
        worker memory limit over its threads (None: the workers have none).
    """

    cores: int
    memory_limit_mb: float
    dask: bool = False
    dask_trial_mb: float | None = None


@dataclass(frozen=True)
class Table:
    """Facts of the typed training table that the plan needs.

    Parameters
    ----------
    properties : DatasetProperties
        Its properties (rows, columns, task, classes).
    data_mb : float
        MiB the typed frame holds.
    bytes_per_value : int
        4 for a float32 table, 8 otherwise.
    input_rows : int
        Rows passed to ``fit`` (more than ``properties.n_rows`` when the table
        was cut before typing because it alone would not fit in memory).
    n_minority : int or None, default=None
        Rows of the rarest class (None for regression).
    weighted : bool, default=False
        Whether the rows have sample weights.
    """

    properties: DatasetProperties
    data_mb: float
    bytes_per_value: int
    input_rows: int
    n_minority: int | None = None
    weighted: bool = False


@dataclass(frozen=True)
class ReservePolicy:
    """Seconds to keep free after the search for the ensemble (or the refit).

    Estimated from the trials kept so far, and capped at
    ``policy.ensemble_share`` of ``time_limit`` so that the search always gets
    most of the time (the stacking check and stack only kept for within
    ``policy.stack_share``); plus a small base for the last trials' return
    and the bookkeeping. The base does not keep the promise on ``time_limit``
    (the ensemble's own deadline does): it only keeps a late trial from
    thinning the ensemble.
    """

    time_limit: float | None
    stack: bool | Literal["auto"]
    refit_full: bool
    policy: Policy = DEFAULT_POLICY
    #: How many times faster a refit on all rows runs than its trial: the
    #: final model's fits run alone, with every core.
    refit_speedup: float = 1.0
    #: Repeats of k-fold (see :func:`~automl.resampling.choose_cv_repeats`).
    cv_repeats: int = 1
    #: Classes of the target (None for regression).
    n_classes: int | None = None

    def seconds(self, candidates: Sequence[Any], costs: CostModel) -> float:
        """The reserve for these ensemble candidates, by the fit's cost model."""
        time_limit = self.time_limit
        if time_limit is None:
            return 0.0
        n_splits = costs.n_splits

        def needed(stack: bool | Literal["auto"], n_refits: int | None = None) -> float:
            return costs.reserve(
                candidates, stack=stack, refit_full=self.refit_full, n_refits=n_refits
            )

        def options() -> Iterator[float]:
            """What the builder will afford, best first (estimated lazily: this
            runs before every trial): the stack if its share is small enough,
            the plain ensemble, else (a holdout) the best member refitted on
            all rows and the others as their trials kept them, else the kept
            models and the best trial on a share of the rows grown on as
            many as the cap affords, else only the kept models."""
            plain = needed(False)
            if self.stack is not False and n_splits > 1:
                stacked = needed(self.stack)
                if stacked - plain <= self.policy.stack_share * time_limit:
                    yield stacked
            yield plain
            if n_splits == 1:
                yield needed(False, 1)
                kept = needed(False, 0)
                grown = self.grown_best(candidates, costs, cap - kept)
                if grown is not None:
                    yield kept + grown
                yield kept

        policy = self.policy
        cap = policy.ensemble_share * time_limit
        chosen = next((s for s in options() if s <= cap), cap)
        base = policy.reserve_base_seconds + policy.reserve_base_share * time_limit
        return base + chosen

    def grown_best(
        self, candidates: Sequence[Any], costs: CostModel, seconds: float
    ) -> float | None:
        """Seconds for growing (``GrowBest``) the best candidate that fitted
        on a share of the rows on as many as ``seconds`` afford, with the
        reserve's safety; None if there is none, growing is off, or too few
        more rows fit. Kept as soon as one is in the pool, though a trial on
        all rows may still lead: the partial trial the builder grows often
        comes late (generated-5m at 300 s: the 22nd of 24 trials, when the
        trials running had been given the time)."""
        policy = self.policy
        partial = [c for c in candidates if np.isfinite(c.loss) and c.budget < 1]
        if not policy.grow_best or not partial:
            return None
        best = min(partial, key=lambda c: c.loss)
        share = costs.grown_share(best, seconds / policy.reserve_safety)
        if share is None:
            return None
        return policy.reserve_safety * costs.grown(best, share)


@dataclass(frozen=True)
class FitPlan:
    """Every decision made before the first trial (see :func:`plan_fit`).

    Parameters
    ----------
    task : {"binary", "multiclass", "regression"}
    metric : Metric
    seed : int
    resampling : {"holdout", "cv"}
    cv_repeats : int
        Repetitions of k-fold (1 for a holdout).
    memory : MemoryPlan
        Workers, rows and the families left out under the memory limit.
    models : tuple of str
        The families searched (selected, minus those the memory plan skips).
    include, exclude : list of str or None
        The families asked for and refused (sorted), as the trial log keeps them.
    n_cores : int
        Cores the fit may use (``n_jobs`` resolved).
    threads_per_trial : int
        Threads of one trial's model.
    ensemble_threads : int
        Threads of the ensemble's fits, which run alone in this process.
    per_trial_time_limit : float or None
        Seconds a trial may run.
    per_trial_memory_mb : float or None
        Resident MiB a trial's worker may use.
    infer_limit : float or None
        Most seconds a row the final model may take to predict (see
        :func:`_infer_limit`).
    multi_fidelity : bool, "auto", "hyperband" or "iterations"
        The budgets rule; see :meth:`fidelity`.
    reserve : ReservePolicy
    policy : Policy
        Every share, safety factor, margin and row threshold of the fit.
    """

    task: Task
    metric: Metric
    seed: int
    resampling: Resampling
    cv_repeats: int
    memory: MemoryPlan
    models: tuple[str, ...]
    include: list[str] | None
    exclude: list[str] | None
    n_cores: int
    threads_per_trial: int
    ensemble_threads: int
    per_trial_time_limit: float | None
    per_trial_memory_mb: float | None
    infer_limit: float | None
    multi_fidelity: bool | str
    reserve: ReservePolicy
    policy: Policy

    def cost_model(
        self,
        splits: Sequence[tuple[np.ndarray, np.ndarray]],
        n_rows: int,
        n_columns: int = 1,
    ) -> CostModel:
        """The fit's one cost model, for trials validated on ``splits`` of
        ``n_rows`` rows of ``n_columns`` typed columns: the search's reserve
        and the ensemble builder ask it."""
        return CostModel.for_splits(
            splits,
            n_rows,
            n_columns=n_columns,
            policy=self.policy,
            refit_speedup=self.reserve.refit_speedup,
            cv_repeats=self.cv_repeats,
            n_classes=self.reserve.n_classes,
        )

    @property
    def large_table(self) -> bool:
        """Whether the table counts as large (see :func:`is_large_table`)."""
        return is_large_table(self.memory.n_rows, self.policy)

    def fidelity(self, n_train: int) -> Fidelity:
        """The trials' budgets for ``n_train`` training rows.

        ``multi_fidelity=True`` is successive halving over the rows,
        ``"iterations"`` over the iterations of the families that have them
        (eta = 4, down to ``policy.iteration_min_budget``, as auto-sklearn
        2.0), ``"hyperband"`` Hyperband over the rows, False full budgets;
        ``"auto"`` is full budgets on small tables, and from
        ``policy.multi_fidelity_min_rows`` training rows full budgets that
        switch to halving if they prove too dear (see
        :class:`~automl.search.fidelity.HalvingWhenDear`).
        """
        if self.multi_fidelity == "iterations":
            lowest = self.policy.iteration_min_budget
            return Fidelity("successive_halving", lowest, unit="iterations", eta=4)
        min_budget = choose_min_budget(self.multi_fidelity, n_train, self.policy)
        if min_budget is None:
            return FULL
        if self.multi_fidelity is True:
            return Fidelity("successive_halving", min_budget)
        return Fidelity(self.multi_fidelity, min_budget)  # type: ignore[arg-type]


def plan_fit(params: Mapping[str, Any], table: Table, machine: Machine) -> FitPlan:
    """Plan a fit.

    Parameters
    ----------
    params : mapping
        The estimator's parameters (``get_params()``); ``resampling`` may
        already be replaced by the one a resumed trial log used; ``policy``
        None is the default :class:`~automl.policy.Policy`.
    table : Table
        The typed training table's facts.
    machine : Machine
        Cores and memory limit.

    Returns
    -------
    FitPlan
    """
    policy = policy_of(params)
    properties = table.properties
    task = properties.task
    metric = get_metric(params["metric"], task, params.get("quantile_levels"))
    selected = select_models(
        task,
        include=params["include"],
        exclude=params["exclude"],
        weighted=table.weighted,
        quantile=metric.quantile_levels is not None,
    )
    n_cores = _cores(params["n_jobs"], machine.cores)
    memory = _memory_plan(params, table, machine, selected, n_cores, policy)
    n_rows, time_limit = memory.n_rows, params["time_limit"]
    n_workers = 1 if machine.dask else memory.n_workers
    threads_per_trial = (
        1 if machine.dask else threads_per_model(n_rows, n_cores, n_workers, policy)
    )
    ensemble_threads = threads_per_model(n_rows, n_cores, 1, policy)
    resampling = choose_resampling(
        params["resampling"], n_rows, time_limit, n_cores, policy, table.n_minority
    )
    cv_repeats = choose_cv_repeats(
        params["cv_repeats"], resampling, n_rows, time_limit, n_cores, policy
    )
    return FitPlan(
        task=task,
        metric=metric,
        seed=seed_of(params),
        resampling=resampling,
        cv_repeats=cv_repeats,
        memory=memory,
        models=tuple(m for m in selected if m not in memory.skipped),
        include=_sorted(params["include"]),
        exclude=_sorted(params["exclude"]),
        n_cores=n_cores,
        threads_per_trial=threads_per_trial,
        ensemble_threads=ensemble_threads,
        per_trial_time_limit=_per_trial_time_limit(params, policy),
        per_trial_memory_mb=_per_trial_memory_mb(params, memory),
        infer_limit=_infer_limit(params, n_rows, policy),
        multi_fidelity=params["multi_fidelity"],
        reserve=ReservePolicy(
            params["time_limit"],
            params["stacking"],
            params["refit_full"],
            refit_speedup=ensemble_threads / threads_per_trial,
            policy=policy,
            cv_repeats=cv_repeats,
            n_classes=properties.n_classes,
        ),
        policy=policy,
    )


def policy_of(params: Mapping[str, Any]) -> Policy:
    """The fit's policy: the ``policy`` parameter, the defaults when None."""
    policy = params.get("policy")
    return Policy() if policy is None else policy


def seed_of(params: Mapping[str, Any]) -> int:
    """The fit's seed: ``random_state``, 0 when None."""
    seed = params["random_state"]
    return 0 if seed is None else int(seed)


def threads_per_model(n_rows: int, n_cores: int, n_workers: int, policy: Policy) -> int:
    """Cores per model fit when ``n_workers`` fits share ``n_cores``; one
    below ``policy.single_thread_rows`` rows."""
    if n_rows < policy.single_thread_rows:
        return 1
    return max(1, n_cores // n_workers)


def _sorted(families: Sequence[str] | None) -> list[str] | None:
    return None if families is None else sorted(families)


def _cores(n_jobs: int | None, cores: int) -> int:
    if n_jobs is None:
        return 1
    return cores if n_jobs == -1 else max(1, min(n_jobs, cores))


def _memory_plan(
    params: Mapping[str, Any],
    table: Table,
    machine: Machine,
    models: Sequence[str],
    n_cores: int,
    policy: Policy,
) -> MemoryPlan:
    """Workers, rows and skipped families under the memory limit."""
    multi_fidelity = params["multi_fidelity"]
    plan = plan_fit_memory(
        table.properties,
        models,
        data_mb=table.data_mb,
        bytes_per_value=table.bytes_per_value,
        limit_mb=machine.memory_limit_mb,
        n_workers=0 if machine.dask else n_cores,
        min_budget=lambda n_train: choose_min_budget(multi_fidelity, n_train, policy),
        per_trial_mb=params["per_trial_memory_limit"] or machine.dask_trial_mb,
        local_workers=not machine.dask,
        policy=policy,
    )
    if table.input_rows > table.properties.n_rows:  # cut before typing
        notes = [n for n in plan.notes if not n.startswith(SUBSAMPLE_NOTE)]
        notes.append(
            f"{SUBSAMPLE_NOTE} {plan.n_rows:,} of {table.input_rows:,} rows: the "
            f"whole table does not fit in memory_limit="
            f"{machine.memory_limit_mb:,.0f} MiB"
        )
        plan = dataclasses.replace(plan, total_rows=table.input_rows, notes=notes)
    for note in plan.notes:
        logger.info("Memory plan: %s", note)
    return plan


def _per_trial_time_limit(params: Mapping[str, Any], policy: Policy) -> float | None:
    if params["per_trial_time_limit"] is not None:
        return float(params["per_trial_time_limit"])
    if params["time_limit"] is None:
        return None
    return max(policy.min_trial_seconds, policy.trial_share * params["time_limit"])


def _infer_limit(
    params: Mapping[str, Any], n_rows: int, policy: Policy
) -> float | None:
    """The user's ``infer_limit``; without one, on tables of
    ``policy.large_table_rows`` rows or more, the final model predicts its
    training rows within ``time_limit``.

    There models kept from trials on a share of the rows join the ensemble,
    and one can predict far slower than it fitted (a kNN on 4 % of 4,000,000
    rows took 61 s for its 10,000 validation rows: 100 minutes for
    1,000,000).
    """
    time_limit, mine = params["time_limit"], params.get("infer_limit")
    if mine is not None:
        return float(mine)
    if time_limit is None or not is_large_table(n_rows, policy):
        return None
    return time_limit / n_rows


def is_large_table(n_rows: int, policy: Policy) -> bool:
    """Tables of ``policy.large_table_rows`` rows or more: there trials on a
    share of the rows join the ensemble's pool, and the final model's predict
    time is bounded (:func:`_infer_limit`)."""
    return n_rows >= policy.large_table_rows


def _per_trial_memory_mb(params: Mapping[str, Any], memory: MemoryPlan) -> float | None:
    if params["per_trial_memory_limit"] is not None:
        return float(params["per_trial_memory_limit"])
    return None if memory.per_trial_mb is None else float(memory.per_trial_mb)
