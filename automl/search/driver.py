"""The ask/tell loop: keeps the workers busy until the deadline or ``max_trials``.

The driver knows nothing about machine learning: it sees an optimiser that
proposes configurations, a trial function that returns an outcome with a
``loss`` and a ``status``, and an executor that runs it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol

from automl.limits import KILL_GRACE_SECONDS, Deadline, trial_deadline
from automl.search.executors import Executor
from automl.search.proposals import Optimizer, Proposal

#: How often running trials are checked against their memory limit.
MEMORY_POLL_SECONDS = 0.25


class Outcome(Protocol):
    loss: float
    status: str
    error: str | None


@dataclass
class TrialRecord:
    """One finished trial, in the order trials finished.

    ``resumed`` marks a trial read from the trial log of an earlier, killed
    fit (see :mod:`automl.search.trial_log`) rather than run by this one.
    """

    trial_id: int
    config: dict[str, Any]
    seed: int
    budget: float | None
    origin: str
    loss: float
    status: str
    started: float
    duration: float
    error: str | None = None
    outcome: Any = field(default=None, repr=False)
    resumed: bool = False


def is_full_budget_success(status: str, budget: float | None) -> bool:
    """Whether a trial may become (part of) the final model and counts for the
    best score: it succeeded on all the training rows.

    Parameters
    ----------
    status : str
        The trial's status (``"ok"`` when it succeeded).
    budget : float or None
        Its fraction of the training rows; None means all of them.
    """
    return status == "ok" and (budget is None or budget >= 1)


@dataclass
class _Pending:
    trial_id: int
    proposal: Proposal
    started: float
    kill_at: float | None


@dataclass
class SearchSettings:
    """How long and how much to search.

    Parameters
    ----------
    deadline : Deadline
        When the search must stop proposing and have collected its trials.
    max_trials : int or None
        Cap on the number of trials.
    per_trial_limit : float or None
        Wall-clock seconds one trial may take.
    crash_loss : float
        Finite loss told to the optimiser for trials that fail or time out.
    reserve : callable
        Seconds to keep free before the deadline (asked before each trial, so
        the reserve can grow with what the trials show, e.g. the refit's cost).
    """

    deadline: Deadline
    max_trials: int | None
    per_trial_limit: float | None
    crash_loss: float
    reserve: Callable[[], float] = lambda: 0.0


def run_search(
    optimizer: Optimizer,
    executor: Executor,
    trial_fn: Callable[..., Outcome],
    trial_kwargs: dict[str, Any],
    settings: SearchSettings,
    on_trial: Callable[[TrialRecord], None] | None = None,
    prior: Sequence[TrialRecord] = (),
) -> list[TrialRecord]:
    """Run trials asynchronously: a free worker gets the next ``ask()`` at once.

    ``trial_fn(config=..., seed=..., budget=..., deadline=..., **trial_kwargs)``
    runs in the executor. ``prior`` are trials finished by an earlier fit (on
    resume): they are told to the optimiser before its first ask, count
    toward ``max_trials``, and new trial ids follow theirs. Returns every
    finished trial, including failures and ``prior``.
    """
    loop = _SearchLoop(optimizer, executor, trial_fn, trial_kwargs, settings, on_trial)
    loop.add_prior(prior)
    return loop.run()


class _SearchLoop:
    def __init__(
        self,
        optimizer: Optimizer,
        executor: Executor,
        trial_fn: Callable[..., Outcome],
        trial_kwargs: dict[str, Any],
        settings: SearchSettings,
        on_trial: Callable[[TrialRecord], None] | None,
    ) -> None:
        self.optimizer = optimizer
        self.executor = executor
        self.trial_fn = trial_fn
        self.trial_kwargs = trial_kwargs
        self.settings = settings
        self.on_trial = on_trial
        self.pending: dict[Future[Any], _Pending] = {}
        self.records: list[TrialRecord] = []
        self.n_submitted = 0
        self.next_id = 0

    def add_prior(self, prior: Sequence[TrialRecord]) -> None:
        """Tell trials of an earlier fit before the first ask (SMAC.md §4(b))."""
        for record in prior:
            self.optimizer.tell_known(
                record.config,
                seed=record.seed,
                budget=record.budget,
                loss=record.loss,
                status=record.status,
                seconds=record.duration,
            )
            self.records.append(record)
            self.n_submitted += 1
            self.next_id = max(self.next_id, record.trial_id + 1)

    def run(self) -> list[TrialRecord]:
        while True:
            while len(self.pending) < self.executor.n_workers and self._may_submit():
                self._submit()
            if not self.pending:
                return self.records
            done = self.executor.wait(list(self.pending), self._wait_timeout())
            for future in done:
                self._collect(future)
            self._stop_over_limits()

    def now(self) -> float:
        """The search's clock (``settings.deadline.clock``)."""
        return self.settings.deadline.clock()

    def _may_submit(self) -> bool:
        limit = self.settings.max_trials
        if limit is not None and self.n_submitted >= limit:
            return False
        search_deadline = self._search_deadline()
        return search_deadline.remaining() > self._shortest_useful_trial()

    def _search_deadline(self) -> Deadline:
        return self.settings.deadline.shortened_by(self.settings.reserve())

    def _shortest_useful_trial(self) -> float:
        """Seconds below which a new trial is unlikely to finish anything useful."""
        durations = [r.duration for r in self.records if r.status == "ok"]
        return 0.5 * min(durations) if durations else 1.0

    def _submit(self) -> None:
        proposal = self.optimizer.ask()
        deadline = trial_deadline(
            self._search_deadline(), self.settings.per_trial_limit
        )
        started = self.now()  # before submit: a serial executor runs it there
        future = self.executor.submit(
            self.trial_fn,
            config=proposal.config,
            seed=proposal.seed,
            budget=proposal.budget,
            deadline=deadline,
            **self.trial_kwargs,
        )
        kill_at = None if deadline is None else deadline + KILL_GRACE_SECONDS
        self.pending[future] = _Pending(self.next_id, proposal, started, kill_at)
        self.n_submitted += 1
        self.next_id += 1

    def _wait_timeout(self) -> float:
        kill_times = [p.kill_at for p in self.pending.values() if p.kill_at is not None]
        until_kill = min(kill_times) - self.now() if kill_times else float("inf")
        return max(0.05, min(until_kill, MEMORY_POLL_SECONDS))

    def _collect(self, future: Future[Any]) -> None:
        pending = self.pending.pop(future)
        try:
            outcome = future.result()
            loss, status, error = outcome.loss, outcome.status, outcome.error
        except Exception as exc:
            outcome, loss, status = None, self.settings.crash_loss, "crashed"
            error = f"{type(exc).__name__}: {exc}"
        self._record(pending, outcome, loss, status, error)

    def _stop_over_limits(self) -> None:
        """Kill trials past their time limit or over their memory limit."""
        now = self.now()
        for future in self.executor.over_memory():
            self._stop(future, "memout", "the trial exceeded its memory limit")
        for future, pending in list(self.pending.items()):
            if pending.kill_at is not None and pending.kill_at <= now:
                self._stop(future, "timeout", "the trial ran past its time limit")

    def _stop(self, future: Future[Any], status: str, error: str) -> None:
        if future not in self.pending or future.done():
            return
        self.executor.kill(future)
        pending = self.pending.pop(future)
        self._record(pending, None, self.settings.crash_loss, status, error)

    def _record(
        self,
        pending: _Pending,
        outcome: Any,
        loss: float,
        status: str,
        error: str | None,
    ) -> None:
        duration = self.now() - pending.started
        self.optimizer.tell(pending.proposal, loss, status, duration)
        record = TrialRecord(
            trial_id=pending.trial_id,
            config=pending.proposal.config,
            seed=pending.proposal.seed,
            budget=pending.proposal.budget,
            origin=pending.proposal.origin,
            loss=loss,
            status=status,
            started=pending.started - self.settings.deadline.start,
            duration=duration,
            error=error,
            outcome=outcome,
        )
        self.records.append(record)
        if self.on_trial is not None:
            self.on_trial(record)
