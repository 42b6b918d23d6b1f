"""The fitted ensemble: what ``fit`` keeps and ``predict`` calls."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from automl.data.types import Task
from automl.ensemble.bagging import BaggedModel
from automl.ensemble.calibration import Calibration
from automl.ensemble.conformal import ConformityScores, QuantileConformity
from automl.ensemble.stacking import FittedStacker
from automl.metrics import Metric


@dataclass
class BaseMember:
    """A first-layer model: one trial's configuration, bagged or refitted."""

    name: str
    trial_id: int | None
    family: str
    model: BaggedModel
    weight: float
    config: dict[str, Any] = field(repr=False)
    #: Regression: the root mean squared error of its OOF predictions.
    oof_scale: float | None = None


@dataclass
class FittedEnsemble:
    """A weighted ensemble of first-layer models and, optionally, stackers.

    Attributes
    ----------
    kind : {"stack", "ensemble", "single"}
        "stack" when second-layer models hold weight, "ensemble" for several
        first-layer models, "single" for one model.
    task : {"binary", "multiclass", "regression"}
    n_classes : int or None
    base : list of BaseMember
        First-layer models with their weights; those with weight 0 are the
        stackers' inputs.
    stackers : list of FittedStacker
        Second-layer models, fed with the predictions of ``base[i]`` for ``i``
        in ``stack_inputs``.
    stacker_weights : list of float
    stack_inputs : list of int
    validation_losses : dict
        Losses of the options considered (see :func:`build_ensemble`).
    decision : str
        Why the fit settled on ``kind`` (what was tried, what was skipped).
    fit_seconds : float
        Wall-clock seconds ``build_ensemble`` took.
    stage_seconds : dict
        Of those, the seconds of each stage that ran: ``selection``,
        ``members`` (reading or refitting the bags), ``stacking_check``
        (and ``stacking_check_stackers``, the part of it its stackers took),
        ``stack``.
    stage_estimates : dict
        The seconds the time plan expected of the same stages (before its
        safety factor), to compare.
    calibration : Calibration
        Temperature and decision rule of a classifier (identity by default).
    guard : float or None
        Regression: each member's prediction is clipped, row by row, to
        within ``guard`` times its OOF error scale of the members' weighted
        median, so that one member extrapolating far from the others (e.g. a
        linear model on an outlying row) cannot pull the ensemble with it.
    conformity : ConformityScores or None
        The out-of-fold conformity scores behind ``predict_interval`` and
        ``predict_set``; None without out-of-fold predictions.
    quantile_shift : ndarray of shape (n_levels,) or None
        Quantile regression: added to each level's prediction (then each row
        sorted), so that each level holds its share of the out-of-fold
        targets (:func:`~automl.ensemble.calibration.quantile_shifts`).
    """

    kind: str
    task: Task
    n_classes: int | None
    base: list[BaseMember]
    stackers: list[FittedStacker] = field(default_factory=list)
    stacker_weights: list[float] = field(default_factory=list)
    stack_inputs: list[int] = field(default_factory=list)
    validation_losses: dict[str, float] = field(default_factory=dict)
    decision: str = ""
    fit_seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    stage_estimates: dict[str, float] = field(default_factory=dict)
    calibration: Calibration = field(default_factory=Calibration)
    guard: float | None = None
    conformity: ConformityScores | QuantileConformity | None = None
    quantile_shift: np.ndarray | None = None

    @property
    def members(self) -> list[dict[str, Any]]:
        """Members with a non-zero weight (and the stackers' inputs), heaviest first.

        Each is a dict with ``name``, ``trial_id``, ``family``, ``weight``,
        ``layer`` (1 or 2) and ``predictor`` ("bag of k" or "full refit").
        Layer-1 models that only feed the stackers have weight 0.
        """
        rows = [
            {
                "name": m.name,
                "trial_id": m.trial_id,
                "family": m.family,
                "weight": m.weight,
                "layer": 1,
                "predictor": _predictor(m.model),
            }
            for i, m in enumerate(self.base)
            if m.weight > 0 or (self.kind == "stack" and i in self.stack_inputs)
        ]
        rows += [
            {
                "name": s.spec.name,
                "trial_id": None,
                "family": str(s.spec.config["model"]),
                "weight": w,
                "layer": 2,
                "predictor": _predictor(s.model),
            }
            for s, w in zip(self.stackers, self.stacker_weights, strict=True)
            if w > 0
        ]
        return sorted(rows, key=lambda r: -float(r["weight"]))

    @property
    def classes_(self) -> np.ndarray:
        """Class indices ``0..n_classes-1`` (for ``evaluation.predict_pipeline``)."""
        if self.n_classes is None:
            raise AttributeError("classes_ is not available for regression.")
        return np.arange(self.n_classes)

    def weight_pairs(self) -> list[tuple[int | str, float]]:
        """``(trial_id or stacker name, weight)`` of the weighted members.

        The shape ``automl.reporting.summary.ensemble_members`` reads from an
        estimator's ``ensemble_``.
        """
        return [
            (m["trial_id"] if m["trial_id"] is not None else m["name"], m["weight"])
            for m in self.members
            if m["weight"] > 0
        ]

    def only(self, trial_id: int) -> FittedEnsemble:
        """The first-layer model of one trial alone, as a "single" ensemble.

        Parameters
        ----------
        trial_id : int
            A trial among ``base`` (a weighted member or a stacker's input).

        Returns
        -------
        FittedEnsemble
            Predicts with that trial's bag (or refit) only, weight 1.
        """
        for member in self.base:
            if member.trial_id == trial_id:
                alone = replace(member, weight=1.0)
                return FittedEnsemble("single", self.task, self.n_classes, [alone])
        raise ValueError(
            f"trial {trial_id} is not in the ensemble; its trials are "
            f"{[m.trial_id for m in self.base]}."
        )

    def leaderboard_rows(self, metric: Metric) -> list[dict[str, Any]]:
        """Rows for the leaderboard, beside the trials' rows.

        One row for the plain ensemble and one for the stack when it was
        fitted, with the leaderboard's columns (``trial_id`` None, ``origin``
        "ensemble", ``budget`` 1.0). Their losses are OOF/holdout losses of
        weights chosen on the same rows, hence slightly optimistic; the
        chosen option says "(chosen)" in ``origin``.
        """
        summary = ", ".join(
            f"{m['name']}×{float(m['weight']):.2f}" for m in self.members
        )
        rows = []
        for option in ("ensemble", "stack"):
            if option not in self.validation_losses:
                continue
            chosen = self.kind == option or (
                option == "ensemble" and self.kind == "single"
            )
            loss = float(self.validation_losses[option])
            rows.append(
                {
                    "trial_id": None,
                    "model": option,
                    "score": metric.loss_to_score(loss),
                    "loss": loss,
                    "status": "ok",
                    "fit_time": round(self.fit_seconds, 3),
                    "budget": 1.0,
                    "origin": "ensemble (chosen)" if chosen else "ensemble",
                    "resumed": False,
                    "hyperparameters": summary if chosen else "",
                    "preprocessing": "",
                    "config": {"kind": self.kind, "decision": self.decision},
                    "error": None,
                }
            )
        return rows

    def predict_raw(self, X: pd.DataFrame) -> np.ndarray:
        """Weighted values (regression) or class probabilities."""
        use_stack = any(w > 0 for w in self.stacker_weights)
        needed = {i for i, m in enumerate(self.base) if m.weight > 0}
        if use_stack:
            needed |= set(self.stack_inputs)
        preds = {i: self.base[i].model.predict_raw(X) for i in sorted(needed)}
        if self.task == "regression" and self.guard is not None:
            preds = self._guarded(preds)
        total: np.ndarray | None = None
        parts = [(preds[i], m.weight) for i, m in enumerate(self.base) if m.weight > 0]
        if use_stack:
            inputs = [preds[i] for i in self.stack_inputs]
            parts += [
                (s.predict_raw(inputs, X), w)
                for s, w in zip(self.stackers, self.stacker_weights, strict=True)
                if w > 0
            ]
        for pred, weight in parts:
            total = weight * pred if total is None else total + weight * pred
        assert total is not None
        if self.quantile_shift is not None:
            return np.sort(total + self.quantile_shift, axis=1)
        return total

    def _guarded(self, preds: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
        """The weighted members' predictions clipped near their weighted median."""
        weighted = [i for i, m in enumerate(self.base) if m.weight > 0]
        if len(weighted) < 2 or self.guard is None:
            return preds
        clipped = guard_predictions(
            np.column_stack([preds[i] for i in weighted]),
            np.array([self.base[i].weight for i in weighted]),
            np.array([self.base[i].oof_scale or np.inf for i in weighted]),
            self.guard,
        )
        return {**preds, **{i: clipped[:, k] for k, i in enumerate(weighted)}}

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated class probabilities over all classes (rows sum to 1)."""
        if self.task == "regression":
            raise AttributeError("predict_proba is not available for regression.")
        return self.calibration.proba(self.predict_raw(X))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Values for regression, else class indices by the decision rule."""
        if self.task == "regression":
            return self.predict_raw(X)
        return self.calibration.labels(self.predict_proba(X))


def guard_predictions(
    values: np.ndarray, weights: np.ndarray, scales: np.ndarray, guard: float
) -> np.ndarray:
    """Clip each member's predictions to within ``guard * scale`` of the
    members' weighted median, row by row.

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_members)
    weights : ndarray of shape (n_members,)
    scales : ndarray of shape (n_members,)
        Each member's error scale (its OOF root mean squared error).
    guard : float

    Returns
    -------
    ndarray of shape (n_rows, n_members)
    """
    order = np.argsort(values, axis=1)
    cumulative = np.cumsum(weights[order], axis=1)
    middle = np.argmax(cumulative >= 0.5 * weights.sum(), axis=1)
    median = np.take_along_axis(values, order, axis=1)[np.arange(len(values)), middle]
    reach = guard * scales
    return np.clip(values, (median[:, None] - reach), (median[:, None] + reach))


def _predictor(model: BaggedModel) -> str:
    return "full refit" if model.n_models == 1 else f"bag of {model.n_models}"
