"""Free-text columns: detected (or named in ``column_types``), encoded by the
pipeline, and what a model learns from."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from automl import AutoClassifier
from automl.data import FeatureTyper
from automl.data.columns import looks_like_text
from automl.space.components.text import STATISTICS, TextEncoder

FAST = {"time_limit": 30, "max_trials": 3, "n_jobs": 1, "meta_learning": False}


def _reports() -> tuple[pd.DataFrame, np.ndarray]:
    """Breast cancer cells described in words: the measurements only reach
    the model through the text (each report is unique: it names its slide)."""
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)

    def words(column: str, scale: tuple[str, str, str]) -> np.ndarray:
        terciles = pd.qcut(X[column], 3, labels=False).to_numpy()
        return np.asarray(scale, dtype=object)[terciles]

    size = words("worst radius", ("small", "midsize", "large"))
    texture = words("worst texture", ("smooth", "grainy", "rough"))
    border = words("worst concave points", ("regular", "dented", "irregular"))
    text = [
        f"A {s} {t} cell with a {b} border, seen on slide {i}."
        for i, (s, t, b) in enumerate(zip(size, texture, border, strict=True))
    ]
    return pd.DataFrame({"report": text, "lab": np.arange(len(y)) % 3}), y.to_numpy()


def test_free_text_is_told_from_category_levels() -> None:
    X, _ = _reports()
    assert looks_like_text(X["report"])
    levels = pd.Series(["red", "green", "blue"] * 100)
    assert not looks_like_text(levels)  # one word each, few distinct
    assert not looks_like_text(X["report"].astype("category"))  # declared levels
    assert not looks_like_text(pd.Series([f"user {i}" for i in range(300)]))  # ids
    names = pd.Series([f"Smith, Mrs. Anne {i}" for i in range(300)])
    assert not looks_like_text(names)  # short, unique: names and titles
    assert not looks_like_text(pd.Series(np.arange(300.0)))
    # Titles each rated by many rows: levels, though phrases (a movie's title).
    titles = pd.Series([f"The {w} of the night" for w in ("fall", "rise")] * 150)
    assert not looks_like_text(pd.concat([titles, X["report"].iloc[:200]]))
    assert looks_like_text(pd.concat([titles.iloc[:100], X["report"].iloc[:200]]))


def test_the_typer_keeps_text_as_strings_and_column_types_overrides_it() -> None:
    X, _ = _reports()
    typer = FeatureTyper().fit(X)
    assert typer.columns_.text == ("report",) and typer.kinds_["report"] == "text"
    typed = typer.transform(X.assign(report=X["report"].where(X.index != 0)))
    assert typed["report"].iloc[1] == X["report"].iloc[1]
    assert pd.isna(typed["report"].iloc[0])
    forced = FeatureTyper(column_types={"report": "categorical", "lab": "text"}).fit(X)
    assert forced.columns_.categorical == ("report", "lab__level")
    assert forced.columns_.text == ("lab",)


def test_repeated_texts_also_keep_their_levels() -> None:
    X, _ = _reports()
    stripped = X["report"].str.replace(r", seen on slide \d+", "", regex=True)
    # A third of the rows share 27 texts; the others are unique.
    repeated = X.assign(report=stripped.where(X.index % 3 == 0, X["report"]))
    typer = FeatureTyper().fit(repeated)
    assert typer.columns_.text == ("report",)
    assert typer.columns_.categorical == ("report__level",)
    typed = typer.transform(repeated)
    assert typed["report__level"].iloc[0] == repeated["report"].iloc[0]
    assert FeatureTyper().fit(X).columns_.categorical == ()  # every text unique
    # Every row's text repeated: a categorical only.
    levels = FeatureTyper().fit(X.assign(report=stripped))
    assert levels.columns_.text == () and "report" in levels.columns_.categorical


@pytest.mark.parametrize(
    ("column_types", "message"),
    [
        ({"report": "prose"}, "unknown kinds"),
        ({"review": "text"}, "does not have: \\['review'\\]"),
        (["report"], "dict from column name to kind"),
    ],
)
def test_bad_column_types_say_what_to_do(column_types, message) -> None:
    X, _ = _reports()
    with pytest.raises((ValueError, TypeError), match=message):
        FeatureTyper(column_types=column_types).fit(X)


@pytest.mark.parametrize("analyzer", ["word", "char_wb"])
def test_the_text_encoder_gives_statistics_and_svd_columns(analyzer) -> None:
    X, _ = _reports()
    encoder = TextEncoder(analyzer, n_components=8, max_fit_rows=100)
    out = encoder.fit(X[["report"]]).transform(X[["report"]])
    names = list(encoder.get_feature_names_out())
    assert out.shape == (len(X), len(STATISTICS) + 8) and len(names) == out.shape[1]
    assert names[: len(STATISTICS)] == list(STATISTICS)
    words = out[:, names.index("words")]
    assert words.min() >= 10  # "A small smooth cell with a regular border, ..."
    assert np.isfinite(out).all() and out[:, len(STATISTICS) :].std(axis=0).min() > 0
    assert len(encoder.vectorizer_.vocabulary_) < 2_000  # fitted on 100 rows


def test_the_ngrams_encoder_keeps_the_most_frequent_ngrams_as_columns() -> None:
    X, _ = _reports()
    encoder = TextEncoder("word", top_ngrams=12).fit(X[["report"]])
    out = encoder.transform(X[["report"]])
    names = list(encoder.get_feature_names_out())
    assert out.shape == (len(X), len(STATISTICS) + 12) and len(names) == 12 + 5
    assert names[len(STATISTICS)] == "ngram0" and not hasattr(encoder.svd_, "transform")
    vocabulary = encoder.vectorizer_.vocabulary_
    assert {"cell", "border"} <= set(vocabulary)  # in every report
    column = out[:, len(STATISTICS) + vocabulary["cell"]]
    assert (column > 0).all()


def test_texts_without_any_ngram_give_statistics_only() -> None:
    blank = pd.DataFrame({"t": [None, "", "a", None]})
    out = TextEncoder().fit(blank).transform(blank)
    assert out.shape == (4, len(STATISTICS))
    np.testing.assert_array_equal(out[:, 0], [0, 0, 1, 0])


def test_text_variants_follow_the_first_seeds_of_two_families() -> None:
    from automl.data.properties import dataset_properties
    from automl.metalearning.warm_start import with_text_variants
    from automl.space import build_space, family_defaults

    def space_of(X: pd.DataFrame, models: list[str]):
        typer = FeatureTyper().fit(X)
        properties = dataset_properties(
            typer.transform(X), typer.columns_, task="binary", n_classes=2
        )
        return build_space(properties, models=models)

    X, _ = _reports()
    space = space_of(X, ["lightgbm", "linear", "knn"])
    defaults = family_defaults(space)
    seeds = [("default", defaults[f]) for f in ("linear", "linear", "lightgbm", "knn")]
    seeds[1] = ("portfolio", {**seeds[1][1], "model:linear:C": 0.5})
    varied = with_text_variants(seeds, space)
    # linear, its 3 variants, the second linear, lightgbm, its 3 variants, knn
    assert [c["model"] for _, c in varied] == [
        *["linear"] * 5,
        *["lightgbm"] * 4,
        "knn",
    ]
    assert varied[0] == seeds[0] and varied[4] == seeds[1] and varied[5] == seeds[2]
    for start in (0, 5):
        group = varied[start : start + 4]
        assert {c["text_encoder"] for _, c in group} == {
            "words",
            "chars",
            "none",
            "ngrams",
        }
        assert all(origin == "text variant" for origin, _ in group[1:])
    plain = space_of(X[["lab"]], ["lightgbm"])
    plain_seeds = [("default", c) for c in family_defaults(plain).values()]
    assert with_text_variants(plain_seeds, plain) == plain_seeds


@pytest.mark.slow
def test_a_fit_learns_from_free_text() -> None:
    X, y = _reports()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, random_state=0, stratify=y
    )
    clf = AutoClassifier(**FAST).fit(X_train, y_train)
    assert clf.typer_.columns_.text == ("report",)
    # The first configuration is tried with each text encoding, and without.
    first = sorted(clf.trials_, key=lambda t: t["trial_id"])[:3]
    assert {t["config"]["text_encoder"] for t in first} == {"words", "chars", "none"}
    assert len({t["config"]["model"] for t in first}) == 1
    auc = roc_auc_score(y_test, clf.predict_proba(X_test)[:, 1])
    assert auc > 0.9  # the words carry the measurements; the slide ids nothing
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(again.predict_proba(X_test), clf.predict_proba(X_test))
