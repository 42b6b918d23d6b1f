"""``build_ensemble``: from the search's trials to a fitted ensemble, in time.

The order of work is also the order of degradation, so that whatever the
clock allows, something useful is kept:

1. Greedy ensemble selection over the kept validation predictions of the
   trials (cheap: no model is fitted). On up to the policy's
   ``checked_selection_rows`` rows it is checked on held-out halves of
   those rows against the best single model, which replaces it when the
   selection only fitted the noise of its own rows.
2. The selected members are made into predictors. With k-fold trials and
   ``refit_full=False`` each member is a bag of its k fold models: those its
   trial fitted and kept (``Candidate.model_files``), read back from disk, so
   the bag is exactly the model whose OOF predictions were selected (best
   accuracy, k times slower to predict); a trial whose models were not kept
   is refitted with its seed on its folds. With ``refit_full=True``, or
   with a holdout split (whose one model never saw 20 % of the rows), each
   member is refitted once on all rows. Members are fitted best weight
   first; those the deadline cuts off are dropped and the selection is rerun
   over the fitted ones.
3. Stacking (k-fold splits only), if the time plan affords it: the
   dynamic-stacking check (:func:`automl.ensemble.stacking.check_stacking`),
   and if the stack wins, its base models and stackers are fitted on all
   rows and the final greedy selection runs over the stackers.

A regression ensemble gets a guard against one member extrapolating far
from the others (``policy.regression_guard``); a classifier's final
probabilities get the temperature and decision rule of
:mod:`automl.ensemble.calibration`, each kept only where it helps on the
out-of-fold rows.

If no member could be fitted, the best trial is refitted on all rows with
whatever time is left (iterative models stop at the deadline): never nothing.

With ``infer_limit`` (seconds per row), each fitted member's predict time is
measured on a batch of ``policy.infer_batch`` training rows (drawn with
replacement); members are dropped, least weight per second first, and the
selection rerun, until their sum meets the limit; down to one member, the
best that meets it alone (else the fastest) is kept. Stacking is then
skipped (its stackers add to every prediction).

Time estimates come from the one cost model, :class:`~automl.costs.CostModel`
(a kept bag costs its reading, a refitted bag about what its trial cost, a
full refit ``duration / k × n / n_train``; the stackers a share of the median
base trial, and after the check their measured time), which gives the search
its reserve in advance. Estimates are inflated by ``policy.safety`` (the
stacking steps, which stop at the deadline, by ``policy.stack_safety``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from automl.costs import CostModel, diverse_bases
from automl.ensemble.bagging import BaggedModel, BagTimeoutError, fit_bag, load_bag
from automl.ensemble.calibration import Calibration, calibrate
from automl.ensemble.fitted import BaseMember, FittedEnsemble, guard_predictions
from automl.ensemble.selection import (
    EnsembleSelection,
    greedy_ensemble_selection,
    metric_loss,
)
from automl.ensemble.stacking import StackCheck, check_stacking, fit_stackers
from automl.evaluation import TrialData, TrialSettings
from automl.metrics import Metric
from automl.policy import DEFAULT_POLICY, Policy
from automl.resampling import halves_of, validation_indices

logger = logging.getLogger("automl")


@dataclass(frozen=True, eq=False)
class Candidate:
    """A finished full-budget trial offered to the ensemble.

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
    """

    config: dict[str, Any]
    seed: int
    loss: float
    predictions: np.ndarray
    trial_id: int | None = None
    duration: float | None = None
    model_files: tuple[str, ...] = ()
    model_save_seconds: float = 0.0

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
            policy=policy,
            refit_speedup=refit_speedup,
            cv_repeats=cv_repeats,
            n_classes=data.n_classes,
        )
    builder = _Builder(
        data,
        metric,
        TrialSettings(metric=metric, crash_loss=float("inf"), n_threads=n_threads),
        deadline=deadline,
        seed=seed,
        refit_full=refit_full,
        costs=costs,
        max_members=max_members,
        infer_limit=infer_limit,
        decision_threshold=decision_threshold,
        policy=policy,
    )
    return builder.run(_rank(candidates, policy.max_candidates), stack)


def has_diverged(refit_loss: float, trial_loss: float, tolerance: float = 0.01) -> bool:
    """Whether a refit on all rows broke on the validation rows of its trial:
    its loss there (rows it trained on) exceeds the trial's (rows it had not
    seen) by more than the trial's loss, or ``tolerance``
    (``policy.divergence_tolerance``)."""
    return refit_loss > trial_loss + max(abs(trial_loss), tolerance)


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


class _Builder:
    def __init__(
        self,
        data: TrialData,
        metric: Metric,
        settings: TrialSettings,
        *,
        deadline: float | None,
        seed: int,
        refit_full: bool,
        max_members: int | None,
        infer_limit: float | None,
        costs: CostModel,
        decision_threshold: float | str | None = "auto",
        policy: Policy = DEFAULT_POLICY,
    ) -> None:
        self.start = time.time()
        self.policy = policy
        self.costs = costs
        self.data = data
        self.metric = metric
        self.decision_threshold = decision_threshold
        #: The final model's OOF (or holdout) predictions, once it is chosen.
        self.final_oof: np.ndarray | None = None
        self.settings = settings
        self.loss_fn = metric_loss(metric, data.task)
        self.y_valid = data.y[validation_indices(data.splits)]
        self.deadline = deadline
        self.seed = seed
        self.max_members = max_members
        self.infer_limit = infer_limit
        self.rounds = policy.selection_rounds
        self.kfold = len(data.splits) > 1 and len(self.y_valid) == len(data.y)
        self.full = refit_full or not self.kfold
        self.losses: dict[str, float] = {}
        self.notes: list[str] = []
        #: Predictors made so far, by index into the ranked candidates.
        self.fitted: dict[int, BaggedModel] = {}
        #: Names of the candidates whose bag is their trial's kept fold models.
        self.reused: set[str] = set()
        #: Members (indices) that are their trial's kept model though the
        #: others are refitted on all rows (a holdout short of time).
        self.as_kept: set[int] = set()
        self.stage_seconds: dict[str, float] = {}
        #: What the time plan expected each stage to cost, before inflating.
        self.estimates: dict[str, float] = {}
        self.last_lap = self.start

    # -- the clock ---------------------------------------------------------------

    def remaining(self) -> float:
        if self.deadline is None:
            return float("inf")
        return self.deadline - time.time() - self.policy.margin_seconds

    def affords(self, seconds: float, safety: float | None = None) -> bool:
        """Whether the clock has ``seconds`` times ``safety`` (the policy's
        members' safety by default) left."""
        if safety is None:
            safety = self.policy.safety
        return self.remaining() >= safety * seconds

    def cost(self, candidate: Candidate) -> float:
        """Estimated seconds to make ``candidate`` a predictor."""
        return self.costs.member(candidate, self.full)

    def member_deadline(self) -> float | None:
        if self.deadline is None:
            return None
        return self.deadline - self.policy.margin_seconds

    # -- the stages --------------------------------------------------------------

    def run(self, ranked: list[Candidate], stack: bool | str) -> FittedEnsemble:
        preds = [c.predictions for c in ranked]
        self.losses["best_single"] = self.loss_fn(self.y_valid, preds[0])
        started = time.time()
        selection = self.select(preds)
        if self.should_check_selection(time.time() - started) and not (
            self.selection_holds(preds)
        ):
            selection = self.select(preds, allowed=[0])
        self.losses["ensemble"] = selection.loss
        self.lap("selection")
        members = self.plan_members(ranked, selection)
        fitted = self.fit_members(ranked, members, preds)
        if fitted is None:
            return self.last_resort(ranked[0])
        if self.infer_limit is not None:
            fitted = self.meet_infer_limit(fitted, preds, self.infer_limit)
            stack = False
        result = self.ensemble(ranked, fitted)
        self.lap("members")
        if stack is not False:
            stacked = self.try_stack(ranked, stack == "auto")
            if stacked is not None:
                result = stacked
            self.lap("stack")
        result.calibration = self.calibration()
        result.validation_losses = dict(self.losses)
        result.decision = "; ".join(self.notes)
        result.fit_seconds = time.time() - self.start
        result.stage_seconds = dict(self.stage_seconds)
        result.stage_estimates = dict(self.estimates)
        return result

    def calibration(self) -> Calibration:
        """Temperature and decision rule fitted on the final model's OOF."""
        if not self.policy.calibrate:
            return Calibration()
        if self.data.task == "regression" or self.final_oof is None:
            return Calibration()
        proba = self.final_oof / self.final_oof.sum(axis=1, keepdims=True)
        threshold = self.decision_threshold
        return calibrate(
            proba,
            self.y_valid,
            self.metric,
            tune_decision=threshold == "auto",
            threshold=None if isinstance(threshold, str | None) else float(threshold),
            seed=self.seed,
            min_gain=self.policy.calibration_min_gain,
            temperature_min_gain=self.policy.temperature_min_gain,
        )

    def lap(self, stage: str) -> None:
        """Record the seconds since the previous lap as ``stage``'s."""
        now = time.time()
        self.stage_seconds[stage] = now - self.last_lap
        self.last_lap = now

    def select(
        self, preds: Sequence[np.ndarray], allowed: Sequence[int] | None = None
    ) -> EnsembleSelection:
        """Greedy selection, optionally over a subset (weights over all)."""
        idx = list(range(len(preds))) if allowed is None else list(allowed)
        sub = greedy_ensemble_selection(
            [preds[i] for i in idx],
            self.y_valid,
            self.loss_fn,
            rounds=self.rounds,
            max_members=self.max_members,
        )
        weights = np.zeros(len(preds))
        weights[idx] = sub.weights
        return EnsembleSelection(
            weights, [idx[i] for i in sub.indices], sub.trajectory, sub.loss
        )

    def should_check_selection(self, selection_seconds: float) -> bool:
        """Small tables only, and only if the clock affords two more
        selections (one per half) besides the members."""
        if len(self.y_valid) > self.policy.checked_selection_rows:
            return False
        if self.affords(2 * selection_seconds + self.policy.margin_seconds):
            return True
        self.notes.append("selection check skipped: no time")
        return False

    def selection_holds(self, preds: Sequence[np.ndarray]) -> bool:
        """Whether ensemble selection beats the best single model on rows it
        did not see: weights (and the best single candidate) chosen on one
        half of the OOF rows are scored on the other, both ways. On small
        tables the selection can fit the noise of its own rows. It holds
        unless the single model wins by more than
        ``policy.selection_check_margin``."""
        halves = halves_of(self.y_valid, self.data.task, self.seed)
        ensemble, single = [], []
        for chosen_on, scored_on in (halves, halves[::-1]):
            y_scored = self.y_valid[scored_on]
            sub = [np.asarray(p)[chosen_on] for p in preds]
            picked = greedy_ensemble_selection(
                sub,
                self.y_valid[chosen_on],
                self.loss_fn,
                rounds=self.rounds,
                max_members=self.max_members,
            )
            blend = _blend([np.asarray(p)[scored_on] for p in preds], picked.weights)
            ensemble.append(self.loss_fn(y_scored, blend))
            best = int(
                np.argmin([self.loss_fn(self.y_valid[chosen_on], p) for p in sub])
            )
            single.append(self.loss_fn(y_scored, np.asarray(preds[best])[scored_on]))
        # The ensemble is the default: only clear evidence replaces it.
        margin = self.policy.selection_check_margin * abs(float(np.mean(single)))
        holds = float(np.mean(ensemble)) <= float(np.mean(single)) + margin
        self.notes.append(
            f"selection check on held-out halves: ensemble {np.mean(ensemble):.5g} "
            f"vs best single {np.mean(single):.5g} -> "
            + ("ensemble" if holds else "best single model")
        )
        return holds

    def plan_members(
        self, ranked: list[Candidate], selection: EnsembleSelection
    ) -> list[int]:
        """The selected members the clock affords, heaviest first.

        Short of time: the heaviest members that fit (the selection is rerun
        over them), else the best single model, as a bag if affordable, else
        refitted once on all rows (about k - 1 times cheaper than its bag).
        """
        members = selection.members
        total = sum(self.cost(ranked[i]) for i in members)
        self.estimates["members"] = total
        if self.affords(total):
            return members
        left = max(0.0, self.remaining())
        if self.full and not self.kfold and all(ranked[i].model_files for i in members):
            # Each holdout trial kept its model (fitted on the training part):
            # refit the heaviest members the clock affords, keep the others'.
            refits = self.affordable_refits(ranked, members)
            self.as_kept = set(members) - set(refits)
            self.notes.append(
                f"refitting the {len(members)} members on all rows needs "
                f"~{total:.1f} s, {left:.1f} s left: refitting {len(refits)}, the "
                "others are the models their trials fitted"
            )
            return members
        kept: list[int] = []
        for i in members:
            if self.affords(sum(self.cost(ranked[j]) for j in [*kept, i])):
                kept.append(i)
        if len(kept) >= 2:
            self.notes.append(
                f"{len(members)} members need ~{total:.1f} s, {left:.1f} s left: "
                f"kept the {len(kept)} heaviest that fit"
            )
            return kept
        if not self.affords(self.cost(ranked[0])):
            self.full = True
        predictor = "full refit" if self.full else "bag"
        self.notes.append(
            f"{len(members)} members need ~{total:.1f} s, {left:.1f} s left: "
            f"kept the best single model ({predictor})"
        )
        return [0]

    def affordable_refits(
        self, ranked: list[Candidate], members: list[int]
    ) -> list[int]:
        """The heaviest members whose refits, with the reading of the others'
        kept models, fit in the time left."""
        refits: list[int] = []
        for i in members:
            trying = [*refits, i]
            seconds = sum(self.cost(ranked[j]) for j in trying) + sum(
                self.costs.bag(ranked[j]) for j in members if j not in trying
            )
            if self.affords(seconds):
                refits.append(i)
        return refits

    def fit_members(
        self, ranked: list[Candidate], members: list[int], preds: list[np.ndarray]
    ) -> EnsembleSelection | None:
        """Fit the members; rerun the selection if some did not fit in time."""
        done = [i for i in members if self.fit_member(ranked, i)]
        if not done:
            return None
        if len(done) < len(members):
            self.notes.append(f"{len(members) - len(done)} members ran out of time")
        selection = self.select(preds, allowed=done)
        self.losses["ensemble"] = selection.loss
        return selection

    def meet_infer_limit(
        self, selection: EnsembleSelection, preds: list[np.ndarray], limit: float
    ) -> EnsembleSelection:
        """Drop members, least weight per second of predict time first, to
        bring the ensemble's predict time per row within ``limit``."""
        rows = np.random.RandomState(self.seed).randint(
            0, len(self.data.y), self.policy.infer_batch
        )
        batch = self.data.X.iloc[rows]
        seconds = {
            i: self.seconds_per_row(self.fitted[i], batch) for i in selection.members
        }
        n_before = len(selection.members)

        def total(selection: EnsembleSelection) -> float:
            return sum(seconds[i] for i in selection.members)

        while len(selection.members) > 1 and total(selection) > limit:
            members = selection.members
            slowest = min(members, key=lambda i: selection.weights[i] / seconds[i])
            selection = self.select(preds, allowed=[i for i in members if i != slowest])
        if total(selection) > limit:
            # The best member that meets the limit alone (candidates are
            # ranked by validation loss), else the fastest.
            fast_enough = [i for i in seconds if seconds[i] <= limit]
            pick = (
                min(fast_enough)
                if fast_enough
                else min(seconds, key=seconds.__getitem__)
            )
            selection = self.select(preds, allowed=[pick])
        total_seconds = total(selection)
        self.losses["ensemble"] = selection.loss
        verdict = (
            "met" if total_seconds <= limit else "NOT met even by the fastest member"
        )
        self.notes.append(
            f"infer_limit {limit:.3g} s/row {verdict}: {total_seconds:.3g} s/row with "
            f"{len(selection.members)} of {n_before} members; no stacking"
        )
        return selection

    def seconds_per_row(self, model: BaggedModel, batch: Any) -> float:
        """Predict seconds per row on ``batch``, or on its first tenth if the
        clock cannot afford the whole."""
        tenth = batch.iloc[: len(batch) // 10]
        per_row = _predict_seconds(model, tenth) / len(tenth)
        if self.affords(per_row * len(batch)):
            per_row = _predict_seconds(model, batch) / len(batch)
        return per_row

    def fit_member(self, ranked: list[Candidate], i: int) -> bool:
        """Make ``ranked[i]`` a predictor (bag or full refit); False if it failed."""
        if i in self.fitted:
            return True
        candidate = ranked[i]
        refit = self.full and i not in self.as_kept
        try:
            model = self.fit_predictor(candidate, refit_full=refit)
            if refit and self.diverged(model, candidate):
                self.notes.append(
                    f"{candidate.name}: the refit on all rows did far worse on the "
                    "validation rows than the trial, kept the trial's own fit"
                )
                model = self.fit_predictor(candidate, refit_full=False)
        except BagTimeoutError:
            return False
        except Exception as exc:  # a member that fitted in its trial may still fail
            logger.warning("Fitting ensemble member %s failed: %s", candidate.name, exc)
            return False
        self.fitted[i] = model
        return True

    def fit_predictor(self, candidate: Candidate, *, refit_full: bool) -> BaggedModel:
        """The candidate refitted on all rows, or as a bag over the splits:
        its trial's kept fold models if they can be read, else refitted."""
        if not refit_full:
            kept = self.kept_model(candidate)
            if kept is not None:
                return kept
        return fit_bag(
            candidate.config,
            self.data,
            self.settings,
            seed=candidate.seed,
            deadline=self.member_deadline(),
            refit_full=refit_full,
        ).model

    def kept_model(self, candidate: Candidate) -> BaggedModel | None:
        """The models ``candidate``'s trial fitted and kept, or None."""
        if not candidate.model_files:
            return None
        try:
            bag = load_bag(candidate.model_files, self.data.task, self.data.n_classes)
        except Exception as exc:  # e.g. deleted: refit instead
            logger.info("Kept models of %s unreadable: %s", candidate.name, exc)
            return None
        self.reused.add(candidate.name)
        return bag

    def diverged(self, model: BaggedModel, candidate: Candidate) -> bool:
        """Whether a refit on all rows broke on the rows its trial never saw.

        Trained on the validation rows too, the refit should do at least about
        as well on them as the trial did without them. Far worse means the
        extra rows broke the fit, e.g. scikit-learn's HistGradientBoosting
        on a class with 2 rows (seen on nursery: validation log loss 4e-6,
        test 9.3).
        """
        rows = validation_indices(self.data.splits)
        loss = self.loss_fn(self.y_valid, model.predict_raw(self.data.X.iloc[rows]))
        return has_diverged(loss, candidate.loss, self.policy.divergence_tolerance)

    def ensemble(
        self, ranked: list[Candidate], selection: EnsembleSelection
    ) -> FittedEnsemble:
        base = [
            self.base_member(ranked, i, float(selection.weights[i]))
            for i in sorted(self.fitted)
            if selection.weights[i] > 0
        ]
        self.final_oof = _blend([c.predictions for c in ranked], selection.weights)
        kind = "ensemble" if len(base) > 1 else "single"
        what = "full refits" if self.full else "k-fold bags" if self.kfold else "models"
        reused = sum(m.name in self.reused for m in base)
        if not self.full:
            what += f" ({reused} kept from their trials, {len(base) - reused} refitted)"
        elif reused:
            what = f"models ({len(base) - reused} refitted on all rows, {reused} kept)"
        self.notes.append(f"{kind} of {len(base)} {what}")
        guard = self.regression_guard(ranked, selection)
        return FittedEnsemble(
            kind, self.data.task, self.data.n_classes, base, guard=guard
        )

    def regression_guard(
        self, ranked: list[Candidate], selection: EnsembleSelection
    ) -> float | None:
        """``policy.regression_guard`` for a regression ensemble, unless clipping
        its members on the OOF rows would have made it worse there."""
        weighted = [i for i in range(len(ranked)) if selection.weights[i] > 0]
        guard = self.policy.regression_guard
        if guard is None or self.data.task != "regression" or len(weighted) < 2:
            return None
        values = np.column_stack([np.asarray(ranked[i].predictions) for i in weighted])
        weights = selection.weights[weighted]
        scales = np.array([self.oof_rmse(ranked[i]) for i in weighted])
        clipped = guard_predictions(values, weights, scales, guard)
        plain = self.loss_fn(self.y_valid, values @ weights)
        guarded = self.loss_fn(self.y_valid, clipped @ weights)
        binds = float(np.mean(np.any(clipped != values, axis=1)))
        keep = guarded <= plain
        self.notes.append(
            f"regression guard binds on {binds:.1%} of OOF rows "
            f"({plain:.5g} -> {guarded:.5g}): " + ("kept" if keep else "not kept")
        )
        return guard if keep else None

    def oof_rmse(self, candidate: Candidate) -> float:
        """A regression candidate's error scale on its OOF rows."""
        errors = np.asarray(candidate.predictions) - self.y_valid
        return float(np.sqrt(np.mean(errors**2)))

    def base_member(self, ranked: list[Candidate], i: int, weight: float) -> BaseMember:
        c = ranked[i]
        scale = self.oof_rmse(c) if self.data.task == "regression" else None
        return BaseMember(
            c.name, c.trial_id, c.family, self.fitted[i], weight, c.config, scale
        )

    def last_resort(self, best: Candidate) -> FittedEnsemble:
        """The best trial's own kept models, else its refit on all rows with
        whatever time is left.

        The refit runs on one thread: the time is up, and on a busy machine a
        model's first multi-threaded OpenMP step alone can stall for seconds
        (measured up to 2 s for a one-tree LightGBM on 5,000 rows with 2
        threads on 2 busy cores, 0.03 s with one), past any deadline callback.
        """
        model = self.kept_model(best)
        if model is not None:
            self.notes.append("no member fitted in time: the best trial's own model")
        else:
            end = self.deadline
            if end is not None:
                end = max(end, time.time() + 0.1)
            model = fit_bag(
                best.config,
                self.data,
                replace(self.settings, n_threads=1),
                seed=best.seed,
                deadline=end,
                refit_full=True,
            ).model
            self.notes.append(
                "no member fitted in time: refitted the best single model"
            )
            if self.diverged(model, best):  # nothing else left: say so
                self.notes.append(
                    "warning: that refit did far worse on the validation rows "
                    "than its trial"
                )
        member = BaseMember(
            best.name, best.trial_id, best.family, model, 1.0, best.config
        )
        self.final_oof = np.asarray(best.predictions)
        return FittedEnsemble(
            "single",
            self.data.task,
            self.data.n_classes,
            [member],
            validation_losses=dict(self.losses),
            decision="; ".join(self.notes),
            fit_seconds=time.time() - self.start,
            calibration=self.calibration(),
        )

    # -- stacking ----------------------------------------------------------------

    def try_stack(self, ranked: list[Candidate], check: bool) -> FittedEnsemble | None:
        if not self.kfold:
            self.notes.append("no stacking: it needs k-fold splits")
            return None
        policy = self.policy
        bases = diverse_bases(ranked, min(policy.n_stack_bases, self.max_members or 99))
        if len(bases) < 2:
            self.notes.append("no stacking: fewer than 2 base models")
            return None
        chosen = [ranked[i] for i in bases]
        stacker_cost = self.costs.stackers(chosen)
        final_cost = stacker_cost + sum(
            self.cost(ranked[i]) for i in bases if i not in self.fitted
        )
        self.estimates["stack"] = final_cost
        if check:
            check_cost = self.costs.stacking_check(chosen)
            self.estimates["stacking_check"] = check_cost
            self.estimates["stacking_check_stackers"] = (
                stacker_cost / self.costs.cv_repeats
            )
            if not self.affords(check_cost + final_cost, policy.stack_safety):
                self.notes.append("no stacking: no time for the stacking check")
                return None
            result = self.run_check(ranked, bases)
            self.lap("stacking_check")
            if result is None:
                return None
            stacker_seconds = result.details["stacker_seconds"]
            self.stage_seconds["stacking_check_stackers"] = stacker_seconds
            if not result.use_stack:
                return None
            # The stack's stackers: on all rows and every repeat of k-fold.
            final_stackers = self.costs.stackers_after_check(stacker_seconds)
            final_cost += final_stackers - stacker_cost
            self.estimates["stack"] = final_cost
        if not self.affords(final_cost, policy.stack_safety):
            self.notes.append("no stacking: no time to fit the stack")
            return None
        return self.fit_stack(ranked, bases)

    def run_check(self, ranked: list[Candidate], bases: list[int]) -> StackCheck | None:
        try:
            result = check_stacking(
                [(ranked[i].config, ranked[i].seed) for i in bases],
                self.data,
                self.settings,
                self.loss_fn,
                seed=self.seed,
                deadline=self.member_deadline(),
                rounds=self.rounds,
                max_members=self.max_members,
            )
        except BagTimeoutError:
            self.notes.append("no stacking: the stacking check ran out of time")
            return None
        self.losses["check_ensemble"] = result.ensemble_loss
        self.losses["check_stack"] = result.stack_loss
        verdict = "stack" if result.use_stack else "plain ensemble"
        self.notes.append(
            f"stacking check on {result.n_holdout} held-out rows: ensemble "
            f"{result.ensemble_loss:.5g} vs stack {result.stack_loss:.5g} -> {verdict}"
        )
        return result

    def fit_stack(
        self, ranked: list[Candidate], bases: list[int]
    ) -> FittedEnsemble | None:
        try:
            for i in bases:
                if not self.fit_member(ranked, i):
                    raise BagTimeoutError(f"no time left for {ranked[i].name}")
            stackers = fit_stackers(
                [ranked[i].predictions for i in bases],
                self.data,
                self.settings,
                seed=self.seed,
                deadline=self.member_deadline(),
                refit_full=self.full,
            )
        except BagTimeoutError as exc:
            self.notes.append(f"stack abandoned ({exc}): kept the plain ensemble")
            return None
        selection = greedy_ensemble_selection(
            [s.oof for s in stackers],
            self.y_valid,
            self.loss_fn,
            rounds=self.rounds,
        )
        self.losses["stack"] = selection.loss
        self.final_oof = _blend([s.oof for s in stackers], selection.weights)
        self.notes.append("stack of " + ", ".join(ranked[i].name for i in bases))
        return FittedEnsemble(
            "stack",
            self.data.task,
            self.data.n_classes,
            [self.base_member(ranked, i, 0.0) for i in bases],
            stackers=stackers,
            stacker_weights=[float(w) for w in selection.weights],
            stack_inputs=list(range(len(bases))),
        )


def _blend(predictions: Sequence[Any], weights: Any) -> np.ndarray:
    """The weighted sum of predictions (those of weight 0 are not read)."""
    parts = [
        w * np.asarray(p) for p, w in zip(predictions, weights, strict=True) if w > 0
    ]
    return np.sum(parts, axis=0)


def _predict_seconds(model: BaggedModel, X: Any) -> float:
    start = time.perf_counter()
    model.predict_raw(X)
    return time.perf_counter() - start
