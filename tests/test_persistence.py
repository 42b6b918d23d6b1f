"""save / load: round trips, version checks, and the safe skops format."""

from __future__ import annotations

import json
import pickle
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest

import automl
from automl import AutoClassifier, persistence
from automl.exceptions import (
    IncompatibleVersionsError,
    ModelFileError,
    VersionMismatchWarning,
)

pytestmark = pytest.mark.slow

BUDGET = {
    "time_limit": 30,
    "max_trials": 3,
    "n_jobs": 1,
    "include": ["lightgbm", "linear"],
}


class Note:
    """A type that no trusted list knows about."""

    def __init__(self, text: str) -> None:
        self.text = text


@pytest.fixture(scope="module")
def fitted(mixed_frame) -> tuple[AutoClassifier, pd.DataFrame]:
    X, y = mixed_frame
    return AutoClassifier(**BUDGET).fit(X, y), X


def _rewrite_metadata(path, **versions) -> None:
    """Pretend the file was saved under other library versions."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    metadata = json.loads(members["metadata.json"])
    metadata["versions"].update(versions)
    members["metadata.json"] = json.dumps(metadata).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def _bump(version: str, part: int) -> str:
    numbers = [int(n) for n in version.split(".")[:3]]
    numbers += [0] * (3 - len(numbers))
    numbers[part] += 1
    return ".".join(str(n) for n in numbers)


def test_save_and_load_give_the_same_predictions(fitted, tmp_path) -> None:
    clf, X = fitted
    path = clf.save(tmp_path / "models" / "mixed.automl", info={"target": "species"})
    loaded = automl.load(path)
    assert type(loaded) is AutoClassifier
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    pd.testing.assert_frame_equal(loaded.leaderboard(), clf.leaderboard())
    assert loaded.summary() == clf.summary()
    metadata = persistence.read_metadata(path)
    assert metadata["info"] == {"target": "species"}
    assert metadata["serializer"] == "pickle"
    assert metadata["estimator"] == "AutoClassifier"


def test_the_file_records_the_versions_of_the_libraries_inside(fitted, tmp_path):
    clf, _ = fitted
    versions = persistence.read_metadata(clf.save(tmp_path / "m.automl"))["versions"]
    assert versions["automl"] == automl.__version__
    for library in ["python", "scikit-learn", "numpy", "pandas"]:
        assert library in versions
    if clf.best_config_["model"] == "lightgbm":
        assert "lightgbm" in versions
    assert "catboost" not in versions  # not in this model


def test_plain_pickle_keeps_working(fitted) -> None:
    clf, X = fitted
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict(X), clf.predict(X))


def test_a_patch_version_difference_warns_and_names_the_library(fitted, tmp_path):
    clf, X = fitted
    path = clf.save(tmp_path / "m.automl")
    saved = persistence.read_metadata(path)["versions"]["scikit-learn"]
    other_patch = _bump(saved, 2)
    _rewrite_metadata(path, **{"scikit-learn": other_patch})
    with pytest.warns(VersionMismatchWarning, match=f"scikit-learn {other_patch}"):
        loaded = automl.load(path)
    assert (loaded.predict(X) == clf.predict(X)).all()


@pytest.mark.parametrize("part", [0, 1], ids=["major", "minor"])
def test_a_major_or_minor_difference_refuses_with_what_differs(
    fitted, tmp_path, part
) -> None:
    clf, _ = fitted
    path = clf.save(tmp_path / "m.automl")
    saved = persistence.read_metadata(path)["versions"]["numpy"]
    other = _bump(saved, part)
    _rewrite_metadata(path, numpy=other)
    with pytest.raises(IncompatibleVersionsError) as info:
        automl.load(path)
    message = str(info.value)
    assert f"numpy {other} (saved) vs {np.__version__} (installed)" in message
    assert f"pip install numpy=={other}" in message
    assert "allow_version_mismatch=True" in message
    with pytest.warns(VersionMismatchWarning, match="numpy"):
        assert automl.load(path, allow_version_mismatch=True) is not None


def test_a_library_that_is_not_installed_refuses(fitted, tmp_path) -> None:
    clf, _ = fitted
    path = clf.save(tmp_path / "m.automl")
    _rewrite_metadata(path, **{"somelib-not-here": "1.0"})
    with pytest.raises(IncompatibleVersionsError, match="1.0 \\(saved\\) vs not inst"):
        automl.load(path)


def test_files_that_are_not_models_give_clear_errors(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="No model file"):
        automl.load(tmp_path / "missing.automl")
    plain = tmp_path / "plain.pkl"
    plain.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(ModelFileError, match="not a model file saved by automl"):
        automl.load(plain)


def test_unknown_format_is_refused(fitted, tmp_path) -> None:
    clf, _ = fitted
    with pytest.raises(ValueError, match="format must be one of"):
        clf.save(tmp_path / "m.automl", format="json")


def test_skops_round_trip_needs_no_extra_trust(fitted, tmp_path) -> None:
    clf, X = fitted
    path = clf.save(tmp_path / "safe.automl", format="skops")
    assert persistence.untrusted_types(path) == []
    loaded = automl.load(path)
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X))
    pd.testing.assert_frame_equal(
        loaded.leaderboard(), clf.leaderboard(), check_dtype=False
    )
    assert persistence.read_metadata(path)["versions"]["skops"]


def test_skops_refuses_types_nobody_trusted(fitted, tmp_path) -> None:
    clf, _ = fitted
    tampered = pickle.loads(pickle.dumps(clf))
    tampered.note_ = Note("hello")
    path = persistence.save(tampered, tmp_path / "odd.automl", format="skops")
    name = f"{__name__}.Note"
    assert persistence.untrusted_types(path) == [name]
    with pytest.raises(ModelFileError, match=f"not trusted: {name}"):
        automl.load(path)
    assert automl.load(path, trusted=[name]).note_.text == "hello"


def test_untrusted_types_of_a_pickle_file_explains_the_risk(fitted, tmp_path):
    clf, _ = fitted
    path = clf.save(tmp_path / "m.automl")
    with pytest.raises(ModelFileError, match="only from trusted sources"):
        persistence.untrusted_types(path)


def test_check_versions_is_silent_when_nothing_differs() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        persistence.check_versions(persistence.current_versions(["pandas"]))
