"""Free-text columns as numbers: text statistics, and TF-IDF n-grams reduced
by a truncated SVD (latent semantic analysis).

Three encoders, a choice of the search beside ``none`` (the n-grams left
out, the repeated texts' levels kept: at 60 s the n-grams did worse than the
levels alone on movielens and tate_text, one run each):

* ``words``: TF-IDF of word unigrams and bigrams (AutoGluon's
  ``TextNgramFeatureGenerator`` counts word n-grams too), for prose.
* ``chars``: TF-IDF of character 3- and 4-grams within word boundaries,
  which is what skrub's ``StringEncoder`` does; robust to typos,
  inflections and short phrases (titles, materials, addresses).
* ``ngrams``: the TF-IDF of the ``TOP_NGRAMS`` most frequent word 1-2-grams
  as columns of their own, for trees to split on single words (AutoGluon
  keeps up to 10,000 n-gram counts; on 4,543 tweets its 0.962 AUC against
  ours' 0.937 with the SVD alone).

``words`` and ``chars`` reduce the n-grams to ``N_COMPONENTS`` dense columns
with scikit-learn's ``TruncatedSVD`` (skrub's default size too). Each adds
cheap statistics of the text (AutoGluon's ``TextSpecialFeatureGenerator``):
characters, words, capitals, digits and punctuation. All are fitted on at
most ``MAX_FIT_ROWS``
rows, so a large table's encoder costs a bounded time and memory; every row
is transformed.

The encoding does not depend on the target, and a search fits it on the same
fold rows trial after trial (1-2 s of CPU per fold on 4,000 titles: most of
a small table's trial). Each worker process therefore keeps the last
``CACHE_SIZE`` fitted encoders and encoded columns, keyed by a digest of the
texts; a fitted model holds its own vectorizer and SVD and needs no cache.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from automl.data.types import DatasetProperties
from automl.space.components.base import BuildContext, Params, TransformerComponent

#: Dense columns the n-grams are reduced to, per text column.
N_COMPONENTS = 30
#: N-grams kept as columns of their own by ``ngrams``, per text column.
TOP_NGRAMS = 200
#: Rows the vocabulary and the SVD are fitted on at most.
MAX_FIT_ROWS = 20_000
#: Vocabulary size at most (the most frequent n-grams).
MAX_FEATURES = 50_000
#: Fitted encoders and encoded columns each process keeps (least recently
#: used out first).
CACHE_SIZE = 32
_CACHE: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
#: Statistics of each text, in output order.
STATISTICS: dict[str, str] = {
    "chars": r"[\s\S]",
    "words": r"\S+",
    "capitals": r"[A-Z]",
    "digits": r"\d",
    "punctuation": r"[^\w\s]",
}


class TextEncoder(TransformerMixin, BaseEstimator):
    """One text column to statistics and ``n_components`` SVD columns.

    Parameters
    ----------
    analyzer : {"word", "char_wb"}, default="word"
        Word 1-2-grams, or character 3-4-grams within word boundaries.
    n_components : int, default=30
        SVD columns (fewer when the vocabulary or the rows are fewer).
    max_fit_rows : int, default=20_000
        The vocabulary and the SVD are fitted on a random sample of at most
        this many rows.
    random_state : int, default=0
    top_ngrams : int, default=0
        When positive, no SVD: the TF-IDF of this many most frequent n-grams
        are the columns.
    """

    def __init__(
        self,
        analyzer: str = "word",
        n_components: int = N_COMPONENTS,
        max_fit_rows: int = MAX_FIT_ROWS,
        random_state: int = 0,
        top_ngrams: int = 0,
    ) -> None:
        self.analyzer = analyzer
        self.n_components = n_components
        self.max_fit_rows = max_fit_rows
        self.random_state = random_state
        self.top_ngrams = top_ngrams

    def fit(self, X: Any, y: Any = None) -> TextEncoder:
        """Learn the vocabulary and the SVD on (a sample of) the texts."""
        texts = _texts(X)
        self.fit_key_ = (
            _digest(texts),
            self.analyzer,
            self.n_components,
            self.max_fit_rows,
            self.random_state,
            self.top_ngrams,
        )
        self.vectorizer_, self.svd_ = _cached(
            ("fit", *self.fit_key_), lambda: self._fit(texts)
        )
        return self

    def _fit(self, texts: np.ndarray) -> tuple[Any, TruncatedSVD | None]:
        if len(texts) > self.max_fit_rows:
            rng = np.random.RandomState(self.random_state)
            texts = texts[rng.choice(len(texts), self.max_fit_rows, replace=False)]
        ngrams = (1, 2) if self.analyzer == "word" else (3, 4)
        vectorizer = TfidfVectorizer(
            analyzer=self.analyzer,
            ngram_range=ngrams,
            max_features=self.top_ngrams or MAX_FEATURES,
            sublinear_tf=True,
            dtype=np.float32,
        )
        try:
            tfidf = vectorizer.fit_transform(texts)
        except ValueError:  # no n-gram at all (empty or one-letter texts)
            return None, None
        if self.top_ngrams:
            return vectorizer, None
        k = min(self.n_components, tfidf.shape[1] - 1, tfidf.shape[0] - 1)
        if k < 1:
            return vectorizer, None
        return vectorizer, TruncatedSVD(k, random_state=self.random_state).fit(tfidf)

    def transform(self, X: Any) -> np.ndarray:
        """Statistics, then the SVD columns, of each text."""
        check_is_fitted(self, "svd_")
        texts = _texts(X)
        key = ("transform", *self.fit_key_, _digest(texts))
        return _cached(key, lambda: self._transform(texts)).copy()

    def _transform(self, texts: np.ndarray) -> np.ndarray:
        series = pd.Series(texts, dtype=object)
        columns = [
            series.str.count(p).to_numpy(np.float64) for p in STATISTICS.values()
        ]
        stats = np.column_stack(columns)
        if self.vectorizer_ is None:
            return stats
        tfidf = self.vectorizer_.transform(texts)
        if self.top_ngrams:
            return np.hstack([stats, tfidf.toarray().astype(np.float64)])
        if self.svd_ is None:
            return stats
        reduced = self.svd_.transform(tfidf)
        return np.hstack([stats, reduced.astype(np.float64)])

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns."""
        check_is_fitted(self, "svd_")
        if self.top_ngrams and self.vectorizer_ is not None:
            n = len(self.vectorizer_.vocabulary_)
            names = [*STATISTICS, *(f"ngram{i}" for i in range(n))]
            return np.asarray(names, dtype=object)
        n = 0 if self.svd_ is None else self.svd_.n_components
        names = [*STATISTICS, *(f"svd{i}" for i in range(n))]
        return np.asarray(names, dtype=object)


def _cached(key: tuple[Any, ...], make: Any) -> Any:
    """``make()``, or what it returned for ``key`` before (module docstring)."""
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    value = make()
    _CACHE[key] = value
    if len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return value


def _digest(texts: np.ndarray) -> str:
    joined = "\x1f".join(texts).encode("utf-8", "surrogatepass")
    return hashlib.sha1(joined, usedforsecurity=False).hexdigest()


def _texts(X: Any) -> np.ndarray:
    """The texts of a column (a frame of one column, a series or a 1-d array);
    missing values become empty texts."""
    values = X.iloc[:, 0] if isinstance(X, pd.DataFrame) else pd.Series(np.ravel(X))
    return values.fillna("").astype(str).to_numpy(dtype=object)


class NoTextEncoding(TransformerComponent):
    """The text columns' n-grams left out: only a text's levels, where texts
    repeat (``<name>__level``), reach the model."""

    name = "none"


class _Tfidf(TransformerComponent):
    """A ``TextEncoder`` with the subclass's analyzer."""

    analyzer: ClassVar[str] = "word"

    @classmethod
    def build(cls, params: Params, ctx: BuildContext) -> Any:
        return TextEncoder(cls.analyzer, random_state=ctx.seed)

    @classmethod
    def n_columns(cls, params: Params, properties: DatasetProperties) -> int:
        return properties.n_text * (N_COMPONENTS + len(STATISTICS))


class WordsTfidf(_Tfidf):
    """TF-IDF of word 1-2-grams, SVD to 30 columns, and text statistics."""

    name = "words"


class CharsTfidf(_Tfidf):
    """TF-IDF of character 3-4-grams (skrub's ``StringEncoder``), SVD to 30
    columns, and text statistics."""

    name = "chars"
    analyzer = "char_wb"


class NgramTfidf(TransformerComponent):
    """TF-IDF of the 200 most frequent word 1-2-grams as columns, and text
    statistics."""

    name = "ngrams"

    @classmethod
    def build(cls, params: Params, ctx: BuildContext) -> Any:
        return TextEncoder("word", top_ngrams=TOP_NGRAMS, random_state=ctx.seed)

    @classmethod
    def n_columns(cls, params: Params, properties: DatasetProperties) -> int:
        return properties.n_text * (TOP_NGRAMS + len(STATISTICS))
