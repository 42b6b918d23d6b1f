"""Nothing is left behind: no worker process, temporary directory or thread.

Checked after ``fit`` and ``predict``, after a Ctrl-C (SIGINT) in the middle
of the search, in this process and in a subprocess (where the interrupt also
reaches the workers when it is sent to the process group, as a terminal does).

Errors inside the search do not make ``fit`` raise (a failing trial is
recorded, a failing ensemble falls back to the best model): an interrupt is
the way a ``fit`` stops half-way, so it is what these tests use.

The resource trackers that ``multiprocessing`` and loky start once per
process (and share with every joblib pool of the process) are not ours to
stop; they end with the process and are left out of the in-process checks.
"""

from __future__ import annotations

import functools
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from automl import AutoClassifier
from automl.search import ProcessExecutor, reuse_workers

pytestmark = pytest.mark.slow

#: Seconds a check waits for processes and threads to be gone.
GRACE = 5.0
#: Seconds an interrupted fit may take to raise KeyboardInterrupt.
PROMPT = 10.0


def _wait_until(condition: Callable[[], Any], timeout: float = GRACE) -> Any:
    """Poll ``condition`` until it is truthy or ``timeout`` passes; its last value."""
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > end:
            return value
        time.sleep(0.1)


def _is_resource_tracker(process: psutil.Process) -> bool:
    try:
        return "resource_tracker" in " ".join(process.cmdline())
    except psutil.Error:
        return False


def _our_workers() -> set[int]:
    """Child processes of this process (zombies too), without resource trackers."""
    children = psutil.Process().children(recursive=True)
    return {c.pid for c in children if not _is_resource_tracker(c)}


def _gone(pids: set[int]) -> bool:
    """Whether none of ``pids`` exists any more (a zombie child still exists)."""
    return not any(psutil.pid_exists(pid) for pid in pids)


@pytest.fixture
def clean_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh temporary directory for ``tempfile``; checks no new thread remains."""
    temp_dir = tmp_path / "tmp"
    temp_dir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp_dir))
    threads_before = set(threading.enumerate())
    workers_before = _our_workers()
    yield temp_dir
    clean = _wait_until(lambda: not (_our_workers() - workers_before))
    assert clean, f"processes left: {_our_workers() - workers_before}"

    def new_threads() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t not in threads_before]

    assert _wait_until(lambda: not new_threads()), f"threads left: {new_threads()}"
    assert sorted(os.listdir(temp_dir)) == []


def _worker_pids(clf: AutoClassifier) -> set[int]:
    return {int(t["worker"].rsplit(":", 1)[1]) for t in clf.trials_ if t["worker"]}


def test_nothing_left_after_fit_and_predict(breast_cancer, clean_state):
    X, y = breast_cancer
    clf = AutoClassifier(
        time_limit=60,
        max_trials=4,
        n_jobs=2,
        include=["linear", "lightgbm"],
        resampling="holdout",
        verbose=1,  # the progress bar's thread too
    ).fit(X, y)
    clf.predict(X)
    clf.predict_proba(X)
    workers = _worker_pids(clf)
    assert workers, "the trials should have run in worker processes"
    assert _gone(workers), f"worker processes left: {workers}"


def test_nothing_left_after_keyboard_interrupt(breast_cancer, clean_state):
    X, y = breast_cancer
    seen: set[int] = set()
    sent: list[float] = []

    def interrupt_once_trials_run() -> None:
        # Wait for both workers, let the trials run a moment, then Ctrl-C.
        # The fit takes its 60 s, so the interrupt cannot arrive after it.
        if _wait_until(lambda: len(_our_workers()) >= 2, timeout=30):
            time.sleep(2.5)
            seen.update(_our_workers())
            sent.append(time.monotonic())
            os.kill(os.getpid(), signal.SIGINT)

    watcher = threading.Thread(target=interrupt_once_trials_run, daemon=True)
    watcher.start()
    with pytest.raises(KeyboardInterrupt):
        AutoClassifier(time_limit=60, n_jobs=2, verbose=1).fit(X, y)
    raised = time.monotonic()
    watcher.join()
    assert sent, "the fit's workers never started"
    assert raised - sent[0] < PROMPT
    assert _wait_until(lambda: _gone(seen)), f"worker processes left: {seen}"


FIT_SCRIPT = textwrap.dedent(
    """
    import json, os, tempfile, threading, time
    import psutil
    from sklearn.datasets import load_breast_cancer
    from automl import AutoClassifier

    def report():
        me = psutil.Process()
        while True:
            children = me.children(recursive=True)
            workers = [
                c for c in children if "resource_tracker" not in " ".join(c.cmdline())
            ]
            pids = {"all": [c.pid for c in children], "workers": len(workers)}
            print("PIDS", json.dumps(pids), flush=True)
            time.sleep(0.2)

    threading.Thread(target=report, name="report", daemon=True).start()
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    try:
        AutoClassifier(time_limit=120, n_jobs=2, verbose=1).fit(X, y)
    except KeyboardInterrupt:
        time.sleep(0.5)
        me = psutil.Process()
        state = {
            "workers": [
                c.pid
                for c in me.children(recursive=True)
                if "resource_tracker" not in " ".join(c.cmdline())
            ],
            "threads": [
                t.name
                for t in threading.enumerate()
                if t is not threading.main_thread() and t.name != "report"
            ],
            "temp": os.listdir(tempfile.gettempdir()),
        }
        print("INTERRUPTED", json.dumps(state), flush=True)
        raise
    print("FINISHED", flush=True)
    """
)


def _read_lines(stream: Any, lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


@pytest.mark.slow
@pytest.mark.parametrize("target", ["process", "process group"])
def test_sigint_in_subprocess_leaves_nothing(tmp_path, target):
    """Ctrl-C during a fit: KeyboardInterrupt within seconds, and nothing left."""
    temp_dir = tmp_path / "tmp"
    temp_dir.mkdir()
    env = {**os.environ, "TMPDIR": str(temp_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-c", FIT_SCRIPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group, as a terminal job
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_read_lines, args=(proc.stdout, lines), daemon=True).start()
    seen: set[int] = set()
    interrupted_state = None
    sent = None
    try:
        end = time.monotonic() + 90
        while time.monotonic() < end:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                if proc.poll() is not None:
                    break
                continue
            if line.startswith("PIDS"):
                pids = json.loads(line.split(" ", 1)[1])
                seen.update(pids["all"])
                if sent is None and pids["workers"] >= 2:
                    time.sleep(2.5)  # let the trials run a moment
                    if target == "process":
                        os.kill(proc.pid, signal.SIGINT)
                    else:
                        os.killpg(proc.pid, signal.SIGINT)
                    sent = time.monotonic()
            elif line.startswith("INTERRUPTED"):
                interrupted_state = json.loads(line.split(" ", 1)[1])
            elif line.startswith("FINISHED"):
                break
        returncode = proc.wait(timeout=PROMPT if sent else 1)
    except subprocess.TimeoutExpired:
        returncode = None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    stderr = proc.stderr.read() if proc.stderr else ""
    assert sent is not None, f"the fit's workers never started:\n{stderr[-2000:]}"
    assert time.monotonic() - sent < PROMPT + 1
    assert returncode == -signal.SIGINT, stderr[-2000:]
    assert stderr.rstrip().endswith("KeyboardInterrupt"), stderr[-2000:]
    assert interrupted_state == {"workers": [], "threads": [], "temp": []}

    def alive() -> list[int]:
        # Orphaned zombies wait for init to reap them: they are gone for us.
        out = []
        for pid in seen:
            try:
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    out.append(pid)
            except psutil.NoSuchProcess:
                pass
        return out

    assert len(seen) >= 2
    assert _wait_until(lambda: not alive()), f"processes left: {alive()}"
    assert os.listdir(temp_dir) == []


@pytest.mark.parametrize("then_run_another", [False, True])
def test_close_returns_once_killed_workers_are_gone(clean_state, then_run_another):
    """A worker killed by a trial's time limit is gone when ``close`` returns.

    loky kills it from a background thread after ``kill`` returns; a ``close``
    right after (a fit ending on a timed-out trial) must wait for that.
    """
    threads_before = set(threading.enumerate())
    executor = ProcessExecutor(1)
    hanging = executor.submit(functools.partial(time.sleep, 60))
    pids = {_wait_until(lambda: executor._workers[0].pid(), timeout=30)}
    executor.kill(hanging)
    if then_run_another:
        pids.add(executor.submit(os.getpid).result(timeout=30))
        assert len(pids) == 2
    executor.close()
    # No grace period here: close() itself must have waited.
    assert _gone(pids), "a worker process (or its zombie) is left"
    # A queue's feeder thread may take a moment to notice its queue closed.
    assert _wait_until(lambda: set(threading.enumerate()) <= threads_before)


def test_reuse_workers_keeps_them_between_executors_only_inside_the_block(
    clean_state,
):
    with reuse_workers():
        executor = ProcessExecutor(1)
        pid = executor.submit(os.getpid).result(timeout=30)
        executor.close()
        assert psutil.pid_exists(pid)
        executor = ProcessExecutor(1)
        assert executor.submit(os.getpid).result(timeout=30) == pid
        executor.close()
    assert _gone({pid})


def test_release_frees_the_workers_and_a_later_trial_gets_a_new_one(clean_state):
    """At the end of the search the idle workers go; the refit may start one."""
    executor = ProcessExecutor(2)
    first = {executor.submit(os.getpid).result(timeout=30) for _ in range(2)}
    executor.release()
    assert _wait_until(lambda: _gone(first)), f"workers left: {first}"
    again = executor.submit(os.getpid).result(timeout=30)
    assert again not in first
    executor.close()
    assert _gone({again})
