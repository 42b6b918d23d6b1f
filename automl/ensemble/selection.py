"""Greedy ensemble selection with replacement (Caruana et al., 2004).

Each round adds the candidate whose inclusion gives the averaged prediction
with the lowest loss; a candidate may be added many times, and its weight is
the number of times it was added divided by the number of additions.

Choices, and why:

* **Start from the best single candidate** (AutoGluon's ``EnsembleSelection``)
  rather than Caruana's sorted initialisation of the top N: with tens of
  candidates (not Caruana's thousands) a sorted init mostly adds weak
  members, and starting from the best makes the first point of the trajectory
  the best single model.
* **Keep the best prefix.** All ``rounds`` additions are made, then the
  ensemble is cut back to the round with the lowest loss (AutoGluon does the
  same). The returned ensemble therefore never has a higher loss on the
  selection data than the best single candidate.
* **25 rounds by default.** AutoGluon uses 25 and auto-sklearn 50.
  ``benchmarks/ensemble_rounds.py`` (6 corpus datasets, 15 bagged models
  each, test loss of the weights chosen on OOF predictions) finds most of
  the gain by 10 rounds, small gains from 10 to 25 on 4 of 6 datasets, and
  at most 0.13 % more from 50 rounds (100 is no better than 50), for twice
  the selection time; see ``benchmarks/results/ensemble/rounds.md``.
* **Deterministic ties:** the lowest candidate index wins, so callers order
  candidates by their own loss (best first) to make ties go to better models.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from automl.data.types import Task
from automl.metrics import Metric, fast_loss, score_predictions
from automl.policy import DEFAULT_POLICY

#: ``loss(y_true, predictions, sample_weight=None) -> float``.
LossFn = Callable[..., float]


@dataclass(frozen=True)
class EnsembleSelection:
    """Result of :func:`greedy_ensemble_selection`.

    Attributes
    ----------
    weights : ndarray of shape (n_candidates,)
        Selection count of each candidate divided by the number of additions
        kept; sums to 1.
    indices : list of int
        The candidate added at each kept round, in order (with repeats).
    trajectory : list of float
        Loss of the ensemble after each round (all rounds, including those
        cut back).
    loss : float
        Loss of the kept ensemble on the selection data.
    """

    weights: np.ndarray
    indices: list[int]
    trajectory: list[float]
    loss: float

    @property
    def members(self) -> list[int]:
        """Indices of the candidates with a non-zero weight, heaviest first."""
        order = np.argsort(-self.weights, kind="stable")
        return [int(i) for i in order if self.weights[i] > 0]

    def combine(self, predictions: Sequence[np.ndarray]) -> np.ndarray:
        """Weighted average of the candidates' predictions (same order)."""
        return weighted_average(predictions, self.weights)


def metric_loss(metric: Metric, task: Task) -> LossFn:
    """The loss function of ``metric``:
    ``loss(y_true, averaged_predictions, sample_weight=None)``.

    Parameters
    ----------
    metric : Metric
    task : {"binary", "multiclass", "regression"}
        Class probabilities are turned into labels if the metric needs them.

    Returns
    -------
    callable
    """

    fast = fast_loss(metric, task)
    if fast is not None:
        return fast

    def loss(
        y_true: np.ndarray,
        y_pred: np.ndarray,
        sample_weight: np.ndarray | None = None,
    ) -> float:
        return score_predictions(metric, y_true, y_pred, task, sample_weight)

    return loss


def greedy_ensemble_selection(
    predictions: Sequence[np.ndarray],
    y: np.ndarray,
    loss_fn: LossFn,
    *,
    rounds: int = DEFAULT_POLICY.selection_rounds,
    max_members: int | None = None,
    sample_weight: np.ndarray | None = None,
) -> EnsembleSelection:
    """Select a weighted ensemble of candidates greedily, with replacement.

    Cost: ``rounds × n_candidates`` evaluations of ``loss_fn`` on ``n`` rows;
    the running sum of the chosen predictions is kept, so one evaluation is
    one vector addition plus the loss.

    Parameters
    ----------
    predictions : sequence of ndarray
        One array per candidate, all of the same shape: values (n,) for
        regression or class probabilities (n, n_classes), for the same rows
        as ``y``. Order them best first: ties go to the lower index.
    y : ndarray of shape (n,)
        The true targets of those rows.
    loss_fn : callable
        ``loss_fn(y, averaged_predictions, sample_weight) -> float``, lower is
        better (see
        :func:`metric_loss`).
    rounds : int, default=25
        Number of greedy additions.
    max_members : int or None, default=None
        Cap on the number of distinct candidates in the ensemble; once it is
        reached, only candidates already chosen can be added again.
    sample_weight : ndarray of shape (n,) or None, default=None
        Weights of the rows in the loss.

    Returns
    -------
    EnsembleSelection
    """
    if not predictions:
        raise ValueError("greedy_ensemble_selection needs at least one candidate.")
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1; got {rounds}.")
    if max_members is not None and max_members < 1:
        raise ValueError(f"max_members must be at least 1 or None; got {max_members}.")
    stacked = np.stack([np.asarray(p, dtype=np.float64) for p in predictions])
    if stacked.shape[1] != len(y):
        raise ValueError(
            f"Predictions have {stacked.shape[1]} rows but y has {len(y)}."
        )
    running = np.zeros(stacked.shape[1:], dtype=np.float64)
    chosen: list[int] = []
    trajectory: list[float] = []
    for step in range(rounds):
        allowed = _allowed(len(stacked), chosen, max_members)
        losses = [
            loss_fn(y, (running + stacked[j]) / (step + 1), sample_weight)
            for j in allowed
        ]
        best = allowed[int(np.argmin(losses))]
        running += stacked[best]
        chosen.append(best)
        trajectory.append(float(min(losses)))
    kept = int(np.argmin(trajectory)) + 1
    counts = np.bincount(chosen[:kept], minlength=len(stacked)).astype(np.float64)
    return EnsembleSelection(
        weights=counts / kept,
        indices=chosen[:kept],
        trajectory=trajectory,
        loss=trajectory[kept - 1],
    )


def within_one_standard_error(
    selection: EnsembleSelection,
    predictions: Sequence[np.ndarray],
    row_loss: Callable[[np.ndarray], np.ndarray],
) -> EnsembleSelection:
    """The shortest prefix of the greedy additions whose loss is not worse
    than the kept ensemble's by more than the standard error of their
    difference (Breiman's one-standard-error rule): on few validation rows,
    the later additions mostly fit the rows' noise.

    Parameters
    ----------
    selection : EnsembleSelection
        A greedy selection over ``predictions``.
    predictions : sequence of ndarray
        The candidates' predictions it was made on.
    row_loss : callable
        ``row_loss(averaged_predictions) -> per-row losses`` on the same rows
        (see :func:`automl.metrics.row_losses`).

    Returns
    -------
    EnsembleSelection
        The shorter prefix (its ``loss`` the greedy loss there), or
        ``selection`` itself.
    """
    stacked = [np.asarray(p, dtype=np.float64) for p in predictions]
    kept = row_loss(weighted_average(stacked, selection.weights))
    running = np.zeros_like(stacked[0])
    for k, index in enumerate(selection.indices[:-1], start=1):
        running += stacked[index]
        difference = row_loss(running / k) - kept
        standard_error = float(np.std(difference, ddof=1)) / np.sqrt(len(difference))
        if float(np.mean(difference)) <= standard_error:
            counts = np.bincount(selection.indices[:k], minlength=len(stacked))
            return EnsembleSelection(
                weights=counts / k,
                indices=selection.indices[:k],
                trajectory=selection.trajectory,
                loss=selection.trajectory[k - 1],
            )
    return selection


def _allowed(
    n_candidates: int, chosen: list[int], max_members: int | None
) -> list[int]:
    distinct = sorted(set(chosen))
    if max_members is not None and len(distinct) >= max_members:
        return distinct
    return list(range(n_candidates))


def weighted_average(
    predictions: Sequence[np.ndarray], weights: np.ndarray
) -> np.ndarray:
    """Weighted sum of predictions, skipping zero weights (which may be None).

    Parameters
    ----------
    predictions : sequence of ndarray or None
        One entry per weight; entries with weight 0 are not read.
    weights : ndarray
        Non-negative weights summing to 1.

    Returns
    -------
    ndarray
    """
    total: np.ndarray | None = None
    for pred, weight in zip(predictions, weights, strict=True):
        if weight <= 0:
            continue
        part = weight * np.asarray(pred, dtype=np.float64)
        total = part if total is None else total + part
    if total is None:
        raise ValueError("All ensemble weights are zero.")
    return total
