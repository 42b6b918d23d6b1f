"""The configurations a fit evaluates first: portfolio, then nearest tasks.

auto-sklearn 1.0 seeded its search with the best configurations of the prior
tasks nearest by meta-features, auto-sklearn 2.0 with a portfolio selected
offline; we do both. Configurations stored for another space are repaired to
this fit's space (stale hyperparameters dropped, new ones at their defaults)
or dropped when they cannot be, never an error.
"""

from __future__ import annotations

import json
import logging
import warnings
from typing import Any

import numpy as np
from ConfigSpace import ConfigurationSpace

from automl.data.types import FeatureColumns, Task
from automl.metalearning.metadata import (
    candidate_config,
    group_of,
    portfolio_members,
    reference_space_hash,
    uses_knowledge,
)
from automl.metalearning.metafeatures import compute_metafeatures, metafeature_vector
from automl.policy import DEFAULT_POLICY, Policy
from automl.space import family_defaults, repair_config
from automl.space.build import DELIMITER
from automl.space.registry import MODELS

logger = logging.getLogger(__name__)

#: ``(origin, configuration)``: origin is ``portfolio``, ``nearest-task``,
#: ``default``, ``large table`` or ``text variant``.
Seed = tuple[str, dict[str, Any]]


def initial_design(
    space: ConfigurationSpace,
    metadata: dict[str, Any] | None,
    X: Any,
    y: np.ndarray,
    task: Task,
    columns: FeatureColumns,
    *,
    time_limit: float | None = None,
    n_cores: int = DEFAULT_POLICY.reference_cores,
    policy: Policy = DEFAULT_POLICY,
) -> list[Seed]:
    """Configurations to evaluate before SMAC's own, deduplicated, in order.

    Parameters
    ----------
    space : ConfigurationSpace
        This fit's space.
    metadata : dict or None
        From :func:`automl.metalearning.metadata.load_metadata`; None gives
        each family's default configuration.
    X, y, task, columns
        The typed training table and encoded target, for the meta-features.
    time_limit : float or None, default=None
        The fit's time limit, which with ``n_cores`` and the table's rows
        picks the portfolio selected for it
        (:func:`~automl.metalearning.metadata.portfolio_members`).
    n_cores : int, default=2
        Cores the fit's trials run on.
    policy : Policy, optional
        Its ``n_neighbours`` and ``strong_defaults*`` fields.

    Returns
    -------
    list of (origin, config)
        Without a knowledge base: every family's default, on small tables
        those of ``policy.strong_defaults`` first. With one: the portfolio's
        members with the best configuration of each of the ``n_neighbours``
        nearest prior tasks of the same kind interleaved (one after each of
        the first members: a task close to this one is worth trying early),
        on small tables the defaults of ``policy.strong_defaults`` after the
        first four, then family defaults if fewer configurations than
        families came out. With a ``defaults_first`` one: all the defaults
        as without, then the members and nearest tasks. As without one when
        its ``knowledge_from`` leaves this task type and budget out. The
        search adds :func:`with_large_table_configs` and
        :func:`with_text_variants` to it.
    """
    defaults = family_defaults(space)
    all_defaults: list[Seed] = [("default", c) for c in defaults.values()]
    cold = _unique(with_strong_defaults([], defaults, len(y), policy) + all_defaults)
    if metadata is None or not uses_knowledge(metadata, task, time_limit, n_cores):
        return cold
    _warn_if_stale(metadata)
    members = portfolio_members(
        metadata, group_of(task), time_limit, n_cores, n_rows=len(y), policy=policy
    )
    knowledge = _interleave(
        _portfolio(space, metadata, members, defaults),
        _nearest(space, metadata, X, y, task, columns, policy.n_neighbours),
    )
    if metadata.get("defaults_first"):
        return _unique(cold + knowledge)
    seeds = with_strong_defaults(_unique(knowledge), defaults, len(y), policy)
    if len(seeds) < len(defaults):
        seeds = _unique(seeds + all_defaults)
    return seeds


def with_large_table_configs(
    seeds: list[Seed],
    space: ConfigurationSpace,
    n_rows: int,
    policy: Policy = DEFAULT_POLICY,
) -> list[Seed]:
    """Each family's ``large_table`` configuration right after the first seed,
    on tables of ``policy.large_table_rows`` rows or more.

    The knowledge base's configurations were chosen on tables of at most
    48,204 rows, where a booster of 100 trees of 31 leaves is strong; on a
    million rows it underfits (generated-1m at 300 s: 1.48 RMSE, against
    1.04 for AutoGluon's boosters), and the initial design took the whole
    time limit. The first seed stays first: it is the cheap early model.
    """
    if n_rows < policy.large_table_rows or not seeds:
        return seeds
    defaults = family_defaults(space)
    large: list[Seed] = []
    for family, config in defaults.items():
        params = getattr(MODELS.get(family), "large_table", {})
        values = {
            f"model{DELIMITER}{family}{DELIMITER}{k}": v for k, v in params.items()
        }
        repaired = repair_config({**config, **values}, space) if params else None
        if repaired is not None:
            large.append(("large table", repaired))
    return _unique([seeds[0], *large, *seeds[1:]])


def with_text_variants(seeds: list[Seed], space: ConfigurationSpace) -> list[Seed]:
    """Two seeds again with each other text encoding, each right after its
    seed: the first (the cheap early model, often a linear one) and the first
    of another family (a booster on most tables).

    The knowledge base was built on tables without free text, so every seed
    encodes text the default way; whether the text is worth its columns at
    all, and which encoding suits it, is a property of the table (titles that
    repeat are better as categoricals, tweets carry the signal) and of the
    model (on 4,543 tweets a linear model did best on character n-grams, a
    LightGBM on the frequent word n-grams as columns), which these early
    groups show the optimiser's model (tweets at 60 s: 0.956-0.960 ROC AUC
    with the first seed's variants only, 0.972-0.974 with these). ``seeds``
    unchanged without text.
    """
    if "text_encoder" not in space or not seeds:
        return seeds
    first_family = seeds[0][1].get("model")
    other = next((s for s in seeds if s[1].get("model") != first_family), None)
    bases = [seeds[0]] if other is None else [seeds[0], other]
    encoders = list(map(str, space["text_encoder"].choices))  # type: ignore[attr-defined]
    design: list[Seed] = []
    for seed in seeds:
        design.append(seed)
        if seed not in bases:
            continue
        for name in encoders:
            config = repair_config({**seed[1], "text_encoder": name}, space)
            if config is not None:
                design.append(("text variant", config))
    return _unique(design)


def with_strong_defaults(
    seeds: list[Seed],
    defaults: dict[str, dict[str, Any]],
    n_rows: int,
    policy: Policy = DEFAULT_POLICY,
) -> list[Seed]:
    """The defaults of ``policy.strong_defaults`` among the first seeds (after
    ``policy.strong_defaults_after``) on a table of up to
    ``policy.strong_defaults_max_rows`` rows: strong and cheap on small tables
    (a default random forest beat every AutoML system on one), so every fit
    there evaluates them and the ensemble has them. On large tables they cost
    several trials' time and rarely win: ``seeds`` unchanged."""
    if n_rows > policy.strong_defaults_max_rows:
        return seeds
    families = policy.strong_defaults
    strong = [("default", defaults[f]) for f in families if f in defaults]
    after = policy.strong_defaults_after
    head, tail = seeds[:after], seeds[after:]
    return _unique(head + strong + tail)


def _warn_if_stale(metadata: dict[str, Any]) -> None:
    if metadata.get("space_hash") != reference_space_hash():
        warnings.warn(
            "The meta-learning knowledge base was built for another version of "
            "the configuration space; its configurations are repaired to this "
            "one or dropped. Rebuild it with `python -m automl.metalearning.build`.",
            UserWarning,
            stacklevel=4,
        )


def _interleave(portfolio: list[Seed], nearest: list[Seed]) -> list[Seed]:
    """``p0, n0, p1, n1, ...``, then the rest of the longer list."""
    mixed: list[Seed] = []
    for i in range(max(len(portfolio), len(nearest))):
        mixed += portfolio[i : i + 1] + nearest[i : i + 1]
    return mixed


def _portfolio(
    space: ConfigurationSpace,
    metadata: dict[str, Any],
    members: list[str],
    defaults: dict[str, dict[str, Any]],
) -> list[Seed]:
    seeds = []
    for member in members:
        stored = metadata["candidates"].get(member)
        config = candidate_config(member, stored, space, defaults)
        if config is not None:  # None: a family excluded here, or stale values
            seeds.append(("portfolio", config))
    return seeds


def _nearest(
    space: ConfigurationSpace,
    metadata: dict[str, Any],
    X: Any,
    y: np.ndarray,
    task: Task,
    columns: FeatureColumns,
    n_neighbours: int,
) -> list[Seed]:
    tasks = [t for t in metadata["tasks"] if group_of(t["type"]) == group_of(task)]
    if not tasks:
        return []
    here = metafeature_vector(compute_metafeatures(X, y, task, columns))
    prior = np.array([metafeature_vector(t["metafeatures"]) for t in tasks])
    std = np.asarray(metadata["scale"]["std"])
    # L1 distance on standardised meta-features (the means cancel out).
    distance = np.abs((prior - here) / np.where(std > 0, std, 1.0)).sum(axis=1)
    seeds = []
    for i in np.argsort(distance, kind="stable")[:n_neighbours]:
        logger.debug("nearest task %s at %.2f", tasks[i]["name"], distance[i])
        config = repair_config(tasks[i]["best"][0], space)
        if config is not None:
            seeds.append(("nearest-task", config))
    return seeds


def _unique(seeds: list[Seed]) -> list[Seed]:
    seen: set[str] = set()
    unique = []
    for origin, config in seeds:
        key = json.dumps(config, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            unique.append((origin, config))
    return unique
