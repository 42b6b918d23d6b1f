"""Offline builder of ``metadata/``: searches, a performance matrix, a portfolio.

``python -m automl.metalearning.build --corpus ../shared/datasets --out metadata``

Over a corpus of datasets (a folder with an ``index.csv``, see
:mod:`automl.metalearning.corpus`) it runs, resumably and in this order:

1. **search**: a short search of ours on every task (``SEARCH_TRIALS``
   full-budget trials on one core, at most ``SEARCH_SECONDS``). The best
   configurations of each task become its *nearest-task* configurations and
   the best one joins the common candidate set.
2. **features**: every task's meta-features, in seconds.
3. **matrix**: every candidate (each family's default plus the best of the
   candidate-source tasks of the same group, classification or regression)
   is evaluated on every task with the same resampling a fit would use,
   giving the task × candidate loss matrix the portfolio is selected from.
4. **compile**: ``metadata.json`` (meta-features, nearest-task
   configurations, candidates, the portfolio chosen by leave-one-task-out
   validation, and the hash of the configuration space) is written from what
   the steps before produced, whatever part of them exists: by default over
   the package's own knowledge base (``--compiled`` writes it elsewhere, e.g.
   for ``meta_learning="path/metadata.json"``).

Only the benchmark's training split of each dataset is used (the same fixed
split as the project's benchmarks), so no benchmark test row informs it;
tasks are subsampled to ``MAX_ROWS`` rows to keep the build within a few hours
of this machine. Each step appends one JSON line per finished unit to its own
file under ``<out>/build/`` (one file per shard with ``--shard i/n``, so that
several builder processes may run at once); a re-run skips what is there.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.preprocessing import LabelEncoder

from automl.data import check_features, check_target
from automl.data.types import Task
from automl.limits import Deadline
from automl.memory import default_memory_limit_mb
from automl.metalearning.corpus import CorpusDataset, read_corpus, training_rows
from automl.metalearning.metadata import (
    BUILD_DIR,
    METADATA_FILE,
    candidate_config,
    read_jsonl,
)
from automl.plan import Machine
from automl.policy import DEFAULT_POLICY
from automl.prepare import Prepared, prepare
from automl.run import RunOptions, constant_loss, run_fit
from automl.search import available_cores, is_full_budget_success

logger = logging.getLogger(__name__)

#: Trials of search per task in step 1: a trial count rather than seconds, so
#: that what the build finds does not depend on how loaded the machine was.
SEARCH_TRIALS = 16
#: Seconds one trial (search or matrix) may take.
TRIAL_SECONDS = 30.0
#: Seconds one task's search may take in all (its final model included).
SEARCH_SECONDS = 120.0
#: Tasks up to this many rows are cross-validated, larger ones use a holdout:
#: what a short fit does (``Policy.cv_always_rows``), not a fit without a time
#: limit (``Policy.cv_max_rows``): CV everywhere would multiply the build's time.
SEARCH_CV_MAX_ROWS = DEFAULT_POLICY.cv_always_rows
#: Rows of a task's training split the search uses, at most.
MAX_ROWS = 5_000
#: Rows the matrix evaluations use, at most: there are many of them.
MATRIX_ROWS = 3_000
#: Best full-budget configurations kept per task for nearest-task warm starts.
TOP_PER_TASK = 3
SEED = 0


def load_task(
    spec: CorpusDataset, max_rows: int | None = MAX_ROWS
) -> tuple[pd.DataFrame, pd.Series]:
    """The training split of a corpus dataset, subsampled to ``max_rows``."""
    X, y = training_rows(spec, seed=SEED)
    if max_rows is not None and len(X) > max_rows:
        rows = np.random.RandomState(SEED).choice(len(X), max_rows, replace=False)
        rows.sort()
        X, y = X.iloc[rows].reset_index(drop=True), y.iloc[rows].reset_index(drop=True)
    return X, y


#: The builder's fit settings, as an estimator's parameters would give them.
FIT_PARAMS: dict[str, Any] = {
    "time_limit": None,
    "metric": None,
    "n_jobs": 1,
    "random_state": SEED,
    "max_trials": None,
    "include": None,
    "exclude": None,
    "per_trial_time_limit": None,
    "per_trial_memory_limit": None,
    "multi_fidelity": False,  # tasks are small; only full budgets are comparable
    "cv_repeats": 1,  # the matrix compares configurations on the same folds
    "stacking": False,
    "refit_full": False,
}


def _prepared(spec: CorpusDataset, max_rows: int | None, **params: Any) -> Prepared:
    """The task as a fit sees it: typed table, encoded target, plan and splits."""
    X, y = load_task(spec, max_rows)
    kind = "regression" if spec.task == "regression" else "classification"
    name = "the metadata builder"
    X_frame = check_features(X)
    y_checked = check_target(y, n_rows=len(X_frame), task=kind, estimator_name=name)
    task: Task = "regression"
    if kind == "regression":
        y_encoded = np.asarray(y_checked, dtype=np.float64)
    else:
        encoder = LabelEncoder().fit(y_checked)
        y_encoded = encoder.transform(y_checked).astype(np.int64)
        task = "binary" if len(encoder.classes_) == 2 else "multiclass"
    resampling = "cv" if len(X_frame) <= SEARCH_CV_MAX_ROWS else "holdout"
    machine = Machine(available_cores(), default_memory_limit_mb())
    fit_params = {**FIT_PARAMS, "resampling": resampling, **params}
    return prepare(X_frame, y_encoded, task, fit_params, machine, name=name)


def _append(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        handle.write(json.dumps(record, default=str) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _shard(items: list[Any], shard: tuple[int, int]) -> Iterator[Any]:
    index, count = shard
    yield from (item for i, item in enumerate(items) if i % count == index)


@dataclass(frozen=True)
class BuildOptions:
    """What a build searches: trials per task, and the families (None: all)."""

    search_trials: int = SEARCH_TRIALS
    models: tuple[str, ...] | None = None


def search_task(spec: CorpusDataset, options: BuildOptions) -> dict[str, Any]:
    """Step 1 on one task: a short search and its best full-budget trials."""
    prepared = _prepared(
        spec,
        MAX_ROWS,
        time_limit=SEARCH_SECONDS,
        max_trials=options.search_trials,
        include=options.models,
        per_trial_time_limit=TRIAL_SECONDS,
    )
    start = time.time()
    fallback = DummyRegressor() if spec.task == "regression" else DummyClassifier()
    run = RunOptions(
        name="the metadata builder",
        deadline=Deadline.starting_now(SEARCH_SECONDS),
        max_trials=options.search_trials,
        meta_learning=False,
        output_dir=None,
        verbose=0,
        dask_cluster=None,
        max_ensemble_members=1,
    )
    result = run_fit(prepared.plan, prepared.data, fallback, run)
    full = [
        t for t in result.trials if is_full_budget_success(t["status"], t["budget"])
    ]
    full.sort(key=lambda t: t["loss"])
    return {
        "task": spec.name,
        "type": spec.task,
        "n_rows": len(prepared.data.y),
        "metric": prepared.plan.metric.name,
        "seconds": time.time() - start,
        "best": [{"config": t["config"], "loss": t["loss"]} for t in full],
        "n_trials": len(result.trials),
    }


def run_search_step(
    specs: list[CorpusDataset], out: Path, shard: tuple[int, int], options: BuildOptions
) -> None:
    path = out / BUILD_DIR / f"search-{shard[0]}.jsonl"
    searches = read_jsonl(out / BUILD_DIR, "search")
    done = {r["task"] for r in searches if "error" not in r}  # errors are retried
    for spec in _shard(specs, shard):
        if spec.name in done:
            continue
        logger.info("search %s", spec.name)
        try:
            record = search_task(spec, options)
        except Exception as exc:  # one broken dataset must not stop the build
            record = {"task": spec.name, "type": spec.task, "error": repr(exc)}
        _append(path, record)


def run_features_step(
    specs: list[CorpusDataset], out: Path, shard: tuple[int, int]
) -> None:
    """Meta-features of every task's whole training split, as a fit sees it.

    Seconds in all; recomputed when the files are deleted.
    """
    from automl.metalearning.metafeatures import compute_metafeatures

    path = out / BUILD_DIR / f"features-{shard[0]}.jsonl"
    done = {r["task"] for r in read_jsonl(out / BUILD_DIR, "features")}
    for spec in _shard(specs, shard):
        if spec.name in done:
            continue
        data = _prepared(spec, max_rows=None).data
        features = compute_metafeatures(data.X, data.y, data.task, data.columns)
        _append(path, {"task": spec.name, "metafeatures": features})


def evaluate_candidates(
    spec: CorpusDataset, candidates: dict[str, dict[str, Any]], options: BuildOptions
) -> Iterator[dict[str, Any]]:
    """Step 2 on one task: the loss of every candidate configuration."""
    from automl.evaluation import TrialSettings, evaluate
    from automl.metrics import crash_loss
    from automl.space import build_space, family_defaults, select_models

    prepared = _prepared(spec, MATRIX_ROWS)
    data, metric = prepared.data, prepared.plan.metric
    models = select_models(data.task, include=options.models)
    space = build_space(data.properties, models=models, seed=SEED)
    defaults = family_defaults(space)
    settings = TrialSettings(
        metric=metric,
        crash_loss=crash_loss(metric, constant_loss(data, metric)),
        n_threads=1,
    )
    for candidate_id, values in candidates.items():
        config = candidate_config(candidate_id, values, space, defaults)
        if config is None:
            yield {"task": spec.name, "candidate": candidate_id, "status": "invalid"}
            continue
        result = evaluate(
            config,
            data=data,
            settings=settings,
            seed=SEED,
            deadline=time.time() + TRIAL_SECONDS,
        )
        yield {
            "task": spec.name,
            "candidate": candidate_id,
            "loss": result.loss,
            "status": result.status,
            "fit_time": result.fit_time,
        }


def run_matrix_step(
    specs: list[CorpusDataset], out: Path, shard: tuple[int, int], options: BuildOptions
) -> None:
    from automl.metalearning.metadata import candidate_configs, group_of

    searches = read_jsonl(out / BUILD_DIR, "search")
    path = out / BUILD_DIR / f"matrix-{shard[0]}.jsonl"
    done = {(r["task"], r["candidate"]) for r in read_jsonl(out / BUILD_DIR, "matrix")}
    for spec in _shard(specs, shard):
        candidates = candidate_configs(searches, options.models, group_of(spec.task))
        todo = {c: v for c, v in candidates.items() if (spec.name, c) not in done}
        if not todo:
            continue
        logger.info("matrix %s: %d candidates", spec.name, len(todo))
        try:
            for record in evaluate_candidates(spec, todo, options):
                _append(path, record)
        except Exception as exc:  # e.g. a dataset that fails to load
            logger.warning("matrix %s failed: %r", spec.name, exc)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", required=True, help="folder with index.csv")
    parser.add_argument("--out", default="metadata", help="folder of build records")
    parser.add_argument(
        "--compiled",
        default=str(Path(__file__).with_name(METADATA_FILE)),
        help="where the compile step writes (default: the package's own file)",
    )
    parser.add_argument(
        "--steps", default="search,features,matrix,compile", help="comma-separated"
    )
    parser.add_argument("--shard", default="0/1", help="i/n: this process's share")
    parser.add_argument("--tasks", default="", help="comma-separated subset")
    parser.add_argument("--search-trials", type=int, default=SEARCH_TRIALS)
    parser.add_argument("--models", default="", help="comma-separated families")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    index, count = (int(v) for v in args.shard.split("/"))
    specs = read_corpus(args.corpus)
    if args.tasks:
        wanted = set(args.tasks.split(","))
        specs = [s for s in specs if s.name in wanted]
    out = Path(args.out)
    options = BuildOptions(
        args.search_trials, tuple(args.models.split(",")) if args.models else None
    )
    steps = args.steps.split(",")
    if "search" in steps:
        run_search_step(specs, out, (index, count), options)
    if "features" in steps:
        run_features_step(specs, out, (index, count))
    if "matrix" in steps:
        run_matrix_step(specs, out, (index, count), options)
    if "compile" in steps:
        from automl.metalearning.metadata import compile_metadata

        metadata = compile_metadata(out / BUILD_DIR)
        compiled = Path(args.compiled)
        compiled.write_text(json.dumps(metadata, indent=1) + "\n")
        logger.info("wrote %s", compiled)


if __name__ == "__main__":
    main()
