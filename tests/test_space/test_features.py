"""Generated features: what they find, how they encode, and that they fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

from automl.space import MODELS, build_space, family_defaults
from automl.space.components.features import GeneratedFeatures
from automl.space.memory import estimate_memory_mb
from tests.test_space.datasets import make_dataset
from tests.test_space.test_pipeline import fit_and_check, with_unseen_and_missing

BOOSTERS = [name for name, family in MODELS.items() if family.generated_features]


def _combine_everything(cs) -> dict[str, object]:
    params = {
        name: cs[name].upper if hasattr(cs[name], "upper") else True
        for name in cs
        if name.startswith("feature_generator:combine:")
    }
    return {"feature_generator": "combine", **params}


def test_the_boosters_take_generated_features() -> None:
    assert set(BOOSTERS) >= {"lightgbm", "xgboost", "catboost", "hist_gb"}
    assert not {"linear", "knn", "mlp"} & set(BOOSTERS)


@pytest.mark.parametrize("family", BOOSTERS)
def test_each_booster_fits_and_predicts_with_every_generated_feature(
    family: str,
) -> None:
    data = make_dataset("multiclass", categorical=True, missing=True)
    cs = build_space(data.properties, [family])
    base = family_defaults(cs)[family]
    for encoder in cs["categorical_encoder"].choices:
        values = {**base, "categorical_encoder": encoder, **_combine_everything(cs)}
        pipe = fit_and_check(values, data)
        assert "features" in pipe.named_steps
        proba = pipe.predict_proba(with_unseen_and_missing(data.X))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_a_planted_product_is_found() -> None:
    X, _ = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:, :8].add_prefix("num__")
    a, b = "num__mean radius", "num__mean texture"
    product = X[a] * X[b]
    y = (product > product.median()).to_numpy().astype(np.int64)
    generated = GeneratedFeatures(n_arithmetic=3).fit(X, y)
    assert (a, "*", b) in generated.arithmetic_ or (b, "*", a) in generated.arithmetic_
    out = generated.transform(X.head(5))
    assert list(out.columns[: X.shape[1]]) == list(X.columns)
    assert out.shape[1] == X.shape[1] + len(generated.arithmetic_)


def test_crosses_are_encoded_without_a_row_seeing_its_own_target() -> None:
    data = make_dataset("binary", categorical=True, n_rows=None)
    codes = {
        f"cat__{c}": data.X[c].cat.codes.astype(float)
        for c in data.X.select_dtypes("category").columns
    }
    X = pd.DataFrame(codes).assign(num__a=data.X.iloc[:, 0].to_numpy())
    generated = GeneratedFeatures(n_arithmetic=0, n_crosses=1, frequency=True)
    fitted = generated.fit_transform(X, data.y)
    again = generated.transform(X)
    assert generated.crosses_
    cross = [c for c in fitted.columns if c.startswith("gen__te")]
    assert cross
    # Cross-fitted on the training rows, fitted on all of them for new rows.
    assert not np.allclose(fitted[cross].to_numpy(), again[cross].to_numpy())
    frequency = [c for c in fitted.columns if c.startswith("gen__freq_")]
    assert len(frequency) == len(codes)
    np.testing.assert_allclose(
        fitted[frequency].to_numpy(), again[frequency].to_numpy()
    )


def test_generated_columns_count_in_the_memory_estimate() -> None:
    data = make_dataset("binary", categorical=True)
    cs = build_space(data.properties, ["lightgbm"])
    base = family_defaults(cs)["lightgbm"]
    plain = estimate_memory_mb(base, data.properties, 100_000)
    generated = estimate_memory_mb(
        {**base, **_combine_everything(cs)}, data.properties, 100_000
    )
    assert generated > plain
