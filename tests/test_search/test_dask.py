"""The same search on a real Dask cluster: a scheduler and two workers on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from automl import AutoClassifier
from automl.limits import TIME_LIMIT_SLACK_S

pytestmark = pytest.mark.slow


def _dask(*args: str, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "dask"), *args],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=None if env is None else {**os.environ, **env},
    )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    """One cluster of 4 single-threaded workers for the module (each start
    costs seconds). A task whose worker dies fails at once (KilledWorker)
    instead of being rerun elsewhere (Dask's default allows 3 failures), so
    that the killed-worker test sees the lost trial."""
    env = {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"}
    yield from _cluster(tmp_path_factory.mktemp("dask"), n_workers=4, env=env)


def _cluster(tmp_path: Path, n_workers: int, env: dict[str, str] | None = None):
    scheduler_file = tmp_path / "scheduler.json"
    processes = [
        _dask(
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            "--scheduler-file",
            str(scheduler_file),
            log=tmp_path / "scheduler.log",
            env=env,
        )
    ]
    for i in range(n_workers):
        processes.append(
            _dask(
                "worker",
                "--scheduler-file",
                str(scheduler_file),
                "--nthreads",
                "1",
                "--nworkers",
                "1",
                "--host",
                "127.0.0.1",
                "--no-dashboard",
                log=tmp_path / f"worker{i}.log",
            )
        )
    try:
        address = _wait_for_workers(scheduler_file, n_workers=n_workers)
        yield address
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)


def _wait_for_workers(scheduler_file: Path, n_workers: int) -> str:
    from distributed import Client

    deadline = time.time() + 60
    while not scheduler_file.exists():
        assert time.time() < deadline, "the Dask scheduler did not start"
        time.sleep(0.2)
    address = json.loads(scheduler_file.read_text())["address"]
    with Client(address, timeout="30s") as client:
        client.wait_for_workers(n_workers, timeout=60)
    return address


def test_fit_runs_its_trials_on_the_cluster_workers(cluster, iris) -> None:
    from distributed import Client

    with Client(cluster) as client:
        worker_pids = set(client.run(os.getpid).values())
    X, y = iris
    clf = AutoClassifier(
        time_limit=60, max_trials=6, random_state=0, dask_address=cluster
    ).fit(X, y)
    assert clf.predict(X).shape == (len(X),)
    statuses = [t["status"] for t in clf.trials_]
    assert statuses.count("ok") >= 5, statuses
    trial_pids = {
        int(t["worker"].rsplit(":", 1)[1]) for t in clf.trials_ if t["worker"]
    }
    assert trial_pids <= worker_pids and len(trial_pids) >= 2
    assert os.getpid() not in trial_pids
    # The memory plan sizes a trial to the smallest worker's limit per thread.
    with Client(cluster) as client:
        workers = client.scheduler_info(n_workers=-1)["workers"].values()
        per_thread = min(w["memory_limit"] / w["nthreads"] for w in workers)
    assert clf.memory_plan_["per_trial_mb"] == pytest.approx(per_thread / 2**20)


def test_an_address_without_a_scheduler_says_so() -> None:
    from automl.search import dask_trial_memory_mb

    with pytest.raises(ConnectionError, match="no Dask scheduler answered"):
        dask_trial_memory_mb("tcp://127.0.0.1:9", timeout=1.0)


def test_joblib_dask_backend_sends_the_trials_to_its_cluster(cluster, iris) -> None:
    """Inside ``joblib.parallel_config(backend="dask")`` a fit uses that client."""
    import joblib
    from distributed import Client

    X, y = iris
    with Client(cluster) as client:
        worker_pids = set(client.run(os.getpid).values())
        with joblib.parallel_config(backend="dask"):
            clf = AutoClassifier(time_limit=60, max_trials=4, random_state=0)
            clf.fit(X, y)
        assert client.status == "running"  # the caller's client is left open
    trial_pids = {
        int(t["worker"].rsplit(":", 1)[1]) for t in clf.trials_ if t["worker"]
    }
    assert trial_pids and trial_pids <= worker_pids


@pytest.mark.timing
def test_a_killed_worker_costs_only_its_running_trial(cluster) -> None:
    from distributed import Client
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True, as_frame=True)
    killed: list[int] = []

    def kill_a_busy_worker() -> None:
        with Client(cluster) as client:
            pids = client.run(os.getpid)
            deadline = time.time() + 30
            while time.time() < deadline and not killed:
                time.sleep(0.5)
                busy = [w for w, tasks in client.processing().items() if tasks]
                if len(busy) >= 2 and time.time() > deadline - 22:
                    os.kill(pids[busy[0]], signal.SIGKILL)
                    killed.append(pids[busy[0]])

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    start = time.monotonic()
    clf = AutoClassifier(time_limit=30, random_state=0, dask_address=cluster).fit(X, y)
    elapsed = time.monotonic() - start
    killer.join()
    assert killed, "no worker was busy to kill"
    assert elapsed < 40 + TIME_LIMIT_SLACK_S
    failed = [(t["status"], t["error"]) for t in clf.trials_ if t["status"] != "ok"]
    killed_trials = [f for f in failed if "KilledWorker" in (f[1] or "")]
    assert len(killed_trials) == 1, failed  # only the trial that was running
    # Any other failure is a trial's own limit on a busy machine, not the kill.
    assert {status for status, _ in failed} <= {"crashed", "timeout", "memout"}
    assert sum(status == "crashed" for status, _ in failed) == 1, failed
    assert sum(t["status"] == "ok" for t in clf.trials_) >= 8
    board = clf.leaderboard()
    assert (board["status"] == "crashed").sum() == 1
    assert clf.score(X, y) > 0.9


def test_the_data_goes_to_each_worker_once_and_trials_get_a_reference(
    cluster, iris
) -> None:
    import numpy as np

    from automl.search.executors import DaskExecutor

    data = iris[0].to_numpy()
    executor = DaskExecutor(cluster)
    client = executor.client

    def fetched() -> int:  # data the workers copied from each other
        counts = client.run(
            lambda dask_worker: dask_worker.state.transfer_incoming_count_total
        )
        return sum(counts.values())

    try:
        shared = executor.share(data, workdir=None)
        assert len(client.who_has(shared)[shared.key]) == 4  # every worker
        before = fetched()
        trials = [executor.submit(np.size, a=shared) for _ in range(8)]
        assert [t.result(timeout=60) for t in trials] == [data.size] * 8
        assert fetched() == before  # no trial fetched the data again
        dependencies = client.run_on_scheduler(
            lambda dask_scheduler: [
                {d.key for d in task.dependencies}
                for key, task in dask_scheduler.tasks.items()
                if str(key).startswith("size")
            ]
        )
        assert dependencies and all(deps == {shared.key} for deps in dependencies)
    finally:
        executor.close()
