"""A table that is large for this machine: ``fit`` stays under ``memory_limit``.

``python -m benchmarks.large_table [--rows 2000000] [--time-limit 300]
[--memory-limit 6000] [--n-jobs 2] [--multi-fidelity {auto,true,false}]``

Generates a numeric table in memory (``--rows`` training rows plus 200,000
held-out rows, 50 float64 features, a binary target that depends non-linearly
on a few of them), fits ``AutoClassifier`` with the given ``time_limit``,
``n_jobs`` and ``memory_limit``, and samples the resident memory (RSS) of this
process and all its children (the worker processes) every 0.5 s. Writes
``benchmarks/results/large-table/<rows>-rows.md`` with the peak memory of the
process tree (before the fit: the generated table and the libraries), the
fit's seconds against ``time_limit``, the trials, the memory plan, and the ROC
AUC on the held-out rows.

The sum of RSS counts memory-mapped data once per process that maps it (the
workers share one copy of the training data in the page cache), so it is an
upper bound of what the fit used.

``multi_fidelity`` defaults to False here: every trial then trains on all
1.6 million training rows, the case that needs the most memory (successive
halving would run most trials on 1/27 of the rows), and in 300 s on two
shared cores successive halving does not reach the full budget on this table.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from sklearn.metrics import roc_auc_score

RESULTS = Path(__file__).resolve().parent / "results" / "large-table"
N_FEATURES = 50
N_HELD_OUT = 200_000


class MemorySampler:
    """Peak RSS (MiB) of this process and of its whole process tree."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.peak_tree = 0.0
        self.peak_main = 0.0
        self.peak_workers = 0.0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> float:
        me = psutil.Process()
        main = me.memory_info().rss / 2**20
        workers = 0.0
        for child in me.children(recursive=True):
            try:
                workers += child.memory_info().rss / 2**20
            except psutil.Error:
                continue
        self.peak_main = max(self.peak_main, main)
        self.peak_workers = max(self.peak_workers, workers)
        self.peak_tree = max(self.peak_tree, main + workers)
        self.samples += 1
        return main + workers

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> MemorySampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def make_table(n_rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n_rows`` × 50 standard normal float64 features and a 0/1 target.

    The target is a noisy threshold of a non-linear function of eight
    features (interactions, a sine, a square), so trees beat a linear model.
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_rows, N_FEATURES))
    signal = (
        X[:, 0]
        + X[:, 1] * X[:, 2]
        + np.sin(2 * X[:, 3])
        + 0.5 * X[:, 4] ** 2
        - 0.5 * np.abs(X[:, 5])
        + 0.3 * X[:, 6] * X[:, 7]
    )
    y = (signal + rng.standard_normal(n_rows) > 0.3).astype(np.int64)
    return X, y


def run(
    rows: int,
    time_limit: float,
    memory_limit: float,
    n_jobs: int,
    multi_fidelity: bool | str = False,
) -> Path:
    from automl import AutoClassifier

    X, y = make_table(rows + N_HELD_OUT)
    X_train, y_train = X[:rows], y[:rows]
    X_test, y_test = X[rows:], y[rows:]
    sampler = MemorySampler()
    before = sampler.sample()
    load = os.getloadavg()
    clf = AutoClassifier(
        time_limit=time_limit,
        n_jobs=n_jobs,
        memory_limit=memory_limit,
        multi_fidelity=multi_fidelity,
        random_state=0,
    )
    with sampler:
        start = time.perf_counter()
        clf.fit(X_train, y_train)
        fit_seconds = time.perf_counter() - start
        fit_peak = (sampler.peak_tree, sampler.peak_main, sampler.peak_workers)
        start = time.perf_counter()
        proba = clf.predict_proba(X_test)[:, 1]
        predict_seconds = time.perf_counter() - start
    auc = roc_auc_score(y_test, proba)
    facts = {
        "rows": rows,
        "time_limit": time_limit,
        "memory_limit": memory_limit,
        "n_jobs": n_jobs,
        "multi_fidelity": multi_fidelity,
        "before_mb": before,
        "fit_peak_tree_mb": fit_peak[0],
        "fit_peak_main_mb": fit_peak[1],
        "fit_peak_workers_mb": fit_peak[2],
        "peak_tree_mb": sampler.peak_tree,
        "samples": sampler.samples,
        "fit_seconds": fit_seconds,
        "predict_seconds": predict_seconds,
        "auc": auc,
        "load_before": load,
        "load_after": os.getloadavg(),
    }
    return write_results(clf, facts)


def write_results(clf: Any, facts: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{facts['rows']}-rows.md"
    plan = clf.memory_plan_
    statuses = Counter(t["status"] for t in clf.trials_)
    peaks = [t["peak_memory_mb"] for t in clf.trials_ if t["peak_memory_mb"]]
    board = clf.leaderboard()
    columns = ["rank", "model", "score", "status", "fit_time", "memory_mb"]
    columns += ["budget", "origin"]
    lines = [
        f"# {facts['rows']:,} × {N_FEATURES} table under memory_limit="
        f"{facts['memory_limit']:,.0f} MiB",
        "",
        "`python -m benchmarks.large_table` on this machine: "
        f"{psutil.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.1f} GiB of memory, shared "
        "with other jobs (load average before / after the run: "
        f"{_load(facts['load_before'])} / {_load(facts['load_after'])}).",
        "",
        "| what | value |",
        "| --- | --- |",
        f"| training rows × features | {facts['rows']:,} × {N_FEATURES} "
        f"(float64, {facts['rows'] * N_FEATURES * 8 / 2**20:,.0f} MiB) |",
        f"| time_limit / n_jobs / memory_limit / multi_fidelity | "
        f"{facts['time_limit']:g} s / {facts['n_jobs']} / "
        f"{facts['memory_limit']:,.0f} MiB / {facts['multi_fidelity']} |",
        f"| RSS of the process before `fit` (libraries, the generated table) "
        f"| {facts['before_mb']:,.0f} MiB |",
        f"| peak RSS during `fit`, main process + workers (sum, every 0.5 s) "
        f"| **{facts['fit_peak_tree_mb']:,.0f} MiB** |",
        f"| ... of which added by `fit` (peak minus before) | "
        f"**{facts['fit_peak_tree_mb'] - facts['before_mb']:,.0f} MiB** "
        f"(limit {facts['memory_limit']:,.0f}) |",
        f"| peak RSS of the main process / of the workers (summed) | "
        f"{facts['fit_peak_main_mb']:,.0f} / {facts['fit_peak_workers_mb']:,.0f}"
        " MiB |",
        f"| peak RSS including `predict_proba` on the held-out rows | "
        f"{facts['peak_tree_mb']:,.0f} MiB |",
        f"| fit seconds (time_limit) | {facts['fit_seconds']:.1f} "
        f"({facts['time_limit']:g}) |",
        f"| trials | {len(clf.trials_)} ("
        + ", ".join(f"{n} {s}" for s, n in statuses.most_common())
        + ") |",
        f"| largest peak of a trial's worker (its limit) | "
        f"{max(peaks, default=0):,.0f} MiB ({_mb(plan['per_trial_mb'])}) |",
        f"| best validation score | {clf.best_score_:.4f} "
        f"({clf.best_config_.get('model')}) |",
        f"| ROC AUC on {N_HELD_OUT:,} held-out rows | **{facts['auc']:.4f}** "
        f"(predict_proba {facts['predict_seconds']:.1f} s) |",
        "",
        "## The memory plan (`memory_plan_`)",
        "",
        f"- limit {plan['limit_mb']:,.0f} MiB, planned peak "
        f"{plan['planned_mb']:,.0f} MiB",
        f"- typed data {plan['data_mb']:,.0f} MiB, kept predictions up to "
        f"{plan['predictions_mb']:,.0f} MiB",
        f"- {plan['n_workers']} worker(s) of {plan['requested_workers']} asked, "
        f"each up to {_mb(plan['per_trial_mb'])}; a model may use "
        f"{plan['working_mb']:,.0f} MiB",
        f"- rows used: {plan['n_rows']:,} of {plan['total_rows']:,}",
        *[f"- note: {note}" for note in plan["notes"]],
        *[f"- not searched: {f}: {why}" for f, why in plan["skipped"].items()],
        "",
        "## Summary",
        "",
        "```",
        clf.summary(),
        "```",
        "",
        "## Leaderboard (first 15 rows)",
        "",
        "```",
        board[columns].head(15).to_string(index=False),
        "```",
        "",
    ]
    path.write_text("\n".join(lines))
    return path


def _load(values: tuple[float, float, float]) -> str:
    return "/".join(f"{v:.1f}" for v in values)


def _mb(value: float | None) -> str:
    return "no limit" if value is None else f"{value:,.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--time-limit", type=float, default=300)
    parser.add_argument("--memory-limit", type=float, default=6000)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument(
        "--multi-fidelity", choices=["auto", "true", "false"], default="false"
    )
    args = parser.parse_args()
    fidelity = {"auto": "auto", "true": True, "false": False}[args.multi_fidelity]
    path = run(args.rows, args.time_limit, args.memory_limit, args.n_jobs, fidelity)
    print(path.read_text())


if __name__ == "__main__":
    main()
