"""How trials run: in this process (tests, debugging) or in worker processes.

Every executor offers ``submit(fn, **kwargs) -> Future`` and ``kill()``; the
driver does the waiting with :func:`concurrent.futures.wait`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol

from joblib.externals.loky import get_reusable_executor

#: Idle worker processes exit after this many seconds.
WORKER_IDLE_TIMEOUT = 30


class Executor(Protocol):
    n_workers: int

    def submit(self, fn: Callable[..., Any], /, **kwargs: Any) -> Future[Any]: ...

    def kill(self) -> None: ...

    def close(self) -> None: ...


class SerialExecutor:
    """Runs each trial in the calling process when submitted (no time kill)."""

    n_workers = 1

    def submit(self, fn: Callable[..., Any], /, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(**kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future

    def kill(self) -> None:
        """Nothing to kill: trials finish before ``submit`` returns."""

    def close(self) -> None:
        """Nothing to release."""


class LokyExecutor:
    """Trials in ``n_workers`` reusable worker processes (joblib's loky).

    Parameters
    ----------
    n_workers : int
        Number of worker processes.
    """

    def __init__(self, n_workers: int) -> None:
        self.n_workers = n_workers

    def _pool(self) -> Any:
        # A pool broken by a dead worker is replaced by a fresh one here.
        return get_reusable_executor(
            max_workers=self.n_workers, timeout=WORKER_IDLE_TIMEOUT, reuse=True
        )

    def submit(self, fn: Callable[..., Any], /, **kwargs: Any) -> Future[Any]:
        return self._pool().submit(fn, **kwargs)

    def kill(self) -> None:
        """Kill the worker processes (to stop a trial past its limit)."""
        self._pool().shutdown(wait=False, kill_workers=True)

    def close(self) -> None:
        """Leave the workers for the next fit; they exit when idle."""


def available_cores() -> int:
    return (
        len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else (os.cpu_count() or 1)
    )
