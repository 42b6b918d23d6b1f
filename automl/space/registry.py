"""The one place where components are registered.

Adding a model family is one small class in ``automl/space/components/`` and
one line in ``MODELS``. The order of ``MODELS`` is the order of preference:
the first available family that is selected is the space's default model.
"""

from __future__ import annotations

from collections.abc import Iterable

from automl.data.types import Task
from automl.space.components.base import ModelComponent, TransformerComponent
from automl.space.components.catboost import CatBoostModel
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
}

REGISTRY: dict[
    str, dict[str, type[ModelComponent]] | dict[str, type[TransformerComponent]]
]
REGISTRY = {"model": MODELS, **PREPROCESSORS}


def available_models() -> list[str]:
    """Return the registered families whose optional backends import."""
    return [name for name, component in MODELS.items() if component.available()]


def select_models(
    task: Task,
    include: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
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
    chosen = [
        name
        for name in available_models()
        if (include is None or name in include)
        and name not in exclude
        and task in MODELS[name].tasks
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
