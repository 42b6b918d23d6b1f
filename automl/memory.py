"""The fit's memory plan: what runs at once, on how many rows, under ``memory_limit``.

Before the search, ``fit`` adds up what it will hold at the same time::

    main process   the typed training data + the kept validation predictions
                   + one model's working set (the ensemble's refits)
    each worker    the process itself + its view of the data + one trial's
                   working set (``per_trial_mb``, enforced by killing it)

and fits that sum under ``memory_limit``. When it does not fit, it degrades in
this order: fewer parallel workers, then a row subsample of the training data
(the whole fit then sees only those rows). A family whose default
configuration does not fit a trial's working set on all rows is searched and
refitted on the largest share of the rows on which it fits (``row_caps``: a
default random forest on 5 % of 2 million rows of 50 columns at 12 GB,
beside boosters on all of them); only a family that fits on no share down
to the lowest budget (or ``policy.min_subsample_rows``) is left out. Only
when a single worker on the smallest sample cannot fit does ``fit`` raise.

The sum counts resident memory (RSS) the way ``ps`` or ``psutil`` do, so
memory-mapped data shared by the workers is counted once per process: the
plan errs on the safe side.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import pandas as pd
import psutil

from automl.data.types import DatasetProperties
from automl.policy import DEFAULT_POLICY, Policy
from automl.resampling import holdout_rows
from automl.space import build_space, family_defaults
from automl.space.memory import estimate_memory_mb, lightest_config

#: How the plan's note on a row subsample starts.
SUBSAMPLE_NOTE = "the fit used a subsample of"


def default_memory_limit_mb(policy: Policy = DEFAULT_POLICY) -> float:
    """``policy.memory_share`` of the memory available now, in MiB.

    Returns
    -------
    float
    """
    return policy.memory_share * psutil.virtual_memory().available / 2**20


def frame_memory_mb(X: pd.DataFrame) -> float:
    """MiB a typed frame holds (values and category codes, not the index).

    Parameters
    ----------
    X : pandas.DataFrame

    Returns
    -------
    float
    """
    return float(X.memory_usage(index=False, deep=False).sum()) / 2**20


@dataclass(frozen=True)
class MemoryPlan:
    """What the fit runs under its memory limit (see the module docstring).

    Parameters
    ----------
    limit_mb : float
        The fit's memory limit.
    data_mb : float
        MiB of the typed training data the fit uses (after any subsample).
    n_rows, total_rows : int
        Training rows the fit uses, and rows passed to ``fit``.
    n_workers, requested_workers : int
        Worker processes used, and asked for (``n_jobs``).
    per_trial_mb : float or None
        Resident MiB one worker may use (None: no limit, e.g. on Dask).
    working_mb : float
        MiB one trial's (and the ensemble's) model may use beyond the process
        and the data.
    predictions_mb : float
        MiB the kept validation predictions may take in the main process.
    skipped : dict of str to str
        Model families left out of the search, with the reason.
    row_caps : dict of str to float
        Model families searched and refitted on at most this fraction of the
        training rows: on all rows their default would not fit ``working_mb``.
    notes : list of str
        What was reduced and why, in plain words.
    """

    limit_mb: float
    data_mb: float
    n_rows: int
    total_rows: int
    n_workers: int
    requested_workers: int
    per_trial_mb: float | None
    working_mb: float
    predictions_mb: float = 0.0
    skipped: dict[str, str] = field(default_factory=dict)
    row_caps: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def subsampled(self) -> bool:
        return self.n_rows < self.total_rows

    @property
    def planned_mb(self) -> float:
        """The planned peak: main process plus every worker at its limit."""
        main = self.data_mb + self.predictions_mb + self.working_mb
        return main + self.n_workers * (self.per_trial_mb or 0.0)

    def as_dict(self) -> dict[str, Any]:
        """Plain values, e.g. for the estimator's ``memory_plan_``."""
        out = asdict(self)
        out["subsampled"] = self.subsampled
        out["planned_mb"] = self.planned_mb
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> MemoryPlan:
        """The plan back from :meth:`as_dict`."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})


@dataclass(frozen=True)
class _Sizes:
    """MiB of the data at ``n_rows`` rows, and of what comes with it."""

    data_mb: float
    predictions_mb: float
    need_mb: float


def plan_memory(
    limit_mb: float,
    *,
    total_rows: int,
    n_workers: int,
    sizes: Callable[[int], tuple[float, float, float]],
    per_trial_mb: float | None = None,
    local_workers: bool = True,
    policy: Policy = DEFAULT_POLICY,
) -> MemoryPlan:
    """Fit the workers and rows under ``limit_mb`` (see the module docstring).

    Parameters
    ----------
    limit_mb : float
        The fit's memory limit.
    total_rows : int
        Rows of the training data.
    n_workers : int
        Workers asked for.
    sizes : callable
        ``sizes(n_rows) -> (data_mb, predictions_mb, need_mb)``: the typed
        data, the kept predictions and the smallest working set that still
        lets some family fit a full-budget trial, for a fit on ``n_rows`` rows.
    per_trial_mb : float or None, default=None
        A worker's limit set by the user; None derives it from ``limit_mb``.
    local_workers : bool, default=True
        False when trials run elsewhere (Dask): only the main process counts.
    policy : Policy, optional
        Its ``worker_base_mb``, ``min_subsample_rows`` and ``memory_share``.

    Returns
    -------
    MemoryPlan

    Raises
    ------
    MemoryError
        When one worker on ``policy.min_subsample_rows`` rows does not fit.
    """
    planner = _Planner(limit_mb, sizes, per_trial_mb, local_workers, policy)
    workers = max(1, n_workers) if local_workers else 0
    notes: list[str] = []
    for w in range(workers, 0, -1) if local_workers else [0]:
        if planner.fits(w, total_rows):
            if w < workers:
                notes.append(
                    f"{w} parallel worker{'s' if w > 1 else ''} instead of "
                    f"{workers}: more would not fit in {limit_mb:,.0f} MiB"
                )
            return planner.plan(w, total_rows, total_rows, workers, notes)
    w = min(workers, 1)
    rows = planner.largest_rows(w, total_rows)
    if rows is None:
        raise MemoryError(planner.too_small_message(w, total_rows))
    if w < workers:
        notes.append(f"1 worker instead of {workers} to fit in {limit_mb:,.0f} MiB")
    notes.append(
        f"{SUBSAMPLE_NOTE} {rows:,} of {total_rows:,} rows: the data and one "
        f"model on all rows would not fit in {limit_mb:,.0f} MiB"
    )
    return planner.plan(w, rows, total_rows, workers, notes)


class _Planner:
    def __init__(
        self,
        limit_mb: float,
        sizes: Callable[[int], tuple[float, float, float]],
        per_trial_mb: float | None,
        local_workers: bool,
        policy: Policy,
    ) -> None:
        self.limit_mb = limit_mb
        self.sizes = sizes
        self.per_trial_mb = per_trial_mb
        self.local_workers = local_workers
        self.policy = policy
        self.worker_base_mb = policy.worker_base_mb

    def _sizes(self, rows: int) -> _Sizes:
        return _Sizes(*self.sizes(rows))

    def working_mb(self, w: int, rows: int) -> float:
        """What one model may use with ``w`` workers on ``rows`` rows."""
        s = self._sizes(rows)
        main = s.data_mb + s.predictions_mb
        if self.per_trial_mb is not None:
            working = self.per_trial_mb - self.worker_base_mb - s.data_mb
            local = w * self.per_trial_mb if self.local_workers else 0.0
            if main + working + local > self.limit_mb:
                return -1.0
            return working
        worker = self.worker_base_mb + s.data_mb
        return (self.limit_mb - main - w * worker) / (w + 1)

    def fits(self, w: int, rows: int) -> bool:
        return self.working_mb(w, rows) >= self._sizes(rows).need_mb

    def largest_rows(self, w: int, total_rows: int) -> int | None:
        """The most rows (bisection; memory grows with rows) that fit, or None."""
        low = min(self.policy.min_subsample_rows, total_rows)
        if not self.fits(w, low):
            return None
        high = total_rows
        while high - low > max(1, total_rows // 1000):
            middle = (low + high) // 2
            if self.fits(w, middle):
                low = middle
            else:
                high = middle
        return low

    def plan(
        self, w: int, rows: int, total_rows: int, requested: int, notes: list[str]
    ) -> MemoryPlan:
        s = self._sizes(rows)
        working = self.working_mb(w, rows)
        per_trial = (
            self.worker_base_mb + s.data_mb + working
            if self.local_workers
            else self.per_trial_mb
        )
        return MemoryPlan(
            limit_mb=self.limit_mb,
            data_mb=s.data_mb,
            n_rows=rows,
            total_rows=total_rows,
            n_workers=w,
            requested_workers=requested,
            per_trial_mb=per_trial,
            working_mb=working,
            predictions_mb=s.predictions_mb,
            notes=notes,
        )

    def too_small_message(self, w: int, total_rows: int) -> str:
        rows = min(self.policy.min_subsample_rows, total_rows)
        s = self._sizes(rows)
        needed = s.data_mb + s.predictions_mb + s.need_mb
        needed += w * (self.worker_base_mb + s.data_mb + s.need_mb)
        if self.per_trial_mb is not None:
            return (
                f"per_trial_memory_limit={self.per_trial_mb:,.0f} MiB (with "
                f"memory_limit={self.limit_mb:,.0f} MiB) cannot hold one worker "
                f"process (~{self.worker_base_mb:,.0f} MiB) and one model even on a "
                f"{rows:,}-row sample of the data (~{needed:,.0f} MiB in all). "
                "Increase per_trial_memory_limit and memory_limit, or leave "
                "per_trial_memory_limit=None."
            )
        return (
            f"memory_limit={self.limit_mb:,.0f} MiB is too small for this fit: "
            f"even one worker and one model on a {rows:,}-row sample of the data "
            f"need ~{needed:,.0f} MiB. Increase memory_limit (None uses "
            f"{self.policy.memory_share:.0%} of the available memory, "
            f"{default_memory_limit_mb(self.policy):,.0f} MiB now), or pass fewer "
            "columns."
        )


def skip_reason(needed_mb: float, working_mb: float, fraction: float) -> str:
    """The leaderboard's text for a family left out of the search.

    Parameters
    ----------
    needed_mb : float
        Estimated MiB of the family's lightest configuration on ``fraction``
        of the training rows.
    working_mb : float
        What one trial's model may use.
    fraction : float
        The fewest rows a trial fits on, as a fraction of the training rows.

    Returns
    -------
    str
    """
    at = "on all rows" if fraction >= 1 else f"on {fraction:.2%} of the rows"
    return (
        f"skipped: estimated {needed_mb:,.0f} MiB {at} > limit {working_mb:,.0f} "
        "MiB per trial (beyond the worker and its data); raise memory_limit to "
        "search it"
    )


def use_float32(n_rows: int, n_columns: int, policy: Policy = DEFAULT_POLICY) -> bool:
    """Whether a table is large enough to be typed as float32 where safe.

    Parameters
    ----------
    n_rows, n_columns : int
        Shape of the input table.
    policy : Policy, optional

    Returns
    -------
    bool
        True when its float64 copy would exceed ``policy.float32_from_mb``.
    """
    return n_rows * n_columns * 8 / 2**20 > policy.float32_from_mb


def rows_before_typing(
    n_rows: int, n_columns: int, limit_mb: float, policy: Policy = DEFAULT_POLICY
) -> int:
    """Rows to keep before typing, so that the typed copy stays a small share
    (``policy.max_data_share``) of ``limit_mb``; all rows when they fit.

    Parameters
    ----------
    n_rows, n_columns : int
        Shape of the input table.
    limit_mb : float
        The fit's memory limit.
    policy : Policy, optional

    Returns
    -------
    int
    """
    float32 = use_float32(n_rows, n_columns, policy)
    per_row = n_columns * (4 if float32 else 8) / 2**20
    cap = int(policy.max_data_share * limit_mb / max(per_row, 1e-12))
    return max(min(n_rows, cap), min(n_rows, policy.min_subsample_rows))


def plan_fit_memory(
    properties: DatasetProperties,
    models: Sequence[str],
    *,
    data_mb: float,
    bytes_per_value: int,
    limit_mb: float,
    n_workers: int,
    min_budget: Callable[[int], float | None],
    per_trial_mb: float | None = None,
    local_workers: bool = True,
    policy: Policy = DEFAULT_POLICY,
) -> MemoryPlan:
    """The memory plan of a fit on a typed training table.

    Estimates the data's size and each family's working set on it (its
    lightest configuration: see :func:`automl.space.memory.lightest_config`),
    runs :func:`plan_memory`, then caps the rows of the families whose default
    does not fit on all rows (``row_caps``) and leaves out those that fit on
    no share down to the lowest budget.

    Parameters
    ----------
    properties : DatasetProperties
        The typed training table's properties.
    models : sequence of str
        The families selected for the search.
    data_mb : float
        MiB the typed table holds (:func:`frame_memory_mb`).
    bytes_per_value : int
        4 for a float32 table, 8 otherwise.
    limit_mb : float
        The fit's memory limit.
    n_workers : int
        Workers asked for.
    min_budget : callable
        ``min_budget(n_train)``: the lowest budget of successive halving for
        ``n_train`` training rows, or None for full budgets only.
    per_trial_mb : float or None, default=None
        A worker's limit set by the user.
    local_workers : bool, default=True
        False when trials run on Dask.
    policy : Policy, optional

    Returns
    -------
    MemoryPlan
    """
    space = build_space(properties, models=list(models))
    lightest = {
        family: lightest_config(config, space)
        for family, config in family_defaults(space).items()
    }
    families = _FamilySizes(properties, data_mb, bytes_per_value, lightest, policy)
    plan = plan_memory(
        limit_mb,
        total_rows=properties.n_rows,
        n_workers=n_workers,
        sizes=families.sizes,
        per_trial_mb=per_trial_mb,
        local_workers=local_workers,
        policy=policy,
    )
    n_train = plan.n_rows - holdout_rows(plan.n_rows, policy)
    budget = min_budget(n_train)
    lowest = max(budget or 0.0, min(1.0, policy.min_subsample_rows / max(1, n_train)))
    skipped, row_caps, notes = {}, {}, list(plan.notes)
    for family, config in family_defaults(space).items():
        cap = families.row_cap(config, plan, lowest) or families.row_cap(
            lightest[family], plan, lowest
        )
        if cap is None:
            needed = families.model_mb(lightest[family], plan.n_rows, lowest)
            skipped[family] = skip_reason(needed, plan.working_mb, lowest)
        elif cap < 1.0:
            row_caps[family] = cap
            notes.append(
                f"{family} searched and refitted on {cap:.0%} of the training "
                f"rows: on all of them one model would not fit the "
                f"{plan.working_mb:,.0f} MiB a trial may use"
            )
    return replace(plan, skipped=skipped, row_caps=row_caps, notes=notes)


@dataclass(frozen=True)
class _FamilySizes:
    """Sizes on a table of its rows, of the kept predictions and of the
    families' lightest configurations (what :func:`plan_memory` asks for)."""

    properties: DatasetProperties
    data_mb: float
    bytes_per_value: int
    lightest: dict[str, dict[str, Any]]
    policy: Policy

    def model_mb(
        self, config: dict[str, Any], rows: int, budget: float | None
    ) -> float:
        """A trial's model on ``rows`` rows (a holdout) at ``budget``."""
        n_valid = holdout_rows(rows, self.policy)
        n_fit = int((rows - n_valid) * (budget or 1.0))
        return estimate_memory_mb(
            config,
            self.properties,
            n_fit,
            bytes_per_value=self.bytes_per_value,
            n_predict_rows=n_valid,
        )

    def row_cap(
        self, config: dict[str, Any], plan: MemoryPlan, lowest: float
    ) -> float | None:
        """The largest fraction of the training rows, at least ``lowest``, on
        which ``config`` fits ``plan.working_mb`` (bisection); None if none."""

        def fits(fraction: float) -> bool:
            return self.model_mb(config, plan.n_rows, fraction) <= plan.working_mb

        if fits(1.0):
            return 1.0
        if not fits(lowest):
            return None
        low, high = lowest, 1.0
        while high - low > 0.01 * high:
            middle = (low + high) / 2
            low, high = (middle, high) if fits(middle) else (low, middle)
        return low

    def sizes(self, rows: int) -> tuple[float, float, float]:
        """MiB of the data, of the kept predictions, and of the lightest model
        (as a trial, or refitted on all rows) on ``rows`` rows."""
        outputs = self.properties.n_classes or 1
        n_valid = holdout_rows(rows, self.policy)
        predictions = self.policy.max_candidates * n_valid * outputs
        need = min(
            max(
                self.model_mb(config, rows, None),
                estimate_memory_mb(
                    config,
                    self.properties,
                    rows,
                    bytes_per_value=self.bytes_per_value,
                    row_copy=False,
                ),
            )
            for config in self.lightest.values()
        )
        data = self.data_mb * rows / self.properties.n_rows
        return data, predictions * 8 / 2**20, need
