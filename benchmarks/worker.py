"""One benchmark run, (system, dataset, seed), in its own process.

The runner starts ``python -m benchmarks.worker SPEC_JSON RESULT_JSON`` with the
system's interpreter and a hard timeout. The worker loads and splits the data,
fits the system, predicts the test split, computes the metrics and writes one
JSON object to ``RESULT_JSON``. Any exception becomes ``status: error`` with its
message; the traceback goes to stderr (the run's log file).
"""

from __future__ import annotations

import faulthandler
import json
import resource
import signal
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.datasets import DatasetSpec, load_split
from benchmarks.metrics import align_proba, classification_metrics, regression_metrics
from benchmarks.systems import RunSettings, System, base_name, make_system

MESSAGE_CHARS = 500


def peak_memory_mb() -> float:
    """Return this process's peak resident memory plus its largest child's, MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024.0


def error_message(error: BaseException) -> str:
    """Return ``"Type: message"`` on one line, cut to 500 characters."""
    text = f"{type(error).__name__}: {error}".replace("\n", " ").strip()
    return text[:MESSAGE_CHARS]


def evaluate(
    spec: dict,
    result: dict,
    checkpoint: Callable[[dict], None] | None = None,
) -> dict:
    """Fit and score one system on one dataset split.

    Parameters
    ----------
    spec : dict
        ``dataset`` (a ``DatasetSpec`` as dict), ``system``, ``budget``,
        ``seed`` and ``n_jobs``.
    result : dict
        Filled in place as the run goes, so that a failure keeps what was
        known before it: ``version``, ``n_train``, ``n_test``,
        ``fit_seconds``, ``predict_seconds``, the task's metrics and
        ``variants``, the scores of the system's same-fit variants.
    checkpoint : callable, optional
        Called with the partial result (the system's version) before the fit,
        so that a run killed at its timeout still records the version.

    Returns
    -------
    dict
        ``result``.
    """
    dataset = DatasetSpec(**spec["dataset"])
    run = RunSettings(
        task=dataset.task,
        budget=float(spec["budget"]),
        seed=int(spec["seed"]),
        n_jobs=int(spec["n_jobs"]),
        dataset=dataset.name,
        memory_limit_mb=spec.get("memory_limit_mb"),
    )
    system = make_system(base_name(spec["system"]))
    result["version"] = system.version()
    if checkpoint is not None:
        checkpoint({**result, "status": "running"})
    X_train, X_test, y_train, y_test = load_split(dataset, run.seed)
    result.update(n_train=len(X_train), n_test=len(X_test))

    system.prepare(run)
    start = time.perf_counter()
    system.fit(X_train, y_train, run)
    result["fit_seconds"] = time.perf_counter() - start
    if checkpoint is not None:  # a timeout while predicting keeps the fit's time
        checkpoint({**result, "status": "running"})

    classes = None if run.task == "regression" else sorted(y_train.unique())
    result.update(score(system, X_test, y_test, run.task, classes))
    result["variants"] = {
        name: score(variant, X_test, y_test, run.task, classes)
        for name, variant in system.same_fit_variants().items()
    }
    result["details"] = system.details()
    if run.memory_limit_mb is not None:
        result["details"]["memory_limit_mb"] = run.memory_limit_mb
    return result


def score(
    system: System,
    X_test: pd.DataFrame,
    y_test: pd.Series,
    task: str,
    classes: list | None,
) -> dict:
    """Predict the test split; return ``predict_seconds`` and the task's metrics.

    Parameters
    ----------
    system : System
        A fitted system.
    X_test, y_test : DataFrame, Series
        The test split.
    task : str
        ``binary``, ``multiclass`` or ``regression``.
    classes : list or None
        The training labels, sorted (None for regression).

    Returns
    -------
    dict
    """
    start = time.perf_counter()
    predictions = system.predict(X_test)
    proba = None if classes is None else system.predict_proba(X_test)
    scores: dict = {"predict_seconds": time.perf_counter() - start}
    if classes is None:
        scores.update(regression_metrics(y_test, predictions))
    else:
        aligned = align_proba(proba, system.classes_ or classes, classes)
        scores.update(
            classification_metrics(task, y_test, predictions, aligned, classes)
        )
    return scores


def run(spec: dict, checkpoint: Callable[[dict], None] | None = None) -> dict:
    """Run ``evaluate`` and turn any exception into an error result.

    Parameters
    ----------
    spec : dict
        See ``evaluate``.
    checkpoint : callable, optional
        See ``evaluate``.

    Returns
    -------
    dict
        The result with ``status`` (``ok`` or ``error``), ``message`` and
        ``peak_memory_mb``.
    """
    result: dict = {"status": "ok", "message": ""}
    try:
        evaluate(spec, result, checkpoint)
    except Exception as error:  # every failure is a result
        traceback.print_exc()
        result.update(status="error", message=error_message(error))
    result["peak_memory_mb"] = peak_memory_mb()
    return {k: _plain(v) for k, v in result.items()}


def _plain(value: object) -> object:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``python -m benchmarks.worker SPEC_JSON RESULT_JSON``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        sys.stderr.write("usage: python -m benchmarks.worker SPEC_JSON RESULT_JSON\n")
        return 2
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # see run.dump_stacks
    spec = json.loads(Path(args[0]).read_text())
    target = Path(args[1])
    result = run(spec, lambda partial: write_json(target, partial))
    write_json(target, result)
    return 0


def write_json(path: Path, data: dict) -> None:
    """Write a JSON object atomically (write a sibling file, then rename)."""
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(data))
    scratch.replace(path)


if __name__ == "__main__":
    sys.exit(main())
