"""Preprocessing components: imputers, categorical encoders, scalers, feature
preprocessors. Each ``build`` returns an unfitted transformer or None (no step).

Missing categorical values: one-hot and target encoding treat NaN as a category
of its own; ordinal encoding maps NaN to -2 and unseen categories (which the
data stage turns into NaN as well) to -1; ``native`` leaves NaN to the model.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from ConfigSpace import Categorical, ConfigurationSpace, Float, Integer
from sklearn.decomposition import PCA
from sklearn.feature_selection import SelectPercentile, f_classif, f_regression
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.preprocessing import (
    OneHotEncoder,
    OrdinalEncoder,
    QuantileTransformer,
    RobustScaler,
    StandardScaler,
    TargetEncoder,
)

from automl.data.types import DatasetProperties
from automl.space.components.base import BuildContext, Params, TransformerComponent

Split = tuple[np.ndarray, np.ndarray]

# ---------------------------------------------------------------- imputers


class MeanImputer(TransformerComponent):
    """Replace missing numeric values by the column mean."""

    name = "mean"

    @classmethod
    def build(cls, params: Params, ctx: BuildContext) -> Any:
        return SimpleImputer(strategy="mean", keep_empty_features=True)


class MedianImputer(TransformerComponent):
    """Replace missing numeric values by the column median."""

    name = "median"

    @classmethod
    def build(cls, params: Params, ctx: BuildContext) -> Any:
        return SimpleImputer(strategy="median", keep_empty_features=True)


# ---------------------------------------------------------------- encoders


class NativeEncoding(TransformerComponent):
    """Keep the ``category`` dtype for a model that consumes it natively."""

    name = "native"


class OneHotEncoding(TransformerComponent):
    """One column per frequent category; rare and unseen ones share a column."""

    name = "onehot"

    @classmethod
    def search_space(cls, properties: DatasetProperties) -> ConfigurationSpace:
        return ConfigurationSpace(
            {"max_categories": Integer("max_categories", (4, 64), default=20)}
        )

    @classmethod
    def build(cls, params: Params, ctx: BuildContext) -> Any:
        return OneHotEncoder(
            handle_unknown="infrequent_if_exist",
            max_categories=int(params.get("max_categories", 20)),
            min_frequency=_min_frequency(ctx.properties.n_rows),
            sparse_output=False,
        )


class OrdinalEncoding(TransformerComponent):
    """One integer per category; missing is -2, unseen is -1."""

    name = "ordinal"

    @classmethod
    def build(cls, params: Params, ctx: BuildContext) -> Any:
        return OrdinalEncoder(
            handle_unknown="use_encoded_value",
            unknown_value=-1,
            encoded_missing_value=-2,
        )


class TargetEncoding(TransformerComponent):
    """scikit-learn's cross-fitted ``TargetEncoder`` (one column per class)."""

    name = "target"

    @classmethod
    def search_space(cls, properties: DatasetProperties) -> ConfigurationSpace:
        return ConfigurationSpace(
            {"smooth": Float("smooth", (0.1, 100.0), log=True, default=10.0)}
        )

    @classmethod
    def build(cls, params: Params, ctx: BuildContext) -> Any:
        return target_encoder(ctx.task, ctx.seed, float(params.get("smooth", 10.0)))


def target_encoder(task: str, seed: int, smooth: float | str = "auto") -> TargetEncoder:
    """scikit-learn's ``TargetEncoder`` for ``task``, cross-fitting on 5 shuffled
    folds (fewer on tiny tables)."""
    if task == "regression":
        target_type, folds = "continuous", _AtMostKFold
    else:
        target_type, folds = task, _AtMostStratifiedKFold
    return TargetEncoder(
        target_type=target_type,
        smooth=smooth,
        cv=folds(n_splits=5, shuffle=True, random_state=seed),
    )


class _AtMostKFold(KFold):
    """``KFold`` with fewer folds (at least 2) when there are fewer rows than
    ``n_splits``: a training subset of a tiny table (scikit-learn raises)."""

    def split(self, X: Any, y: Any = None, groups: Any = None) -> Iterator[Split]:
        n_splits = max(2, min(self.n_splits, len(X)))
        folds = KFold(n_splits, shuffle=self.shuffle, random_state=self.random_state)
        return folds.split(X, y, groups)


class _AtMostStratifiedKFold(StratifiedKFold):
    """``StratifiedKFold`` with fewer folds when its largest class has fewer rows
    than ``n_splits`` (scikit-learn raises), plain k-fold below 2."""

    def split(self, X: Any, y: Any = None, groups: Any = None) -> Iterator[Split]:
        largest = int(np.unique(np.asarray(y), return_counts=True)[1].max())
        if largest < 2:
            folds = _AtMostKFold(
                self.n_splits, shuffle=self.shuffle, random_state=self.random_state
            )
            return folds.split(X, y, groups)
        n_splits = min(self.n_splits, largest)
        stratified = StratifiedKFold(
            n_splits, shuffle=self.shuffle, random_state=self.random_state
        )
        return stratified.split(X, y, groups)


def _min_frequency(n_rows: int) -> int:
    """Categories seen fewer times than this go to the infrequent column."""
    return max(1, min(10, n_rows // 200))


# ---------------------------------------------------------------- scalers


class NoScaling(TransformerComponent):
    """Leave the features as they are."""

    name = "none"


class StandardScaling(TransformerComponent):
    """Zero mean, unit variance."""

    name = "standard"

    @classmethod
    def build(cls, params: Params, ctx: BuildContext) -> Any:
        return StandardScaler()


class RobustScaling(TransformerComponent):
    """Median and interquartile range."""

    name = "robust"

    @classmethod
    def build(cls, params: Params, ctx: BuildContext) -> Any:
        return RobustScaler()


class QuantileScaling(TransformerComponent):
    """Map each feature to a uniform or normal distribution by its quantiles."""

    name = "quantile"

    @classmethod
    def search_space(cls, properties: DatasetProperties) -> ConfigurationSpace:
        return ConfigurationSpace(
            {
                "n_quantiles": Integer("n_quantiles", (10, 1000), default=1000),
                "output_distribution": Categorical(
                    "output_distribution", ["normal", "uniform"], default="normal"
                ),
            }
        )

    @classmethod
    def build(cls, params: Params, ctx: BuildContext) -> Any:
        n_quantiles = int(params.get("n_quantiles", 1000))
        return QuantileTransformer(
            n_quantiles=max(2, min(n_quantiles, ctx.properties.n_rows)),
            output_distribution=str(params.get("output_distribution", "normal")),
            subsample=100_000,
            random_state=ctx.seed,
        )


# ---------------------------------------------------------------- feature preprocessors


class NoFeaturePreprocessing(TransformerComponent):
    """Keep all features."""

    name = "none"


class PCAProjection(TransformerComponent):
    """Project onto the principal components that keep a share of the variance."""

    name = "pca"

    @classmethod
    def search_space(cls, properties: DatasetProperties) -> ConfigurationSpace:
        return ConfigurationSpace(
            {"keep_variance": Float("keep_variance", (0.5, 0.9999), default=0.95)}
        )

    @classmethod
    def build(cls, params: Params, ctx: BuildContext) -> Any:
        return PCA(
            n_components=float(params.get("keep_variance", 0.95)),
            svd_solver="full",
            random_state=ctx.seed,
        )


class SelectPercentileFeatures(TransformerComponent):
    """Keep the best percentile of features by a univariate F-test."""

    name = "select_percentile"

    @classmethod
    def search_space(cls, properties: DatasetProperties) -> ConfigurationSpace:
        return ConfigurationSpace(
            {"percentile": Float("percentile", (10.0, 90.0), default=50.0)}
        )

    @classmethod
    def build(cls, params: Params, ctx: BuildContext) -> Any:
        score = f_regression if ctx.task == "regression" else f_classif
        return SelectPercentile(score, percentile=float(params.get("percentile", 50)))
