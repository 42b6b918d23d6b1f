"""``build_ensemble``: from the search's trials to a fitted ensemble, in time.

The build is a sequence of steps (:mod:`automl.ensemble.steps`: selection,
its check, the members, the latency limit, assembly, the regression guard,
stacking, calibration), each estimating its cost with the fit's one cost
model (:class:`~automl.costs.CostModel`), running to the build's deadline and
noting what it decided; :func:`build_ensemble` composes them from its
parameters and the policy. The order of the steps is also the order of
degradation: whatever the clock allows, something useful is kept.

Members are k-fold bags of the trials' own kept fold models (exactly the
models whose OOF predictions were selected; refitted with the trial's seed
and folds when they were not kept), or with ``refit_full=True`` or a holdout
split single models refitted on all rows. Time estimates are inflated by
``policy.safety`` (the stacking steps, which stop at the deadline with the
plain ensemble already fitted, by ``policy.stack_safety``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from automl.costs import CostModel
from automl.ensemble.calibration_steps import Calibrate, Conformity, ShiftQuantiles
from automl.ensemble.fitted import FittedEnsemble
from automl.ensemble.state import BuildState, has_diverged
from automl.ensemble.steps import (
    Assemble,
    CheckSelection,
    GrowBest,
    Guard,
    InferLimit,
    Members,
    Select,
    Stack,
    Step,
    run_steps,
)
from automl.evaluation import TrialData, TrialSettings
from automl.limits import Clock
from automl.metrics import Metric
from automl.policy import DEFAULT_POLICY, Policy

__all__ = ["Candidate", "build_ensemble", "compose_steps", "has_diverged"]


@dataclass(frozen=True, eq=False)
class Candidate:
    """A finished trial offered to the ensemble (on all rows, or on a share
    of them where the pool takes those too: ``Policy.large_table_rows``).

    Parameters
    ----------
    config : dict
        Plain configuration values of the trial.
    seed : int
        The trial's model seed.
    loss : float
        The trial's validation loss.
    predictions : ndarray
        Its validation predictions, ordered like ``validation_indices(splits)``
        (OOF predictions of every row for k-fold splits).
    trial_id : int or None
    duration : float or None
        Wall-clock seconds the trial took (all folds), for the time plan.
    model_files : tuple of str
        The trial's own fold models (joblib files, one per split), which make
        it a bag without refitting; empty if they were not kept.
    model_save_seconds : float
        Seconds the trial took to write them (to estimate reading them).
    budget : float
        The share of each split's training rows the trial fitted on (1: all).
    """

    config: dict[str, Any]
    seed: int
    loss: float
    predictions: np.ndarray
    trial_id: int | None = None
    duration: float | None = None
    model_files: tuple[str, ...] = ()
    model_save_seconds: float = 0.0
    budget: float = 1.0

    @property
    def family(self) -> str:
        return str(self.config.get("model", "?"))

    @property
    def name(self) -> str:
        return f"{self.family}#{self.trial_id}"

    @classmethod
    def from_record(
        cls, record: Any, predictions: np.ndarray | None = None
    ) -> Candidate | None:
        """From a search ``TrialRecord`` that succeeded, with the validation
        predictions its outcome kept (or ``predictions``, e.g. read back from a
        trial log); None when there are none."""
        if predictions is None:
            predictions = getattr(record.outcome, "predictions", None)
        if record.status != "ok" or predictions is None:
            return None
        return cls(
            dict(record.config),
            int(record.seed),
            float(record.loss),
            predictions,
            trial_id=int(record.trial_id),
            duration=float(record.duration),
            model_files=tuple(getattr(record.outcome, "model_files", ())),
            model_save_seconds=getattr(record.outcome, "model_save_seconds", 0.0),
            budget=1.0 if record.budget is None else min(1.0, float(record.budget)),
        )


def build_ensemble(
    candidates: Sequence[Candidate],
    data: TrialData,
    metric: Metric,
    *,
    deadline: float | None = None,
    n_threads: int = 1,
    refit_speedup: float = 1.0,
    cv_repeats: int = 1,
    seed: int = 0,
    stack: bool | Literal["auto"] = "auto",
    refit_full: bool = False,
    max_members: int | None = None,
    infer_limit: float | None = None,
    decision_threshold: float | Literal["auto"] | None = "auto",
    policy: Policy = DEFAULT_POLICY,
    costs: CostModel | None = None,
    clock: Clock = time.time,
    row_caps: dict[str, float] | None = None,
    budget_unit: Literal["rows", "iterations"] = "rows",
) -> FittedEnsemble:
    """Build the final predictor from the search's candidates (module docstring).

    Parameters
    ----------
    candidates : sequence of Candidate
        Finished full-budget trials with their validation predictions.
    data : TrialData
        The training data and the splits the trials were validated on.
    metric : Metric
        The user's metric; every selection minimises its loss.
    deadline : float or None
        ``time.time()`` by which the ensemble must be fitted.
    n_threads : int, default=1
        Threads per model fit.
    refit_speedup : float, default=1.0
        How many times faster a refit on all rows runs than its trial (the
        ensemble's fits have more threads than a trial's).
    cv_repeats : int, default=1
        Repeats of k-fold in ``data.splits``: the stacking check refits its
        bases on one k-fold, a ``1 / cv_repeats`` share of their trials' work.
    seed : int, default=0
        Seed of the stackers and of the check's inner splits.
    stack : bool or "auto", default="auto"
        "auto": stack if the dynamic-stacking check says it helps; True:
        stack without the check; False: never.
    refit_full : bool, default=False
        Members are single models refitted on all rows instead of k-fold bags
        (faster predictions).
    max_members : int or None, default=None
        Cap on the number of distinct members of each greedy selection, and
        on the number of base models the stackers read.
    infer_limit : float or None, default=None
        Most seconds per row the members may take to predict, measured on a
        batch of ``policy.infer_batch`` training rows; slow, light members are
        dropped to meet it, and there is no stacking. If no combination
        meets it, the best member that meets it alone is kept; if none does,
        the fastest, and ``decision`` says so.
    decision_threshold : float, "auto" or None, default="auto"
        Classification: "auto" calibrates the probabilities and tunes the
        decision rule for a label metric on the final model's OOF
        predictions, each where it helps
        (:func:`~automl.ensemble.calibration.calibrate`); a float is a fixed
        binary threshold; None keeps the argmax (calibration still applies).
    policy : Policy, optional
        The time model's shares and safety factors, the selection's rounds and
        checks, the guard and calibration (:class:`~automl.policy.Policy`).
    costs : CostModel or None, default=None
        The fit's cost model (the one its search reserved time with); None
        makes one from ``data``'s splits, ``policy``, ``refit_speedup`` and
        ``cv_repeats``.
    clock : callable, default=time.time
        Where "now" is read from, in ``deadline``'s seconds (the fit's
        deadline's clock).
    row_caps : dict of str to float, optional
        Family -> the most rows (a fraction) its members fit on: the memory
        plan's, for families that do not fit on all rows.
    budget_unit : {"rows", "iterations"}, default="rows"
        What the candidates' budgets are shares of (the search's fidelity
        unit): ``GrowBest`` grows the best one in that unit.

    Returns
    -------
    FittedEnsemble
        ``validation_losses`` holds ``best_single`` and ``ensemble`` (OOF or
        holdout losses; both optimistic: the trials were chosen, and the
        weights fitted, on the same rows), ``check_ensemble`` /
        ``check_stack`` (held-out losses of the dynamic-stacking check) and
        ``stack`` (the stackers' OOF loss) when they were computed.

    Raises
    ------
    ValueError
        If no candidate has predictions.
    """
    if costs is None:
        costs = CostModel.for_splits(
            data.splits,
            len(data.y),
            n_columns=data.X.shape[1],
            policy=policy,
            refit_speedup=refit_speedup,
            cv_repeats=cv_repeats,
            n_classes=data.n_classes,
        )
    state = BuildState(
        _rank(candidates, policy.max_candidates),
        data,
        metric,
        TrialSettings(
            metric=metric,
            crash_loss=float("inf"),
            n_threads=n_threads,
            row_caps=dict(row_caps or {}),
            budget_unit=budget_unit,
        ),
        policy,
        costs,
        deadline,
        seed,
        full=refit_full,
        max_members=max_members,
        clock=clock,
    )
    steps = compose_steps(
        data.task,
        policy,
        stack,
        infer_limit,
        decision_threshold,
        quantile=metric.quantile_levels is not None,
    )
    return run_steps(state, steps)


def compose_steps(
    task: str,
    policy: Policy,
    stack: bool | Literal["auto"],
    infer_limit: float | None,
    decision_threshold: float | Literal["auto"] | None,
    *,
    quantile: bool = False,
) -> list[Step]:
    """The steps of a build: an ingredient switched off is a step left out.

    Quantile regression keeps the weighted average of members (the average of
    non-crossing quantiles does not cross), shifts each level to hold its
    share of the out-of-fold targets, then takes its CQR scores.
    """
    steps: list[Step] = [GrowBest()] if policy.grow_best else []
    steps += [Select(), CheckSelection(), Members()]
    if infer_limit is not None:
        steps.append(InferLimit(infer_limit))
    steps.append(Assemble())
    if quantile:
        return [*steps, ShiftQuantiles(), Conformity()]
    if task == "regression" and policy.regression_guard is not None:
        steps.append(Guard())
    if stack is not False and infer_limit is None:  # stackers add to predict time
        steps.append(Stack(check=stack == "auto"))
    if task != "regression" and policy.calibrate:
        steps.append(Calibrate(decision_threshold))
    steps.append(Conformity())
    return steps


def _rank(candidates: Sequence[Candidate], max_candidates: int) -> list[Candidate]:
    usable = [
        c for c in candidates if c.predictions is not None and np.isfinite(c.loss)
    ]
    if not usable:
        raise ValueError(
            "build_ensemble needs at least one successful trial with validation "
            "predictions; none were given."
        )
    usable.sort(key=lambda c: (c.loss, -1 if c.trial_id is None else c.trial_id))
    return usable[:max_candidates]
