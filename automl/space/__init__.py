"""Configuration space and component registry.

``select_models`` picks the model families, ``build_space`` builds one
conditional ConfigurationSpace over them, ``build_pipeline`` turns a plain
configuration dict into an unfitted scikit-learn Pipeline.
"""

from automl.space.build import (
    build_space,
    config_to_dict,
    family_defaults,
    repair_config,
    space_hash,
    with_generated_features,
)
from automl.space.components.base import BuildContext
from automl.space.pipeline import ModelClassifier, ModelRegressor, build_pipeline
from automl.space.registry import (
    MODELS,
    REGISTRY,
    available_models,
    register_model,
    select_models,
    unregister_model,
)

__all__ = [
    "MODELS",
    "REGISTRY",
    "BuildContext",
    "ModelClassifier",
    "ModelRegressor",
    "available_models",
    "build_pipeline",
    "build_space",
    "config_to_dict",
    "family_defaults",
    "register_model",
    "repair_config",
    "select_models",
    "space_hash",
    "unregister_model",
    "with_generated_features",
]
