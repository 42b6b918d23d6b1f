"""How trials run: in this process, in isolated worker processes, or on Dask.

Every executor offers ``share(data, workdir)`` (send the data to the workers
once; trials get what it returns), ``submit(fn, **kwargs) -> Future``,
``kill(future)`` (stop that one trial), ``over_memory()`` (trials over their
memory limit) and ``close()``; the driver waits with
:func:`concurrent.futures.wait`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Protocol

import joblib
import psutil
from joblib.externals.loky import ProcessPoolExecutor

#: Idle worker processes exit after this many seconds (and restart on demand).
WORKER_IDLE_TIMEOUT = 20


class Executor(Protocol):
    n_workers: int

    def submit(self, fn: Callable[..., Any], /, **kwargs: Any) -> Future[Any]: ...

    def kill(self, future: Future[Any]) -> None: ...

    def over_memory(self) -> list[Future[Any]]: ...

    def share(self, data: Any, workdir: Path) -> Any: ...

    def close(self) -> None: ...


class SerialExecutor:
    """Runs each trial in the calling process when submitted (no limits)."""

    n_workers = 1

    def submit(self, fn: Callable[..., Any], /, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(**kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future

    def kill(self, future: Future[Any]) -> None:
        """Nothing to kill: trials finish before ``submit`` returns."""

    def over_memory(self) -> list[Future[Any]]:
        return []

    def share(self, data: Any, workdir: Path) -> Any:
        return data

    def close(self) -> None:
        """Nothing to release."""


class _Worker:
    """One worker process (a single-worker loky executor), so it can die alone."""

    def __init__(self) -> None:
        self.pool = ProcessPoolExecutor(max_workers=1, timeout=WORKER_IDLE_TIMEOUT)
        self.future: Future[Any] | None = None

    def pid(self) -> int | None:
        processes = getattr(self.pool, "_processes", None) or {}
        return next(iter(processes), None)

    def rss_mb(self) -> float:
        """Resident memory of the worker and its children, in MiB."""
        pid = self.pid()
        if pid is None:
            return 0.0
        try:
            process = psutil.Process(pid)
            rss = process.memory_info().rss
            rss += sum(c.memory_info().rss for c in process.children(recursive=True))
        except psutil.Error:
            return 0.0
        return rss / 2**20

    def kill(self) -> None:
        self.pool.shutdown(wait=False, kill_workers=True)
        self.pool = ProcessPoolExecutor(max_workers=1, timeout=WORKER_IDLE_TIMEOUT)
        self.future = None


# Workers are kept between fits (they exit after WORKER_IDLE_TIMEOUT idle
# seconds): starting a process and importing the model libraries costs seconds.
_IDLE_WORKERS: list[_Worker] = []
_IDLE_LOCK = threading.Lock()


class ProcessExecutor:
    """Trials in ``n_workers`` worker processes, each killable on its own.

    A trial that overruns its time or memory limit is stopped by killing its
    worker; the other trials go on. Built on joblib's loky (cloudpickle, robust
    process start-up), one single-worker executor per slot.

    Parameters
    ----------
    n_workers : int
        Trials that run at once.
    memory_limit_mb : float or None
        Resident memory one worker may use; see :meth:`over_memory`.
    """

    def __init__(self, n_workers: int, memory_limit_mb: float | None = None) -> None:
        self.n_workers = n_workers
        self.memory_limit_mb = memory_limit_mb
        with _IDLE_LOCK:
            self._workers = [
                _IDLE_WORKERS.pop() if _IDLE_WORKERS else _Worker()
                for _ in range(n_workers)
            ]

    def share(self, data: Any, workdir: Path) -> str:
        """Write the data once; each worker loads it on its first trial and keeps it."""
        path = str(workdir / "data.joblib")
        joblib.dump(data, path)
        return path

    def submit(self, fn: Callable[..., Any], /, **kwargs: Any) -> Future[Any]:
        worker = self._free_worker()
        try:
            future = worker.pool.submit(fn, **kwargs)
        except Exception:
            worker.kill()
            future = worker.pool.submit(fn, **kwargs)
        worker.future = future
        return future

    def _free_worker(self) -> _Worker:
        for worker in self._workers:
            if worker.future is None or worker.future.done():
                return worker
        raise RuntimeError("all workers are busy; wait for a trial to finish first")

    def kill(self, future: Future[Any]) -> None:
        """Stop the trial behind ``future`` by killing its worker (and only it)."""
        for worker in self._workers:
            if worker.future is future:
                worker.kill()

    def over_memory(self) -> list[Future[Any]]:
        """Futures of running trials whose worker exceeds ``memory_limit_mb``."""
        if self.memory_limit_mb is None:
            return []
        return [
            w.future
            for w in self._workers
            if w.future is not None
            and not w.future.done()
            and w.rss_mb() > self.memory_limit_mb
        ]

    def close(self) -> None:
        """Give idle workers back for the next fit; kill those still busy."""
        with _IDLE_LOCK:
            for worker in self._workers:
                if worker.future is not None and not worker.future.done():
                    worker.kill()
                worker.future = None
                _IDLE_WORKERS.append(worker)
        self._workers = []


def shutdown_idle_workers() -> None:
    """Stop the worker processes kept for later fits."""
    with _IDLE_LOCK:
        while _IDLE_WORKERS:
            _IDLE_WORKERS.pop().pool.shutdown(wait=True, kill_workers=True)


def available_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class DaskExecutor:
    """Trials on the workers of an existing Dask distributed cluster.

    The driver and SMAC stay in this process; each trial is one Dask task.
    Data is scattered to every worker once (:meth:`share`). A Dask task cannot
    be killed while it runs: a trial past its limit is abandoned (its result
    ignored) and stops at its own deadline; Dask's nanny enforces the workers'
    memory limits.

    Parameters
    ----------
    address : str
        Scheduler address, e.g. ``"tcp://10.0.0.5:8786"``.
    """

    def __init__(self, address: str) -> None:
        from distributed import Client

        self.client = Client(address, set_as_default=False, timeout="20s")
        self.n_workers = max(1, sum(self.client.nthreads().values()))
        self._tasks: dict[Future[Any], Any] = {}

    def share(self, data: Any, workdir: Any) -> Any:
        """Send the trial data to every worker once; trials get a reference."""
        return self.client.scatter(data, broadcast=True)

    def submit(self, fn: Callable[..., Any], /, **kwargs: Any) -> Future[Any]:
        task = self.client.submit(fn, pure=False, **kwargs)
        future: Future[Any] = Future()
        self._tasks[future] = task

        def relay(done: Any) -> None:
            try:
                future.set_result(done.result())
            except BaseException as exc:
                future.set_exception(exc)

        task.add_done_callback(relay)
        return future

    def kill(self, future: Future[Any]) -> None:
        """Abandon the trial: cancel its task (a running task finishes anyway)."""
        task = self._tasks.pop(future, None)
        if task is not None:
            self.client.cancel(task)

    def over_memory(self) -> list[Future[Any]]:
        return []

    def close(self) -> None:
        self.client.close()
