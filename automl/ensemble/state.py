"""What the steps of an ensemble build share: the candidates, the clock, the
fitted members and the notes (see :mod:`automl.ensemble.steps`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from automl.costs import CostModel
from automl.ensemble.bagging import BaggedModel, BagTimeoutError, fit_bag, load_bag
from automl.ensemble.fitted import BaseMember, FittedEnsemble
from automl.ensemble.selection import (
    EnsembleSelection,
    LossFn,
    greedy_ensemble_selection,
    metric_loss,
    within_one_standard_error,
)
from automl.evaluation import TrialData, TrialSettings
from automl.limits import Clock
from automl.metrics import Metric, row_losses
from automl.policy import Policy
from automl.resampling import validation_indices

logger = logging.getLogger("automl")


def has_diverged(refit_loss: float, trial_loss: float, tolerance: float = 0.01) -> bool:
    """Whether a refit on all rows broke on the validation rows of its trial:
    its loss there (rows it trained on) exceeds the trial's (rows it had not
    seen) by more than the trial's loss, or ``tolerance``
    (``policy.divergence_tolerance``)."""
    return refit_loss > trial_loss + max(abs(trial_loss), tolerance)


#: The divergence check predicts at most this many validated rows (a seeded
#: sample beyond): on birthdays' 248,625 rows under ``TimeSeriesSplit`` it
#: predicted all of them with a LightGBM of 1,000 trees, 7.8 s a member that
#: no estimate held, and the fit ended at 67 s of 60.
DIVERGENCE_CHECK_ROWS = 20_000


def divergence_sample(n_valid: int, seed: int) -> np.ndarray | None:
    """Positions among the validated rows the divergence check predicts:
    None (all of them) up to ``DIVERGENCE_CHECK_ROWS``, else that many, drawn
    with ``seed`` and sorted."""
    if n_valid <= DIVERGENCE_CHECK_ROWS:
        return None
    rng = np.random.RandomState(seed)
    return np.sort(rng.choice(n_valid, DIVERGENCE_CHECK_ROWS, replace=False))


def blend(predictions: Sequence[Any], weights: Any) -> np.ndarray:
    """The weighted sum of predictions (those of weight 0 are not read)."""
    parts = [
        w * np.asarray(p) for p, w in zip(predictions, weights, strict=True) if w > 0
    ]
    return np.sum(parts, axis=0)


@dataclass
class BuildState:
    """The ensemble build in progress, shared and advanced by its steps.

    Parameters
    ----------
    ranked : list of Candidate
        The candidates, best first.
    data : TrialData
    metric : Metric
    settings : TrialSettings
        Threads of the members' fits.
    policy : Policy
    costs : CostModel
    deadline : float or None
        ``time.time()`` by which the build must end.
    seed : int
    full : bool
        Members are refitted on all rows (``refit_full``, or a holdout).
    max_members : int or None
    clock : callable, default=time.time
        Where "now" is read from: the fit's deadline's clock.
    """

    ranked: list[Any]
    data: TrialData
    metric: Metric
    settings: TrialSettings
    policy: Policy
    costs: CostModel
    deadline: float | None
    seed: int
    full: bool
    max_members: int | None = None
    #: The current greedy selection over ``ranked`` (weights over all).
    selection: EnsembleSelection | None = None
    #: The final model so far; a step that ends the build sets ``done``.
    result: FittedEnsemble | None = None
    done: bool = False
    #: The final model's OOF (or holdout) predictions, once it is chosen.
    final_oof: np.ndarray | None = None
    #: Predictors made so far, by index into ``ranked``.
    fitted: dict[int, BaggedModel] = field(default_factory=dict)
    #: Names of the candidates whose bag is their trial's kept fold models.
    reused: set[str] = field(default_factory=set)
    #: Names of the candidates grown on more rows than their trial's (``GrowBest``).
    grown: set[str] = field(default_factory=set)
    #: Members that are their trial's kept model though the others are
    #: refitted on all rows (a holdout short of time).
    as_kept: set[int] = field(default_factory=set)
    losses: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    #: What the cost model expected each stage to cost, before its safety.
    estimates: dict[str, float] = field(default_factory=dict)
    #: Where "now" is read from (the fit's deadline's clock).
    clock: Clock = time.time

    def __post_init__(self) -> None:
        self.start = self.clock()
        rows = validation_indices(self.data.splits)
        self.y_valid = self.data.y[rows]
        #: The validated rows' sample weights (None: unweighted).
        self.w_valid = self.data.weights_of(rows)
        self.loss_fn: LossFn = metric_loss(self.metric, self.data.task)
        self.preds = [c.predictions for c in self.ranked]
        self.kfold = len(self.data.splits) > 1 and len(self.y_valid) == len(self.data.y)
        self.full = self.full or not self.kfold
        self.rounds = self.policy.selection_rounds
        self.last_lap = self.start
        #: Seconds kept for the last step (a regression's residual scale),
        #: released by it: the members' refits must not take them.
        conformity = self.policy.safety * self.costs.conformity()
        self.kept_for_last = conformity if self.point_regression else 0.0

    @property
    def point_regression(self) -> bool:
        """Whether the fit predicts one value a row (regression, not quantiles)."""
        return self.data.task == "regression" and not self.metric.quantile_levels

    # -- the clock -----------------------------------------------------------------

    def remaining(self) -> float:
        """Seconds left before the deadline, less the policy's margin and the
        time kept for the last step."""
        if self.deadline is None:
            return float("inf")
        left = self.deadline - self.clock() - self.policy.margin_seconds
        return left - self.kept_for_last

    def affords(self, seconds: float, safety: float | None = None) -> bool:
        """Whether the clock has ``seconds`` times ``safety`` (the policy's
        members' safety by default) left."""
        if safety is None:
            safety = self.policy.safety
        return self.remaining() >= safety * seconds

    def member_deadline(self) -> float | None:
        """The deadline of a fit, the margin and the time kept for the last
        step left out."""
        if self.deadline is None:
            return None
        return self.deadline - self.policy.margin_seconds - self.kept_for_last

    def lap(self, stage: str | None) -> None:
        """Record the seconds since the previous lap as ``stage``'s (None: a
        stage that declined to run, whose seconds are not recorded)."""
        now = self.clock()
        if stage is not None:
            self.stage_seconds[stage] = now - self.last_lap
        self.last_lap = now

    def cost(self, i: int) -> float:
        """Estimated seconds to make ``ranked[i]`` a predictor (none if it is one)."""
        if i in self.fitted:
            return 0.0
        return self.costs.member(self.ranked[i], self.full)

    def valid_loss(self, predictions: np.ndarray) -> float:
        """The (weighted) loss of predictions of the validated rows."""
        return self.loss_fn(self.y_valid, predictions, self.w_valid)

    # -- selection ------------------------------------------------------------------

    def select(self, allowed: Sequence[int] | None = None) -> EnsembleSelection:
        """Greedy selection, optionally over a subset (weights over all)."""
        preds = self.preds
        idx = list(range(len(preds))) if allowed is None else list(allowed)
        sub = greedy_ensemble_selection(
            [preds[i] for i in idx],
            self.y_valid,
            self.loss_fn,
            rounds=self.rounds,
            max_members=self.max_members,
            sample_weight=self.w_valid,
        )
        if self.policy.selection_one_se and self.w_valid is None:
            sub = self.shortest_within_noise(sub, [preds[i] for i in idx])
        weights = np.zeros(len(preds))
        weights[idx] = sub.weights
        return EnsembleSelection(
            weights, [idx[i] for i in sub.indices], sub.trajectory, sub.loss
        )

    def shortest_within_noise(
        self, selection: EnsembleSelection, predictions: list[Any]
    ) -> EnsembleSelection:
        """``policy.selection_one_se``: the one-standard-error prefix."""
        y, task = self.y_valid, self.data.task
        if row_losses(self.metric, task, y, np.asarray(predictions[0])) is None:
            return selection

        def row_loss(pred: np.ndarray) -> np.ndarray:
            losses = row_losses(self.metric, task, y, pred)
            assert losses is not None
            return losses

        return within_one_standard_error(selection, predictions, row_loss)

    # -- members ----------------------------------------------------------------------

    def fit_member(self, i: int) -> bool:
        """Make ``ranked[i]`` a predictor (bag or full refit); False if it failed."""
        if i in self.fitted:
            return True
        candidate = self.ranked[i]
        refit = self.full and i not in self.as_kept
        try:
            model = self.fit_predictor(candidate, refit_full=refit)
            if refit and refit_diverged(self, model, candidate):
                self.notes.append(
                    f"{candidate.name}: the refit on all rows did far worse on the "
                    "validation rows than the trial, kept the trial's own fit"
                )
                model = self.fit_predictor(candidate, refit_full=False)
        except BagTimeoutError:
            kept = self.kept_model(candidate) if refit else None
            if kept is None:
                return False
            self.notes.append(
                f"{candidate.name}: no time to finish its refit on all rows, kept "
                "the trial's own fit"
            )
            model = kept
        except Exception as exc:  # a member that fitted in its trial may still fail
            logger.warning("Fitting ensemble member %s failed: %s", candidate.name, exc)
            return False
        self.fitted[i] = model
        return True

    def fit_predictor(self, candidate: Any, *, refit_full: bool) -> BaggedModel:
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

    def kept_model(self, candidate: Any) -> BaggedModel | None:
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

    def oof_rmse(self, i: int) -> float:
        """A regression candidate's error scale on its OOF rows."""
        errors = np.asarray(self.ranked[i].predictions) - self.y_valid
        return float(np.sqrt(np.average(errors**2, weights=self.w_valid)))

    def base_member(self, i: int, weight: float) -> BaseMember:
        """``ranked[i]``'s fitted predictor as a member of the final model."""
        c = self.ranked[i]
        scale = self.oof_rmse(i) if self.point_regression else None
        return BaseMember(
            c.name, c.trial_id, c.family, self.fitted[i], weight, c.config, scale
        )

    def finish(self) -> FittedEnsemble:
        """The final model with what the build found, decided and measured."""
        result = self.result
        if result is None:  # the steps always set one; say so if not
            raise RuntimeError("the ensemble build ended without a model")
        result.validation_losses = dict(self.losses)
        result.decision = "; ".join(self.notes)
        result.fit_seconds = self.clock() - self.start
        result.stage_seconds = dict(self.stage_seconds)
        result.stage_estimates = dict(self.estimates)
        return result


def refit_diverged(state: BuildState, model: BaggedModel, candidate: Any) -> bool:
    """Whether a refit on all rows broke on the rows its trial never saw.

    Trained on the validation rows too, the refit should do at least about
    as well on them as the trial did without them. Far worse means the
    extra rows broke the fit, e.g. scikit-learn's HistGradientBoosting on a
    class with 2 rows (seen on nursery: validation log loss 4e-6, test 9.3).
    Judged on at most ``DIVERGENCE_CHECK_ROWS`` of the validated rows.
    """
    rows = validation_indices(state.data.splits)
    sample = divergence_sample(len(rows), state.seed)
    if sample is None:
        refit_loss = state.valid_loss(model.predict_raw(state.data.X.iloc[rows]))
        trial_loss = candidate.loss
    else:
        y = state.y_valid[sample]
        w = None if state.w_valid is None else state.w_valid[sample]
        refit = model.predict_raw(state.data.X.iloc[rows[sample]])
        trial = np.asarray(candidate.predictions)[sample]
        refit_loss, trial_loss = state.loss_fn(y, refit, w), state.loss_fn(y, trial, w)
    return has_diverged(refit_loss, trial_loss, state.policy.divergence_tolerance)
