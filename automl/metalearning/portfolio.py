"""Portfolio selection: greedy forward selection over a task × candidate matrix.

The auto-sklearn 2.0 method (Feurer et al., 2022): losses are turned into a
normalised regret per task (0 for the best candidate of that task, 1 for the
worst; a candidate that failed or was not run counts as 1), and candidates
are added one at a time, each time the one that most lowers the mean over
tasks of the best regret in the portfolio. The size is chosen by
leave-one-task-out validation: the held-out task never contributes to the
portfolio it is scored on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Largest portfolio considered.
MAX_SIZE = 32
#: A larger portfolio must lower the held-out regret by more than this to be
#: chosen: every member costs a trial at the start of every fit.
SIZE_TOLERANCE = 0.005


def normalised_regret(losses: pd.DataFrame) -> pd.DataFrame:
    """Per-task min-max normalised losses; missing entries become 1.

    Parameters
    ----------
    losses : DataFrame
        Tasks as rows, candidates as columns, NaN where a candidate failed or
        was not evaluated.

    Returns
    -------
    DataFrame
        Same shape, values in [0, 1].
    """
    low = losses.min(axis=1)
    span = (losses.max(axis=1) - low).replace(0.0, 1.0)
    return losses.sub(low, axis=0).div(span, axis=0).fillna(1.0).clip(0.0, 1.0)


def greedy_portfolio(regret: np.ndarray, size: int) -> list[int]:
    """Column indices of a portfolio of up to ``size`` candidates.

    Parameters
    ----------
    regret : ndarray of shape (n_tasks, n_candidates)
        Normalised regrets, e.g. from :func:`normalised_regret`.
    size : int
        Members wanted; fewer when no candidate lowers the regret any more.

    Returns
    -------
    list of int
        Candidate columns, in the order they were added (the order a fit
        evaluates them in).
    """
    chosen: list[int] = []
    best = np.ones(regret.shape[0])
    for _ in range(min(size, regret.shape[1])):
        scores = np.minimum(best[:, None], regret).mean(axis=0)
        scores[chosen] = np.inf
        column = int(np.argmin(scores))
        if chosen and scores[column] >= best.mean():
            break  # nothing left helps on any task
        chosen.append(column)
        best = np.minimum(best, regret[:, column])
    return chosen


def held_out_regret(regret: np.ndarray, max_size: int = MAX_SIZE) -> np.ndarray:
    """Mean leave-one-task-out regret of portfolios of size 1 to ``max_size``.

    For each task, the portfolio is selected on all other tasks and the
    task's best regret in its first n members is recorded, for every n.

    Returns
    -------
    ndarray of shape (max_size,)
        Entry n - 1 is the mean held-out regret of a portfolio of size n.
    """
    n_tasks = regret.shape[0]
    curves = np.ones((n_tasks, max_size))
    for task in range(n_tasks):
        others = np.delete(regret, task, axis=0)
        members = greedy_portfolio(others, max_size)
        running = np.minimum.accumulate(regret[task, members])
        curves[task, : len(running)] = running
        curves[task, len(running) :] = running[-1] if len(running) else 1.0
    return curves.mean(axis=0)


def choose_size(curve: np.ndarray, tolerance: float = SIZE_TOLERANCE) -> int:
    """Smallest size whose held-out regret is within ``tolerance`` of the best."""
    return int(np.argmax(curve <= curve.min() + tolerance)) + 1
