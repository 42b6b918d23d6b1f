"""The last steps of a build: what the final model says, calibrated.

``Calibrate``      a classifier's temperature and decision rule;
``ShiftQuantiles`` a quantile fit's per-level shifts, so that each level holds
                   its share of the out-of-fold targets;
``Conformity``     the out-of-fold conformity scores behind
                   ``predict_interval`` and ``predict_set``.

They run after the build's other steps (:mod:`~automl.ensemble.steps`), even
when one of those ended it early.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from automl.ensemble.calibration import calibrate, quantile_shifts, with_prior
from automl.ensemble.conformal import ConformityScores, QuantileConformity
from automl.ensemble.state import BuildState
from automl.ensemble.steps import Step
from automl.resampling import validation_indices


@dataclass
class Calibrate(Step):
    """A classifier's temperature and decision rule, fitted on the final
    model's OOF predictions (:func:`~automl.ensemble.calibration.calibrate`)."""

    decision_threshold: float | str | None = "auto"
    name: ClassVar[str] = "calibration"
    final: ClassVar[bool] = True

    def run(self, state: BuildState) -> bool:
        oof, result = state.final_oof, state.result
        if state.data.task == "regression" or oof is None or result is None:
            return False
        threshold = self.decision_threshold
        calibration = calibrate(
            oof / oof.sum(axis=1, keepdims=True),
            state.y_valid,
            state.metric,
            tune_decision=threshold == "auto",
            threshold=None if isinstance(threshold, str | None) else float(threshold),
            seed=state.seed,
            min_gain=state.policy.calibration_min_gain,
            temperature_min_gain=state.policy.temperature_min_gain,
            judge_on_log_loss=state.policy.temperature_on_log_loss,
            sample_weight=state.w_valid,
        )
        result.calibration = with_prior(
            calibration,
            state.y_valid,
            oof.shape[1],
            state.policy.probability_floor_rows,
            state.w_valid,
        )
        return True


class ShiftQuantiles(Step):
    """A quantile fit's per-level shifts
    (:func:`~automl.ensemble.calibration.quantile_shifts`), kept when they
    lower the pinball loss on held-out halves of the out-of-fold rows."""

    name = "quantile_shift"
    final = True

    def run(self, state: BuildState) -> bool:
        oof, result = state.final_oof, state.result
        levels = state.metric.quantile_levels
        if oof is None or result is None or levels is None:
            return False
        shift = quantile_shifts(oof, state.y_valid, levels, state.seed, state.w_valid)
        if shift is None:
            state.notes.append("quantiles not shifted: no gain on held-out halves")
            return True
        result.quantile_shift = shift
        state.final_oof = np.sort(oof + shift, axis=1)
        shown = ", ".join(
            f"{level:g}: {c:+.4g}" for level, c in zip(levels, shift, strict=True)
        )
        state.notes.append(f"quantiles shifted to their out-of-fold share: {shown}")
        return True


class Conformity(Step):
    """The final model's out-of-fold conformity scores, for
    ``predict_interval`` and ``predict_set``
    (:mod:`~automl.ensemble.conformal`)."""

    name = "conformity"
    final = True

    def estimate(self, state: BuildState) -> float | None:
        return state.costs.conformity() if state.point_regression else None

    def run(self, state: BuildState) -> bool:
        oof, result = state.final_oof, state.result
        if oof is None or result is None:
            return False
        levels = state.metric.quantile_levels
        if levels is not None:
            result.conformity = QuantileConformity(oof, state.y_valid, levels)
        elif state.data.task == "regression":
            scores = ConformityScores.of_regression(oof, state.y_valid)
            rows = validation_indices(state.data.splits)
            state.kept_for_last = 0.0
            if self.affordable(state):
                X = state.data.X.iloc[rows]
                scores = scores.with_scale(X, state.seed, state.settings.n_threads)
            else:
                state.notes.append("no time for the adaptive intervals' scale")
            result.conformity = scores
        else:
            proba = result.calibration.proba(oof / oof.sum(axis=1, keepdims=True))
            result.conformity = ConformityScores.of_classification(proba, state.y_valid)
        return True

    @staticmethod
    def affordable(state: BuildState) -> bool:
        """Whether the residual scale fits before the deadline. The time kept
        for it already held the safety factor, and the step may use the
        build's margin: it is short, and the fit's deadline keeps its own
        reserve before ``time_limit`` (members that overran their estimate
        left elevators and metro-traffic-volume without a scale at 60 s)."""
        if state.deadline is None:
            return True
        return state.deadline - state.clock() >= state.costs.conformity()
