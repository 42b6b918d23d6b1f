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
    Candidate id -> configuration; ``default:<family>`` and
    ``generated:<family>`` ids have no stored configuration (a fit uses the
    family's default in its own space, the latter with generated features;
    see :func:`candidate_config`).
``portfolio``
    For ``classification`` and ``regression``: the candidate ids in order,
    and the held-out regret curve that chose their number; and under
    ``by_time_limit`` the same for each of :data:`PORTFOLIO_TIME_LIMITS`
    (seconds on ``Policy.reference_cores`` cores), selected with only the
    evaluations that would have finished within a trial's share of that limit
    on the task's full training split (:func:`trial_seconds_at_size`).
``defaults_first``
    True when the portfolios complement the family defaults, which a fit
    then evaluates first, all of them (see
    :func:`~automl.metalearning.warm_start.initial_design`).
``knowledge_from``
    Optional: per task type, the core-seconds (``time_limit`` times cores)
    from which a fit uses the knowledge base at all, None for never; below,
    or for a type without an entry, the fit starts from the family defaults
    as without one (see :func:`uses_knowledge`). None or absent: always.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Iterable, Mapping
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
    defaults_then_complements,
    greedy_portfolio,
    held_out_regret,
    mean_cost,
    normalised_regret,
    relative_cost,
)
from automl.policy import DEFAULT_POLICY, Policy
from automl.resampling import choose_resampling

if TYPE_CHECKING:  # importlib.resources.abc is new in Python 3.11
    from importlib.resources.abc import Traversable

    from ConfigSpace import ConfigurationSpace

#: Folder of the builder's append-only records, inside its output folder.
BUILD_DIR = "build"
#: File name of a compiled knowledge base.
METADATA_FILE = "metadata.json"
FORMAT = 1
#: Candidate ids: a family's default, the same with generated features, and
#: the best configuration of a corpus task.
DEFAULT_PREFIX = "default:"
GENERATED_PREFIX = "generated:"
TASK_PREFIX = "task:"
GROUPS = {"binary": "classification", "multiclass": "classification"}
#: Time limits (seconds) a portfolio is selected for, on the policy's
#: ``reference_cores``; a trial gets its ``trial_share`` of them.
PORTFOLIO_TIME_LIMITS = (30, 60, 300, 3600)
#: The matrix evaluates candidates on at most this many rows, 5-fold
#: cross-validated (``automl.metalearning.build.MATRIX_ROWS``).
MATRIX_ROWS = 3_000


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

    hashes = [
        space_hash(build_space(reference_properties(task), select_models(task)))
        for task in ("binary", "regression")
    ]
    return hashlib.sha256("".join(hashes).encode()).hexdigest()


def reference_properties(task: Task) -> DatasetProperties:
    """A table that activates every component of ``task``'s space."""
    return DatasetProperties(
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
        n_classes=None if task == "regression" else (2 if task == "binary" else 3),
    )


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
    """Candidate id -> configuration: each family's default (with generated
    features too, for the families that take them), some tasks' best.

    With ``group`` (see :func:`group_of`), only that group's tasks contribute:
    a portfolio is chosen per group, so other candidates are never needed.
    The defaults' configurations are None: they depend on the task's space
    (see :func:`candidate_config`).
    """
    from automl.space import MODELS

    families = list(MODELS if models is None else models)
    candidates: dict[str, Any] = {f"{DEFAULT_PREFIX}{m}": None for m in families}
    for m in families:
        if MODELS[m].generated_features:
            candidates[f"{GENERATED_PREFIX}{m}"] = None
    for record in searches:
        if group is not None and group_of(record["type"]) != group:
            continue
        if record.get("best") and is_candidate_source(record["task"]):
            candidates[f"{TASK_PREFIX}{record['task']}"] = record["best"][0]["config"]
    return candidates


def candidate_config(
    candidate: str,
    stored: Mapping[str, Any] | None,
    space: ConfigurationSpace,
    defaults: Mapping[str, dict[str, Any]],
) -> dict[str, Any] | None:
    """A candidate's configuration in a task's ``space``.

    Parameters
    ----------
    candidate : str
        The candidate's id (see :func:`candidate_configs`).
    stored : mapping or None
        Its stored configuration (None for the defaults).
    space : ConfigurationSpace
        The task's space.
    defaults : mapping
        ``family_defaults(space)``.

    Returns
    -------
    dict or None
        None where the candidate does not fit ``space`` (a family left out, a
        categorical encoder on an all-numeric table, nothing to combine).
    """
    from automl.space import repair_config, with_generated_features

    if candidate.startswith(DEFAULT_PREFIX):
        return defaults.get(candidate[len(DEFAULT_PREFIX) :])
    if candidate.startswith(GENERATED_PREFIX):
        default = defaults.get(candidate[len(GENERATED_PREFIX) :])
        return None if default is None else with_generated_features(default, space)
    return None if stored is None else repair_config(stored, space)


def default_columns(candidates: Iterable[Any]) -> list[int]:
    """Positions of the family defaults (``default:*``) among ``candidates``."""
    return [i for i, c in enumerate(candidates) if str(c).startswith(DEFAULT_PREFIX)]


def ok_values(
    matrix: list[dict[str, Any]], tasks: list[str], candidates: list[str], value: str
) -> pd.DataFrame:
    """Tasks × candidates table of ``value`` ("loss", "fit_time") of ok records."""
    frame = pd.DataFrame(
        [r for r in matrix if r.get("status") == "ok"],
        columns=["task", "candidate", value],
    ).astype({value: float})
    table = frame.pivot_table(index="task", columns="candidate", values=value)
    return table.reindex(index=tasks, columns=candidates)


def trial_seconds_at_size(
    matrix_seconds: float,
    n_train: float,
    time_limit: float | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> float:
    """Estimated seconds of a matrix evaluation's trial on ``n_train`` rows.

    The matrix cross-validated on at most :data:`MATRIX_ROWS` rows; a fit on
    the whole table with ``time_limit`` on the policy's ``reference_cores``
    validates as ``resampling="auto"`` chooses: five folds, or a holdout (one
    fit). The cost is taken as linear in the rows: tree and linear models are
    about so.
    """
    measured_rows = min(n_train, MATRIX_ROWS)
    cores = policy.reference_cores
    resampling = choose_resampling("auto", int(n_train), time_limit, cores, policy)
    fits = 5 if resampling == "cv" else 1
    return matrix_seconds * (fits * n_train) / (5 * max(measured_rows, 1.0))


def _portfolio(
    matrix: list[dict[str, Any]],
    tasks: list[str],
    candidates: list[str],
    n_train: dict[str, float],
    defaults_first: bool = False,
) -> dict[str, Any]:
    """The portfolio of one task group, its size chosen by leave-one-task-out,
    with and without a time limit."""
    losses = ok_values(matrix, tasks, candidates, "loss").dropna(how="all")
    if len(losses) < 2:
        return {"members": [], "held_out_regret": [], "n_tasks": len(losses)}
    times = ok_values(matrix, list(losses.index), candidates, "fit_time")
    portfolio = _select(losses, times, defaults_first=defaults_first)
    sizes = np.array([n_train.get(t, MATRIX_ROWS) for t in losses.index])
    scales = [trial_seconds_at_size(1.0, n) for n in sizes]
    portfolio["median_trial_scale"] = float(np.median(scales))
    portfolio["by_time_limit"] = {}
    for limit in PORTFOLIO_TIME_LIMITS:
        at_size = times.mul(
            [trial_seconds_at_size(1.0, n, limit) for n in sizes], axis=0
        )
        portfolio["by_time_limit"][str(limit)] = _select(
            losses.where(at_size <= DEFAULT_POLICY.trial_share * limit),
            times,
            at_size.to_numpy(),
            limit * DEFAULT_POLICY.reference_cores,
            defaults_first,
        )
    return portfolio


def _select(
    losses: pd.DataFrame,
    times: pd.DataFrame,
    seconds: np.ndarray | None = None,
    budget: float | None = None,
    defaults_first: bool = False,
) -> dict[str, Any]:
    """Greedy portfolio over the losses (NaN: failed, or too slow), its size
    chosen on the held-out regret within ``budget`` core-seconds; with
    ``defaults_first``, the family defaults then their complements
    (:func:`~automl.metalearning.portfolio.defaults_then_complements`)."""
    regret = normalised_regret(losses).to_numpy()
    relative = relative_cost(times).to_numpy()
    defaults = default_columns(losses.columns) if defaults_first else None
    curve = held_out_regret(
        regret, min(MAX_SIZE, regret.shape[1]), relative, seconds, budget, defaults
    )
    size = choose_size(curve)
    cost = mean_cost(relative)
    members = (
        greedy_portfolio(regret, size, cost)
        if defaults is None
        else defaults_then_complements(regret, size, defaults, cost)
    )
    return {
        "members": [str(losses.columns[i]) for i in members],
        "held_out_regret": [round(float(v), 5) for v in curve],
        "n_tasks": len(losses),
    }


def portfolio_members(
    metadata: dict[str, Any],
    group: str,
    time_limit: float | None,
    n_cores: int,
    n_rows: int | None = None,
    policy: Policy = DEFAULT_POLICY,
) -> list[str]:
    """The portfolio for a fit.

    The one selected for the largest time limit the fit reaches (the
    smallest if it reaches none; the one without a limit when ``time_limit``
    is None or the knowledge base has none). A fit's reach is ``time_limit``
    scaled to ``policy.reference_cores`` by ``n_cores``, and by its trials' cost
    at ``n_rows`` against the group's typical task
    (:func:`trial_seconds_at_size`): a table whose trials take three times
    longer reaches a third as far.
    """
    portfolio = metadata["portfolio"].get(group, {})
    by_limit = portfolio.get("by_time_limit", {})
    if time_limit is None or not by_limit:
        return list(portfolio.get("members", []))
    limits = sorted(by_limit, key=float)
    reach = time_limit * n_cores / policy.reference_cores
    typical = portfolio.get("median_trial_scale")
    if n_rows is not None and typical:
        reach *= typical / trial_seconds_at_size(1.0, n_rows, reach, policy)
    chosen = max((k for k in limits if float(k) <= reach), key=float, default=limits[0])
    return list(by_limit[chosen]["members"])


def compile_metadata(
    build_dir: Path,
    exclude: Iterable[str] = (),
    defaults_first: bool = False,
    knowledge_from: Mapping[str, float | None] | None = None,
) -> dict[str, Any]:
    """The knowledge base from the builder's records.

    Parameters
    ----------
    build_dir : Path
        The builder's ``metadata/build`` folder.
    exclude : iterable of str
        Task names to leave out entirely (leave-one-task-out evaluation).
    defaults_first : bool, default=False
        Portfolios of the members that complement the family defaults, and a
        design that evaluates all the defaults first (as a fit without
        meta-learning does), then those members. Off in the shipped
        knowledge base: in leave-one-task-out fits at 60 s it was level with
        cold SMAC, as the default design is
        (``benchmarks/results/metalearning-defaults-then-knowledge``).
    knowledge_from : mapping or None, default=None
        Per task type, the core-seconds from which a fit uses the knowledge
        base (None: never); None: always. Stored as ``knowledge_from``.

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
        if c in evaluated or c.startswith(TASK_PREFIX)
    }
    n_train = {task: float(f["n_rows"]) for task, f in features.items()}
    portfolio = {
        group: _portfolio(
            matrix,
            *_group_tasks_and_candidates(searches, candidates, group),
            n_train,
            defaults_first,
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
        "defaults_first": defaults_first,
        "knowledge_from": None if knowledge_from is None else dict(knowledge_from),
    }


def uses_knowledge(
    metadata: Mapping[str, Any], task: str, time_limit: float | None, n_cores: int
) -> bool:
    """Whether a fit of ``task`` with this budget uses the knowledge base, by
    its ``knowledge_from`` (no time limit counts as unlimited)."""
    gates = metadata.get("knowledge_from")
    if gates is None:
        return True
    least = gates.get(task)
    if least is None:
        return False
    return time_limit is None or time_limit * n_cores >= least


def _group_tasks_and_candidates(
    searches: list[dict[str, Any]], candidates: dict[str, Any], group: str
) -> tuple[list[str], list[str]]:
    """A task group's tasks, and the candidates it may use: the defaults and
    the best configurations of its own tasks."""
    names = [r["task"] for r in searches if group_of(r["type"]) == group]
    usable = [
        c
        for c in candidates
        if not c.startswith(TASK_PREFIX) or c[len(TASK_PREFIX) :] in names
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
