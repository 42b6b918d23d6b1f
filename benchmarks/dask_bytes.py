"""Bytes a Dask fit sends: the training data once per worker, not per trial.

``python -m benchmarks.dask_bytes [--workers 4] [--rows 50000] [--budget 60]``

Starts a local Dask cluster (worker processes, one thread each), fits
``AutoClassifier`` on it (``dask_address``) on a synthetic table, and counts
the bytes that crossed the loopback interface during the fit (all of the
cluster's traffic: scheduler, workers and the driver), minus the cluster's
idle traffic for the same time, measured just before. Reported beside the
two hypotheses: the data sent once to each worker, and the data sent with
every trial. Appends one JSON line to ``<out>/runs.jsonl`` and prints it as
``key=value`` pairs (``trials``, ``data_mb``, ``sent_mb``, ``per_trial_kb``,
``once_mb``: data × workers, ``every_trial_mb``: data × trials).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
from distributed import LocalCluster
from sklearn.datasets import make_classification

from automl import AutoClassifier

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "dask-bytes"


def loopback_bytes() -> int:
    """Bytes sent on the loopback interface since boot."""
    return int(psutil.net_io_counters(pernic=True)["lo"].bytes_sent)


def measure(n_workers: int, n_rows: int, budget: float) -> dict[str, Any]:
    """One fit on a fresh local cluster; the loopback bytes it caused."""
    X, y = make_classification(
        n_samples=n_rows, n_features=20, n_informative=8, random_state=0
    )
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    cluster_options = {"threads_per_worker": 1, "dashboard_address": None}
    with LocalCluster(n_workers=n_workers, **cluster_options) as cluster:
        before = loopback_bytes()
        time.sleep(budget / 4)
        idle_per_second = (loopback_bytes() - before) / (budget / 4)

        start, before = time.monotonic(), loopback_bytes()
        clf = AutoClassifier(
            time_limit=budget,
            dask_address=cluster.scheduler_address,
            include=["linear", "lightgbm"],
            random_state=0,
        ).fit(frame, y)
        seconds = time.monotonic() - start
        sent = loopback_bytes() - before - idle_per_second * seconds
    data_mb = frame.memory_usage(deep=True).sum() / 2**20
    trials = len(clf.trials_)
    return {
        "workers": n_workers,
        "rows": n_rows,
        "budget": budget,
        "trials": trials,
        "fit_seconds": round(seconds, 1),
        "data_mb": round(float(data_mb), 2),
        "sent_mb": round(sent / 2**20, 2),
        "per_trial_kb": round(sent / max(trials, 1) / 1024, 1),
        "once_mb": round(float(data_mb) * n_workers, 2),
        "every_trial_mb": round(float(data_mb) * trials, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    result = measure(args.workers, args.rows, args.budget)
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "runs.jsonl").open("a") as handle:
        handle.write(json.dumps(result) + "\n")
    print(" ".join(f"{k}={v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
