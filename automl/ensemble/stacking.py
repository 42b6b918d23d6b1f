"""A second layer of models fitted on the first layer's out-of-fold predictions.

**Stackers.** Two small, strongly regularised models, each a k-fold bag on the
same folds as the first layer (AutoGluon reuses the folds across layers so
that a row's layer-1 feature never comes from a model trained on it):

* ``stack_linear``: a logistic regression (ridge for regression) on the
  layer-1 predictions only, as logits for classification. This is the
  classic stacked generalisation of Wolpert (1992) / Breiman (1996): a
  learned, calibrated weighting of the base models, with few parameters.
* ``stack_lightgbm``: a shallow LightGBM (8 leaves, learning rate 0.05, 150
  rounds, feature and row subsampling, L2 = 10) on the layer-1 predictions
  *plus the original features*, as AutoGluon's stack layers do: it can learn
  where in feature space each base model is trustworthy, and the
  regularisation keeps it from memorising the OOF noise.

The final layer is greedy ensemble selection over the stackers only (as
AutoGluon's last ``WeightedEnsemble``), not over layers 1 and 2 together:
the layer-1 OOF losses are optimistic (the search chose those trials, and
the selection weights them, on the same rows) while the stackers' OOF
predictions are fresh, so a joint selection over-weights layer 1. On the
six datasets of ``benchmarks/ensemble_rounds.py`` the stackers-only layer
had the lower test loss than the joint one on 5 of 6.

**Dynamic stacking.** OOF losses of a second layer are optimistic: the
layer-1 OOF feature of a training row was produced by fold models that saw
the rows the stacker is later checked on, so layer 2 can look better on OOF
data than it is on new data ("stacked overfitting", AutoGluon 1.1). The
check therefore follows AutoGluon's dynamic stacking and is *honest*: one
fold of the splits is held out, the base configurations are refitted as bags
on the other rows only (with inner k-fold splits), the stackers and both
ensembles (layer 1 only, and layer 1 + layer 2) are fitted there, and the
two are compared on the held-out rows, which no model of either option has
seen. Stacking is used only if it is strictly better there. With ``plain``
(``Policy.stack_check_against_plain``), the alternative is instead the plain
ensemble the fit would otherwise return, over all its members: its weights
are chosen on the other rows' out-of-fold predictions and it is scored on the
held-out rows' out-of-fold predictions (from fold models that did not see
those rows). The plain ensemble of the stack's own bases chose the stack on
car in every 300 s run (0.020 against 0.045 held out) where the fit's plain
ensemble was one model at 0.007 out of fold that beat the stack on the test
split (``benchmarks/results/stacking-check-300s``). This costs one
extra set of bags of the stack's base models (on 80 % of the rows), which is
why the stack uses only a few diverse base configurations; when the time
plan cannot afford the check, the plain ensemble is used.

Evidence (``benchmarks/results/ensemble/rounds.md``, 6 corpus datasets, test
loss): the stack beat the plain ensemble of the same base models on 6 of 6
(by 0.3 % to 7.5 %); the OOF losses would have chosen it on only 2 of 6
(the plain ensemble's OOF loss is optimistic), the honest check on 4 of 6,
missing two small gains. The check errs on the safe side; it exists for
the data where stacking overfits, which these six are not.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from automl.data import FeatureColumns, dataset_properties
from automl.data.types import Task
from automl.ensemble.bagging import Bag, BaggedModel, fit_bag
from automl.ensemble.selection import LossFn, greedy_ensemble_selection
from automl.evaluation import TrialData, TrialSettings
from automl.limits import share_of
from automl.resampling import make_splits
from automl.space import MODELS

_LOGIT_EPS = 1e-6
FEATURE_PREFIX = "__l1_"


@dataclass(frozen=True)
class StackerSpec:
    """One second-layer model: a configuration of the space, and its inputs."""

    name: str
    config: dict[str, Any]
    with_features: bool


def default_stackers(task: Task, n_rows: int) -> list[StackerSpec]:
    """The stackers the families offer (:meth:`ModelComponent.as_stacker`),
    those on the predictions alone first."""
    specs = [
        StackerSpec(f"stack_{name}", config, component.stacker_sees_features)
        for name, component in MODELS.items()
        if component.available()
        and (config := component.as_stacker(task, n_rows)) is not None
    ]
    return sorted(specs, key=lambda spec: spec.with_features)


def stack_features(
    base_predictions: Sequence[np.ndarray], task: str, X: pd.DataFrame | None
) -> pd.DataFrame:
    """The stackers' input: layer-1 predictions (logits) and optionally ``X``.

    Parameters
    ----------
    base_predictions : sequence of ndarray
        Values (n,) or class probabilities (n, n_classes) of each base model.
    task : {"binary", "multiclass", "regression"}
    X : DataFrame or None
        The typed original features to append, or None.

    Returns
    -------
    DataFrame
        For binary tasks one logit column per base model, for multiclass one
        per class and base model, for regression the values.
    """
    columns: dict[str, np.ndarray] = {}
    for i, pred in enumerate(base_predictions):
        for c, values in _columns(np.asarray(pred, dtype=np.float64), task):
            columns[f"{FEATURE_PREFIX}{i}_{c}"] = values
    index = X.index if X is not None else None
    frame = pd.DataFrame(columns, index=index)
    if X is None:
        return frame
    return pd.concat([X, frame], axis=1)


def _columns(pred: np.ndarray, task: str) -> list[tuple[int, np.ndarray]]:
    if task == "regression":
        return [(0, pred)]
    clipped = np.clip(pred, _LOGIT_EPS, 1 - _LOGIT_EPS)
    logits = np.log(clipped) - np.log1p(-clipped)
    if task == "binary":
        return [(1, logits[:, 1])]
    return [(c, logits[:, c]) for c in range(pred.shape[1])]


def stacker_data(
    data: TrialData, base_predictions: Sequence[np.ndarray], with_features: bool
) -> TrialData:
    """A ``TrialData`` whose features are the stack features of ``data``'s rows.

    ``base_predictions`` are OOF predictions for every row of ``data``, in row
    order; the splits are ``data``'s.
    """
    frame = stack_features(
        base_predictions, data.task, data.X if with_features else None
    )
    names = tuple(c for c in frame.columns if str(c).startswith(FEATURE_PREFIX))
    base_columns = data.columns if with_features else FeatureColumns((), ())
    columns = replace(base_columns, numeric=base_columns.numeric + names)
    properties = dataset_properties(
        frame, columns, task=data.task, n_classes=data.n_classes
    )
    return replace(data, X=frame, columns=columns, properties=properties)


@dataclass
class FittedStacker:
    """A second-layer model: its spec, bag and OOF predictions."""

    spec: StackerSpec
    model: BaggedModel
    oof: np.ndarray
    fit_seconds: float

    def predict_raw(
        self, base_predictions: Sequence[np.ndarray], X: pd.DataFrame
    ) -> np.ndarray:
        """Predictions on new rows from the base models' predictions on them."""
        features = stack_features(
            base_predictions,
            self.model.task,
            X if self.spec.with_features else None,
        )
        return self.model.predict_raw(features)


def fit_stackers(
    base_oof: Sequence[np.ndarray],
    data: TrialData,
    settings: TrialSettings,
    *,
    seed: int,
    deadline: float | None,
    stackers: Sequence[StackerSpec] | None = None,
    refit_full: bool = False,
) -> list[FittedStacker]:
    """Fit the stackers as k-fold bags on ``base_oof`` (+ ``data.X``).

    Parameters
    ----------
    base_oof : sequence of ndarray
        OOF predictions of the base models for every row of ``data``.
    data : TrialData
        Rows, target and the k-fold splits (the first layer's).
    settings : TrialSettings
    seed : int
    deadline : float or None
        Shared equally between the stackers.
    stackers : sequence of StackerSpec or None
        Default: :func:`default_stackers`.
    refit_full : bool, default=False
        After the bag (needed for the OOF predictions), refit each stacker on
        all rows and keep only that model.

    Returns
    -------
    list of FittedStacker

    Raises
    ------
    automl.ensemble.bagging.BagTimeoutError
        If the deadline passes first.
    """
    specs = list(stackers or default_stackers(data.task, len(data.y)))
    fitted = []
    for i, spec in enumerate(specs):
        share = share_of(deadline, len(specs) - i)
        start = time.time()
        sdata = stacker_data(data, base_oof, spec.with_features)
        bag = fit_bag(spec.config, sdata, settings, seed=seed, deadline=share)
        assert bag.oof is not None
        model = bag.model
        if refit_full:
            model = fit_bag(
                spec.config, sdata, settings, seed=seed, deadline=None, refit_full=True
            ).model
        fitted.append(FittedStacker(spec, model, bag.oof, time.time() - start))
    return fitted


@dataclass
class StackCheck:
    """Outcome of the dynamic-stacking check on a held-out fold.

    Attributes
    ----------
    use_stack : bool
        Whether layer 1 + layer 2 beat layer 1 alone on the held-out rows.
    ensemble_loss, stack_loss : float
        Held-out losses of the two options.
    n_holdout : int
        Number of held-out rows.
    seconds : float
    """

    use_stack: bool
    ensemble_loss: float
    stack_loss: float
    n_holdout: int
    seconds: float
    details: dict[str, Any] = field(default_factory=dict)


def check_stacking(
    bases: Sequence[tuple[dict[str, Any], int]],
    data: TrialData,
    settings: TrialSettings,
    loss_fn: LossFn,
    *,
    seed: int,
    deadline: float | None,
    rounds: int,
    max_members: int | None = None,
    plain: Sequence[np.ndarray] | None = None,
) -> StackCheck:
    """Compare the plain and the stacked ensemble on a held-out fold (honestly).

    See the module docstring. ``bases`` are ``(config, seed)`` pairs of the
    stack's base models; ``data.splits`` must be k-fold. The first split's
    validation rows are held out; the stack is refitted on its training rows
    with inner k-fold splits. ``plain``: the out-of-fold predictions on every
    row of ``data`` of the fit's plain ensemble's members, the alternative the
    stack must then beat; without them, the plain ensemble of the refitted
    bases.

    Returns
    -------
    StackCheck

    Raises
    ------
    automl.ensemble.bagging.BagTimeoutError
        If the deadline passes first.
    """
    start = time.time()
    train, holdout = data.splits[0]
    inner = _subset(data, train, seed)
    X_holdout, y_holdout = data.X.iloc[holdout], data.y[holdout]
    w_train, w_holdout = data.weights_of(train), data.weights_of(holdout)
    oof, held = _base_predictions(bases, inner, settings, deadline, X_holdout)
    bases_plain = greedy_ensemble_selection(
        oof,
        inner.y,
        loss_fn,
        rounds=rounds,
        max_members=max_members,
        sample_weight=w_train,
    )
    bases_loss = loss_fn(y_holdout, bases_plain.combine(held), w_holdout)
    ensemble_loss = bases_loss
    if plain is not None:
        members = [np.asarray(p) for p in plain]
        selection = greedy_ensemble_selection(
            [p[train] for p in members],
            data.y[train],
            loss_fn,
            rounds=rounds,
            max_members=max_members,
            sample_weight=w_train,
        )
        ensemble_loss = loss_fn(
            y_holdout, selection.combine([p[holdout] for p in members]), w_holdout
        )
    stackers = fit_stackers(oof, inner, settings, seed=seed, deadline=deadline)
    stacked = greedy_ensemble_selection(
        [s.oof for s in stackers],
        inner.y,
        loss_fn,
        rounds=rounds,
        sample_weight=w_train,
    )
    held_l2 = [s.predict_raw(held, X_holdout) for s in stackers]
    stack_loss = loss_fn(y_holdout, stacked.combine(held_l2), w_holdout)
    return StackCheck(
        use_stack=stack_loss < ensemble_loss,
        ensemble_loss=float(ensemble_loss),
        stack_loss=float(stack_loss),
        n_holdout=len(holdout),
        seconds=time.time() - start,
        details={
            "ensemble_oof_loss": bases_plain.loss,
            "bases_ensemble_loss": float(bases_loss),
            "stack_oof_loss": stacked.loss,
            "stack_weights": [float(w) for w in stacked.weights],
            "stacker_seconds": sum(s.fit_seconds for s in stackers),
        },
    )


def _base_predictions(
    bases: Sequence[tuple[dict[str, Any], int]],
    data: TrialData,
    settings: TrialSettings,
    deadline: float | None,
    X_holdout: pd.DataFrame,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The base models' out-of-fold predictions on ``data`` and predictions on
    the held-out rows; each bag gets its share of the time left (the stackers
    after them get one share too)."""
    bags: list[Bag] = []
    for i, (config, base_seed) in enumerate(bases):
        share = share_of(deadline, len(bases) + 1 - i)
        bags.append(fit_bag(config, data, settings, seed=base_seed, deadline=share))
    oof = [b.oof for b in bags if b.oof is not None]
    return oof, [b.model.predict_raw(X_holdout) for b in bags]


def _subset(data: TrialData, rows: np.ndarray, seed: int) -> TrialData:
    """The rows ``rows`` of ``data`` with their own k-fold splits."""
    X = data.X.iloc[rows]
    y = data.y[rows]
    properties = dataset_properties(
        X, data.columns, task=data.task, n_classes=data.n_classes
    )
    groups = None if data.groups is None else data.groups[rows]
    splits = make_splits("cv", y, data.task, seed, groups=groups)
    return replace(
        data,
        X=X,
        y=y,
        properties=properties,
        splits=splits,
        groups=groups,
        sample_weight=data.weights_of(rows),
    )
