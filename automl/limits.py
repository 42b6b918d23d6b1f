"""The fit's clock: one deadline for the whole fit and the share each trial gets."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

#: Seconds since the epoch, as ``time.time`` gives them; a simulation or a
#: test may give the search another.
Clock = Callable[[], float]

#: Seconds a trial may run past its own deadline before its worker is killed.
#: Boosters and tree ensembles stop cooperatively at the deadline; the grace
#: covers predicting the validation rows and returning the result.
KILL_GRACE_SECONDS = 2.0

#: The promise on ``time_limit``: ``fit`` returns within ``time_limit +
#: TIME_LIMIT_SLACK_S`` seconds. The slack covers a refit that uses its
#: ``KILL_GRACE_SECONDS`` (it must end 0.5 s before the deadline, so it can
#: be up to 1.5 s late), stopping the workers, and the bookkeeping after the
#: search. Measured on 2 cores busy with other work (10 s limit, 300 to 60,000
#: rows, 1 or 2 jobs, 3 to 8 fits each): at most 0.5 s late, and since the
#: ensemble's last-resort refit runs on one thread, never late.
#: tests/test_robustness/test_time_limit.py checks it.
TIME_LIMIT_SLACK_S = 3.0


@dataclass(frozen=True)
class Deadline:
    """Wall-clock deadline of a fit, in ``time.time()`` seconds.

    ``time.time()`` rather than a monotonic clock because deadlines travel to
    worker processes (and, on Dask, to other machines).

    Parameters
    ----------
    start : float
        When the fit started.
    limit : float or None
        Seconds allowed; None means no time limit.
    clock : callable, default=time.time
        What "now" is read from (a simulation passes its virtual clock).
    """

    start: float
    limit: float | None
    clock: Clock = field(default=time.time, compare=False, repr=False)

    @classmethod
    def starting_now(cls, limit: float | None, clock: Clock = time.time) -> Deadline:
        return cls(clock(), limit, clock)

    @property
    def at(self) -> float | None:
        """Epoch second at which the fit must be done, or None."""
        return None if self.limit is None else self.start + self.limit

    def remaining(self) -> float:
        """Seconds left (``inf`` without a limit, never negative)."""
        if self.limit is None:
            return float("inf")
        return max(0.0, self.start + self.limit - self.clock())

    def elapsed(self) -> float:
        return self.clock() - self.start

    def shortened_by(self, seconds: float) -> Deadline:
        """A deadline ``seconds`` earlier (e.g. to reserve time for the refit)."""
        if self.limit is None:
            return self
        return replace(self, limit=max(0.0, self.limit - seconds))


def share_of(deadline: float | None, parts_left: int) -> float | None:
    """Deadline of the next of ``parts_left`` parts (folds, bags, stackers) that
    share the time left to ``deadline`` equally; None without a deadline."""
    if deadline is None:
        return None
    now = time.time()
    return now + max(0.0, deadline - now) / parts_left


def fit_deadline(deadline: float | None, predict_share: float) -> float | None:
    """When a model due by ``deadline`` must stop fitting, to leave
    ``predict_share`` of the time left for its predictions; None without one."""
    if deadline is None:
        return None
    now = time.time()
    return now + max(0.0, deadline - now) * (1.0 - predict_share)


def trial_deadline(
    fit_deadline: Deadline, per_trial_limit: float | None
) -> float | None:
    """Epoch deadline of a trial starting now: the fit's end or its own limit."""
    candidates = [t for t in (fit_deadline.at,) if t is not None]
    if per_trial_limit is not None:
        candidates.append(fit_deadline.clock() + per_trial_limit)
    return min(candidates) if candidates else None
