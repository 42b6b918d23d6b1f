"""A model family added from outside the package: a decision tree with two
hyperparameters. Importing this module registers it (also in the workers,
which import it before their first trial)."""

from __future__ import annotations

from typing import Any

from ConfigSpace import ConfigurationSpace, Integer
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from automl.data.types import DatasetProperties
from automl.space import BuildContext, register_model
from automl.space.components.base import ModelComponent, Params


@register_model
class ToyTree(ModelComponent):
    """scikit-learn's decision tree."""

    name = "toy_tree"

    @classmethod
    def search_space(cls, properties: DatasetProperties) -> ConfigurationSpace:
        return ConfigurationSpace(
            {
                "max_depth": Integer("max_depth", (1, 12), default=4),
                "min_samples_leaf": Integer("min_samples_leaf", (1, 30), default=5),
            }
        )

    @classmethod
    def build(cls, params: Params, ctx: BuildContext) -> Any:
        tree = (
            DecisionTreeRegressor
            if ctx.task == "regression"
            else DecisionTreeClassifier
        )
        return tree(
            max_depth=int(params["max_depth"]),
            min_samples_leaf=int(params["min_samples_leaf"]),
            random_state=ctx.seed,
        )
