"""Parallel search measurements: core usage, trial throughput and SMAC's ask cost.

``python -m benchmarks.parallel [--dataset magic-telescope] [--budget 120]``

1. Fits ``AutoClassifier`` with ``n_jobs=2`` and with ``n_jobs=1`` on one
   dataset of the corpus and reports, for each, the trials per minute and the
   share of the cores the fit kept busy: CPU seconds of the driver and its
   worker processes divided by (wall seconds × cores), sampled every 0.5 s.
2. Times ``Optimizer.ask`` on that dataset's configuration space after 50,
   200 and 500 observations (random configurations told with random losses,
   then 20 asks timed), as in ``SMAC.md`` §5.
"""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from benchmarks.datasets import load_split, read_index

DEFAULT_DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


class CpuSampler:
    """CPU seconds of this process and its children, sampled in a thread.

    Children that exit between samples lose their last half second, so the
    figure is a slight underestimate.
    """

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self._seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        for process in [me, *me.children(recursive=True)]:
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            self._seen[process.pid] = times.user + times.system

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> CpuSampler:
        self._sample()
        self._start = dict(self._seen)
        self._wall = time.time()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self.wall = time.time() - self._wall
        self.cpu = sum(v - self._start.get(pid, 0.0) for pid, v in self._seen.items())


def measure_fit(X: Any, y: Any, n_jobs: int, budget: float) -> dict[str, float]:
    from automl import AutoClassifier

    with CpuSampler() as sampler:
        clf = AutoClassifier(time_limit=budget, n_jobs=n_jobs, random_state=0)
        clf.fit(X, y)
    cores = psutil.cpu_count() or 1
    return {
        "n_jobs": n_jobs,
        "wall_s": sampler.wall,
        "trials": len(clf.trials_),
        "trials_per_min": 60 * len(clf.trials_) / sampler.wall,
        "core_usage": sampler.cpu / (sampler.wall * cores),
        "full_budget_trials": sum(t["budget"] in (None, 1.0) for t in clf.trials_),
    }


def measure_ask(X: Any, y: Any, observations: tuple[int, ...]) -> dict[int, float]:
    """Mean seconds per ``ask`` after n random observations, on the real space."""
    from smac.runhistory.dataclasses import TrialInfo, TrialValue

    from automl.data import FeatureTyper, check_features, dataset_properties
    from automl.search import Optimizer
    from automl.space import build_space, select_models

    frame = check_features(X)
    typer = FeatureTyper().fit(frame)
    properties = dataset_properties(
        typer.transform(frame), typer.columns_, task="binary", n_classes=2
    )
    space = build_space(properties, models=select_models("binary"), seed=0)
    rng = np.random.RandomState(0)
    result = {}
    for n in observations:
        optimizer = Optimizer(space, seed=0)
        smac = optimizer._smac
        for config in space.sample_configuration(n):
            smac.tell(
                TrialInfo(config, seed=0), TrialValue(cost=rng.rand()), save=False
            )
        times = []
        for _ in range(20):
            start = time.perf_counter()
            proposal = optimizer.ask()
            times.append(time.perf_counter() - start)
            optimizer.tell(proposal, float(rng.rand()), "ok", 1.0)
        optimizer.close()
        result[n] = float(np.mean(times))
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default=str(DEFAULT_DATASETS))
    parser.add_argument("--dataset", default="magic-telescope")
    parser.add_argument("--budget", type=float, default=120.0)
    args = parser.parse_args(argv)
    spec = {s.name: s for s in read_index(args.datasets)}[args.dataset]
    X, _, y, _ = load_split(spec, seed=0)
    print(f"{spec.name}: {len(X)} training rows, budget {args.budget:g} s")
    for n_jobs in (2, 1):
        row = measure_fit(X, y, n_jobs, args.budget)
        print(
            f"n_jobs={n_jobs}: {row['trials']} trials ({row['full_budget_trials']} "
            f"at full budget) in {row['wall_s']:.1f} s = "
            f"{row['trials_per_min']:.1f}/min; cores busy {row['core_usage']:.0%}"
        )
    for n, seconds in measure_ask(X, y, (50, 200, 500)).items():
        print(f"ask after {n} observations: {1000 * seconds:.0f} ms")


if __name__ == "__main__":
    main()
