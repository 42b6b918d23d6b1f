"""The fit's policy: every share, safety factor, margin and row threshold, in one value.

How much of ``time_limit`` a trial, the ensemble and the stacking steps get,
how much safety the time estimates carry, from how many rows a table is
cross-validated, repeated, searched with successive halving or given more
threads, how much memory a fit takes by default: each such rule is one field
of :class:`Policy`, documented with the measurement behind it. The plan
(:func:`automl.plan.plan_fit`) carries the policy to every stage; nothing
else in the package holds a number of this kind.

A user changes a rule by passing a policy to the estimator::

    from automl import AutoClassifier, Policy
    AutoClassifier(policy=Policy(stack_share=0.2, max_cv_repeats=1))

The benchmarks' ablations are such policies (``benchmarks/systems.py``); the
trial log, ``ensemble_info_["policy"]`` and a saved model record the policy
a fit ran with (:meth:`Policy.as_dict`).

Unless said otherwise, "measured" below means on the benchmark machine,
:attr:`Policy.reference_cores` cores at :attr:`Policy.reference_time_limit`
seconds, on the ``standard`` or ``quick`` suite (``benchmarks/results/``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class Policy:
    """Every share, safety factor, margin and row threshold of a fit.

    Every field has the default the benchmarks chose; its comment says which
    measurement. Immutable, compared by value, checked when made (a share is
    in (0, 1], nothing negative or not finite). Rules that scale with the
    budget scale from the reference machine the rules were measured on.

    Examples
    --------
    >>> policy = Policy(stack_share=0.2)
    >>> policy.stack_share, policy.ensemble_share
    (0.2, 0.25)
    >>> Policy.from_dict(policy.as_dict()) == policy
    True
    """

    # -- the reference machine -------------------------------------------------
    #: Seconds of the budget the rules below were measured at.
    reference_time_limit: float = 60.0
    #: Cores of the machine they were measured on (the benchmark machine).
    reference_cores: int = 2

    # -- the search's time -------------------------------------------------------
    #: Share of ``time_limit`` a trial may use when ``per_trial_time_limit`` is
    #: None, as auto-sklearn's default; never below ``min_trial_seconds``.
    trial_share: float = 0.25
    min_trial_seconds: float = 5.0
    #: Share of a fold's time its model leaves to predict its validation rows;
    #: 0.2 cost boosters trees (generated-5m, 300 s: 0.863 AUC against 0.872).
    predict_share: float = 0.0
    #: Largest share of ``time_limit`` kept for building the ensemble.
    ensemble_share: float = 0.25
    #: Largest share of ``time_limit`` kept for the stacking check and the stack.
    #: At 60 s where the check took 5-10 s (10-17 % of the budget) the search
    #: lost 5-8 s per fit and the scores were level with no check (4/9/5); at
    #: 300 s it is kept where it is cheap (about 4 %: ``standard-60s-final``).
    stack_share: float = 0.1
    #: Seconds, and share of ``time_limit``, kept after the search on top of the
    #: final model's estimate, for the last trials' return and the bookkeeping.
    reserve_base_seconds: float = 1.0
    reserve_base_share: float = 0.01

    # -- the end of the fit's time ---------------------------------------------
    #: Share of the remaining time a single final refit (no ensemble) is
    #: planned to use; successive-halving trials refit on the rows it affords.
    refit_time_share: float = 0.6
    #: ``GrowBest`` (>= ``grow_min_factor`` times the trial's rows; generated-1m
    #: at 300 s: 1/27 -> 40 % of the rows, RMSE 1.0505 -> 1.0440; ``-grow2``).
    grow_best: bool = True
    grow_min_factor: float = 2.0
    #: Seconds kept free before the fit's deadline by the final model's stages.
    margin_seconds: float = 0.5
    #: The members' time estimates are multiplied by this against the clock.
    safety: float = 1.3
    #: The same for the stacking check and the stack, which stop at the deadline
    #: with the plain ensemble already fitted: an overrun costs the time left,
    #: not the result. At ``safety`` the builder refused the check the search
    #: had kept time for (sick and credit-g at 300 s).
    stack_safety: float = 1.0
    #: The search's reserve is decided early: about ``safety``'s slack.
    reserve_safety: float = 1.25
    #: Typical number of distinct members of a 25-round selection, for the reserve.
    typical_members: int = 4
    #: The stackers' bags (a linear model and a small LightGBM on the bases'
    #: predictions) cost this share of the median base trial, plus
    #: ``stacker_share_per_tree`` for each extra tree a boosting round grows
    #: (one per class). Measured with the check's own timing at 300 s: 0.15 on
    #: credit-g, 0.21 on sick, 0.35 on car (4 classes), 2.2 on soybean (19).
    stacker_share: float = 0.2
    stacker_share_per_tree: float = 0.1
    #: Share of the rows the stacking check fits on (4 of 5 folds): its cost
    #: against the same fits on all rows.
    check_rows: float = 0.8
    #: Reading a trial's kept fold models costs this many seconds per second
    #: its trial took to write them (breast cancer: 0.5 to 2.3, median 0.8;
    #: colic at 60 s read 15 files in 2.6 s, 3.8 s estimated at 1.0), plus
    #: this many per file.
    load_seconds_per_save_second: float = 0.7
    load_seconds_per_file: float = 0.01

    # -- the ensemble -------------------------------------------------------------
    #: Candidates considered by the selection (auto-sklearn's ``ensemble_nbest``).
    max_candidates: int = 50
    #: Base configurations of the stack (best of each family first).
    n_stack_bases: int = 5
    #: Rounds of greedy ensemble selection, as AutoGluon's (auto-sklearn: 50).
    #: On 6 corpus tables most of the gain came by 10 rounds and at most 0.13 %
    #: more from 50, for twice the time (``benchmarks/ensemble_rounds.py``).
    selection_rounds: int = 25
    #: Up to this many out-of-fold rows, ensemble selection is checked on
    #: held-out halves against the best single model (0: never).
    checked_selection_rows: int = 5_000
    #: The best single model replaces the selection only when its held-out loss
    #: is lower by more than this share (on vehicle, a 0.3 % edge of the single
    #: model on the halves cost 10 % of test log loss).
    selection_check_margin: float = 0.01
    #: A refit on all rows whose loss on the validation rows (which it trained
    #: on) exceeds its trial's loss on them (unseen) by more than the trial's
    #: loss, or this much, has diverged (HistGradientBoosting on a class of 2
    #: rows on nursery: validation log loss 4e-6, test 9.3).
    divergence_tolerance: float = 0.01
    #: The stacking check weighs the stack against the fit's own plain
    #: ensemble, not the stack's refitted bases' (car at 300 s: test log loss
    #: 0.0120 -> 0.0047). Off until measured at 300 s, where the check runs
    #: (``automl_stack_check_against_plain``; at 60 s it ran on no table).
    stack_check_against_plain: bool = False
    #: Regression ensembles clip each member to within this many times its OOF
    #: RMSE of the members' weighted median, row by row, where that does not
    #: hurt on the OOF rows (house-prices' outlier row); None: no guard.
    regression_guard: float | None = 3.0
    #: Whether classifiers' probabilities get temperature scaling and a tuned
    #: decision rule on the final model's OOF predictions.
    calibrate: bool = True
    #: A calibration step is kept only if it lowers the cross-fitted loss by
    #: more than this share, a temperature by ``temperature_min_gain``: smaller
    #: gains did not carry to the test rows (60 s: gains of 0.04-0.6 % on
    #: vehicle, cmc and splice, test log loss worse or level on all three).
    calibration_min_gain: float = 1e-4
    temperature_min_gain: float = 0.01
    #: Judge the temperature on log loss whatever the metric (60 s, binary test
    #: log loss: standard suite better on 6 of 10 tables, colic 0.61 -> 0.51,
    #: level on 4; confirmation better 4, level 3, worse 2 of 9 (kr-vs-kp x1.16).
    temperature_on_log_loss: bool = True
    #: The class prior is mixed into the probabilities as this many rows
    #: added to the n OOF rows (a 275-row table: test log loss 0.28 from a
    #: few rows near 0, peers 0.03). 0: off until measured
    #: (``automl_probability_floor``).
    probability_floor_rows: float = 0.0
    #: Greedy selection keeps the shortest prefix within one standard error
    #: of the best one's OOF loss. Off until measured (``automl_selection_one_se``).
    selection_one_se: bool = False
    #: Batch size (rows drawn from the training rows) at which ``infer_limit``
    #: is measured, as AutoGluon's ``infer_limit_batch_size``.
    infer_batch: int = 10_000

    # -- validation ----------------------------------------------------------------
    #: ``resampling="auto"`` always cross-validates up to this many rows, up to
    #: ``cv_max_rows`` with a ``time_limit`` of ``cv_min_time_limit`` or more,
    #: and beyond while the limit gives each row the core-seconds that
    #: ``cv_max_rows`` rows get on the reference machine, up to
    #: ``cv_max_rows_long`` rows (25,000 rows at 300 s on 2 cores).
    cv_always_rows: int = 1_000
    cv_max_rows: int = 5_000
    cv_max_rows_long: int = 100_000
    cv_min_time_limit: float = 30.0
    n_folds: int = 5
    holdout_fraction: float = 0.2
    #: A holdout validates at most this many rows (0: the fraction alone).
    #: 300 s: generated-5m 0.889 AUC against 0.804, generated-1m 1.080 RMSE
    #: against 1.384, level on 3 real tables (``large-scoreboard-300s-after``).
    holdout_max_rows: int = 10_000
    #: ``resampling="auto"`` cross-validates (up to ``cv_max_rows_long`` rows)
    #: where a holdout would validate fewer rows of the rarest class than this
    #: (a 7,900-row table, 5 % positives: 80 in the holdout, noise selected).
    #: Error where it acts, 60 s: letter 0.33x, krkopt 0.98x, coil2000 0.96x,
    #: page-blocks 1.02x, nursery level. 0: rows alone decide.
    min_holdout_minority: int = 200
    #: ``cv_repeats="auto"`` repeats k-fold, on up to ``cv_max_rows`` rows, once
    #: per this many core-seconds a row (1,000 rows at 60 s on 2 cores: 2),
    #: at most ``max_cv_repeats`` times (1: ablations).
    max_cv_repeats: int = 3
    core_seconds_per_row_repeat: float = 0.06

    # -- budgets -------------------------------------------------------------------
    #: ``multi_fidelity="auto"`` may use successive halving from this many
    #: training rows (a full trial is cheap below).
    multi_fidelity_min_rows: int = 6_000
    #: The lowest budget must still train on this many rows (with 1,000, no
    #: trial reached the full budget in 120 s on bank-marketing).
    min_rows_per_budget: int = 2_000
    #: Successive halving never goes below this fraction of the training rows.
    min_budget_fraction: float = 1 / 27
    #: Lowest budget of ``multi_fidelity="iterations"``: three rungs with eta = 4.
    iteration_min_budget: float = 1 / 16
    #: ``multi_fidelity="auto"`` judges the cost after this many finished
    #: trials, keeps full budgets while ``halving_full_trials_wanted`` more fit
    #: in the time left, and decides in its first ``halving_decide_within``.
    halving_min_observations: int = 4
    halving_full_trials_wanted: int = 20
    halving_decide_within: float = 0.5
    #: From ``large_table_rows``, after this many (generated-1m: 2 of 6 runs had
    #: their 4th past half the search, never switched; ``-grow2``).
    halving_min_observations_large: int = 2

    # -- threads and memory ------------------------------------------------------
    #: Below this many rows a trial's model uses one thread: OpenMP overhead
    #: dominates there, and its threads spin badly on a busy machine.
    single_thread_rows: int = 5_000
    #: Share of the available memory a fit may use when ``memory_limit`` is None.
    memory_share: float = 0.6
    #: Resident MiB of a worker process with the model libraries loaded, plus a
    #: light trial (measured: 235-295 MiB on our machine, up to 317 MiB on CI's).
    worker_base_mb: float = 350.0
    #: A row subsample under the memory limit keeps at least this many rows.
    min_subsample_rows: int = 1_000
    #: Before typing, the input is cut to rows whose typed copy takes at most
    #: this share of ``memory_limit`` (the plan, after typing, may cut more).
    max_data_share: float = 0.25
    #: Typed tables larger than this (MiB at float64) are stored as float32.
    float32_from_mb: float = 100.0

    # -- the warm start -----------------------------------------------------------
    #: Prior tasks whose best configuration joins the initial design.
    n_neighbours: int = 5
    #: Families whose default configuration every fit on a table of up to
    #: ``strong_defaults_max_rows`` rows evaluates early, after the first
    #: ``strong_defaults_after`` warm-start configurations.
    strong_defaults: tuple[str, ...] = ("random_forest", "extra_trees", "linear")
    strong_defaults_after: int = 4
    strong_defaults_max_rows: int = 5_000
    #: From this many rows, each family's ``large_table`` configuration comes
    #: second, and trials on a share of the rows join the ensemble's pool.
    large_table_rows: int = 100_000

    # -- the space -------------------------------------------------------------------
    #: Whether the configuration space offers generated features
    #: (``feature_generator``).
    generated_features: bool = True

    def __post_init__(self) -> None:
        _check(self)

    @property
    def cv_core_seconds_per_row(self) -> float:
        """Core-seconds a row gets at ``cv_max_rows`` rows on the reference
        machine: beyond ``cv_max_rows``, k-fold needs this many a row."""
        reference = self.reference_time_limit * self.reference_cores
        return reference / max(1, self.cv_max_rows)

    def as_dict(self) -> dict[str, Any]:
        """Plain values, for the trial log, ``ensemble_info_`` and saved models."""
        values = dataclasses.asdict(self)
        values["strong_defaults"] = list(self.strong_defaults)
        return values

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Policy:
        """The policy back from :meth:`as_dict`.

        Raises
        ------
        ValueError
            If a key is not a field of this version's policy.
        """
        _check_known(values)
        return cls(**values)


def _check_known(values: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` for a key that is not a field of :class:`Policy`."""
    known = {f.name for f in fields(Policy)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(
            f"{unknown} are not fields of this version's Policy; "
            f"its fields are {sorted(known)}."
        )


def _check(policy: Policy) -> None:
    """Raise ``ValueError`` for a field that means nothing: not a finite
    number, negative, or a share outside (0, 1]; or names that are not
    strings. Names given as a list are kept as a tuple (the policy is
    hashable and immutable)."""
    for f in fields(policy):
        value = getattr(policy, f.name)
        if isinstance(f.default, tuple):
            if not isinstance(value, list | tuple) or not all(
                isinstance(name, str) for name in value
            ):
                raise ValueError(
                    f"Policy.{f.name} must be a sequence of family names such as "
                    f"{f.default!r}, got {value!r}."
                )
            object.__setattr__(policy, f.name, tuple(value))
            continue
        if isinstance(value, bool) or value is None:
            continue
        if not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"Policy.{f.name} must be a finite number, got {value!r}.")
        if value < 0:
            raise ValueError(
                f"Policy.{f.name} must not be negative, got {value!r}; the "
                f"default is {f.default!r}."
            )
    for name in _SHARES:
        value = getattr(policy, name)
        if not 0 < value <= 1:
            raise ValueError(
                f"Policy.{name} is a share and must be in (0, 1], got {value!r}."
            )


_SHARES = (
    "trial_share",
    "ensemble_share",
    "stack_share",
    "reserve_base_share",
    "refit_time_share",
    "check_rows",
    "holdout_fraction",
    "min_budget_fraction",
    "iteration_min_budget",
    "halving_decide_within",
    "memory_share",
    "max_data_share",
)

#: The defaults, for functions that are also used outside a fit.
DEFAULT_POLICY = Policy()
