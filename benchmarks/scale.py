"""Does one driver keep a hundred workers busy? The real search on a simulated cluster.

``python -m benchmarks.scale --workers 100 --trials 1000 [--tasks 2]
[--trial-seconds 30] [--out benchmarks/results/scale]``

The real driver (``automl.search.run_search``) and the real SMAC optimiser
(``SMACOptimizer`` in a reference configuration space) run against a
simulated executor on a virtual clock. A simulated trial's loss and
duration come from a surrogate of a recorded task: two random forests fitted
on the task's evaluations in the metadata builder's task × configuration
matrix (``metadata/build/matrix-*.jsonl``: loss, and the log of the fit
time), which answer for any configuration of the space, so that SMAC and
random search are judged on the same landscape. Durations are scaled so that
their median over the recorded evaluations is ``--trial-seconds``.

The virtual clock runs at the driver's CPU time while it computes (SMAC's
``ask`` and ``tell``, the loop) and jumps to the next trial's end while the
driver waits: a slow ``ask`` leaves simulated workers idle exactly as it
would on a cluster. Reported per run:

* utilisation: busy worker-seconds / (workers × virtual seconds until the
  last trial ended); also until the last trial started (without the end of
  the run, when the last trials finish and none are left to start);
* driver seconds per trial: CPU seconds of the driver thread / trials (the
  simulator's own work taken out);
* the best loss after every trial, beside random search (uniform samples,
  full budgets) in the same simulation.

Each (task, workers, optimiser) appends one JSON line to ``<out>/runs.jsonl``
(resumable); ``--report`` writes ``<out>/report.md`` and ``<out>/scale.png``
from it. The run ends with one line per number of workers, e.g.
(one line, wrapped here)::

    workers=100 trials=1000 utilisation=0.93 driver_s_per_trial=0.12
    best_loss_smac=... best_loss_random=...
"""

from __future__ import annotations

import argparse
import heapq
import json
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from ConfigSpace import Configuration, ConfigurationSpace
from sklearn.ensemble import RandomForestRegressor

from automl.limits import Deadline
from automl.metalearning.metadata import (
    candidate_config,
    group_of,
    read_jsonl,
    reference_properties,
)
from automl.policy import DEFAULT_POLICY
from automl.search import SearchSettings, SMACOptimizer, run_search
from automl.space import build_space, family_defaults, repair_config, select_models
from benchmarks.metalearning import RandomProposer

ROOT = Path(__file__).resolve().parents[1]
BUILD_DIR = ROOT / "metadata" / "build"
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "scale"
RUNS_FILE = "runs.jsonl"
#: The optimisers compared: ours (bounded proposals), SMAC's own retraining
#: (``bounded_proposals=False``, the driver before issue 18) and random search.
OPTIMISERS = ("smac", "smac_unbounded", "random")
#: Asks per window in the reported mean ask seconds.
ASK_WINDOW = 250


# -- the virtual clock and the simulated cluster ---------------------------------


class VirtualClock:
    """The driver's CPU time while it works; jumps forward while it waits.

    CPU time of the calling (driver) thread, not wall time: other load on the
    machine that runs the simulation does not slow the simulated driver, and
    the simulator's own work (computing a trial's outcome) is taken out.
    """

    def __init__(self) -> None:
        self.offset = 1_000_000.0 - time.thread_time()

    def __call__(self) -> float:
        return self.offset + time.thread_time()

    def advance_to(self, moment: float) -> None:
        now = self()
        if moment > now:
            self.offset += moment - now

    def exclude(self, seconds: float) -> None:
        """Take work that is not the driver's out of the clock."""
        self.offset -= seconds


@dataclass
class SimulatedOutcome:
    loss: float
    status: str = "ok"
    error: str | None = None


class SimulatedExecutor:
    """``n_workers`` simulated workers; a trial's duration comes from its result.

    ``submit`` evaluates the (cheap) simulated trial at once and schedules its
    future to finish ``duration`` virtual seconds later; ``wait`` moves the
    clock to the next finish.
    """

    def __init__(
        self, n_workers: int, clock: VirtualClock, timeout_loss: float = 1.0
    ) -> None:
        self.n_workers = n_workers
        self.clock = clock
        self.timeout_loss = timeout_loss
        self.busy_seconds = 0.0
        self.simulator_seconds = 0.0
        self.last_end = clock()
        self._queue: list[tuple[float, int, Future[Any], Any]] = []
        self._count = 0

    def share(self, data: Any, workdir: Path) -> Any:
        return data

    def submit(self, fn: Callable[..., Any], /, **kwargs: Any) -> Future[Any]:
        started = time.thread_time()
        outcome, duration = fn(**kwargs)
        spent = time.thread_time() - started
        self.clock.exclude(spent)
        self.simulator_seconds += spent
        future: Future[Any] = Future()
        end = self.clock() + duration
        deadline = kwargs.get("deadline")
        if deadline is not None and end > deadline:  # cut as a real trial is
            duration = max(0.0, deadline - self.clock())
            end = deadline
            outcome = SimulatedOutcome(self.timeout_loss, "timeout", "cut")
        heapq.heappush(self._queue, (end, self._count, future, outcome))
        self._count += 1
        self.busy_seconds += duration
        return future

    def wait(self, futures: list[Future[Any]], timeout: float) -> set[Future[Any]]:
        if not self._queue:
            return set()
        self.clock.advance_to(self._queue[0][0])
        done = set()
        while self._queue and self._queue[0][0] <= self.clock():
            end, _, future, outcome = heapq.heappop(self._queue)
            future.set_result(outcome)
            self.last_end = max(self.last_end, end)
            done.add(future)
        return done

    def kill(self, future: Future[Any]) -> None:
        """Simulated trials end on their own."""

    def over_memory(self) -> list[Future[Any]]:
        return []

    def release(self) -> None:
        """Nothing to release."""

    def close(self) -> None:
        """Nothing to close."""


# -- a recorded task as a surrogate ------------------------------------------------


class ReplayedTask:
    """Loss and duration of any configuration, from a task's recorded matrix."""

    def __init__(
        self,
        name: str,
        space: ConfigurationSpace,
        rows: list[tuple[dict[str, Any], float, float]],
        trial_seconds: float,
        seed: int = 0,
    ) -> None:
        self.name = name
        self.space = space
        X = np.array([_vector(space, c) for c, _, _ in rows])
        losses = np.array([loss for _, loss, _ in rows])
        log_times = np.log([max(t, 1e-3) for _, _, t in rows])
        self.loss_model = RandomForestRegressor(100, random_state=seed).fit(X, losses)
        self.time_model = RandomForestRegressor(100, random_state=seed).fit(
            X, log_times
        )
        self.scale = trial_seconds / float(np.exp(np.median(log_times)))
        self.best_recorded = float(losses.min())
        self.worst_recorded = float(losses.max())

    def trial(
        self, config: dict[str, Any], seed: int, budget: Any, deadline: Any
    ) -> tuple[SimulatedOutcome, float]:
        x = _vector(self.space, config)[None, :]
        loss = float(self.loss_model.predict(x)[0])
        duration = float(np.exp(self.time_model.predict(x)[0])) * self.scale
        return SimulatedOutcome(loss), duration


def _vector(space: ConfigurationSpace, config: dict[str, Any]) -> np.ndarray:
    """The configuration as ConfigSpace's array; inactive values as -1."""
    values = repair_config(config, space)
    array = Configuration(space, values=values).get_array()
    return np.nan_to_num(array, nan=-1.0)


def replayed_tasks(
    build_dir: Path, n_tasks: int, trial_seconds: float
) -> list[ReplayedTask]:
    """The classification tasks with the most recorded evaluations."""
    matrix = [r for r in read_jsonl(build_dir, "matrix") if r.get("status") == "ok"]
    searches = {r["task"]: r for r in read_jsonl(build_dir, "search")}
    configs = {
        f"task:{name}": r["best"][0]["config"]
        for name, r in searches.items()
        if r.get("best")
    }
    space = build_space(reference_properties("binary"), select_models("binary"), seed=0)
    defaults = family_defaults(space)
    by_task: dict[str, list[tuple[dict[str, Any], float, float]]] = {}
    for record in matrix:
        task = searches.get(record["task"])
        if task is None or group_of(task["type"]) != "classification":
            continue
        candidate = record["candidate"]
        config = candidate_config(candidate, configs.get(candidate), space, defaults)
        if config is not None:
            by_task.setdefault(record["task"], []).append(
                (config, float(record["loss"]), float(record["fit_time"]))
            )
    names = sorted(by_task, key=lambda t: (-len(by_task[t]), t))[:n_tasks]
    return [ReplayedTask(t, space, by_task[t], trial_seconds) for t in names]


# -- one simulated search ---------------------------------------------------------


def simulate(
    task: ReplayedTask,
    n_workers: int,
    n_trials: int | None,
    optimiser: str,
    seed: int = 0,
    time_limit: float | None = None,
) -> dict[str, Any]:
    """Run the real driver on the simulated cluster; return what it measured.

    With ``time_limit`` (virtual seconds) the search ends as a fit does: at
    its deadline, each trial limited to ``Policy.trial_share`` of it, and a
    trial still running at its deadline is cut there (a timeout, at the
    task's worst recorded loss).
    """
    clock = VirtualClock()
    executor = SimulatedExecutor(n_workers, clock, timeout_loss=task.worst_recorded)
    if optimiser == "random":
        proposer: Any = RandomProposer(task.space, seed)
    else:
        proposer = SMACOptimizer(
            task.space,
            seed=seed,
            n_workers=n_workers,
            bounded_proposals=optimiser == "smac",
        )
    ask_seconds = _time_asks(proposer)
    per_trial = None if time_limit is None else DEFAULT_POLICY.trial_share * time_limit
    settings = SearchSettings(
        deadline=Deadline.starting_now(time_limit, clock=clock),
        max_trials=n_trials,
        per_trial_limit=per_trial,
        crash_loss=task.worst_recorded,
    )
    start_virtual, start_cpu = clock(), time.thread_time()
    try:
        records = run_search(proposer, executor, task.trial, {}, settings)
    finally:
        proposer.close()
    driver_cpu = time.thread_time() - start_cpu - executor.simulator_seconds
    virtual = executor.last_end - start_virtual
    ordered = sorted(records, key=lambda r: r.started + r.duration)
    best = np.minimum.accumulate([r.loss for r in ordered])
    ends = [r.started + r.duration for r in ordered]
    return {
        "task": task.name,
        "workers": n_workers,
        "requested_trials": n_trials,
        "time_limit": time_limit,
        "trials": len(records),
        "timeouts": sum(r.status == "timeout" for r in records),
        "optimiser": optimiser,
        "utilisation": executor.busy_seconds / (n_workers * virtual),
        "utilisation_until_last_start": _utilisation_until_last_start(
            records, n_workers
        ),
        "driver_s_per_trial": driver_cpu / len(records),
        "virtual_seconds": virtual,
        "ask_s_by_window": _window_means(ask_seconds, ASK_WINDOW),
        "best_loss": float(best[-1]),
        "best_recorded_loss": task.best_recorded,
        "best_by_trial": [round(float(v), 6) for v in best],
        "best_by_time": [
            [round(t, 2), round(float(v), 6)] for t, v in zip(ends, best, strict=True)
        ],
    }


def _utilisation_until_last_start(records: list[Any], n_workers: int) -> float:
    """Utilisation while the driver was still starting trials: without the
    end of the run, when the last trials finish and none are left to start."""
    last_start = max(r.started for r in records)
    if last_start <= 0:
        return float("nan")
    busy = sum(min(r.started + r.duration, last_start) - r.started for r in records)
    return busy / (n_workers * last_start)


def _time_asks(proposer: Any) -> list[float]:
    """Wrap ``proposer.ask`` to record the CPU seconds of each call."""
    seconds: list[float] = []
    ask = proposer.ask

    def timed_ask() -> Any:
        started = time.thread_time()
        proposal = ask()
        seconds.append(time.thread_time() - started)
        return proposal

    proposer.ask = timed_ask
    return seconds


def _window_means(values: list[float], window: int) -> list[float]:
    """Means of consecutive windows of ``window`` values."""
    return [
        round(float(np.mean(values[i : i + window])), 5)
        for i in range(0, len(values), window)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[100])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--tasks", type=int, default=2)
    parser.add_argument("--trial-seconds", type=float, default=30.0)
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="virtual seconds: end as a fit does, at a deadline (not --trials)",
    )
    parser.add_argument(
        "--optimisers",
        nargs="+",
        choices=OPTIMISERS,
        default=["smac", "random"],
        help="smac_unbounded (the driver of automl 0.1.0) is slow: opt in",
    )
    parser.add_argument("--build-dir", type=Path, default=BUILD_DIR)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--report", action="store_true", help="write report.md and scale.png only"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    runs_file = args.out / RUNS_FILE
    if args.report:
        runs = [json.loads(line) for line in runs_file.read_text().splitlines()]
        write_report(runs, args.out)
        return 0
    trials = None if args.time_limit is not None else args.trials
    done = (
        {_run_key(r): r for r in map(json.loads, runs_file.read_text().splitlines())}
        if runs_file.exists()
        else {}
    )
    tasks = replayed_tasks(args.build_dir, args.tasks, args.trial_seconds)
    for workers in args.workers:
        results = []
        for task in tasks:
            for optimiser in args.optimisers:
                key = (task.name, workers, optimiser, trials, args.time_limit)
                if key not in done:
                    done[key] = simulate(
                        task, workers, trials, optimiser, time_limit=args.time_limit
                    )
                    with runs_file.open("a") as handle:
                        handle.write(json.dumps(done[key]) + "\n")
                results.append(done[key])
        print(summary_line(workers, results[0]["trials"], results))
    return 0


def _run_key(run: dict[str, Any]) -> tuple[Any, ...]:
    trials = run.get("requested_trials", run["trials"])
    return (
        run["task"],
        run["workers"],
        run["optimiser"],
        trials,
        run.get("time_limit"),
    )


def summary_line(workers: int, trials: int, results: list[dict[str, Any]]) -> str:
    """One line per number of workers: ours first, then the others compared."""

    def mean(optimiser: str, key: str) -> float:
        values = [r[key] for r in results if r["optimiser"] == optimiser]
        return float(np.mean(values)) if values else float("nan")

    line = (
        f"workers={workers} trials={trials} "
        f"utilisation={mean('smac', 'utilisation'):.2f} "
        f"driver_s_per_trial={mean('smac', 'driver_s_per_trial'):.3f} "
        f"best_loss_smac={mean('smac', 'best_loss'):.5f} "
        f"best_loss_random={mean('random', 'best_loss'):.5f}"
    )
    if any(r["optimiser"] == "smac_unbounded" for r in results):
        line += (
            f" unbounded: utilisation={mean('smac_unbounded', 'utilisation'):.2f} "
            f"driver_s_per_trial={mean('smac_unbounded', 'driver_s_per_trial'):.3f} "
            f"best_loss={mean('smac_unbounded', 'best_loss'):.5f}"
        )
    return line


def write_report(runs: list[dict[str, Any]], out: Path) -> None:
    """``report.md``: one row per run; ``scale.png``: curves and utilisation."""
    rows = [
        "| workers | task | optimiser | trials | utilisation "
        "| until last start | driver s/trial "
        "| ask s, first 250 | ask s, last 250 | virtual s | best loss |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in sorted(runs, key=lambda r: (r["workers"], r["task"], r["optimiser"])):
        asks = run["ask_s_by_window"]
        rows.append(
            f"| {run['workers']} | {run['task']} | {run['optimiser']} "
            f"| {run['trials']} | {run['utilisation']:.3f} "
            f"| {run.get('utilisation_until_last_start', float('nan')):.3f} "
            f"| {run['driver_s_per_trial']:.4f} | {asks[0]:.4f} | {asks[-1]:.4f} "
            f"| {run['virtual_seconds']:.0f} | {run['best_loss']:.5f} |"
        )
    (out / "report.md").write_text("\n".join(rows) + "\n")
    _plot(runs, out / "scale.png")


def _plot(runs: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    task = runs[0]["task"]
    title = f"{task}, 100 workers"
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    shown = [r for r in runs if r["task"] == task and r["workers"] == 100]
    for run in shown:
        axes[0].plot(run["best_by_trial"], label=run["optimiser"])
        minutes, loss = zip(*run["best_by_time"], strict=True)
        axes[1].plot(np.array(minutes) / 60, loss, label=run["optimiser"])
    if shown:  # from the best loss after the first 5 % of trials down
        curves = [np.array(r["best_by_trial"]) for r in shown]
        top = max(c[len(c) // 20] for c in curves)
        bottom = min(c[-1] for c in curves)
        for ax in axes[:2]:
            ax.set_ylim(bottom - 0.05 * (top - bottom), top)
    for optimiser in OPTIMISERS:
        by_workers: dict[int, list[float]] = {}
        for run in runs:
            if run["optimiser"] == optimiser:
                by_workers.setdefault(run["workers"], []).append(run["utilisation"])
        workers = sorted(by_workers)
        means = [np.mean(by_workers[w]) for w in workers]
        if workers:
            axes[2].plot(workers, means, marker="o", label=optimiser)
    axes[0].set(xlabel="trials", ylabel="best loss", title=title)
    axes[1].set(xlabel="virtual minutes", ylabel="best loss", title=title)
    axes[2].set(xlabel="workers", ylabel="utilisation", xscale="log", ylim=(0, 1.02))
    axes[2].set_title("worker utilisation (mean over tasks)")
    for ax in axes:
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
