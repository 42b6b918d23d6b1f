"""Benchmark runner: every (dataset, seed, system) in its own process.

Example, from the repository root::

    python -m benchmarks.run --suite quick \\
        --systems automl,lightgbm,random_forest,constant,flaml \\
        --budget 60 --seeds 1 --out benchmarks/results/quick-60s

Each run is a ``python -m benchmarks.worker`` process in a scratch folder,
started with the system's interpreter (peers use their own virtual
environment) in a new process group and killed with the group after a hard timeout of
``budget * timeout_factor + timeout_margin`` seconds. One row per run is
appended to ``OUT/results.csv`` and flushed at once; the worker's output goes
to ``OUT/logs/``. A re-run skips the (dataset, system, seed, budget) runs that
already have a finished row (ok, error or timeout; with ``--retry-failed``
only ok).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.datasets import DatasetSpec, read_index
from benchmarks.suites import SUITES, select
from benchmarks.systems import IMPORT_NAME, PEER_ENV, PEERS, SYSTEMS, base_name

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
DEFAULT_DATASETS = ROOT.parent / "shared" / "datasets"
DEFAULT_EXTRA_DATASETS = ROOT.parent / "shared" / "datasets-extra"
#: Where ``python -m benchmarks.generate`` writes its tables (outside the repo).
DEFAULT_GENERATED_DATASETS = ROOT.parent / "generated-datasets"
RESULTS_FILE = "results.csv"
#: What systems report about their own fits (``System.details``), one JSON line
#: per run.
DETAILS_FILE = "details.jsonl"
RESULT_COLUMNS = (
    "dataset",
    "task",
    "system",
    "version",
    "budget",
    "seed",
    "n_jobs",
    "status",
    "message",
    "fit_seconds",
    "predict_seconds",
    "total_seconds",
    "peak_memory_mb",
    "roc_auc",
    "log_loss",
    "balanced_accuracy",
    "rmse",
    "r2",
    "n_train",
    "n_test",
    "timeout_seconds",
    "finished_at",
)
FINISHED = ("ok", "error", "timeout")
POLL_SECONDS = 0.5
#: Seconds a worker killed at its timeout gets to write its stacks to its log.
STACK_DUMP_SECONDS = 3.0


@dataclass(frozen=True)
class Run:
    """One planned run."""

    dataset: DatasetSpec
    system: str
    seed: int
    budget: float

    @property
    def key(self) -> tuple[str, str, int, float]:
        """The (dataset, system, seed, budget) key used for resuming."""
        return (self.dataset.name, self.system, self.seed, self.budget)

    @property
    def label(self) -> str:
        """A file-name-safe name of the run."""
        return (
            f"{self.dataset.name}.{self.system}.seed{self.seed}"
            f".budget{format_number(self.budget)}"
        )


def format_number(value: float) -> str:
    """Return ``60`` for 60.0 and ``2.5`` for 2.5."""
    return str(int(value)) if float(value).is_integer() else str(value)


def results_path(out: str | Path) -> Path:
    """Return the results file of an output folder (or the file itself).

    Parameters
    ----------
    out : str or Path
        An output folder, or a path ending in ``.csv``.

    Returns
    -------
    Path
    """
    out = Path(out)
    return out if out.suffix == ".csv" else out / RESULTS_FILE


def read_rows(path: str | Path) -> list[dict]:
    """Read the rows of a results file, ``[]`` if it does not exist.

    Parameters
    ----------
    path : str or Path
        A results CSV file.

    Returns
    -------
    list of dict
        Every row, as strings.
    """
    path = Path(path)
    if not path.is_file():
        return []
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def row_key(row: dict) -> tuple[str, str, int, float]:
    """Return the resume key of a results row."""
    return (row["dataset"], row["system"], int(row["seed"]), float(row["budget"]))


def finished_keys(rows: Sequence[dict], retry_failed: bool = False) -> set:
    """Return the keys of runs that need not run again.

    Parameters
    ----------
    rows : sequence of dict
        Rows of a results file.
    retry_failed : bool, default=False
        If true, only ``ok`` rows count as finished.

    Returns
    -------
    set of tuple
    """
    done = ("ok",) if retry_failed else FINISHED
    return {row_key(row) for row in rows if row.get("status") in done}


def append_row(path: str | Path, row: dict) -> None:
    """Append one row to a results file, writing the header if it is new.

    Parameters
    ----------
    path : str or Path
        The results CSV file.
    row : dict
        Values by column; missing columns stay empty.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.is_file() or path.stat().st_size == 0
    with path.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, RESULT_COLUMNS, extrasaction="ignore")
        if new:
            writer.writeheader()
        writer.writerow({k: _cell(row.get(k)) for k in RESULT_COLUMNS})
        handle.flush()
        os.fsync(handle.fileno())


def _cell(value: object) -> object:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return float(f"{value:.6g}")
    return value


def plan(
    datasets: Sequence[DatasetSpec],
    systems: Sequence[str],
    seeds: Sequence[int],
    budget: float,
) -> list[Run]:
    """List the runs: for each dataset, for each seed, each system in order.

    Parameters
    ----------
    datasets : sequence of DatasetSpec
    systems : sequence of str
    seeds : sequence of int
    budget : float

    Returns
    -------
    list of Run
    """
    return [
        Run(dataset, system, seed, float(budget))
        for dataset in datasets
        for seed in seeds
        for system in systems
    ]


def peer_python(system: str, overrides: dict[str, str] | None = None) -> str | None:
    """Return the interpreter of a peer's own environment, if there is one.

    Parameters
    ----------
    system : str
        A peer, e.g. ``flaml`` or ``autogluon_best_v150``.
    overrides : dict, optional
        Interpreter paths given on the command line, by environment
        (``flaml``, ``autogluon``).

    Returns
    -------
    str or None
        The override, else ``benchmarks/.venv-<environment>/bin/python`` if it
        exists, else None.
    """
    env = PEER_ENV[system]
    if overrides and overrides.get(env):
        return overrides[env]
    candidate = BENCHMARKS / f".venv-{env}" / "bin" / "python"
    return str(candidate) if candidate.exists() else None


def missing_reason(system: str, python: str | None) -> str:
    """Return why a peer cannot run, or ``""`` if it can.

    Parameters
    ----------
    system : str
        A peer's name.
    python : str or None
        Its interpreter.

    Returns
    -------
    str
    """
    env = PEER_ENV[system]
    setup = f"benchmarks/peers/setup_{env}.sh"
    if python is None or not Path(python).exists():
        return f"not installed (run {setup})"
    check = [python, "-c", f"import {IMPORT_NAME[env]}"]
    done = subprocess.run(check, capture_output=True, text=True, timeout=300)
    if done.returncode:
        tail = (done.stderr.strip().splitlines() or ["import failed"])[-1]
        return f"not installed in {python}: {tail}"
    return ""


def hard_timeout(budget: float, factor: float, margin: float) -> float:
    """Return the hard timeout of a run: ``budget * factor + margin`` seconds."""
    return budget * factor + margin


def process_tree_mb(pid: int) -> float:
    """Return the summed resident memory of a process and its descendants, MB."""
    try:
        import psutil
    except ImportError:
        return 0.0
    try:
        parent = psutil.Process(pid)
        processes = [parent, *parent.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            continue
    return total / 2**20


def kill_group(pid: int) -> None:
    """Kill a process group, ignoring one that is already gone."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def dump_stacks(process: subprocess.Popen) -> None:
    """Ask a worker to write its threads' stacks to its log (``faulthandler``
    on ``SIGUSR1``), so that a run killed at its timeout says where it was."""
    try:
        process.send_signal(signal.SIGUSR1)
        process.wait(timeout=STACK_DUMP_SECONDS)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass


def watch(process: subprocess.Popen, timeout: float) -> tuple[bool, float]:
    """Wait for a worker, polling its memory, and kill it at the timeout.

    Parameters
    ----------
    process : Popen
        The worker, leader of its own process group.
    timeout : float
        Hard timeout in seconds.

    Returns
    -------
    timed_out : bool
    peak_mb : float
        Peak summed resident memory of the worker's process tree.
    """
    deadline = time.monotonic() + timeout
    peak = 0.0
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                dump_stacks(process)
                kill_group(process.pid)
                process.wait()
                return True, peak
            try:
                process.wait(timeout=min(POLL_SECONDS, remaining))
                return False, peak
            except subprocess.TimeoutExpired:
                peak = max(peak, process_tree_mb(process.pid))
    finally:
        kill_group(process.pid)


def worker_spec(run: Run, n_jobs: int, memory_limit_mb: float | None = None) -> dict:
    """Return the JSON spec the worker reads."""
    return {
        "dataset": run.dataset.to_dict(),
        "system": run.system,
        "seed": run.seed,
        "budget": run.budget,
        "n_jobs": n_jobs,
        "memory_limit_mb": memory_limit_mb,
    }


def execute(
    run: Run,
    python: str,
    timeout: float,
    n_jobs: int,
    logs: Path,
    tree: Path | None = None,
    memory_limit_mb: float | None = None,
) -> dict:
    """Run one worker process and return its results row.

    Parameters
    ----------
    run : Run
        What to run.
    python : str
        The interpreter of the system's environment.
    timeout : float
        Hard timeout in seconds.
    n_jobs : int
        Cores given to the system.
    logs : Path
        Folder of the worker's log files.
    tree : Path, optional
        A source tree whose ``automl`` package the worker imports instead of
        this one's (see :func:`worker_environment`).
    memory_limit_mb : float, optional
        The memory limit told to the systems that take one.

    Returns
    -------
    dict
        The row, by ``RESULT_COLUMNS``.
    """
    logs.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        spec_file = Path(scratch) / "spec.json"
        result_file = Path(scratch) / "result.json"
        spec_file.write_text(json.dumps(worker_spec(run, n_jobs, memory_limit_mb)))
        command = [python, "-m", "benchmarks.worker", str(spec_file), str(result_file)]
        env = worker_environment(tree, Path(scratch))
        start = time.monotonic()
        log_file = logs / f"{run.label}.log"
        with log_file.open("w") as log:
            process = subprocess.Popen(
                command,
                cwd=scratch,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=env,
            )
            timed_out, peak = watch(process, timeout)
        total = time.monotonic() - start
        result = _read_result(result_file)
    if not timed_out and result.get("status") not in FINISHED:
        result["message"] = (
            f"worker died with exit code {process.returncode}: {last_line(log_file)}"
        )
    return _row(run, n_jobs, timeout, result, timed_out, total, peak)


def last_line(path: Path) -> str:
    """Return the last non-empty line of a text file, or ``""``."""
    try:
        lines = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1][:300] if lines else ""


def worker_environment(
    tree: Path | None = None, scratch: Path | None = None
) -> dict[str, str]:
    """Return the worker's environment: this one, with the repo on the path.

    The repository comes after an existing ``PYTHONPATH``, so that a frozen
    copy of the package (its parent folder on ``PYTHONPATH``) is the one
    benchmarked. The worker runs in a scratch folder, so that files a system
    writes into its working directory (catboost_info, logs, models) are
    thrown away.

    With ``tree`` (another checkout, e.g. the commit before a change), the
    worker imports that tree's ``automl`` package (with its knowledge base)
    and this repository's ``benchmarks``: a folder in ``scratch`` holding only
    a link to the tree's package comes first on the path. Before and after
    then run in one benchmark run, under the same harness.
    """
    path = os.environ.get("PYTHONPATH", "")
    entries = [path] if path else []
    if tree is not None:
        if scratch is None:
            raise ValueError("a tree needs a scratch folder for its package link")
        package = scratch / "tree"
        package.mkdir(exist_ok=True)
        (package / "automl").symlink_to(tree.resolve() / "automl")
        entries.insert(0, str(package))
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([*entries, str(ROOT)]),
        "PYTHONUNBUFFERED": "1",
    }


def _read_result(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _row(
    run: Run,
    n_jobs: int,
    timeout: float,
    result: dict,
    timed_out: bool,
    total: float,
    peak: float,
) -> dict:
    row = {
        **result,
        "dataset": run.dataset.name,
        "task": run.dataset.task,
        "system": run.system,
        "version": result.get("version", "unknown"),
        "budget": format_number(run.budget),
        "seed": run.seed,
        "n_jobs": n_jobs,
        "total_seconds": total,
        "peak_memory_mb": max(peak, float(result.get("peak_memory_mb") or 0.0)),
        "timeout_seconds": timeout,
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if timed_out:
        row.update(
            status="timeout",
            message=f"killed at the hard timeout, {format_number(round(timeout, 1))} s",
        )
    elif result.get("status") not in FINISHED:
        row["status"] = "error"
    return row


def append_details(path: Path, row: dict) -> None:
    """Append a run's ``details`` (popped from its row) as one JSON line."""
    details = row.pop("details", None)
    if not details:
        return
    key = {k: row[k] for k in ("dataset", "system", "seed", "budget", "finished_at")}
    with path.open("a") as handle:
        handle.write(json.dumps({**key, **details}, default=str) + "\n")


def variant_rows(row: dict) -> list[dict]:
    """Rows of a run's same-fit variants (``automl/best_single``), popped from it.

    Each shares the run's fit (its ``fit_seconds``, memory, status) and has
    its own predictions and metrics. A variant is named after the run's
    system (``automl@67328fa/best_single`` for a ``--tree`` run).
    """
    return [
        {**row, **scores, "system": f"{row['system']}/{name.split('/', 1)[-1]}"}
        for name, scores in (row.pop("variants", None) or {}).items()
    ]


def describe(row: dict) -> str:
    """Return a one-line summary of a results row."""
    text = f"{row['status']}"
    if row.get("fit_seconds") is not None and row["status"] == "ok":
        text += f" fit={row['fit_seconds']:.1f}s"
    for metric in ("roc_auc", "log_loss", "rmse"):
        if row.get(metric) is not None and row["status"] == "ok":
            text += f" {metric}={row[metric]:.4g}"
    if row.get("message"):
        text += f" ({row['message'][:120]})"
    return text


def run_benchmark(
    datasets: Sequence[DatasetSpec],
    systems: Sequence[str],
    budget: float,
    seeds: Sequence[int],
    out: str | Path,
    n_jobs: int | None = None,
    timeout_factor: float = 1.5,
    timeout_margin: float = 60.0,
    retry_failed: bool = False,
    pythons: dict[str, str] | None = None,
    echo: Callable[[str], None] | None = None,
    trees: dict[str, Path] | None = None,
    memory_limit_mb: float | None = None,
) -> list[dict]:
    """Run every (dataset, seed, system) not finished yet, one row per run.

    Parameters
    ----------
    datasets : sequence of DatasetSpec
        The datasets.
    systems : sequence of str
        Names from ``benchmarks.systems.SYSTEMS``. A peer whose environment is
        missing is skipped with a notice, not recorded as a failure. One of
        ours named ``<system>@<label>`` runs with the ``automl`` package of
        ``trees[label]``.
    budget : float
        Time budget in seconds given to every system.
    seeds : sequence of int
        Seeds of the split and of the systems.
    out : str or Path
        Output folder (``results.csv`` and ``logs/``) or a ``.csv`` path.
    n_jobs : int, optional
        Cores per system; default all cores.
    timeout_factor, timeout_margin : float
        Hard timeout is ``budget * timeout_factor + timeout_margin`` seconds.
    retry_failed : bool, default=False
        Re-run runs whose last row is an error or timeout.
    pythons : dict, optional
        Interpreter paths of peers, by system.
    echo : callable, optional
        Receives one progress line per run.
    trees : dict, optional
        Source trees by label, for systems named ``<system>@<label>``.
    memory_limit_mb : float, optional
        Told to the systems that take a memory limit (recorded in the
        details); the peak memory of each run's process tree is measured
        either way.

    Returns
    -------
    list of dict
        The rows written by this call.
    """
    echo = echo or (lambda line: None)
    trees = trees or {}
    unknown = [s for s in systems if base_name(s) not in SYSTEMS]
    if unknown:
        raise ValueError(f"unknown systems {unknown}; choose from {sorted(SYSTEMS)}")
    for system in systems:
        _check_tree(system, trees)
    n_jobs = n_jobs or os.cpu_count() or 1
    datasets = list({d.name: d for d in datasets}.values())
    systems = list(dict.fromkeys(systems))
    seeds = list(dict.fromkeys(seeds))
    path = results_path(out)
    interpreters = _interpreters(systems, pythons, echo)
    runs = [
        r for r in plan(datasets, systems, seeds, budget) if r.system in interpreters
    ]
    done = finished_keys(read_rows(path), retry_failed)
    todo = [r for r in runs if r.key not in done]
    echo(
        f"{len(runs)} runs planned, {len(runs) - len(todo)} already finished, "
        f"{len(todo)} to run; n_jobs={n_jobs}; results in {path}"
    )
    timeout = hard_timeout(budget, timeout_factor, timeout_margin)
    rows = []
    for number, item in enumerate(todo, 1):
        row = execute(
            item,
            interpreters[item.system],
            timeout,
            n_jobs,
            path.parent / "logs",
            tree=_tree_of(item.system, trees),
            memory_limit_mb=memory_limit_mb,
        )
        append_details(path.parent / DETAILS_FILE, row)
        for written in (row, *variant_rows(row)):
            append_row(path, written)
        rows.append(row)
        echo(
            f"[{number}/{len(todo)}] {item.dataset.name} {item.system} "
            f"seed={item.seed}: {describe(row)}"
        )
    counts = Counter(row["status"] for row in rows)
    echo(f"done: {dict(counts) or 'nothing to run'}")
    return rows


def _check_tree(system: str, trees: dict[str, Path]) -> None:
    if "@" not in system:
        return
    base, label = system.split("@", 1)
    if base in PEERS:
        raise ValueError(
            f"{system}: only our own systems run from another tree; {base} is a peer"
        )
    if label not in trees:
        raise ValueError(
            f"{system}: no tree labelled {label!r}; pass --tree {label}=<checkout>"
        )
    if not (trees[label] / "automl" / "__init__.py").is_file():
        raise ValueError(f"{system}: {trees[label]} has no automl package")


def _tree_of(system: str, trees: dict[str, Path]) -> Path | None:
    return trees[system.split("@", 1)[1]] if "@" in system else None


def _interpreters(
    systems: Sequence[str],
    pythons: dict[str, str] | None,
    echo: Callable[[str], None],
) -> dict[str, str]:
    interpreters = {}
    for system in systems:
        if base_name(system) not in PEERS:
            interpreters[system] = (pythons or {}).get(system) or sys.executable
            continue
        python = peer_python(system, pythons)
        reason = missing_reason(system, python)
        if reason:
            echo(f"skipping {system}: {reason}")
        else:
            interpreters[system] = python
    return interpreters


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line of ``python -m benchmarks.run``."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Run systems on datasets, one process per run, resumable.",
    )
    parser.add_argument(
        "--datasets",
        default=str(DEFAULT_DATASETS),
        help="dataset folder or its index.csv (default: %(default)s)",
    )
    parser.add_argument(
        "--extra-datasets",
        default=f"{DEFAULT_EXTRA_DATASETS},{DEFAULT_GENERATED_DATASETS}",
        help="more dataset folders (comma-separated), used only for the datasets "
        "a suite or --names takes from them (default: %(default)s)",
    )
    parser.add_argument(
        "--memory-limit",
        type=float,
        default=None,
        help="MB, told to the systems that take a memory limit",
    )
    parser.add_argument(
        "--suite",
        default="full",
        choices=sorted(SUITES),
        help="named dataset list (default: full = whole index)",
    )
    parser.add_argument(
        "--names", default="", help="comma-separated dataset names; overrides --suite"
    )
    parser.add_argument(
        "--systems",
        default="automl,lightgbm,random_forest,constant",
        help="comma-separated, from: " + ", ".join(SYSTEMS) + " (default: %(default)s)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=60.0,
        help="time budget per run in seconds (default: 60)",
    )
    parser.add_argument(
        "--seeds", type=int, default=1, help="number of seeds, 0..N-1 (default: 1)"
    )
    parser.add_argument(
        "--out", required=True, help="output folder (results.csv, logs/) or a .csv file"
    )
    parser.add_argument(
        "--n-jobs", type=int, default=None, help="cores per system (default: all)"
    )
    parser.add_argument("--timeout-factor", type=float, default=1.5)
    parser.add_argument(
        "--timeout-margin",
        type=float,
        default=60.0,
        help="hard timeout = budget * factor + margin seconds",
    )
    parser.add_argument(
        "--retry-failed",
        action="store_true",
        help="re-run runs that ended in error or timeout",
    )
    parser.add_argument(
        "--python-flaml",
        default=None,
        help="FLAML's interpreter (default: benchmarks/.venv-flaml/bin/python)",
    )
    parser.add_argument(
        "--python-autogluon",
        default=None,
        help="AutoGluon's interpreter (default: benchmarks/.venv-autogluon/bin/python)",
    )
    parser.add_argument(
        "--tree",
        action="append",
        default=[],
        metavar="LABEL=PATH",
        help="a checkout whose automl package runs as <system>@LABEL, e.g. "
        "--tree 67328fa=../bench-baseline --systems automl,automl@67328fa",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="list the planned runs and exit"
    )
    return parser.parse_args(argv)


def stop_on_signals() -> None:
    """Turn SIGTERM and SIGHUP into ``SystemExit``, so the worker is killed too.

    The worker runs in its own process group; ``watch`` kills that group on
    the way out, which a plain SIGTERM to the runner would skip.
    """

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m benchmarks.run``."""
    args = parse_args(argv)
    stop_on_signals()
    names = [n for n in args.names.split(",") if n]
    folders = [Path(f) for f in args.extra_datasets.split(",") if f]
    extra = [spec for f in folders if f.exists() for spec in read_index(f)]
    datasets = select(read_index(args.datasets), args.suite, names, extra=extra)
    systems = [s for s in args.systems.split(",") if s]
    seeds = list(range(args.seeds))
    if args.dry_run:
        for item in plan(datasets, systems, seeds, args.budget):
            print(item.label)
        return 0
    pythons = {"flaml": args.python_flaml, "autogluon": args.python_autogluon}
    run_benchmark(
        datasets,
        systems,
        args.budget,
        seeds,
        args.out,
        n_jobs=args.n_jobs,
        timeout_factor=args.timeout_factor,
        timeout_margin=args.timeout_margin,
        retry_failed=args.retry_failed,
        pythons=pythons,
        echo=lambda line: print(line, flush=True),
        trees=_trees(args.tree),
        memory_limit_mb=args.memory_limit,
    )
    return 0


def _trees(specs: Sequence[str]) -> dict[str, Path]:
    trees = {}
    for spec in specs:
        label, sep, folder = spec.partition("=")
        if not sep or not label or not folder:
            raise SystemExit(f"--tree {spec}: expected LABEL=PATH")
        trees[label] = Path(folder)
    return trees


if __name__ == "__main__":
    sys.exit(main())
