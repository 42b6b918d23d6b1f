"""How trials run: in this process, in isolated worker processes, or on Dask.

Every executor offers ``share(data, workdir)`` (send the data to the workers
once; trials get what it returns), ``submit(fn, **kwargs) -> Future``,
``wait(futures, timeout)`` (the finished ones, once one is or the timeout
passed), ``kill(future)`` (stop that one trial), ``over_memory()`` (trials
over their memory limit) and ``close()``. The driver only waits through
``wait``, so that a simulated executor can run on a virtual clock.

``ProcessExecutor.close()`` stops its worker processes, so that nothing is
left running after a fit. Inside a :func:`reuse_workers` block, idle workers
are kept for the next fit instead (starting a worker and importing the model
libraries costs a few seconds) and stopped when the block ends.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import joblib
import psutil
from joblib.externals.loky import ProcessPoolExecutor
from joblib.parallel import get_active_backend

#: Idle worker processes exit after this many seconds (and restart on demand).
WORKER_IDLE_TIMEOUT = 20
#: Seconds ``close`` waits for each killed worker process (and its manager
#: thread) to be gone.
STOP_TIMEOUT = 5.0


class Executor(Protocol):
    n_workers: int

    def submit(self, fn: Callable[..., Any], /, **kwargs: Any) -> Future[Any]: ...

    def wait(self, futures: list[Future[Any]], timeout: float) -> set[Future[Any]]: ...

    def kill(self, future: Future[Any]) -> None: ...

    def over_memory(self) -> list[Future[Any]]: ...

    def share(self, data: Any, workdir: Path) -> Any: ...

    def release(self) -> None: ...

    def close(self) -> None: ...


def wait_first(futures: list[Future[Any]], timeout: float) -> set[Future[Any]]:
    """The finished futures, once one is or ``timeout`` seconds have passed."""
    done, _ = wait(futures, timeout=timeout, return_when=FIRST_COMPLETED)
    return done


class SerialExecutor:
    """Runs each trial in the calling process when submitted (no limits)."""

    n_workers = 1
    wait = staticmethod(wait_first)

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

    def release(self) -> None:
        """Nothing to release."""

    def close(self) -> None:
        """Nothing to release."""


class _Worker:
    """One worker process (a single-worker loky executor), so it can die alone."""

    def __init__(self) -> None:
        self.pool = _new_pool()
        self.future: Future[Any] | None = None
        # Manager threads and processes of killed pools, joined by ``stop``.
        self._killed: list[Any] = []

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
        """Kill the process (and its children) now; a new one starts on demand."""
        self.terminate()
        self.pool = _new_pool()

    def terminate(self) -> None:
        """Start killing the process; :meth:`reap_killed` waits for the end."""
        self._killed += _threads_and_processes(self.pool)
        self.pool.shutdown(wait=False, kill_workers=True)
        self.future = None

    def reap_killed(self) -> None:
        """Wait until the killed processes (and their threads) are gone.

        Killing returns before loky's manager thread has killed and reaped
        the process; joining them here means nothing is left when the fit
        returns.
        """
        for item in self._killed:
            item.join(timeout=STOP_TIMEOUT)
        self._killed = []


def _new_pool() -> ProcessPoolExecutor:
    # Workers ignore Ctrl-C (a terminal sends SIGINT to the whole process
    # group): the fit's process gets the KeyboardInterrupt and kills them.
    return ProcessPoolExecutor(
        max_workers=1,
        timeout=WORKER_IDLE_TIMEOUT,
        initializer=signal.signal,
        initargs=(signal.SIGINT, signal.SIG_IGN),
    )


def _threads_and_processes(pool: ProcessPoolExecutor) -> list[Any]:
    """A loky pool's manager thread and worker processes (threads first)."""
    thread = getattr(pool, "_executor_manager_thread", None)
    processes = list((getattr(pool, "_processes", None) or {}).values())
    return ([thread] if thread is not None else []) + processes


# Idle workers kept for the next fit, only inside a ``reuse_workers()`` block.
_IDLE_WORKERS: list[_Worker] = []
_IDLE_LOCK = threading.Lock()
_REUSE_DEPTH = 0


@contextmanager
def reuse_workers() -> Iterator[None]:
    """Keep worker processes between the fits run inside the block.

    Each fit otherwise starts its workers and stops them when it ends, which
    costs a few seconds per fit (process start and imports); this matters for
    many short fits in a row. The kept workers are stopped when the outermost
    block ends, even on an exception. The block acts on the whole process
    (fits in other threads keep their workers too while it lasts).

    Examples
    --------
    >>> from automl.search import reuse_workers
    >>> with reuse_workers():  # doctest: +SKIP
    ...     models = [AutoClassifier(time_limit=10).fit(X, y) for X, y in tasks]
    """
    global _REUSE_DEPTH
    with _IDLE_LOCK:
        _REUSE_DEPTH += 1
    try:
        yield
    finally:
        with _IDLE_LOCK:
            _REUSE_DEPTH -= 1
            last = _REUSE_DEPTH == 0
        if last:
            shutdown_idle_workers()


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
    idle_limit_mb : float or None
        Resident memory above which an idle worker is replaced by a fresh
        process before its next trial (allocators keep what trials freed,
        and a crept worker would leave its next trial too little).
    """

    wait = staticmethod(wait_first)

    def __init__(
        self,
        n_workers: int,
        memory_limit_mb: float | None = None,
        idle_limit_mb: float | None = None,
    ) -> None:
        self.n_workers = n_workers
        self.memory_limit_mb = memory_limit_mb
        self.idle_limit_mb = idle_limit_mb
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
                if self._crept(worker):
                    worker.kill()
                return worker
        raise RuntimeError("all workers are busy; wait for a trial to finish first")

    def _crept(self, worker: _Worker) -> bool:
        limit = self.idle_limit_mb
        return limit is not None and worker.rss_mb() > limit

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

    def release(self) -> None:
        """Kill the worker processes now; new ones start if a trial is submitted.

        Called when the search ends: the ensemble is built in the fit's own
        process, and idle workers would hold their memory meanwhile (and
        take their time to stop at the end). Inside a :func:`reuse_workers`
        block they are kept for the next fit.
        """
        if _REUSE_DEPTH == 0:
            for worker in self._workers:
                worker.kill()

    def close(self) -> None:
        """Stop the worker processes and wait until they are gone.

        Inside a :func:`reuse_workers` block, idle workers are kept for the
        next fit instead; busy ones are always killed.
        """
        workers, self._workers = self._workers, []
        stopping = []
        for worker in workers:
            busy = worker.future is not None and not worker.future.done()
            if _REUSE_DEPTH > 0 and not busy:
                worker.future = None
                worker.reap_killed()
                with _IDLE_LOCK:
                    _IDLE_WORKERS.append(worker)
            else:
                stopping.append(worker)
        _stop_all(stopping)


def shutdown_idle_workers() -> None:
    """Stop the worker processes kept by :func:`reuse_workers`."""
    with _IDLE_LOCK:
        idle = list(_IDLE_WORKERS)
        _IDLE_WORKERS.clear()
    _stop_all(idle)


def _stop_all(workers: list[_Worker]) -> None:
    """Kill the workers all at once (each takes a while to die), then reap them."""
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.reap_killed()


def available_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class DaskExecutor:
    """Trials on the workers of an existing Dask distributed cluster.

    The driver and SMAC stay in this process; each trial is one Dask task.
    Data is scattered to every worker once (:meth:`share`). Each trial is
    placed on a worker thread that is free (a loose restriction: it runs
    elsewhere if that worker is gone), so that no worker queues trials behind
    a running one and a worker that dies costs only its running trials. A
    Dask task cannot be killed while it runs: a trial past its limit is
    abandoned (its result ignored) and stops at its own deadline; Dask's nanny
    enforces the workers' memory limits.

    Parameters
    ----------
    cluster : str or distributed.Client
        Scheduler address, e.g. ``"tcp://10.0.0.5:8786"``, or a connected
        client (which is left open at the end: it is the caller's).
    """

    wait = staticmethod(wait_first)

    def __init__(self, cluster: Any) -> None:
        from distributed import Client

        self._own_client = isinstance(cluster, str)
        self.client = (
            Client(cluster, set_as_default=False, timeout="20s")
            if self._own_client
            else cluster
        )
        self.n_workers = max(1, sum(self.client.nthreads().values()))
        self._tasks: dict[Future[Any], Any] = {}
        #: The worker each running trial was placed on (the client's thread
        #: removes finished ones, hence the lock).
        self._placed: dict[Future[Any], str] = {}
        self._lock = threading.Lock()

    def share(self, data: Any, workdir: Any) -> Any:
        """Send the trial data to every worker once; trials get a reference."""
        return self.client.scatter(data, broadcast=True)

    def submit(self, fn: Callable[..., Any], /, **kwargs: Any) -> Future[Any]:
        worker = self._free_worker()
        placement: dict[str, Any] = {}
        if worker is not None:
            placement = {"workers": [worker], "allow_other_workers": True}
        task = self.client.submit(fn, pure=False, **placement, **kwargs)
        future: Future[Any] = Future()
        self._tasks[future] = task
        if worker is not None:
            with self._lock:
                self._placed[future] = worker

        def relay(done: Any) -> None:
            with self._lock:
                self._placed.pop(future, None)
            try:
                future.set_result(done.result())
            except BaseException as exc:
                future.set_exception(exc)

        task.add_done_callback(relay)
        return future

    def _free_worker(self) -> str | None:
        """A worker with a thread no trial of ours is placed on, or None."""
        with self._lock:
            used = Counter(self._placed.values())
        for address, threads in self.client.nthreads().items():
            if used[address] < threads:
                return str(address)
        return None

    def kill(self, future: Future[Any]) -> None:
        """Abandon the trial: cancel its task (a running task finishes anyway)."""
        task = self._tasks.pop(future, None)
        with self._lock:
            self._placed.pop(future, None)
        if task is not None:
            self.client.cancel(task)

    def over_memory(self) -> list[Future[Any]]:
        return []

    def release(self) -> None:
        """Nothing to release: the cluster's workers are not ours."""

    def close(self) -> None:
        if self._own_client:
            self.client.close()


def dask_trial_memory_mb(cluster: Any, timeout: float = 20.0) -> float | None:
    """MiB one trial may use on a Dask cluster: the smallest worker memory
    limit over its threads (a worker runs one trial per thread); None when
    no worker has a limit.

    Parameters
    ----------
    cluster : str or distributed.Client
        Scheduler address or a connected client.
    timeout : float, default=20
        Seconds to wait for the scheduler at an address.
    """
    from distributed import Client

    if isinstance(cluster, str):
        try:
            client = Client(cluster, set_as_default=False, timeout=timeout)
        except OSError as exc:
            raise ConnectionError(
                f"dask_address={cluster!r}: no Dask scheduler answered there "
                f"within {timeout:g} s ({exc}). Start one (`dask scheduler`, "
                "then `dask worker <address>`), or fix the address."
            ) from exc
    else:
        client = cluster
    try:
        workers = client.scheduler_info(n_workers=-1)["workers"].values()
    finally:
        if isinstance(cluster, str):
            client.close()
    limits = [
        w["memory_limit"] / max(1, w["nthreads"]) / 2**20
        for w in workers
        if w.get("memory_limit")
    ]
    return min(limits) if limits else None


def joblib_dask_client() -> Any:
    """The Dask client of an active ``joblib.parallel_config(backend="dask")``.

    None when joblib's active backend is not Dask's.
    """
    backend, _ = get_active_backend()
    return getattr(backend, "client", None)  # only joblib's Dask backend has one
