"""The component registry and model selection."""

from __future__ import annotations

import pytest

from automl.data.types import TASKS
from automl.space import MODELS, REGISTRY, available_models, select_models
from tests.test_space.datasets import make_dataset

ALL_FAMILIES = [
    "lightgbm",
    "catboost",
    "xgboost",
    "hist_gb",
    "random_forest",
    "extra_trees",
    "mlp",
    "linear",
    "knn",
]


def test_registry_holds_every_family_under_its_own_name() -> None:
    assert list(MODELS) == ALL_FAMILIES
    assert REGISTRY["model"] is MODELS
    for kind, components in REGISTRY.items():
        for name, component in components.items():
            assert component.name == name, (kind, name)


def test_all_backends_are_installed_here() -> None:
    assert available_models() == ALL_FAMILIES


def test_select_models_prefers_lightgbm(task: str) -> None:
    assert select_models(task)[0] == "lightgbm"
    assert select_models(task) == ALL_FAMILIES


def test_include_and_exclude() -> None:
    assert select_models("binary", include=["knn", "lightgbm"]) == ["lightgbm", "knn"]
    assert select_models("binary", include="linear") == ["linear"]
    chosen = select_models("regression", exclude=["lightgbm", "catboost"])
    assert "lightgbm" not in chosen and "catboost" not in chosen
    assert chosen[0] == "xgboost"


@pytest.mark.parametrize("argument", ["include", "exclude"])
def test_unknown_family_lists_valid_names(argument: str) -> None:
    with pytest.raises(ValueError, match=r"Unknown model families \['svm'\].*lightgbm"):
        select_models("binary", **{argument: ["svm"]})


def test_empty_selection_is_an_error() -> None:
    with pytest.raises(ValueError, match="No model family is left"):
        select_models("binary", include=["knn"], exclude=["knn"])


@pytest.mark.parametrize("family", ALL_FAMILIES)
def test_fidelity_names_a_hyperparameter_of_the_family(family: str) -> None:
    component = MODELS[family]
    for task in TASKS:
        assert task in component.tasks
        space = component.search_space(make_dataset(task).properties)
        if component.fidelity is not None:
            assert component.fidelity in space
    assert component.fidelity in {"n_estimators", "max_iter", None}
