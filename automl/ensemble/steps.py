"""The ensemble build as steps: each estimates its cost, runs to the build's
deadline and notes what it decided.

:func:`~automl.ensemble.build_ensemble` composes them in this order, which is
also the order of degradation (whatever the clock allows, something useful
is kept):

``GrowBest``      a holdout's best trial, if it fitted on a share of the
                  rows, refitted on as many more as the clock affords and
                  kept if better on the holdout;
``Select``        greedy ensemble selection over the kept validation
                  predictions (no model is fitted);
``CheckSelection`` on small tables, the selection checked on held-out halves
                  against the best single model, which replaces it when the
                  selection only fitted the noise of its own rows;
``Members``       the selected members made predictors, heaviest first, as
                  many as the clock affords (k-fold bags of the trials' kept
                  fold models, or refits on all rows); the best trial's own
                  model, or its refit, when none fits;
``InferLimit``    members dropped until the ensemble predicts within
                  ``infer_limit`` seconds a row (only with one);
``Assemble``      the plain ensemble of the fitted members;
``Guard``         a regression ensemble's guard against one member
                  extrapolating far from the others;
``Stack``         the dynamic-stacking check and, if the stack wins, the stack;

then the steps of :mod:`~automl.ensemble.calibration_steps` (``Calibrate``,
``ShiftQuantiles``, ``Conformity``) calibrate what the final model says.

A step left out of the composition is an ablation: ``Policy(calibrate=False)``
leaves out ``Calibrate``, ``Policy(regression_guard=None)`` ``Guard``,
``Policy(grow_best=False)`` ``GrowBest``, ``stacking=False`` ``Stack``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np

from automl.costs import diverse_bases
from automl.ensemble.bagging import BaggedModel, BagTimeoutError, fit_bag
from automl.ensemble.fitted import BaseMember, FittedEnsemble, guard_predictions
from automl.ensemble.selection import EnsembleSelection, greedy_ensemble_selection
from automl.ensemble.stacking import StackCheck, check_stacking, fit_stackers
from automl.ensemble.state import BuildState, blend, refit_diverged
from automl.resampling import halves_of, validation_indices


class Step:
    """One step of the build (module docstring)."""

    #: The stage's name in ``stage_seconds`` and ``stage_estimates``.
    name: ClassVar[str] = "step"
    #: Runs even after an earlier step ended the build (``state.done``).
    final: ClassVar[bool] = False

    def estimate(self, state: BuildState) -> float | None:
        """Seconds the step is expected to take (before the policy's safety);
        None when it is cheap or estimates its parts itself."""
        return None

    def run(self, state: BuildState) -> bool:
        """Advance ``state``, within its deadline, noting what was decided;
        False if the step declined to run (its seconds are then not recorded)."""
        raise NotImplementedError


def run_steps(state: BuildState, steps: list[Step]) -> FittedEnsemble:
    """Run ``steps`` in order on ``state``; the final model with its record."""
    for step in steps:
        if state.done and not step.final:
            continue
        estimate = step.estimate(state)
        if estimate is not None:
            state.estimates[step.name] = estimate
        ran = step.run(state)
        state.lap(step.name if ran else None)
    return state.finish()


class GrowBest(Step):
    """A holdout's best candidate, which its trial fitted on a share of the
    rows (a large table's successive halving), refitted with the build's
    threads on the largest share of the training rows the clock affords
    (``CostModel.grown_share``: at least ``policy.grow_min_factor`` times
    its own), the reading of the next ``policy.typical_members - 1`` kept
    models left its time. Scored on the holdout, which it did not train on,
    it replaces the candidate only if better there."""

    name = "grow_best"

    def run(self, state: BuildState) -> bool:
        best = state.ranked[0]
        if len(state.data.splits) != 1 or best.budget >= 1:
            return False
        safety = state.policy.safety
        others = state.ranked[1 : state.policy.typical_members]
        rest = safety * sum(state.costs.bag(c) for c in others)
        share = state.costs.grown_share(best, (state.remaining() - rest) / safety)
        if share is None:
            state.notes.append(
                f"{best.name} fitted on {best.budget:.3g} of the rows: no time to "
                "grow it on more"
            )
            return False
        deadline = state.member_deadline()
        try:
            bag = fit_bag(
                best.config,
                state.data,
                state.settings,
                seed=best.seed,
                deadline=None if deadline is None else deadline - rest,
                budget=share,
            )
        except Exception as exc:  # the trial's own model stays the candidate
            state.notes.append(f"growing {best.name} failed: {exc}")
            return True
        assert bag.oof is not None
        loss = state.valid_loss(bag.oof)
        better = loss < best.loss
        state.notes.append(
            f"{best.name} grown from {best.budget:.3g} to {share:.3g} of the rows: "
            f"holdout loss {best.loss:.5g} -> {loss:.5g}, "
            + ("kept" if better else "the trial's model kept")
        )
        if better:
            grown = replace(best, loss=loss, predictions=bag.oof, budget=share)
            state.ranked[0], state.preds[0] = grown, bag.oof
            state.fitted[0] = bag.model
            state.grown.add(best.name)
        return True


class Select(Step):
    """Greedy ensemble selection over every candidate's validation predictions."""

    name = "selection"

    def run(self, state: BuildState) -> bool:
        state.losses["best_single"] = state.valid_loss(state.preds[0])
        state.selection = state.select()
        state.losses["ensemble"] = state.selection.loss
        return True


class CheckSelection(Step):
    """Whether the selection beats the best single model on rows it did not
    see: weights (and the best single candidate) chosen on one half of the
    OOF rows are scored on the other, both ways. On small tables the
    selection can fit the noise of its own rows. It holds unless the single
    model wins by more than ``policy.selection_check_margin``; small tables
    only (``policy.checked_selection_rows``), and only if the clock affords
    two more selections (one per half) besides the members."""

    name = "selection_check"

    def estimate(self, state: BuildState) -> float | None:
        if len(state.y_valid) > state.policy.checked_selection_rows:
            return None
        return 2 * state.stage_seconds.get("selection", 0.0)

    def run(self, state: BuildState) -> bool:
        needed = self.estimate(state)
        if needed is None:
            return False
        if not state.affords(needed + state.policy.margin_seconds):
            state.notes.append("selection check skipped: no time")
            return False
        if not self.holds(state):
            state.selection = state.select(allowed=[0])
            state.losses["ensemble"] = state.selection.loss
        return True

    def holds(self, state: BuildState) -> bool:
        y, preds, w = state.y_valid, state.preds, state.w_valid
        groups = state.data.groups
        if groups is not None:
            groups = groups[validation_indices(state.data.splits)]
        halves = halves_of(y, state.data.task, state.seed, groups)

        def weights(rows: np.ndarray) -> np.ndarray | None:
            return None if w is None else w[rows]

        def loss(rows: np.ndarray, predictions: np.ndarray) -> float:
            return state.loss_fn(y[rows], predictions, weights(rows))

        ensemble, single = [], []
        for chosen_on, scored_on in (halves, halves[::-1]):
            sub = [np.asarray(p)[chosen_on] for p in preds]
            picked = greedy_ensemble_selection(
                sub,
                y[chosen_on],
                state.loss_fn,
                rounds=state.rounds,
                max_members=state.max_members,
                sample_weight=weights(chosen_on),
            )
            scored = [np.asarray(p)[scored_on] for p in preds]
            ensemble.append(loss(scored_on, blend(scored, picked.weights)))
            best = int(np.argmin([loss(chosen_on, p) for p in sub]))
            single.append(loss(scored_on, scored[best]))
        # The ensemble is the default: only clear evidence replaces it.
        margin = state.policy.selection_check_margin * abs(float(np.mean(single)))
        holds = float(np.mean(ensemble)) <= float(np.mean(single)) + margin
        state.notes.append(
            f"selection check on held-out halves: ensemble {np.mean(ensemble):.5g} "
            f"vs best single {np.mean(single):.5g} -> "
            + ("ensemble" if holds else "best single model")
        )
        return holds


class Members(Step):
    """The selected members the clock affords, made predictors.

    Short of time: the heaviest members that fit (the selection is rerun
    over them), else the best single model, as a bag if affordable, else
    refitted once on all rows (about k - 1 times cheaper than its bag). A
    holdout's members short of time: the heaviest refitted, the others the
    models their trials kept. If none could be fitted, the best trial's own
    kept model, else its refit with whatever time is left, ends the build.
    """

    name = "members"

    def estimate(self, state: BuildState) -> float | None:
        assert state.selection is not None
        return sum(state.cost(i) for i in state.selection.members)

    def run(self, state: BuildState) -> bool:
        members = self.affordable(state)
        done = [i for i in members if state.fit_member(i)]
        if not done:
            self.last_resort(state)
            return True
        if len(done) < len(members):
            state.notes.append(f"{len(members) - len(done)} members ran out of time")
        state.selection = state.select(allowed=done)
        state.losses["ensemble"] = state.selection.loss
        return True

    def affordable(self, state: BuildState) -> list[int]:
        assert state.selection is not None
        members = state.selection.members
        total = sum(state.cost(i) for i in members)
        if state.affords(total):
            return members
        left = max(0.0, state.remaining())
        ranked = state.ranked
        if (
            state.full
            and not state.kfold
            and all(ranked[i].model_files for i in members)
        ):
            # Each holdout trial kept its model (fitted on the training part):
            # refit the heaviest members the clock affords, keep the others'.
            refits = self.affordable_refits(state, members)
            state.as_kept = set(members) - set(refits)
            state.notes.append(
                f"refitting the {len(members)} members on all rows needs "
                f"~{total:.1f} s, {left:.1f} s left: refitting {len(refits)}, the "
                "others are the models their trials fitted"
            )
            return members
        kept: list[int] = []
        for i in members:
            if state.affords(sum(state.cost(j) for j in [*kept, i])):
                kept.append(i)
        if len(kept) >= 2:
            state.notes.append(
                f"{len(members)} members need ~{total:.1f} s, {left:.1f} s left: "
                f"kept the {len(kept)} heaviest that fit"
            )
            return kept
        if not state.affords(state.cost(0)):
            state.full = True
        predictor = "full refit" if state.full else "bag"
        state.notes.append(
            f"{len(members)} members need ~{total:.1f} s, {left:.1f} s left: "
            f"kept the best single model ({predictor})"
        )
        return [0]

    def affordable_refits(self, state: BuildState, members: list[int]) -> list[int]:
        """The heaviest members whose refits, with the reading of the others'
        kept models, fit in the time left."""
        refits: list[int] = []
        to_make = [i for i in members if i not in state.fitted]
        for i in to_make:
            trying = [*refits, i]
            seconds = sum(state.cost(j) for j in trying) + sum(
                state.costs.bag(state.ranked[j]) for j in to_make if j not in trying
            )
            if state.affords(seconds):
                refits.append(i)
        return refits

    def last_resort(self, state: BuildState) -> None:
        """The best trial's own kept models, else its refit on all rows.

        The refit runs on one thread: the time is up, and on a busy machine a
        model's first multi-threaded OpenMP step alone can stall for seconds
        (measured up to 2 s for a one-tree LightGBM on 5,000 rows with 2
        threads on 2 busy cores, 0.03 s with one), past any deadline callback.
        """
        best = state.ranked[0]
        model = state.kept_model(best)
        if model is not None:
            state.notes.append("no member fitted in time: the best trial's own model")
        else:
            end = state.deadline
            if end is not None:
                end = max(end, state.clock() + 0.1)
            model = fit_bag(
                best.config,
                state.data,
                replace(state.settings, n_threads=1),
                seed=best.seed,
                deadline=end,
                refit_full=True,
            ).model
            state.notes.append(
                "no member fitted in time: refitted the best single model"
            )
            if refit_diverged(state, model, best):  # nothing else left: say so
                state.notes.append(
                    "warning: that refit did far worse on the validation rows "
                    "than its trial"
                )
        member = BaseMember(
            best.name, best.trial_id, best.family, model, 1.0, best.config
        )
        state.final_oof = np.asarray(best.predictions)
        state.result = FittedEnsemble(
            "single", state.data.task, state.data.n_classes, [member]
        )
        state.done = True


@dataclass
class InferLimit(Step):
    """Members dropped, least weight per second of predict time first, until
    the ensemble's predict time per row, measured on ``policy.infer_batch``
    training rows, is within ``limit``; down to one member, the best that
    meets it alone, else the fastest."""

    limit: float
    name: ClassVar[str] = "infer_limit"

    def run(self, state: BuildState) -> bool:
        limit = self.limit
        assert state.selection is not None
        selection: EnsembleSelection = state.selection
        rows = np.random.RandomState(state.seed).randint(
            0, len(state.data.y), state.policy.infer_batch
        )
        batch = state.data.X.iloc[rows]
        seconds = {
            i: self.seconds_per_row(state, state.fitted[i], batch)
            for i in selection.members
        }
        n_before = len(selection.members)

        def total(selection: EnsembleSelection) -> float:
            return sum(seconds[i] for i in selection.members)

        while len(selection.members) > 1 and total(selection) > limit:
            members = selection.members
            slowest = min(members, key=lambda i: selection.weights[i] / seconds[i])
            selection = state.select(allowed=[i for i in members if i != slowest])
        if total(selection) > limit:
            # The best member that meets the limit alone (candidates are
            # ranked by validation loss), else the fastest.
            fast_enough = [i for i in seconds if seconds[i] <= limit]
            pick = (
                min(fast_enough)
                if fast_enough
                else min(seconds, key=seconds.__getitem__)
            )
            selection = state.select(allowed=[pick])
        total_seconds = total(selection)
        state.selection = selection
        state.losses["ensemble"] = selection.loss
        verdict = (
            "met" if total_seconds <= limit else "NOT met even by the fastest member"
        )
        state.notes.append(
            f"infer_limit {limit:.3g} s/row {verdict}: {total_seconds:.3g} s/row with "
            f"{len(selection.members)} of {n_before} members; no stacking"
        )
        return True

    def seconds_per_row(
        self, state: BuildState, model: BaggedModel, batch: Any
    ) -> float:
        """Predict seconds per row on ``batch``, or on its first tenth if the
        clock cannot afford the whole."""
        tenth = batch.iloc[: len(batch) // 10]
        per_row = _predict_seconds(model, tenth) / len(tenth)
        if state.affords(per_row * len(batch)):
            per_row = _predict_seconds(model, batch) / len(batch)
        return per_row


class Assemble(Step):
    """The plain ensemble of the fitted members with selection weights."""

    name = "assemble"

    def run(self, state: BuildState) -> bool:
        assert state.selection is not None
        weights = state.selection.weights
        base = [
            state.base_member(i, float(weights[i]))
            for i in sorted(state.fitted)
            if weights[i] > 0
        ]
        state.final_oof = blend(state.preds, weights)
        kind = "ensemble" if len(base) > 1 else "single"
        full, kfold = state.full, state.kfold
        what = "full refits" if full else "k-fold bags" if kfold else "models"
        reused = sum(m.name in state.reused for m in base)
        grown = sum(m.name in state.grown for m in base)
        refitted = len(base) - reused - grown
        if not full:
            what += f" ({reused} kept from their trials, {refitted} refitted)"
        elif reused or grown:
            what = f"models ({refitted} refitted on all rows, {reused} kept"
            what += f", {grown} grown)" if grown else ")"
        state.notes.append(f"{kind} of {len(base)} {what}")
        state.result = FittedEnsemble(kind, state.data.task, state.data.n_classes, base)
        return True


class Guard(Step):
    """``policy.regression_guard`` for a regression ensemble, unless clipping
    its members on the OOF rows would have made it worse there."""

    name = "guard"

    def run(self, state: BuildState) -> bool:
        selection, guard = state.selection, state.policy.regression_guard
        assert selection is not None and state.result is not None
        weighted = [i for i in range(len(state.ranked)) if selection.weights[i] > 0]
        if guard is None or state.data.task != "regression" or len(weighted) < 2:
            return False
        values = np.column_stack([np.asarray(state.preds[i]) for i in weighted])
        weights = selection.weights[weighted]
        scales = np.array([state.oof_rmse(i) for i in weighted])
        clipped = guard_predictions(values, weights, scales, guard)
        plain = state.valid_loss(values @ weights)
        guarded = state.valid_loss(clipped @ weights)
        binds = float(np.mean(np.any(clipped != values, axis=1)))
        keep = guarded <= plain
        state.notes.append(
            f"regression guard binds on {binds:.1%} of OOF rows "
            f"({plain:.5g} -> {guarded:.5g}): " + ("kept" if keep else "not kept")
        )
        state.result.guard = guard if keep else None
        return True


@dataclass
class Stack(Step):
    """Stackers on the bases' OOF predictions (k-fold splits only), if the
    time plan affords them: with ``check``, the dynamic-stacking check
    (:func:`~automl.ensemble.stacking.check_stacking`) first, and the stack
    only if it wins; its base models and stackers are then fitted on all rows
    and the final greedy selection runs over the stackers."""

    check: bool = True
    name: ClassVar[str] = "stack"

    def run(self, state: BuildState) -> bool:
        if not state.kfold:
            state.notes.append("no stacking: it needs k-fold splits")
            return False
        policy, costs, ranked = state.policy, state.costs, state.ranked
        bases = diverse_bases(
            ranked, min(policy.n_stack_bases, state.max_members or 99)
        )
        if len(bases) < 2:
            state.notes.append("no stacking: fewer than 2 base models")
            return False
        chosen = [ranked[i] for i in bases]
        stacker_cost = costs.stackers(chosen)
        final_cost = stacker_cost + sum(
            state.cost(i) for i in bases if i not in state.fitted
        )
        state.estimates["stack"] = final_cost
        if self.check:
            check_cost = costs.stacking_check(chosen)
            state.estimates["stacking_check"] = check_cost
            state.estimates["stacking_check_stackers"] = stacker_cost / costs.cv_repeats
            if not state.affords(check_cost + final_cost, policy.stack_safety):
                state.notes.append("no stacking: no time for the stacking check")
                return False
            result = self.run_check(state, bases)
            state.lap("stacking_check")
            if result is None:
                return False
            stacker_seconds = result.details["stacker_seconds"]
            state.stage_seconds["stacking_check_stackers"] = stacker_seconds
            if not result.use_stack:
                return False
            # The stack's stackers: on all rows and every repeat of k-fold.
            final_cost += costs.stackers_after_check(stacker_seconds) - stacker_cost
            state.estimates["stack"] = final_cost
        if not state.affords(final_cost, policy.stack_safety):
            state.notes.append("no stacking: no time to fit the stack")
            return False
        return self.fit_stack(state, bases)

    def run_check(self, state: BuildState, bases: list[int]) -> StackCheck | None:
        plain = None
        if state.policy.stack_check_against_plain and state.selection is not None:
            weights = state.selection.weights
            plain = [p for p, w in zip(state.preds, weights, strict=True) if w > 0]
        try:
            result = check_stacking(
                [(state.ranked[i].config, state.ranked[i].seed) for i in bases],
                state.data,
                state.settings,
                state.loss_fn,
                seed=state.seed,
                deadline=state.member_deadline(),
                rounds=state.rounds,
                max_members=state.max_members,
                plain=plain,
            )
        except BagTimeoutError:
            state.notes.append("no stacking: the stacking check ran out of time")
            return None
        state.losses["check_ensemble"] = result.ensemble_loss
        state.losses["check_stack"] = result.stack_loss
        verdict = "stack" if result.use_stack else "plain ensemble"
        state.notes.append(
            f"stacking check on {result.n_holdout} held-out rows: ensemble "
            f"{result.ensemble_loss:.5g} vs stack {result.stack_loss:.5g} -> {verdict}"
        )
        return result

    def fit_stack(self, state: BuildState, bases: list[int]) -> bool:
        ranked = state.ranked
        try:
            for i in bases:
                if not state.fit_member(i):
                    raise BagTimeoutError(f"no time left for {ranked[i].name}")
            stackers = fit_stackers(
                [ranked[i].predictions for i in bases],
                state.data,
                state.settings,
                seed=state.seed,
                deadline=state.member_deadline(),
                refit_full=state.full,
            )
        except BagTimeoutError as exc:
            state.notes.append(f"stack abandoned ({exc}): kept the plain ensemble")
            return True  # it ran, to the deadline
        oof = [s.oof for s in stackers]
        selection = greedy_ensemble_selection(
            oof,
            state.y_valid,
            state.loss_fn,
            rounds=state.rounds,
            sample_weight=state.w_valid,
        )
        state.losses["stack"] = selection.loss
        state.final_oof = blend(oof, selection.weights)
        state.notes.append("stack of " + ", ".join(ranked[i].name for i in bases))
        state.result = FittedEnsemble(
            "stack",
            state.data.task,
            state.data.n_classes,
            [state.base_member(i, 0.0) for i in bases],
            stackers=stackers,
            stacker_weights=[float(w) for w in selection.weights],
            stack_inputs=list(range(len(bases))),
        )
        return True


def _predict_seconds(model: BaggedModel, X: Any) -> float:
    start = time.perf_counter()
    model.predict_raw(X)
    return time.perf_counter() - start
