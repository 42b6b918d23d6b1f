"""Portfolio selection: greedy forward selection over a task × candidate matrix.

The auto-sklearn 2.0 method (Feurer et al., 2022): losses are turned into a
normalised regret per task (0 for the best candidate of that task, 1 for the
worst; a candidate that failed or was not run counts as 1), and candidates
are added one at a time, each time the one that most lowers the mean over
tasks of the best regret in the portfolio. The size is chosen by
leave-one-task-out validation: the held-out task never contributes to the
portfolio it is scored on.

One change to that method: a fit evaluates the portfolio first and within its
time limit, so a member that costs 30 times the typical candidate uses up a
short budget on its own. Given the candidates' costs, each step adds the
candidate with the largest regret reduction *per unit of cost* (the
cost-effective greedy rule for budgeted selection), so cheap good members come
first and expensive ones join later, if they add enough.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Largest portfolio considered.
MAX_SIZE = 32
#: Costs below this share of a task's median candidate time count as this
#: share: there, a trial's cost is its fixed overheads (process, data), not
#: the model.
COST_FLOOR = 0.1
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


def relative_cost(times: pd.DataFrame) -> pd.DataFrame:
    """Fit times divided by each task's median candidate time (NaN: not run).

    Dividing per task lets small and large tasks weigh the same in
    :func:`mean_cost`.
    """
    return times.div(times.median(axis=1), axis=0)


def mean_cost(relative: np.ndarray) -> np.ndarray:
    """Each candidate's mean relative cost over tasks, at least :data:`COST_FLOOR`.

    A candidate that never ran gets the largest cost of the others.
    """
    ran = ~np.isnan(relative)
    totals = np.where(ran, relative, 0.0).sum(axis=0)
    counts = ran.sum(axis=0)
    means = np.divide(
        totals, counts, out=np.full(len(counts), np.nan), where=counts > 0
    )
    fill = np.nanmax(means) if counts.any() else 1.0
    return np.maximum(np.where(counts > 0, means, fill), COST_FLOOR)


def greedy_portfolio(
    regret: np.ndarray,
    size: int,
    cost: np.ndarray | None = None,
    start: np.ndarray | None = None,
) -> list[int]:
    """Column indices of a portfolio of up to ``size`` candidates.

    Parameters
    ----------
    regret : ndarray of shape (n_tasks, n_candidates)
        Normalised regrets, e.g. from :func:`normalised_regret`.
    size : int
        Members wanted; fewer when no candidate lowers the regret any more.
    cost : ndarray of shape (n_candidates,), optional
        Positive costs (e.g. :func:`mean_cost`); each step then adds the
        candidate with the largest regret reduction per unit of cost. None
        weighs all candidates the same (auto-sklearn 2.0's rule).
    start : ndarray of shape (n_tasks,), optional
        Each task's best regret before the first member, e.g. that of a
        design evaluated in any case: members are then chosen for what they
        add to it. None: 1 for every task (nothing evaluated yet).

    Returns
    -------
    list of int
        Candidate columns, in the order they were added (the order a fit
        evaluates them in).
    """
    cost = np.ones(regret.shape[1]) if cost is None else cost
    chosen: list[int] = []
    best = np.ones(regret.shape[0]) if start is None else np.asarray(start, float)
    for _ in range(min(size, regret.shape[1])):
        gain = best.mean() - np.minimum(best[:, None], regret).mean(axis=0)
        gain[chosen] = 0.0
        column = int(np.argmax(gain / cost))
        if gain[column] <= 0.0:
            break  # nothing left helps on any task
        chosen.append(column)
        best = np.minimum(best, regret[:, column])
    return chosen


def defaults_then_complements(
    regret: np.ndarray,
    size: int,
    defaults: Sequence[int],
    cost: np.ndarray | None = None,
) -> list[int]:
    """Column indices of the ``defaults`` columns, then of members chosen for
    what they add to them; ``size`` in all.

    The defaults come in the greedy rule's order among themselves (those
    that lower no task's regret are left out), the complements by the same
    rule started from the defaults' best regret per task
    (:func:`greedy_portfolio` with ``start``).
    """
    cost = np.ones(regret.shape[1]) if cost is None else cost
    columns = list(defaults)
    order = greedy_portfolio(regret[:, columns], size, cost[columns])
    first = [columns[i] for i in order]
    start = regret[:, first].min(axis=1) if first else None
    rest = greedy_portfolio(regret, size - len(first), cost, start)
    return first + rest


def held_out_regret(
    regret: np.ndarray,
    max_size: int = MAX_SIZE,
    relative: np.ndarray | None = None,
    seconds: np.ndarray | None = None,
    budget: float | None = None,
    defaults: Sequence[int] | None = None,
) -> np.ndarray:
    """Mean leave-one-task-out regret of portfolios of size 1 to ``max_size``.

    For each task, the portfolio is selected on all other tasks (their
    regrets and, with ``relative``, their :func:`relative_cost` values) and
    the task's best regret in its first n members is recorded, for every n.
    With ``seconds`` (each evaluation's estimated seconds on the task) and a
    ``budget``, a member counts only if the members up to it finish within
    the budget, one after the other: a fit runs out of time on a portfolio
    too long for it. With ``defaults``, portfolios are
    :func:`defaults_then_complements`.

    Returns
    -------
    ndarray of shape (max_size,)
        Entry n - 1 is the mean held-out regret of a portfolio of size n.
    """
    n_tasks = regret.shape[0]
    curves = np.ones((n_tasks, max_size))
    for task in range(n_tasks):
        others = np.delete(regret, task, axis=0)
        cost = None if relative is None else mean_cost(np.delete(relative, task, 0))
        if defaults is None:
            members = greedy_portfolio(others, max_size, cost)
        else:
            members = defaults_then_complements(others, max_size, defaults, cost)
        reached = regret[task, members]
        if seconds is not None and budget is not None:
            spent = np.cumsum(np.nan_to_num(seconds[task, members], nan=0.0))
            reached = np.where(spent <= budget, reached, 1.0)
        running = np.minimum.accumulate(reached)
        curves[task, : len(running)] = running
        curves[task, len(running) :] = running[-1] if len(running) else 1.0
    return curves.mean(axis=0)


def choose_size(curve: np.ndarray, tolerance: float = SIZE_TOLERANCE) -> int:
    """Smallest size whose held-out regret is within ``tolerance`` of the best."""
    return int(np.argmax(curve <= curve.min() + tolerance)) + 1
