"""Validation splits: holdout for large data, k-fold cross-validation for small."""

from __future__ import annotations

from numbers import Integral
from typing import Any, Literal

import numpy as np
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    RepeatedKFold,
    RepeatedStratifiedKFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    check_cv,
    train_test_split,
)

from automl.data.types import Task
from automl.policy import DEFAULT_POLICY, Policy

Resampling = Literal["holdout", "cv"]
Split = tuple[np.ndarray, np.ndarray]


def choose_resampling(
    resampling: str,
    n_rows: int,
    time_limit: float | None,
    n_cores: int = 2,
    policy: Policy = DEFAULT_POLICY,
    n_minority: int | None = None,
) -> Resampling:
    """Resolve ``resampling="auto"``.

    k-fold CV gives a less noisy estimate, uses every row for validation and
    makes every ensemble member a bag of fold models; a holdout is k times
    cheaper per trial. "auto" cross-validates up to ``policy.cv_always_rows``,
    up to ``policy.cv_max_rows`` with a time limit of
    ``policy.cv_min_time_limit`` or more, and beyond while the limit gives each
    row ``policy.cv_core_seconds_per_row`` on ``n_cores`` (about 25,000 rows
    at 300 s on 2 cores), up to ``policy.cv_max_rows_long``; and, up to that
    many rows, wherever a holdout would validate fewer than
    ``policy.min_holdout_minority`` rows of the rarest class (``n_minority``
    rows in all).
    """
    if resampling in ("holdout", "cv"):
        return resampling  # type: ignore[return-value]
    if (
        n_minority is not None
        and holdout_rows(n_rows, policy) / n_rows * n_minority
        < policy.min_holdout_minority
        and n_rows <= policy.cv_max_rows_long
    ):
        return "cv"
    if n_rows <= policy.cv_always_rows:
        return "cv"
    if time_limit is None:
        return "cv" if n_rows <= policy.cv_max_rows else "holdout"
    if time_limit < policy.cv_min_time_limit:
        return "holdout"
    affordable = time_limit * n_cores / policy.cv_core_seconds_per_row
    limit = max(policy.cv_max_rows, min(policy.cv_max_rows_long, affordable))
    return "cv" if n_rows <= limit else "holdout"


def choose_cv_repeats(
    cv_repeats: int | str,
    resampling: Resampling,
    n_rows: int,
    time_limit: float | None,
    n_cores: int,
    policy: Policy = DEFAULT_POLICY,
) -> int:
    """Resolve ``cv_repeats="auto"``: how many times k-fold is repeated.

    Repeating k-fold with new folds averages each row's out-of-fold predictions
    over the repeats and gives every bag repeats × k fold models: less noise for
    ensemble selection to fit, and less variance in the final predictions. It
    costs as many times the time of a trial, so "auto" repeats only where the
    search stays broad: small tables (up to ``policy.cv_max_rows``), by the
    core-seconds the limit gives each row (1,000 rows at 60 s on 2 cores: 2
    repeats; up to ``policy.max_cv_repeats``). A holdout and fits without a
    time limit are not repeated.
    """
    if resampling != "cv":
        return 1
    if cv_repeats != "auto":
        return int(cv_repeats)
    if time_limit is None or n_rows > policy.cv_max_rows:
        return 1
    per_repeat = policy.core_seconds_per_row_repeat * max(1, n_rows)
    affordable = time_limit * n_cores / per_repeat
    return int(min(policy.max_cv_repeats, max(1, affordable)))


def make_splits(
    kind: Resampling,
    y: np.ndarray,
    task: Task,
    seed: int,
    n_repeats: int = 1,
    policy: Policy = DEFAULT_POLICY,
    groups: np.ndarray | None = None,
) -> list[Split]:
    """Train/validation index pairs, stratified for classification when possible.

    Parameters
    ----------
    kind : {"holdout", "cv"}
    y : ndarray
        The encoded target (class indices for classification).
    task : {"binary", "multiclass", "regression"}
    seed : int
    n_repeats : int, default=1
        Repetitions of k-fold with new folds (each row is then validated
        ``n_repeats`` times); ignored by the holdout.
    policy : Policy, optional
        Its ``n_folds`` and ``holdout_fraction``.
    groups : ndarray or None, default=None
        Group labels: k-fold then keeps each group in one fold (see
        :func:`user_splitter`; not repeated).

    Returns
    -------
    list of (train_indices, validation_indices)
    """
    n = len(y)
    if n < 2:
        raise ValueError(
            f"Found n_samples={n}: at least 2 samples are needed to validate a model."
        )
    if kind == "cv" and groups is not None:
        splitter = user_splitter(None, y, task, seed, groups, policy)
        return user_splits(splitter, n, y, groups)
    min_class = int(np.bincount(y).min()) if task != "regression" else 0
    if kind == "cv":
        n_folds = min(policy.n_folds, n)
        folds: RepeatedKFold | RepeatedStratifiedKFold
        if task != "regression" and min_class >= n_folds:
            folds = RepeatedStratifiedKFold(
                n_splits=n_folds, n_repeats=n_repeats, random_state=seed
            )
        else:
            folds = RepeatedKFold(
                n_splits=n_folds, n_repeats=n_repeats, random_state=seed
            )
        return list(folds.split(np.zeros(n), y))
    stratify = y if task != "regression" and min_class >= 2 else None
    n_valid = holdout_rows(n, policy)
    if stratify is not None:
        n_valid = max(n_valid, len(np.unique(y)))
    train, valid = train_test_split(
        np.arange(n), test_size=n_valid, random_state=seed, stratify=stratify
    )
    return [(np.sort(train), np.sort(valid))]


def holdout_rows(n_rows: int, policy: Policy = DEFAULT_POLICY) -> int:
    """Rows a holdout of ``n_rows`` validates: ``policy.holdout_fraction`` of
    them, at most ``policy.holdout_max_rows`` (when set), at least one."""
    n_valid = round(policy.holdout_fraction * n_rows)
    if policy.holdout_max_rows:
        n_valid = min(n_valid, policy.holdout_max_rows)
    return max(1, n_valid)


def halves_of(
    y: np.ndarray, task: Task, seed: int, groups: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two halves of the positions of ``y``, each class split evenly between
    them (for classification), sorted; for checks that fit on one half and
    score on the other. With ``groups``, each group's rows stay in one half."""
    rng = np.random.RandomState(seed)
    if groups is not None:
        codes = np.unique(groups, return_inverse=True)[1].ravel()
        first_groups = rng.permutation(codes.max() + 1)[: (codes.max() + 1) // 2]
        in_first = np.isin(codes, first_groups)
        return np.flatnonzero(in_first), np.flatnonzero(~in_first)
    if task == "regression":
        strata = [np.arange(len(y))]
    else:
        strata = [np.flatnonzero(y == label) for label in np.unique(y)]
    first, second = [], []
    for rows in strata:
        shuffled = rng.permutation(rows)
        first.append(shuffled[: len(shuffled) // 2])
        second.append(shuffled[len(shuffled) // 2 :])
    return np.sort(np.concatenate(first)), np.sort(np.concatenate(second))


def user_splitter(
    cv: Any,
    y: np.ndarray,
    task: Task,
    seed: int,
    groups: np.ndarray | None,
    policy: Policy = DEFAULT_POLICY,
) -> Any:
    """The splitter of the user's ``cv`` and ``groups``, or None for ours.

    ``cv`` follows scikit-learn's convention (an int, a splitter such as
    ``GroupKFold`` or ``TimeSeriesSplit``, or an iterable of (train,
    validation) index pairs, resolved by :func:`~sklearn.model_selection.check_cv`),
    except that an int shuffles (with ``seed``): the rows of a table are often
    sorted, and unshuffled folds then validate on one end of it. ``groups``
    without ``cv`` (or with an int) is a group k-fold with
    ``policy.n_folds`` (or that many) folds: stratified for classification,
    shuffled by group.
    """
    if cv is None and groups is None:
        return None
    classification = task != "regression"
    n_folds = policy.n_folds if cv is None else cv
    if isinstance(n_folds, Integral) and not isinstance(n_folds, bool):
        n_folds = int(n_folds)
        if n_folds < 2:
            raise ValueError(f"cv={cv} folds: k-fold needs at least 2.")
        if groups is not None:
            kind = StratifiedGroupKFold if classification else GroupKFold
            return kind(n_folds, shuffle=True, random_state=seed)
        if classification and np.bincount(y).min() >= n_folds:
            return StratifiedKFold(n_folds, shuffle=True, random_state=seed)
        return KFold(n_folds, shuffle=True, random_state=seed)
    return check_cv(cv, y, classifier=classification)


def user_splits(
    splitter: Any, n_rows: int, y: np.ndarray, groups: np.ndarray | None
) -> list[Split]:
    """The (train, validation) index pairs of ``splitter`` on ``n_rows`` rows,
    checked: each split trains and validates on some rows, within range.

    Raises
    ------
    ValueError
        With what is wrong with the splits and what to pass instead.
    """
    X = np.zeros((n_rows, 1))
    try:
        splits = [
            (np.asarray(train, dtype=np.int64), np.asarray(valid, dtype=np.int64))
            for train, valid in splitter.split(X, y, groups)
        ]
    except ValueError as exc:
        raise ValueError(
            f"cv={splitter!r} cannot split these {n_rows} rows: {exc}"
        ) from exc
    if not splits:
        raise ValueError(f"cv={splitter!r} gave no split; give at least one.")
    for k, (train, valid) in enumerate(splits):
        if len(train) == 0 or len(valid) == 0:
            raise ValueError(
                f"split {k} of cv={splitter!r} has {len(train)} training and "
                f"{len(valid)} validation rows; each split needs both."
            )
        for rows in (train, valid):
            if rows.min() < 0 or rows.max() >= n_rows:
                raise ValueError(
                    f"split {k} of cv={splitter!r} indexes rows outside 0.."
                    f"{n_rows - 1}; pass positions (0-based) of the rows of X."
                )
    return splits


def splits_on(splits: list[Split], kept: np.ndarray) -> list[Split]:
    """``splits`` (positions in a table) on the rows ``kept`` (sorted
    positions) of it: rows not kept leave their splits."""
    position = np.full(int(kept.max()) + 1 if len(kept) else 0, -1)
    position[kept] = np.arange(len(kept))

    def moved(rows: np.ndarray) -> np.ndarray:
        rows = rows[rows < len(position)]
        new = position[rows]
        return new[new >= 0]

    return [(moved(train), moved(valid)) for train, valid in splits]


def validation_indices(splits: list[Split]) -> np.ndarray:
    """Rows that receive a validation prediction (all rows for CV), in order."""
    return np.unique(np.concatenate([valid for _, valid in splits]))


class OutOfFold:
    """Out-of-fold predictions gathered split by split, ordered like
    ``validation_indices(splits)``; a row validated by several splits (repeated
    k-fold) gets the mean of its predictions.

    Examples
    --------
    >>> splits = [(np.array([1]), np.array([0])), (np.array([0]), np.array([1])),
    ...           (np.array([1]), np.array([0]))]
    >>> oof = OutOfFold(splits)
    >>> for (_, valid), pred in zip(splits, [[1.0], [5.0], [3.0]]):
    ...     oof.add(valid, np.array(pred))
    >>> oof.predictions().tolist()
    [2.0, 5.0]
    """

    def __init__(self, splits: list[Split]) -> None:
        self.rows = validation_indices(splits)
        self._counts = np.zeros(len(self.rows))
        for _, valid in splits:
            self._counts[self._positions(valid)] += 1
        self._sum: np.ndarray | None = None

    def _positions(self, rows: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.rows, rows)

    def add(self, valid: np.ndarray, predictions: np.ndarray) -> None:
        """Add one split's predictions for its validation rows ``valid``."""
        if self._sum is None:
            self._sum = np.zeros((len(self.rows), *predictions.shape[1:]))
        self._sum[self._positions(valid)] += predictions

    def predictions(self) -> np.ndarray:
        """The (mean) out-of-fold prediction of every validated row."""
        if self._sum is None:
            raise ValueError("no split's predictions were added")
        counts = self._counts.reshape(-1, *([1] * (self._sum.ndim - 1)))
        return self._sum / counts


def choose_min_budget(
    multi_fidelity: bool | str, n_train: int, policy: Policy = DEFAULT_POLICY
) -> float | None:
    """Lowest row fraction for successive halving, or None for full budgets only.

    The budget of every family is the fraction of training rows it sees (with
    the validation rows unchanged). Rows rather than boosting rounds because
    every family then gets cheap low rungs (linear models, kNN and forests
    included), and because truncating a booster's rounds ranks configurations
    by their early learning curve, which favours high learning rates.
    Small data (fewer than ``policy.multi_fidelity_min_rows`` training rows)
    uses full budgets only with ``"auto"``: a full trial is already cheap there.
    The lowest budget trains on ``policy.min_rows_per_budget`` rows, and is
    never below ``policy.min_budget_fraction``.
    """
    if multi_fidelity is False or multi_fidelity == "iterations":
        return None  # no rung cuts rows
    if multi_fidelity == "auto" and n_train < policy.multi_fidelity_min_rows:
        return None
    per_budget = policy.min_rows_per_budget / max(1, n_train)
    lowest = max(policy.min_budget_fraction, per_budget)
    return min(lowest, 1 / 3)


def subsample(train: np.ndarray, budget: float | None, seed: int) -> np.ndarray:
    """The first ``budget`` share of a seeded shuffle of ``train`` (nested by budget).

    Every configuration at a given budget sees the same rows, so the rungs of
    successive halving compare like with like.
    """
    if budget is None or budget >= 1.0:
        return train
    n = max(2, int(np.ceil(budget * len(train))))
    order = np.random.RandomState(seed).permutation(len(train))
    return np.sort(train[order[:n]])


def subsample_rows(y: np.ndarray, n_keep: int, task: Task, seed: int) -> np.ndarray:
    """Sorted indices of ``n_keep`` rows, stratified by class when possible.

    Used when the whole table does not fit in ``memory_limit``: the fit then
    runs on these rows only.

    Parameters
    ----------
    y : ndarray
        The encoded target.
    n_keep : int
        Rows to keep (all when ``n_keep >= len(y)``).
    task : {"binary", "multiclass", "regression"}
    seed : int

    Returns
    -------
    ndarray of int64
    """
    n = len(y)
    if n_keep >= n:
        return np.arange(n)
    stratify = None
    if task != "regression":
        counts = np.bincount(y)
        n_classes = np.count_nonzero(counts)
        if counts[counts > 0].min() >= 2 and min(n_keep, n - n_keep) >= n_classes:
            stratify = y
    kept, _ = train_test_split(
        np.arange(n), train_size=n_keep, random_state=seed, stratify=stratify
    )
    return np.sort(kept)
