"""The one place where components are registered.

Adding a model family is one small class: in ``automl/space/components/``
and one line in ``MODELS``, or in your own module with :func:`register_model`.
The order of ``MODELS`` is the order of preference: the first available
family that is selected is the space's default model.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from automl.data.types import Task
from automl.space.components.base import ModelComponent, TransformerComponent
from automl.space.components.catboost import CatBoostModel
from automl.space.components.features import FeatureCombination, NoFeatureGeneration
from automl.space.components.lightgbm import LightGBMModel
from automl.space.components.preprocessing import (
    MeanImputer,
    MedianImputer,
    NativeEncoding,
    NoFeaturePreprocessing,
    NoScaling,
    OneHotEncoding,
    OrdinalEncoding,
    PCAProjection,
    QuantileScaling,
    RobustScaling,
    SelectPercentileFeatures,
    StandardScaling,
    TargetEncoding,
)
from automl.space.components.sklearn_models import (
    ExtraTreesModel,
    HistGradientBoostingModel,
    KNeighborsModel,
    LinearModel,
    MLPModel,
    RandomForestModel,
)
from automl.space.components.text import (
    CharsTfidf,
    NgramTfidf,
    NoTextEncoding,
    WordsTfidf,
)
from automl.space.components.xgboost import XGBoostModel

MODELS: dict[str, type[ModelComponent]] = {
    "lightgbm": LightGBMModel,
    "catboost": CatBoostModel,
    "xgboost": XGBoostModel,
    "hist_gb": HistGradientBoostingModel,
    "random_forest": RandomForestModel,
    "extra_trees": ExtraTreesModel,
    "mlp": MLPModel,
    "linear": LinearModel,
    "knn": KNeighborsModel,
}

PREPROCESSORS: dict[str, dict[str, type[TransformerComponent]]] = {
    "numeric_imputer": {"median": MedianImputer, "mean": MeanImputer},
    "categorical_encoder": {
        "native": NativeEncoding,
        "onehot": OneHotEncoding,
        "ordinal": OrdinalEncoding,
        "target": TargetEncoding,
    },
    "scaler": {
        "standard": StandardScaling,
        "none": NoScaling,
        "robust": RobustScaling,
        "quantile": QuantileScaling,
    },
    "feature_preprocessor": {
        "none": NoFeaturePreprocessing,
        "pca": PCAProjection,
        "select_percentile": SelectPercentileFeatures,
    },
    "feature_generator": {"none": NoFeatureGeneration, "combine": FeatureCombination},
    "text_encoder": {
        "words": WordsTfidf,
        "chars": CharsTfidf,
        "none": NoTextEncoding,
        "ngrams": NgramTfidf,
    },
}

REGISTRY: dict[
    str, dict[str, type[ModelComponent]] | dict[str, type[TransformerComponent]]
]
REGISTRY = {"model": MODELS, **PREPROCESSORS}


#: Modules of the families added with :func:`register_model`, in order.
PLUGIN_MODULES: list[str] = []


def register_model(component: type[ModelComponent]) -> type[ModelComponent]:
    """Add a model family to the search (usable as a class decorator).

    Call it when the module defining ``component`` is imported: the worker
    processes import that module before their first trial (it must be
    importable there), which registers the family in them too.

    Parameters
    ----------
    component : type of ModelComponent
        With a ``name`` that no other family has.

    Returns
    -------
    The component, unchanged.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from automl.space.components.base import ModelComponent
    >>> class Tree(ModelComponent):
    ...     name = "doc_tree"
    ...     tasks = frozenset({"regression"})
    ...     @classmethod
    ...     def build(cls, params, ctx):
    ...         return DecisionTreeRegressor(random_state=ctx.seed)
    >>> _ = register_model(Tree)
    >>> "doc_tree" in MODELS
    True
    >>> unregister_model("doc_tree")
    """
    known = MODELS.get(component.name)
    if known is not None and known is not component:
        raise ValueError(
            f"A model family named {component.name!r} is registered already "
            f"({known.__module__}.{known.__qualname__}); choose another name."
        )
    MODELS[component.name] = component
    if component.__module__ not in PLUGIN_MODULES:
        PLUGIN_MODULES.append(component.__module__)
    return component


def unregister_model(name: str) -> None:
    """Remove a family added with :func:`register_model`."""
    component = MODELS.pop(name)
    others = [c.__module__ for c in MODELS.values()]
    if component.__module__ in PLUGIN_MODULES and component.__module__ not in others:
        PLUGIN_MODULES.remove(component.__module__)


def import_plugins(modules: Iterable[str]) -> None:
    """Import the modules of registered families (in a worker process)."""
    for module in modules:
        importlib.import_module(module)


def available_models() -> list[str]:
    """Return the registered families whose optional backends import."""
    return [name for name, component in MODELS.items() if component.available()]


def select_models(
    task: Task,
    include: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
    *,
    weighted: bool = False,
    quantile: bool = False,
) -> list[str]:
    """Return the names of the model families to search for ``task``.

    Parameters
    ----------
    task : {"binary", "multiclass", "regression"}
        The learning task.
    include : iterable of str or None, default=None
        Families to keep (all when None), in registry order.
    exclude : iterable of str or None, default=None
        Families to drop.
    weighted : bool, default=False
        Keep only the families that train on sample weights (``fit`` got
        ``sample_weight``): a family that ignored them would fit another
        problem than the one scored.
    quantile : bool, default=False
        Keep only the families with a quantile objective (quantile regression).

    Returns
    -------
    list of str
        The available families that handle ``task``, in order of preference.

    Raises
    ------
    ValueError
        If a name is not a registered family, if an included family's backend
        is not installed, or if no family is left.
    """
    include = None if include is None else _check_names(include, "include")
    exclude = set() if exclude is None else set(_check_names(exclude, "exclude"))
    missing = [n for n in include or () if not MODELS[n].available()]
    if missing:
        raise ValueError(
            f"Model families {missing} in include are not installed "
            f"(their backends {[MODELS[n].requires for n in missing]} do not import)."
        )
    unweighted = [n for n in include or () if not MODELS[n].supports_sample_weight]
    if weighted and unweighted:
        raise ValueError(
            f"Model families {unweighted} in include cannot train on sample "
            "weights; leave them out of include, or fit without sample_weight."
        )
    no_quantile = [n for n in include or () if not MODELS[n].quantile_objective]
    if quantile and no_quantile:
        raise ValueError(
            f"Model families {no_quantile} in include have no quantile objective; "
            "leave them out of include for quantile regression."
        )
    chosen = [
        name
        for name in available_models()
        if (include is None or name in include)
        and name not in exclude
        and task in MODELS[name].tasks
        and (MODELS[name].supports_sample_weight or not weighted)
        and (MODELS[name].quantile_objective or not quantile)
    ]
    if not chosen:
        raise ValueError(
            f"No model family is left for task {task!r} with include={include} "
            f"and exclude={sorted(exclude)}; available: {available_models()}."
        )
    return chosen


def _check_names(names: Iterable[str], argument: str) -> list[str]:
    if isinstance(names, str):
        names = [names]
    names = list(names)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise ValueError(
            f"Unknown model families {unknown} in {argument}; "
            f"valid names are {list(MODELS)}."
        )
    return names
