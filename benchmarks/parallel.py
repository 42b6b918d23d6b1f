"""Parallel search measurements: core usage, trial throughput and SMAC's ask cost.

``python -m benchmarks.parallel [--dataset magic-telescope] [--budget 120]``

1. Fits ours on one dataset of the corpus with ``n_jobs=2`` (successive
   halving), ``n_jobs=2`` with full budgets only, and ``n_jobs=1``, and
   reports for each the trials per minute, the distinct configurations, and
   the share of the cores the fit kept busy: CPU seconds of the driver and its
   worker processes divided by (wall seconds × cores), sampled every 0.5 s.
   The fits warm-start from the knowledge base without this dataset.
2. Times ``SMACOptimizer.ask`` on that dataset's configuration space after 50,
   200 and 500 observations (random configurations told with random losses,
   then 20 asks timed), as in ``SMAC.md`` §5.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from benchmarks.datasets import load_split, read_index
from benchmarks.systems import metadata_without

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


def measure_fit(
    X: Any, y: Any, task: str, budget: float, **params: Any
) -> dict[str, float]:
    """Fit once and report throughput and how busy the cores were."""
    from automl import AutoClassifier, AutoRegressor

    kind = AutoRegressor if task == "regression" else AutoClassifier
    with CpuSampler() as sampler:
        model = kind(time_limit=budget, random_state=0, **params).fit(X, y)
    cores = psutil.cpu_count() or 1
    trials = model.trials_
    configs = {json.dumps(t["config"], sort_keys=True) for t in trials}
    return {
        "wall_s": sampler.wall,
        "trials": len(trials),
        "configurations": len(configs),
        "trials_per_min": 60 * len(trials) / sampler.wall,
        "core_usage": sampler.cpu / (sampler.wall * cores),
        "full_budget_trials": sum(t["budget"] in (None, 1.0) for t in trials),
        "trial_seconds_per_second": sum(t["duration"] for t in trials) / sampler.wall,
    }


def measure_ask(X: Any, task: str, observations: tuple[int, ...]) -> dict[int, float]:
    """Mean seconds per ``ask`` after n random observations, on the real space."""
    from smac.runhistory.dataclasses import TrialInfo, TrialValue

    from automl.data import FeatureTyper, check_features, dataset_properties
    from automl.search import SMACOptimizer
    from automl.space import build_space, select_models

    frame = check_features(X)
    typer = FeatureTyper().fit(frame)
    properties = dataset_properties(
        typer.transform(frame),
        typer.columns_,
        task=task,
        n_classes=None if task == "regression" else 2,
    )
    space = build_space(properties, models=select_models(task), seed=0)
    rng = np.random.RandomState(0)
    result = {}
    for n in observations:
        optimizer = SMACOptimizer(space, seed=0)
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
    variants = {
        "n_jobs=2, successive halving": {"n_jobs": 2},
        "n_jobs=2, full budgets only": {"n_jobs": 2, "multi_fidelity": False},
        "n_jobs=1, successive halving": {"n_jobs": 1},
    }
    for label, params in variants.items():
        with tempfile.TemporaryDirectory(prefix="automl-bench-") as folder:
            metadata = metadata_without(spec.name, Path(folder))
            row = measure_fit(
                X, y, spec.task, args.budget, meta_learning=metadata, **params
            )
        print(
            f"{label}: {row['trials']} trials, {row['configurations']} "
            f"configurations, {row['full_budget_trials']} at full budget, in "
            f"{row['wall_s']:.1f} s = {row['trials_per_min']:.1f} trials/min; "
            f"cores busy {row['core_usage']:.0%}; trial-seconds per second "
            f"{row['trial_seconds_per_second']:.2f}",
            flush=True,
        )
    for n, seconds in measure_ask(X, spec.task, (50, 200, 500)).items():
        print(f"ask after {n} observations: {1000 * seconds:.0f} ms", flush=True)


if __name__ == "__main__":
    main()
