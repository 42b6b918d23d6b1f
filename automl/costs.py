"""The one cost model: what each stage after the search will take.

Every estimate of the end of the fit comes from here, from the trials'
measured costs (their durations, and the seconds they took to write their
fold models): the search's reserve (:meth:`CostModel.reserve`, asked before
every trial) and each affordability decision of the ensemble builder (a
member as a bag or a refit, the stacking check, the stackers, a single
refit's rows). The builder records each stage's estimate beside its real
cost (``ensemble_info_["stage_estimates"]`` and ``["stage_seconds"]``);
``python -m benchmarks.budget_use`` compares them over a results folder.

The shares and safety factors are the :class:`~automl.policy.Policy`'s.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from automl.policy import DEFAULT_POLICY, Policy


class Costed(Protocol):
    """What the cost model reads of a finished trial (an ensemble candidate)."""

    @property
    def loss(self) -> float: ...
    @property
    def duration(self) -> float | None: ...
    @property
    def model_files(self) -> tuple[str, ...]: ...
    @property
    def model_save_seconds(self) -> float: ...
    @property
    def family(self) -> str: ...
    @property
    def budget(self) -> float: ...


@dataclass(frozen=True)
class CostModel:
    """Seconds the stages after the search take, estimated from the trials.

    Parameters
    ----------
    policy : Policy
        Its shares and safety factors.
    n_splits : int
        Validation splits the trials fitted (repeats included; 1: a holdout).
    refit_rows : float, default=1.0
        Rows of a refit on all rows over the mean training rows of a split
        (5/4 for 5-fold or a 20 % holdout).
    refit_speedup : float, default=1.0
        How many times faster a final fit runs than its trial (the final
        model's fits run alone, with every core).
    cv_repeats : int, default=1
        Repeats of k-fold among ``n_splits``.
    n_classes : int or None, default=None
        Classes of the target (None for regression): the stackers' boosting
        grows one tree per class and round.

    Examples
    --------
    >>> costs = CostModel(Policy(), n_splits=5, refit_rows=1.25)
    >>> class Trial:
    ...     loss, duration, model_files, model_save_seconds = 0.1, 10.0, (), 0.0
    ...     family, budget = "lightgbm", 1.0
    >>> costs.bag(Trial()), costs.refit(Trial())
    (10.0, 2.5)
    """

    policy: Policy = DEFAULT_POLICY
    n_splits: int = 1
    refit_rows: float = 1.0
    refit_speedup: float = 1.0
    cv_repeats: int = 1
    n_classes: int | None = None
    #: Rows with a validation prediction.
    n_valid: int = 0
    #: Columns of the typed table (what the residual scale models read).
    n_columns: int = 1

    @classmethod
    def for_splits(
        cls,
        splits: Sequence[tuple[np.ndarray, np.ndarray]],
        n_rows: int,
        **kwargs: Any,
    ) -> CostModel:
        """The cost model of trials validated on ``splits`` of ``n_rows`` rows."""
        n_train = float(np.mean([len(train) for train, _ in splits]))
        n_valid = len(np.unique(np.concatenate([valid for _, valid in splits])))
        return cls(
            n_splits=len(splits),
            refit_rows=n_rows / max(n_train, 1.0),
            n_valid=n_valid,
            **kwargs,
        )

    def conformity(self) -> float:
        """A regression's residual scale models for adaptive intervals: two
        LightGBMs of 100 trees, each fitted on at most
        ``CONFORMITY_FIT_ROWS`` validated rows and predicting the others
        (one thread, CPU seconds: 0.11 on 1,000 rows × 10 columns, 1.16 on
        40,000 × 50, 0.68 on 250,000 × 10, 1.57 on 250,000 × 50, 2.07 on
        1,000,000 × 16); 0 for classifiers."""
        if self.n_classes is not None:
            return 0.0
        fitted = min(self.n_valid, 2 * CONFORMITY_FIT_ROWS) * max(self.n_columns, 1)
        return (
            CONFORMITY_SECONDS
            + CONFORMITY_SECONDS_PER_FITTED_CELL * fitted
            + CONFORMITY_SECONDS_PER_ROW * self.n_valid
        )

    # -- members --------------------------------------------------------------------

    def refit(self, trial: Costed) -> float:
        """One fit of the trial's configuration on all rows."""
        one_fit = duration(trial) / self.n_splits / self.refit_speedup
        return one_fit * self.refit_rows / trial.budget

    def bag(self, trial: Costed) -> float:
        """The trial as a bag: its kept fold models read back, or its folds
        refitted on all their rows (its trial's duration over its budget),
        whichever is cheaper."""
        kept = np.inf
        if trial.model_files:
            kept = self.read(trial.model_files, trial.model_save_seconds)
        return float(min(kept, duration(trial) / trial.budget))

    def read(self, files: Sequence[str], save_seconds: float) -> float:
        """Reading kept fold models that took ``save_seconds`` to write (inf
        if one is gone)."""
        if not all(os.path.exists(path) for path in files):
            return float("inf")
        per_file = self.policy.load_seconds_per_file * len(files)
        return per_file + self.policy.load_seconds_per_save_second * save_seconds

    def member(self, trial: Costed, full: bool) -> float:
        """A member refitted on all rows (``full``), else a bag."""
        return self.refit(trial) if full else self.bag(trial)

    # -- stacking -------------------------------------------------------------------

    def stackers(self, bases: Sequence[Costed]) -> float:
        """The stackers as bags on every repeat of k-fold: a share of the
        median base trial, more with more classes."""
        n_classes = self.n_classes
        extra_trees = n_classes - 1 if n_classes is not None and n_classes > 2 else 0
        share = (
            self.policy.stacker_share + self.policy.stacker_share_per_tree * extra_trees
        )
        return share * float(np.median([duration(b) for b in bases]))

    def stacking_check(self, bases: Sequence[Costed]) -> float:
        """The stacking check: its bases (fitted on ``check_rows`` of the rows)
        and its stackers, on one k-fold of the repeated ones."""
        base_seconds = self.policy.check_rows * sum(duration(b) for b in bases)
        return (base_seconds + self.stackers(bases)) / self.cv_repeats

    def stackers_after_check(self, check_stacker_seconds: float) -> float:
        """The stack's stackers, from the check's measured stackers: on all rows
        and every repeat of k-fold."""
        return self.cv_repeats * check_stacker_seconds / self.policy.check_rows

    # -- the best trial grown on more rows ---------------------------------------

    def grown(self, trial: Costed, share: float) -> float:
        """One fit of the trial's configuration on ``share`` of its split's
        training rows, with the final model's threads."""
        one_fit = duration(trial) / self.n_splits / self.refit_speedup
        return one_fit * share / trial.budget

    def grown_share(self, trial: Costed, seconds: float) -> float | None:
        """The largest share of the training rows (at most all) the trial's
        configuration fits on in ``seconds``; None if the trial fitted on all
        of them, or the share is less than ``policy.grow_min_factor`` times
        the trial's (not worth taking the seconds from the search)."""
        budget = trial.budget
        if budget >= 1:
            return None
        share = min(1.0, seconds / max(self.grown(trial, 1.0), 1e-9))
        least = min(1.0, self.policy.grow_min_factor * budget)
        return share if share >= least else None

    # -- a single refit ------------------------------------------------------------

    def refit_budget(
        self, budget: float | None, fit_time: float | None, seconds: float | None
    ) -> float | None:
        """Row fraction for the final refit of a trial run on ``budget`` of the
        rows in ``fit_time`` seconds: all rows (None) when its estimate on all
        rows fits in ``policy.refit_time_share`` of ``seconds``, else as many
        as fit, never fewer than the trial saw: that model was validated, a
        constant fallback was not."""
        if budget is None or budget >= 1 or not fit_time or seconds is None:
            return None
        affordable = self.policy.refit_time_share * seconds / (fit_time / budget)
        return None if affordable >= 1 else max(budget, affordable)

    # -- the search's reserve -------------------------------------------------------

    def reserve(
        self,
        trials: Sequence[Costed],
        *,
        stack: bool | str,
        refit_full: bool,
        n_refits: int | None = None,
    ) -> float:
        """Seconds the ensemble builder will need for these trials, inflated
        by ``policy.reserve_safety``, plus the margin.

        The members are the ``policy.typical_members`` best trials; with
        stacking, the check and the stack's extra bases (the best of each
        family, ``policy.n_stack_bases``).

        Parameters
        ----------
        trials : sequence
            Finished trials so far (their predictions are not read).
        stack : bool or "auto"
            As given to the builder.
        refit_full : bool
            Members refitted on all rows instead of bags.
        n_refits : int or None, default=None
            With full refits (a holdout, or ``refit_full``): how many of the
            best members are refitted, the others being the models their
            trials kept, as the builder makes them when not every refit fits
            in the time left; None: all of them.
        """
        policy = self.policy
        ranked = sorted(
            (t for t in trials if np.isfinite(t.loss)), key=lambda t: t.loss
        )
        if not ranked:
            return policy.margin_seconds
        full = refit_full or self.n_splits == 1
        refitted = policy.typical_members if n_refits is None else n_refits
        members = ranked[: policy.typical_members]
        total = sum(
            self.member(t, full and rank < refitted) for rank, t in enumerate(members)
        )
        if stack is not False and self.n_splits > 1:
            bases = [ranked[i] for i in diverse_bases(ranked, policy.n_stack_bases)]
            extra = [b for b in bases if all(b is not m for m in members)]
            total += self.stacking_check(bases) + self.stackers(bases)
            total += sum(self.member(b, full) for b in extra)
        total += self.conformity()
        return policy.reserve_safety * total + policy.margin_seconds


#: The residual scale models' cost: a base, seconds per cell they are
#: fitted on, and per validated row they predict (:meth:`CostModel.conformity`).
CONFORMITY_SECONDS = 0.2
CONFORMITY_SECONDS_PER_FITTED_CELL = 5e-7
CONFORMITY_SECONDS_PER_ROW = 2e-6
#: Rows each of the two residual scale models is fitted on at most.
CONFORMITY_FIT_ROWS = 20_000


def duration(trial: Costed) -> float:
    """A trial's measured seconds (1 when unknown, e.g. a resumed trial)."""
    return trial.duration if trial.duration is not None else 1.0


def diverse_bases(ranked: Sequence[Costed], n: int) -> list[int]:
    """Indices of up to ``n`` trials: the best of each family, then the rest.

    Parameters
    ----------
    ranked : sequence
        Trials (ensemble candidates), best first.
    n : int

    Returns
    -------
    list of int
        Sorted indices into ``ranked``.
    """
    picked: list[int] = []
    families: set[str] = set()
    for i, trial in enumerate(ranked):
        if trial.family not in families:
            picked.append(i)
            families.add(trial.family)
    picked = picked[:n]
    for i in range(len(ranked)):
        if len(picked) >= n:
            break
        if i not in picked:
            picked.append(i)
    return sorted(picked)
