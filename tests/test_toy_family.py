"""A new model family is one small class: registered from outside the
package, it is searched, fitted in the worker processes, shown in the
leaderboard and can join the ensemble."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator

import pytest

from automl import AutoClassifier
from automl.space import MODELS, unregister_model

pytestmark = pytest.mark.slow


@pytest.fixture
def toy_family() -> Iterator[str]:
    module = importlib.import_module("tests.toy_family")  # registers it
    yield module.ToyTree.name
    unregister_model(module.ToyTree.name)
    del sys.modules["tests.toy_family"]  # the next import registers it again


def test_a_registered_family_is_searched_and_can_join_the_ensemble(
    breast_cancer, toy_family: str
) -> None:
    X, y = breast_cancer
    clf = AutoClassifier(
        include=[toy_family],
        max_trials=6,
        time_limit=120,
        n_jobs=2,
        meta_learning=False,
        random_state=0,
    ).fit(X, y)
    board = clf.leaderboard()
    trials = board[board["trial_id"].notna()]
    assert (trials["model"] == toy_family).all()
    assert (trials["status"] == "ok").all()  # fitted in the worker processes
    base = [m for m in clf.ensemble_info_["members"] if m["layer"] == 1]
    assert base
    assert all(m["family"] == toy_family for m in base)
    assert clf.score(X, y) > 0.9


def test_a_name_is_registered_once(toy_family: str) -> None:
    from automl.space import register_model
    from automl.space.components.base import ModelComponent

    class Impostor(ModelComponent):
        name = toy_family

    with pytest.raises(ValueError, match="registered already"):
        register_model(Impostor)
    assert MODELS[toy_family] is not Impostor
