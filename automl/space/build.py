"""Assemble the one conditional ConfigurationSpace, and plain-dict helpers.

Names follow ``kind:name:param``: ``model`` chooses the family and
``model:lightgbm:num_leaves`` is active only under ``model=lightgbm``. The
preprocessing choices are top-level names (``numeric_imputer``,
``categorical_encoder``, ``scaler``, ``feature_preprocessor``,
``feature_generator``, ``class_weight``) with their own parameters below them
(``scaler:quantile:n_quantiles``), and exist only where they make sense.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from ConfigSpace import (
    CategoricalHyperparameter,
    ConfigurationSpace,
    EqualsCondition,
    ForbiddenAndConjunction,
    ForbiddenEqualsClause,
    InCondition,
)
from ConfigSpace.util import deactivate_inactive_hyperparameters

from automl.data.types import DatasetProperties
from automl.space.registry import MODELS, PREPROCESSORS

DELIMITER = ":"
NATIVE = "native"


def build_space(
    properties: DatasetProperties,
    models: Sequence[str],
    seed: int = 0,
    *,
    generated_features: bool = True,
) -> ConfigurationSpace:
    """Build the conditional configuration space over ``models``.

    Parameters
    ----------
    properties : DatasetProperties
        Facts about the training table: which preprocessing choices exist
        (imputation only with missing numeric values, encoding only with
        categorical columns, class weighting only for classification) and
        some ranges (e.g. kNN's ``n_neighbors``) depend on them.
    models : sequence of str
        Family names, usually from ``select_models``.
    seed : int, default=0
        Seed of the space's sampler.
    generated_features : bool, default=True
        Whether to offer ``feature_generator`` (``Policy.generated_features``).

    Returns
    -------
    ConfigurationSpace
        The space; its default configuration is the default of the most
        preferred family (LightGBM when present).
    """
    models = _ordered(models)
    cs = ConfigurationSpace(seed=seed)
    model = _categorical("model", models, default=models[0])
    cs.add(model)
    for name in models:
        _add_children(
            cs,
            f"model{DELIMITER}{name}",
            MODELS[name].search_space(properties),
            model,
            name,
        )
    _add_imputer(cs, model, properties, models)
    _add_encoder(cs, model, properties, models)
    if properties.n_text:
        _add_choice(
            cs,
            "text_encoder",
            list(PREPROCESSORS["text_encoder"]),
            properties,
            model,
            models,
        )
    for kind in ("scaler", "feature_preprocessor"):
        scaled = [n for n in models if MODELS[n].needs_scaling]
        if scaled:
            _add_choice(cs, kind, list(PREPROCESSORS[kind]), properties, model, scaled)
    if generated_features:
        _add_feature_generator(cs, model, properties, models)
    weighted = [n for n in models if MODELS[n].supports_sample_weight]
    if properties.task != "regression" and weighted:
        hp = _categorical("class_weight", ["none", "balanced"], default="none")
        cs.add(hp)
        _condition_on_models(cs, hp, model, weighted)
    return cs


def _categorical(
    name: str, choices: list[str], default: str
) -> CategoricalHyperparameter:
    return CategoricalHyperparameter(name, choices, default_value=default)


def _ordered(models: Sequence[str]) -> list[str]:
    unknown = [m for m in models if m not in MODELS]
    if unknown or not models:
        raise ValueError(
            f"models must be a non-empty subset of {list(MODELS)}; got {list(models)}."
        )
    return [m for m in MODELS if m in set(models)]


def _add_children(
    cs: ConfigurationSpace,
    prefix: str,
    child: ConfigurationSpace,
    parent: CategoricalHyperparameter,
    value: str,
) -> None:
    if len(child) == 0:
        return
    cs.add_configuration_space(
        prefix=prefix,
        configuration_space=child,
        delimiter=DELIMITER,
        parent_hyperparameter={"parent": parent, "value": value},
    )


def _add_choice(
    cs: ConfigurationSpace,
    kind: str,
    choices: list[str],
    properties: DatasetProperties,
    model: CategoricalHyperparameter,
    active_for: list[str],
    default: str | None = None,
) -> CategoricalHyperparameter:
    """Add a top-level choice, active for ``active_for`` models, with sub-spaces."""
    hp = _categorical(kind, choices, default=default or choices[0])
    cs.add(hp)
    _condition_on_models(cs, hp, model, active_for)
    for name in choices:
        component = PREPROCESSORS[kind][name]
        _add_children(
            cs, f"{kind}{DELIMITER}{name}", component.search_space(properties), hp, name
        )
    return hp


def _condition_on_models(
    cs: ConfigurationSpace,
    hp: CategoricalHyperparameter,
    model: CategoricalHyperparameter,
    active_for: list[str],
) -> None:
    if set(active_for) == set(model.choices):
        return
    if len(active_for) == 1:
        cs.add(EqualsCondition(hp, model, active_for[0]))
    else:
        cs.add(InCondition(hp, model, active_for))


def _add_feature_generator(
    cs: ConfigurationSpace,
    model: CategoricalHyperparameter,
    properties: DatasetProperties,
    models: list[str],
) -> None:
    """``feature_generator`` for the families that take generated features,
    when the table has something to combine."""
    boosters = [n for n in models if MODELS[n].generated_features]
    combine = PREPROCESSORS["feature_generator"]["combine"]
    if boosters and len(combine.search_space(properties)) > 0:
        choices = list(PREPROCESSORS["feature_generator"])
        _add_choice(cs, "feature_generator", choices, properties, model, boosters)


def _add_imputer(
    cs: ConfigurationSpace,
    model: CategoricalHyperparameter,
    properties: DatasetProperties,
    models: list[str],
) -> None:
    needing = [n for n in models if not MODELS[n].handles_missing]
    if properties.has_missing_numeric and needing:
        choices = list(PREPROCESSORS["numeric_imputer"])
        _add_choice(cs, "numeric_imputer", choices, properties, model, needing)


def _add_encoder(
    cs: ConfigurationSpace,
    model: CategoricalHyperparameter,
    properties: DatasetProperties,
    models: list[str],
) -> None:
    if properties.n_categorical == 0:
        return
    native = [n for n in models if MODELS[n].supports_native(properties)]
    choices = [c for c in PREPROCESSORS["categorical_encoder"] if c != NATIVE or native]
    default = default_encoder(models[0], properties)
    hp = _add_choice(
        cs, "categorical_encoder", choices, properties, model, models, default=default
    )
    if not native:
        return
    for name in models:
        if name not in native:
            cs.add(
                ForbiddenAndConjunction(
                    ForbiddenEqualsClause(model, name),
                    ForbiddenEqualsClause(hp, NATIVE),
                )
            )


def default_encoder(family: str, properties: DatasetProperties) -> str:
    """Return the categorical encoding of ``family``'s default configuration."""
    component = MODELS[family]
    encoder = component.default_encoder
    if encoder == NATIVE and not component.supports_native(properties):
        return "ordinal"
    return encoder


def family_defaults(cs: ConfigurationSpace) -> dict[str, dict[str, Any]]:
    """Return the default configuration of every family in ``cs`` as plain dicts.

    Each is the space's default with ``model`` set to the family and, when the
    space has categorical encoding, the family's own default encoder (or the
    first legal one of ordinal and onehot). Keys follow the order of
    preference of the families, the space's default family first.

    Parameters
    ----------
    cs : ConfigurationSpace
        A space from ``build_space``.

    Returns
    -------
    dict
        Family name -> plain configuration dict.
    """
    model = cs["model"]
    assert isinstance(model, CategoricalHyperparameter)
    defaults = {hp.name: hp.default_value for hp in cs.values()}
    result = {}
    for family in map(str, model.choices):
        for encoder in _encoder_candidates(family, cs):
            values = {**defaults, "model": family}
            if encoder is not None:
                values["categorical_encoder"] = encoder
            repaired = repair_config(values, cs)
            if repaired is not None:
                result[family] = repaired
                break
    return result


def _encoder_candidates(family: str, cs: ConfigurationSpace) -> list[str | None]:
    if "categorical_encoder" not in cs:
        return [None]
    encoder = cs["categorical_encoder"]
    assert isinstance(encoder, CategoricalHyperparameter)
    wanted = [MODELS[family].default_encoder, "ordinal", "onehot"]
    return [name for name in wanted if name in encoder.choices]


def config_to_dict(config: Mapping[str, Any]) -> dict[str, Any]:
    """Convert a ``Configuration`` (or mapping) to a JSON-safe plain dict.

    Parameters
    ----------
    config : Configuration or mapping
        Only active hyperparameters are keys of a ``Configuration``.

    Returns
    -------
    dict
        Values as python ``str``, ``int``, ``float`` or ``bool``.
    """
    return {str(k): _plain(v) for k, v in config.items()}


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def component_params(values: Mapping[str, Any], kind: str, name: str) -> dict[str, Any]:
    """The hyperparameters of one component in a plain configuration, with
    their prefix (``"<kind>:<name>:"``) removed."""
    prefix = f"{kind}{DELIMITER}{name}{DELIMITER}"
    return {k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)}


def space_hash(cs: ConfigurationSpace) -> str:
    """Return a hash of the space that is stable across processes and runs.

    The sampler's seed is not part of it.
    """
    serialized = cs.to_serialized_dict()
    serialized.pop("name", None)
    text = json.dumps(serialized, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def with_generated_features(
    config: Mapping[str, Any], cs: ConfigurationSpace
) -> dict[str, Any] | None:
    """``config`` with the default feature generation (``combine``).

    Parameters
    ----------
    config : mapping
        A plain configuration dict of ``cs``.
    cs : ConfigurationSpace
        The space; it offers ``feature_generator`` only for the families that
        take generated features, on tables with columns to combine.

    Returns
    -------
    dict or None
        The repaired dict, or None where ``cs`` offers no feature generation
        for ``config``'s family.
    """
    repaired = repair_config({**config, "feature_generator": "combine"}, cs)
    if repaired is None or repaired.get("feature_generator") != "combine":
        return None
    return repaired


def repair_config(
    values: Mapping[str, Any], cs: ConfigurationSpace
) -> dict[str, Any] | None:
    """Fit a stored configuration to ``cs``: fill defaults, drop stale keys.

    Parameters
    ----------
    values : mapping
        A plain configuration dict, possibly from an older space.
    cs : ConfigurationSpace
        The current space.

    Returns
    -------
    dict or None
        The repaired plain dict, or None if a value is illegal in ``cs`` (an
        unknown family, a value out of range) or the result is forbidden.
    """
    defaults = {hp.name: hp.default_value for hp in cs.values()}
    known = {k: v for k, v in values.items() if k in defaults}
    try:
        config = deactivate_inactive_hyperparameters({**defaults, **known}, cs)
        config.check_valid_configuration()
    except (ValueError, TypeError, KeyError):
        return None
    return config_to_dict(config)
