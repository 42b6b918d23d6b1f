"""The conditional configuration space and its helpers."""

from __future__ import annotations

import dataclasses
import json
import pickle
import subprocess
import sys

import pytest
from ConfigSpace import Configuration, UniformIntegerHyperparameter

from automl.space import (
    MODELS,
    build_space,
    config_to_dict,
    family_defaults,
    repair_config,
    select_models,
    space_hash,
    with_generated_features,
)
from tests.test_space.datasets import make_dataset

NON_NATIVE = [name for name, c in MODELS.items() if not c.native_categorical]
SCALED = {name for name, c in MODELS.items() if c.needs_scaling}


def test_default_is_lightgbm_and_valid(task: str) -> None:
    data = make_dataset(task, categorical=True, missing=True)
    cs = build_space(data.properties, select_models(task))
    default = cs.get_default_configuration()
    default.check_valid_configuration()
    assert default["model"] == "lightgbm"
    assert default["categorical_encoder"] == "native"
    assert "scaler" not in default and "numeric_imputer" not in default


def test_default_encoder_without_native_family() -> None:
    data = make_dataset("binary", categorical=True)
    cs = build_space(data.properties, ["random_forest", "linear"])
    assert "native" not in cs["categorical_encoder"].choices
    assert cs.get_default_configuration()["categorical_encoder"] == "ordinal"


def test_choices_exist_only_where_the_data_needs_them() -> None:
    plain = make_dataset("regression")
    names = set(build_space(plain.properties, select_models("regression")))
    assert not names & {"numeric_imputer", "categorical_encoder", "class_weight"}
    assert {"scaler", "feature_preprocessor"} <= names
    rich = make_dataset("binary", categorical=True, missing=True)
    names = set(build_space(rich.properties, select_models("binary")))
    assert {"numeric_imputer", "categorical_encoder", "class_weight"} <= names


def test_trees_only_space_has_no_scaler_or_imputer() -> None:
    data = make_dataset("binary", missing=True)
    names = set(build_space(data.properties, ["lightgbm", "random_forest"]))
    assert not names & {"scaler", "feature_preprocessor", "numeric_imputer"}


def test_native_never_sampled_for_non_native_families() -> None:
    data = make_dataset("multiclass", categorical=True, missing=True)
    cs = build_space(data.properties, select_models("multiclass"), seed=1)
    configs = cs.sample_configuration(600)
    native_models = {
        c["model"] for c in configs if c["categorical_encoder"] == "native"
    }
    assert native_models and not native_models & set(NON_NATIVE)


def test_conditional_activity() -> None:
    data = make_dataset("binary", categorical=True, missing=True)
    cs = build_space(data.properties, select_models("binary"), seed=2)
    for config in cs.sample_configuration(300):
        family = config["model"]
        assert ("scaler" in config) == (family in SCALED)
        assert ("feature_preprocessor" in config) == (family in SCALED)
        assert ("numeric_imputer" in config) == (family in SCALED)
        assert ("class_weight" in config) == (family != "knn")
        assert all(k.split(":")[1] == family for k in config if k.startswith("model:"))


def test_hist_gb_native_forbidden_above_max_bins() -> None:
    data = make_dataset("binary", categorical=True)
    wide = dataclasses.replace(data.properties, max_cardinality=300)
    cs = build_space(wide, ["hist_gb", "lightgbm"])
    configs = cs.sample_configuration(300)
    assert not any(
        c["model"] == "hist_gb" and c["categorical_encoder"] == "native"
        for c in configs
    )
    assert family_defaults(cs)["hist_gb"]["categorical_encoder"] == "ordinal"
    only_hgb = build_space(wide, ["hist_gb"])
    assert "native" not in only_hgb["categorical_encoder"].choices


def test_no_log_integers() -> None:
    data = make_dataset("binary", categorical=True, missing=True)
    cs = build_space(data.properties, select_models("binary"))
    for hp in cs.values():
        assert not (isinstance(hp, UniformIntegerHyperparameter) and hp.log), hp.name


def test_config_to_dict_is_json_safe_and_pickle_stable() -> None:
    data = make_dataset("binary", categorical=True, missing=True)
    cs = build_space(data.properties, select_models("binary"))
    for config in cs.sample_configuration(50):
        values = config_to_dict(config)
        assert json.loads(json.dumps(values)) == values
        assert Configuration(cs, values=values) == config
        assert pickle.loads(pickle.dumps(config)) == config


def test_space_hash_is_stable_and_discriminates() -> None:
    props = make_dataset("binary", categorical=True).properties
    first = space_hash(build_space(props, select_models("binary"), seed=0))
    assert first == space_hash(build_space(props, select_models("binary"), seed=7))
    assert first != space_hash(build_space(props, ["lightgbm", "linear"]))
    code = (
        "from automl.space import build_space, select_models, space_hash;"
        "from tests.test_space.datasets import make_dataset;"
        "p = make_dataset('binary', categorical=True).properties;"
        "print(space_hash(build_space(p, select_models('binary'))))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert other.stdout.strip() == first


def test_repair_config() -> None:
    data = make_dataset("binary", categorical=True, missing=True)
    cs = build_space(data.properties, select_models("binary"))
    stale = {
        "model": "linear",
        "model:linear:C": 3.0,
        "model:lightgbm:num_leaves": 40.0,
        "model:svm:gamma": 0.1,
        "categorical_encoder": "onehot",
    }
    repaired = repair_config(stale, cs)
    assert repaired is not None
    assert "model:lightgbm:num_leaves" not in repaired
    assert "model:svm:gamma" not in repaired
    assert repaired["model:linear:C"] == 3.0
    assert repaired["scaler"] == "standard"  # filled with the default
    Configuration(cs, values=repaired).check_valid_configuration()
    assert repair_config({"model": "svm"}, cs) is None
    assert repair_config({"model": "linear", "model:linear:C": -1.0}, cs) is None
    assert repair_config({"model": "knn", "categorical_encoder": "native"}, cs) is None


def test_family_defaults_cover_every_family(task: str) -> None:
    data = make_dataset(task, categorical=True, missing=True)
    cs = build_space(data.properties, select_models(task))
    defaults = family_defaults(cs)
    assert list(defaults) == select_models(task)
    assert defaults["random_forest"]["categorical_encoder"] == "ordinal"
    assert defaults["catboost"]["categorical_encoder"] == "native"


def test_generated_features_join_the_defaults_of_the_families_that_take_them() -> None:
    data = make_dataset("binary", categorical=True, missing=True)
    cs = build_space(data.properties, select_models("binary"))
    defaults = family_defaults(cs)
    generated = with_generated_features(defaults["lightgbm"], cs)
    assert generated is not None and generated["feature_generator"] == "combine"
    assert {k: v for k, v in generated.items() if "feature_generator" not in k} == {
        k: v for k, v in defaults["lightgbm"].items() if "feature_generator" not in k
    }
    Configuration(cs, values=generated).check_valid_configuration()
    assert with_generated_features(defaults["linear"], cs) is None
    one_column = dataclasses.replace(data.properties, n_numeric=1, n_categorical=0)
    bare = build_space(one_column, select_models("binary"))  # nothing to combine
    assert with_generated_features(family_defaults(bare)["lightgbm"], bare) is None


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_small_data_keeps_ranges_valid(task: str) -> None:
    data = make_dataset(task, n_rows=6)
    cs = build_space(data.properties, select_models(task))
    cs.get_default_configuration().check_valid_configuration()
    assert cs["model:knn:n_neighbors"].upper == 3
