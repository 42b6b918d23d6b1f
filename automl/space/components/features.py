"""Generated features for the tree boosters: arithmetic combinations of numeric
columns, target-encoded crosses of categorical columns, category frequencies.

AutoGluon's CPU portfolio gives many of its LightGBM configurations such a
stage with fixed choices; here they are hyperparameters of the search
(``feature_generator:combine:*``), active for the families that set
``ModelComponent.generated_features``.

The step runs after the column step, on its pandas output: numeric columns
are ``num__*``; a categorical column is ``cat__*`` holding codes (ordinal
encoding) or categories (native encoding). What to generate is chosen once,
at ``fit``, by a cheap univariate score on at most :data:`SCORE_ROWS` rows
(the absolute correlation with the target, or with each class's indicator):

* arithmetic: the best ``n_arithmetic`` of ``a + b``, ``a - b``, ``a * b``
  and ``a / b`` over the pairs of the best-scored numeric columns, counting
  only features that score above both of their parents;
* crosses: the pairs of the categorical columns with the fewest categories,
  encoded by scikit-learn's ``TargetEncoder``, which cross-fits on the
  training rows (a row's encoding never uses its own target);
* frequency: each categorical value's share of the training rows.

New rows get the same columns at ``predict`` time.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from ConfigSpace import Categorical, ConfigurationSpace, Float, Integer
from sklearn.base import BaseEstimator, TransformerMixin

from automl.data.types import DatasetProperties
from automl.space.components.base import (
    BuildContext,
    Params,
    TransformerComponent,
    round_int,
)
from automl.space.components.preprocessing import target_encoder

#: Rows the univariate scores are computed on.
SCORE_ROWS = 5_000
#: Numeric columns whose pairs are tried: the best-scored ones.
MAX_PARENTS = 10
#: Categorical columns with more values than this are not crossed.
MAX_CROSS_CARDINALITY = 200
OPERATIONS = ("+", "-", "*", "/")


class GeneratedFeatures(TransformerMixin, BaseEstimator):
    """Append generated columns to the column step's pandas output.

    Parameters
    ----------
    n_arithmetic : int, default=8
        Arithmetic combinations of numeric columns to add (at most).
    n_crosses : int, default=0
        Target-encoded crosses of two categorical columns to add (at most).
    frequency : bool, default=False
        Add each categorical column's value frequency.
    task : {"binary", "multiclass", "regression"}, default="binary"
        How the crosses are target-encoded.
    random_state : int, default=0
    """

    def __init__(
        self,
        n_arithmetic: int = 8,
        n_crosses: int = 0,
        frequency: bool = False,
        task: str = "binary",
        random_state: int = 0,
    ) -> None:
        self.n_arithmetic = n_arithmetic
        self.n_crosses = n_crosses
        self.frequency = frequency
        self.task = task
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> GeneratedFeatures:
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X: pd.DataFrame, y: Any = None, **_: Any) -> pd.DataFrame:
        y = np.asarray(y)
        sample = np.random.RandomState(self.random_state).permutation(len(X))
        sample = np.sort(sample[:SCORE_ROWS])
        signal = _signals(y[sample])
        numeric = [c for c in X.columns if str(c).startswith("num__")]
        self.arithmetic_ = _best_combinations(
            X.iloc[sample][numeric], signal, self.n_arithmetic
        )
        codes = [c for c in X.columns if _is_code_column(X[c])]
        self.frequencies_ = (
            {c: X[c].value_counts(normalize=True, dropna=False) for c in codes}
            if self.frequency
            else {}
        )
        self.crosses_ = _fewest_values_pairs(X, codes, self.n_crosses)
        self.cross_encoder_ = None
        crossed = self._crossed(X)
        new = self._arithmetic_and_frequency(X)
        if crossed is not None:
            self.cross_encoder_ = target_encoder(self.task, self.random_state)
            encoded = self.cross_encoder_.fit_transform(crossed, y)
            new = pd.concat([new, self._frame(encoded, X.index)], axis=1)
        return pd.concat([X, new], axis=1)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        new = self._arithmetic_and_frequency(X)
        crossed = self._crossed(X)
        if crossed is not None and self.cross_encoder_ is not None:
            encoded = self.cross_encoder_.transform(crossed)
            new = pd.concat([new, self._frame(encoded, X.index)], axis=1)
        return pd.concat([X, new], axis=1)

    def _arithmetic_and_frequency(self, X: pd.DataFrame) -> pd.DataFrame:
        columns = {
            f"gen__{a}{op}{b}": _combine(X[a], X[b], op)
            for a, op, b in self.arithmetic_
        }
        for c, shares in self.frequencies_.items():
            mapped = X[c].map(shares).astype(float)
            columns[f"gen__freq_{c}"] = mapped.fillna(0.0).to_numpy()
        return pd.DataFrame(columns, index=X.index)

    def _crossed(self, X: pd.DataFrame) -> pd.DataFrame | None:
        if not self.crosses_:
            return None
        return pd.DataFrame(
            {
                f"{a}|{b}": X[a].astype(str).str.cat(X[b].astype(str), sep="|")
                for a, b in self.crosses_
            },
            index=X.index,
        )

    def _frame(self, encoded: np.ndarray, index: pd.Index) -> pd.DataFrame:
        names = [f"gen__te{i}" for i in range(encoded.shape[1])]
        return pd.DataFrame(encoded, columns=names, index=index)


def _signals(y: np.ndarray) -> np.ndarray:
    """The target as columns to correlate with: itself, or class indicators."""
    if _is_float(y) or len(np.unique(y)) <= 2:
        return y.astype(float).reshape(-1, 1)
    return (y[:, None] == np.unique(y)[None, :]).astype(float)


def _is_float(y: np.ndarray) -> bool:
    return np.issubdtype(y.dtype, np.floating)


def _score(values: np.ndarray, signal: np.ndarray) -> float:
    """Largest absolute correlation of ``values`` with a column of ``signal``."""
    values = np.nan_to_num(np.asarray(values, dtype=float), posinf=0.0, neginf=0.0)
    std = values.std()
    if std == 0:
        return 0.0
    centred = (values - values.mean()) / std
    sig = signal - signal.mean(axis=0)
    norms = np.sqrt((sig**2).mean(axis=0))
    corr = (centred[:, None] * sig).mean(axis=0) / np.where(norms > 0, norms, 1.0)
    return float(np.max(np.abs(corr)))


def _combine(a: pd.Series, b: pd.Series, op: str) -> np.ndarray:
    left, right = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if op == "+":
            out = left + right
        elif op == "-":
            out = left - right
        elif op == "*":
            out = left * right
        else:
            out = np.where(right != 0, left / np.where(right != 0, right, 1.0), np.nan)
    return out


def _best_combinations(
    X: pd.DataFrame, signal: np.ndarray, n: int
) -> list[tuple[str, str, str]]:
    if n <= 0 or X.shape[1] < 2:
        return []
    parent = {c: _score(X[c].to_numpy(), signal) for c in X.columns}
    parents = sorted(parent, key=parent.__getitem__, reverse=True)[:MAX_PARENTS]
    scored = []
    for a, b in combinations(parents, 2):
        for op in OPERATIONS:
            score = _score(_combine(X[a], X[b], op), signal)
            if score > max(parent[a], parent[b]):
                scored.append((score, a, op, b))
    scored.sort(reverse=True)
    return [(a, op, b) for _, a, op, b in scored[:n]]


def _is_code_column(column: pd.Series) -> bool:
    """A categorical column of the column step: categories, or ordinal codes."""
    if not str(column.name).startswith("cat__"):
        return False
    if isinstance(column.dtype, pd.CategoricalDtype):
        return True
    values = column.dropna().to_numpy()
    return (
        np.issubdtype(values.dtype, np.number)
        and bool(np.all(np.mod(values, 1) == 0))
        and len(np.unique(values)) <= MAX_CROSS_CARDINALITY
    )


def _fewest_values_pairs(
    X: pd.DataFrame, codes: list[str], n: int
) -> list[tuple[str, str]]:
    if n <= 0 or len(codes) < 2:
        return []
    cardinality = {c: X[c].nunique(dropna=False) for c in codes}
    usable = [c for c in codes if 1 < cardinality[c] <= MAX_CROSS_CARDINALITY]
    pairs = sorted(
        combinations(usable, 2), key=lambda p: cardinality[p[0]] * cardinality[p[1]]
    )
    return pairs[:n]


# ---------------------------------------------------------------- components


class NoFeatureGeneration(TransformerComponent):
    """No generated features."""

    name = "none"


class FeatureCombination(TransformerComponent):
    """Arithmetic combinations, target-encoded crosses, frequencies."""

    name = "combine"

    @classmethod
    def search_space(cls, properties: DatasetProperties) -> ConfigurationSpace:
        cs = ConfigurationSpace()
        if properties.n_numeric >= 2:
            # Float, rounded: log-scaled integers trip SMAC's random forest.
            cs.add(Float("n_arithmetic", (1, 32), log=True, default=8))
        if properties.n_categorical >= 2:
            cs.add(Integer("n_crosses", (0, 8), default=2))
        if properties.n_categorical >= 1:
            cs.add(Categorical("frequency", [False, True], default=True))
        return cs

    @classmethod
    def build(cls, params: Params, ctx: BuildContext) -> Any:
        return GeneratedFeatures(
            n_arithmetic=round_int(params.get("n_arithmetic", 0), low=0),
            n_crosses=int(params.get("n_crosses", 0)),
            frequency=bool(params.get("frequency", False)),
            task=ctx.task,
            random_state=ctx.seed,
        )

    @classmethod
    def n_columns(cls, params: Params, properties: DatasetProperties) -> int:
        """Columns the step adds at most (crosses: one per class, multiclass)."""
        classes = properties.n_classes or 1
        per_cross = classes if classes > 2 else 1
        return (
            round_int(params.get("n_arithmetic", 0), low=0)
            + int(params.get("n_crosses", 0)) * per_cross
            + (properties.n_categorical if params.get("frequency") else 0)
        )
