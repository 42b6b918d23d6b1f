"""One small real fit shared by the reporting tests, with what it printed and logged."""

from __future__ import annotations

import contextlib
import io
import logging
from dataclasses import dataclass

import pytest
from sklearn.datasets import load_breast_cancer

from automl import AutoClassifier
from automl.reporting import enable_logging

#: Fast families, so that the fit takes a few seconds.
BUDGET = {
    "time_limit": 30,
    "max_trials": 4,
    "n_jobs": 1,
    "random_state": 0,
    "include": ["linear", "knn", "extra_trees"],
}


@dataclass
class VerboseFit:
    estimator: AutoClassifier
    stderr: str
    log: str
    root_handlers_before: list[logging.Handler]
    root_level_before: int


@pytest.fixture(scope="session")
def verbose_fit() -> VerboseFit:
    """A verbose=2 fit on breast cancer, with its stderr and its INFO log records."""
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    log, err = io.StringIO(), io.StringIO()
    handler = enable_logging("INFO", stream=log)
    try:
        with contextlib.redirect_stderr(err):
            clf = AutoClassifier(**BUDGET, verbose=2).fit(X, y)
    finally:
        logging.getLogger("automl").removeHandler(handler)
        logging.getLogger("automl").setLevel(logging.NOTSET)
    return VerboseFit(clf, err.getvalue(), log.getvalue(), handlers, level)
