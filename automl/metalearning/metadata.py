"""The meta-learning knowledge base: the builder's records and the compiled file.

The builder (:mod:`automl.metalearning.build`) appends records under a build
folder (the repository's ``metadata/build/``); :func:`compile_metadata` turns
whatever part of them exists into one JSON document. The package ships the
compiled document as package data, ``automl/metalearning/metadata.json``,
which a fit reads through :func:`load_metadata`. Its fields:

``format``, ``space_hash``
    Format version, and the hash of the reference configuration spaces the
    configurations were found in (see :func:`reference_space_hash`).
``metafeature_names``, ``scale``
    Meta-feature order, and each one's mean and standard deviation over the
    tasks (to standardise distances).
``tasks``
    One entry per task: name, type (binary, multiclass, regression),
    meta-features, and its best configurations, best first.
``candidates``
    Candidate id -> configuration; ``default:<family>`` ids have no stored
    configuration (a fit uses the family's default in its own space).
``portfolio``
    For ``classification`` and ``regression``: the candidate ids in order,
    and the held-out regret curve that chose their number.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from automl.data.types import DatasetProperties, Task
from automl.metalearning.metafeatures import METAFEATURE_NAMES
from automl.metalearning.portfolio import (
    MAX_SIZE,
    choose_size,
    greedy_portfolio,
    held_out_regret,
    mean_cost,
    normalised_regret,
    relative_cost,
)

if TYPE_CHECKING:  # importlib.resources.abc is new in Python 3.11
    from importlib.resources.abc import Traversable

#: Folder of the builder's append-only records, inside its output folder.
BUILD_DIR = "build"
#: File name of a compiled knowledge base.
METADATA_FILE = "metadata.json"
FORMAT = 1
DEFAULT_PREFIX = "default:"
TASK_PREFIX = "task:"
GROUPS = {"binary": "classification", "multiclass": "classification"}


def group_of(task_type: str) -> str:
    """``classification`` or ``regression``: tasks that share configurations."""
    return GROUPS.get(task_type, "regression")


def read_jsonl(folder: Path, prefix: str) -> list[dict[str, Any]]:
    """All records of ``<prefix>-*.jsonl`` in ``folder``; a torn line is skipped."""
    records = []
    for path in sorted(folder.glob(f"{prefix}-*.jsonl")):
        for line in path.read_text().splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # written when the builder was killed
    return records


def reference_space_hash() -> str:
    """Hash of the spaces of a table that activates every component.

    A fit's own space depends on its data (encoders exist only with
    categorical columns, ...); these two reference spaces, one per task
    group, contain every hyperparameter a stored configuration can have.
    """
    from automl.space import build_space, select_models, space_hash

    hashes = []
    references: tuple[tuple[Task, int | None], ...] = (
        ("binary", 2),
        ("regression", None),
    )
    for task, n_classes in references:
        properties = DatasetProperties(
            n_rows=10_000,
            n_features=12,
            n_numeric=8,
            n_categorical=4,
            n_datetime=2,
            has_missing_numeric=True,
            has_missing_categorical=True,
            max_cardinality=30,
            missing_fraction=0.1,
            task=task,
            n_classes=n_classes,
        )
        hashes.append(space_hash(build_space(properties, select_models(task))))
    return hashlib.sha256("".join(hashes).encode()).hexdigest()


def is_candidate_source(task: str) -> bool:
    """Whether a task's best configuration joins the common candidate set.

    Half of the tasks, picked by a hash of the name so that the choice does
    not move while the builder is still adding tasks: the matrix costs one
    evaluation per task and candidate, and the nearest-task warm start uses
    every task's best anyway.
    """
    return int(hashlib.sha256(task.encode()).hexdigest()[:8], 16) % 2 == 0


def candidate_configs(
    searches: Iterable[dict[str, Any]],
    models: Iterable[str] | None = None,
    group: str | None = None,
) -> dict[str, Any]:
    """Candidate id -> configuration: each family's default, some tasks' best.

    With ``group`` (see :func:`group_of`), only that group's tasks contribute:
    a portfolio is chosen per group, so other candidates are never needed.
    """
    from automl.space import MODELS

    families = MODELS if models is None else models
    candidates: dict[str, Any] = {f"{DEFAULT_PREFIX}{m}": None for m in families}
    for record in searches:
        if group is not None and group_of(record["type"]) != group:
            continue
        if record.get("best") and is_candidate_source(record["task"]):
            candidates[f"{TASK_PREFIX}{record['task']}"] = record["best"][0]["config"]
    return candidates


def _ok_values(
    matrix: list[dict[str, Any]], tasks: list[str], candidates: list[str], value: str
) -> pd.DataFrame:
    """Tasks × candidates table of ``value`` ("loss", "fit_time") of ok records."""
    frame = pd.DataFrame(
        [r for r in matrix if r.get("status") == "ok"],
        columns=["task", "candidate", value],
    ).astype({value: float})
    table = frame.pivot_table(index="task", columns="candidate", values=value)
    return table.reindex(index=tasks, columns=candidates)


def _portfolio(
    matrix: list[dict[str, Any]], tasks: list[str], candidates: list[str]
) -> dict[str, Any]:
    """The portfolio of one task group, its size chosen by leave-one-task-out."""
    losses = _ok_values(matrix, tasks, candidates, "loss").dropna(how="all")
    if len(losses) < 2:
        return {"members": [], "held_out_regret": [], "n_tasks": len(losses)}
    regret = normalised_regret(losses).to_numpy()
    times = _ok_values(matrix, list(losses.index), candidates, "fit_time")
    relative = relative_cost(times).to_numpy()
    curve = held_out_regret(regret, min(MAX_SIZE, regret.shape[1]), relative)
    size = choose_size(curve)
    members = greedy_portfolio(regret, size, mean_cost(relative))
    return {
        "members": [str(losses.columns[i]) for i in members],
        "held_out_regret": [round(float(v), 5) for v in curve],
        "n_tasks": len(losses),
    }


def compile_metadata(build_dir: Path, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """The knowledge base from the builder's records.

    Parameters
    ----------
    build_dir : Path
        The builder's ``metadata/build`` folder.
    exclude : iterable of str
        Task names to leave out entirely (leave-one-task-out evaluation).

    Returns
    -------
    dict
        The document :func:`load_metadata` reads (see the module docstring).
    """
    excluded = set(exclude)
    searches = [
        r
        for r in read_jsonl(build_dir, "search")
        if r["task"] not in excluded and r.get("best")
    ]
    features = {r["task"]: r["metafeatures"] for r in read_jsonl(build_dir, "features")}
    searches = [r for r in searches if r["task"] in features]
    matrix = [r for r in read_jsonl(build_dir, "matrix") if r["task"] not in excluded]
    evaluated = {r["candidate"] for r in matrix}
    candidates = {
        c: config
        for c, config in candidate_configs(searches).items()
        if c in evaluated or not c.startswith(DEFAULT_PREFIX)
    }
    portfolio = {
        group: _portfolio(
            matrix, *_group_tasks_and_candidates(searches, candidates, group)
        )
        for group in ("classification", "regression")
    }
    return {
        "format": FORMAT,
        "space_hash": reference_space_hash(),
        "metafeature_names": list(METAFEATURE_NAMES),
        "scale": _scale(searches, features),
        "tasks": [
            {
                "name": r["task"],
                "type": r["type"],
                "metafeatures": features[r["task"]],
                "best": [b["config"] for b in r["best"][:3]],
            }
            for r in searches
        ],
        "candidates": candidates,
        "portfolio": portfolio,
    }


def _group_tasks_and_candidates(
    searches: list[dict[str, Any]], candidates: dict[str, Any], group: str
) -> tuple[list[str], list[str]]:
    """A task group's tasks, and the candidates it may use: the defaults and
    the best configurations of its own tasks."""
    names = [r["task"] for r in searches if group_of(r["type"]) == group]
    usable = [
        c
        for c in candidates
        if c.startswith(DEFAULT_PREFIX) or c[len(TASK_PREFIX) :] in names
    ]
    return names, usable


def _scale(
    searches: list[dict[str, Any]], features: dict[str, dict[str, float]]
) -> dict[str, list[float]]:
    """Mean and standard deviation of each meta-feature over the tasks."""
    vectors = np.array(
        [[features[r["task"]][n] for n in METAFEATURE_NAMES] for r in searches]
    ).reshape(-1, len(METAFEATURE_NAMES))
    return {
        "mean": vectors.mean(axis=0).tolist() if len(vectors) else [],
        "std": vectors.std(axis=0).tolist() if len(vectors) else [],
    }


def shipped_metadata() -> Traversable:
    """The package's own compiled knowledge base (package data, in every wheel).

    Returns
    -------
    importlib.resources.abc.Traversable
    """
    return resources.files("automl.metalearning") / METADATA_FILE


def load_metadata(path: str | Path | None = None) -> dict[str, Any] | None:
    """The compiled knowledge base, or None (with a warning) when unusable.

    Parameters
    ----------
    path : str, Path or None
        A ``metadata.json`` written by the builder, or a folder holding one;
        None means the one shipped with the package.
    """
    file = Path(path) if path is not None else shipped_metadata()
    if isinstance(file, Path) and file.is_dir():
        file = file / METADATA_FILE
    if not file.is_file():
        warnings.warn(
            f"No meta-learning knowledge base at {file}: the search starts from "
            "each model family's default instead. Build one with "
            "`python -m automl.metalearning.build`, or pass meta_learning=False.",
            UserWarning,
            stacklevel=3,
        )
        return None
    try:
        document: dict[str, Any] = json.loads(file.read_text())
    except (OSError, ValueError) as exc:
        warnings.warn(
            f"Could not read the knowledge base {file} ({exc}); the search starts "
            "from each model family's default instead.",
            UserWarning,
            stacklevel=3,
        )
        return None
    if document.get("format") != FORMAT:
        warnings.warn(
            f"{file} has format {document.get('format')!r}, this version reads "
            f"{FORMAT}; ignoring it. Rebuild it with the builder.",
            UserWarning,
            stacklevel=3,
        )
        return None
    return document
