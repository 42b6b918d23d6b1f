"""Resuming a killed fit from the trial log in ``output_dir``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ConfigSpace import ConfigurationSpace, Float

from automl import AutoClassifier
from automl._resume import logged_auto_settings
from automl.limits import Deadline
from automl.search import SearchSettings, SerialExecutor, SMACOptimizer, run_search
from automl.search.driver import TrialRecord
from automl.search.fidelity import Fidelity
from automl.search.trial_log import LOG_NAME, LogHeader, TrialLog, read_trial_log
from tests.test_search.trials import quadratic

pytestmark = pytest.mark.slow

#: Small, quick trials; successive halving so that budgets below 1 are logged too.
SETTINGS: dict[str, Any] = {
    "n_jobs": 1,
    "random_state": 0,
    "resampling": "holdout",
    "multi_fidelity": True,
    "include": ["linear", "knn", "random_forest"],
}

FIT_SCRIPT = """
import sys
from sklearn.datasets import load_breast_cancer
from automl import AutoClassifier

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
settings = {settings!r}
AutoClassifier(
    time_limit=40, max_trials=500, output_dir=sys.argv[1], **settings
).fit(X, y)
"""


def _start_fit(output_dir: Path) -> subprocess.Popen[bytes]:
    """A real fit in its own process group (so that its workers can be killed).

    Its stderr goes to ``stderr.txt`` beside ``output_dir`` (a pipe nobody
    reads could fill up and stall the fit).
    """
    script = textwrap.dedent(FIT_SCRIPT.format(settings=SETTINGS))
    with open(_stderr_path(output_dir), "wb") as stderr:
        return subprocess.Popen(
            [sys.executable, "-c", script, str(output_dir)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )


def _stderr_path(output_dir: Path) -> Path:
    return output_dir.parent / "stderr.txt"


def _logged(output_dir: Path) -> list[dict[str, Any]]:
    try:
        return read_trial_log(output_dir)[1]
    except (FileNotFoundError, ValueError):
        return []


def _wait_for_trials(
    process: subprocess.Popen[bytes], output_dir: Path, n: int, timeout: float = 90
) -> None:
    end = time.time() + timeout
    while len(_logged(output_dir)) < n:
        if process.poll() is not None:
            raise AssertionError(
                f"the fit exited ({process.returncode}) before logging {n} trials: "
                + _stderr_path(output_dir).read_text()[-2000:]
            )
        if time.time() > end:
            os.killpg(process.pid, signal.SIGKILL)
            raise AssertionError(f"fewer than {n} trials logged in {timeout} s")
        time.sleep(0.05)


def _same_trial(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["config"] == b["config"] and a["budget"] == b["budget"]


@pytest.mark.slow
def test_fit_killed_with_sigkill_resumes_without_losing_or_repeating_trials(
    breast_cancer: Any, tmp_path: Path
) -> None:
    X, y = breast_cancer
    output_dir = tmp_path / "run"
    process = _start_fit(output_dir)
    _wait_for_trials(process, output_dir, 4)
    os.killpg(process.pid, signal.SIGKILL)  # the fit and its workers
    assert process.wait(timeout=30) == -signal.SIGKILL
    before = _logged(output_dir)
    assert len(before) >= 4
    assert any(t["budget"] < 1 for t in before)  # successive-halving budgets

    max_trials = len(before) + 3
    clf = AutoClassifier(
        time_limit=40, max_trials=max_trials, output_dir=output_dir, **SETTINGS
    ).fit(X, y)

    assert len(clf.trials_) == max_trials
    by_id = {t["trial_id"]: t for t in clf.trials_}
    for logged in before:
        resumed = by_id[logged["trial_id"]]
        assert resumed["resumed"]
        assert _same_trial(resumed, logged)
        assert resumed["loss"] == logged["loss"]
        assert resumed["seed"] == logged["seed"]
        # not run again: no other trial has its configuration at its budget
        assert sum(_same_trial(t, logged) for t in clf.trials_) == 1
    new = [t for t in clf.trials_ if not t["resumed"]]
    assert len(new) == 3
    assert min(t["trial_id"] for t in new) > max(t["trial_id"] for t in before)
    assert clf.leaderboard()["resumed"].sum() == len(before)
    assert clf.predict(X).shape == (len(X),)
    assert clf.score(X, y) > 0.9
    # the log now holds every trial once, after the same header
    assert sorted(t["trial_id"] for t in _logged(output_dir)) == sorted(by_id)


@pytest.mark.slow
def test_interrupted_fit_leaves_a_usable_trial_log(
    breast_cancer: Any, tmp_path: Path
) -> None:
    X, y = breast_cancer
    output_dir = tmp_path / "run"
    process = _start_fit(output_dir)
    _wait_for_trials(process, output_dir, 2)
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in a terminal
    try:
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode != 0
    assert "KeyboardInterrupt" in _stderr_path(output_dir).read_text()
    logged = _logged(output_dir)
    assert len(logged) >= 2

    # the lock was released; all logged trials are reused, none is run again
    clf = AutoClassifier(
        time_limit=30, max_trials=len(logged), output_dir=output_dir, **SETTINGS
    ).fit(X, y)
    assert [t["resumed"] for t in clf.trials_] == [True] * len(logged)
    assert clf.predict(X).shape == (len(X),)


@pytest.fixture(scope="module")
def logged_fit(tmp_path_factory: pytest.TempPathFactory, breast_cancer: Any) -> Path:
    """An output_dir holding the trial log of a short fit on breast cancer."""
    output_dir = tmp_path_factory.mktemp("logged_fit")
    X, y = breast_cancer
    clf = AutoClassifier(time_limit=30, max_trials=2, output_dir=output_dir, **SETTINGS)
    clf.fit(X, y)
    return output_dir


def test_other_data_in_the_same_output_dir_is_an_error(
    logged_fit: Path, breast_cancer: Any
) -> None:
    X, y = breast_cancer
    X_other = X.assign(**{X.columns[0]: X.iloc[:, 0] * 2})
    clf = AutoClassifier(time_limit=30, max_trials=3, output_dir=logged_fit, **SETTINGS)
    with pytest.raises(ValueError, match=r"different data .* new output_dir"):
        clf.fit(X_other, y)
    with pytest.raises(ValueError, match="different data"):
        clf.fit(X, 1 - y)


def test_incompatible_settings_in_the_same_output_dir_are_an_error(
    logged_fit: Path, breast_cancer: Any
) -> None:
    X, y = breast_cancer
    clf = AutoClassifier(
        time_limit=30,
        max_trials=3,
        output_dir=logged_fit,
        **{**SETTINGS, "metric": "accuracy"},
    )
    with pytest.raises(
        ValueError, match=r"metric='roc_auc' in the log, 'accuracy' now"
    ):
        clf.fit(X, y)
    clf.set_params(metric=None, random_state=1)
    with pytest.raises(ValueError, match=r"seed=0 in the log, 1 now"):
        clf.fit(X, y)
    assert len(read_trial_log(logged_fit)[1]) == 2  # nothing was added


# -- the log itself -------------------------------------------------------------


def _header(**settings: Any) -> LogHeader:
    return LogHeader(
        data_fingerprint="data",
        settings={"metric": "roc_auc", **settings},
        space_hash="space",
    )


def _record(trial_id: int, loss: float = 0.5) -> TrialRecord:
    return TrialRecord(
        trial_id=trial_id,
        config={"model": "linear", "model:linear:C": 1.5},
        seed=7,
        budget=1 / 3,
        origin="smac",
        loss=loss,
        status="ok",
        started=0.0,
        duration=1.0,
    )


def test_a_line_cut_off_by_a_kill_is_ignored_and_removed(tmp_path: Path) -> None:
    with TrialLog(tmp_path, _header()) as log:
        for i in range(3):
            log.append(_record(i, loss=i / 10), np.full((4, 2), i, dtype=float))
    complete = (tmp_path / LOG_NAME).read_bytes()
    cut = json.dumps({"kind": "trial", "trial_id": 3, "config": {}})[:25].encode()
    (tmp_path / LOG_NAME).write_bytes(complete + cut)
    (tmp_path / "predictions" / "3.npy").write_bytes(b"written before the kill")

    header, trials = read_trial_log(tmp_path)
    assert header == _header()
    assert [t["trial_id"] for t in trials] == [0, 1, 2]
    assert trials[1]["loss"] == 0.1 and trials[1]["budget"] == 1 / 3

    with TrialLog(tmp_path, _header()) as log:  # resume: the cut line goes
        assert [t["trial_id"] for t in log.trials] == [0, 1, 2]
        np.testing.assert_array_equal(log.load_predictions(2), np.full((4, 2), 2.0))
        log.append(_record(3), None)
    assert (tmp_path / LOG_NAME).read_bytes().startswith(complete)
    assert [t["trial_id"] for t in read_trial_log(tmp_path)[1]] == [0, 1, 2, 3]
    assert not (tmp_path / "predictions" / "3.npy").exists()  # no orphan kept


def test_the_log_is_checked_and_locked(tmp_path: Path) -> None:
    with TrialLog(tmp_path, _header()):
        with pytest.raises(ValueError, match="Another fit is using output_dir"):
            TrialLog(tmp_path, _header())
    with pytest.raises(ValueError, match=r"resampling=None in the log, 'cv' now"):
        TrialLog(tmp_path, _header(resampling="cv"))
    (tmp_path / LOG_NAME).write_text("not a log\n")
    with pytest.raises(ValueError, match="is not a trial log"):
        TrialLog(tmp_path, _header())


def test_a_resumed_fit_keeps_the_logged_validation_where_auto(tmp_path: Path) -> None:
    auto = {"resampling": "auto", "cv_repeats": "auto"}
    assert logged_auto_settings(tmp_path, auto) == {}  # no log yet
    with TrialLog(tmp_path, _header(resampling="cv", cv_repeats=2)):
        pass
    assert logged_auto_settings(tmp_path, auto) == {"resampling": "cv", "cv_repeats": 2}
    given = {"resampling": "holdout", "cv_repeats": 1}
    assert logged_auto_settings(tmp_path, given) == {}  # the user's choice stands


# -- the driver with prior trials -------------------------------------------------


def _space() -> ConfigurationSpace:
    space = ConfigurationSpace(seed=0)
    space.add(Float("x", (0.0, 1.0), default=0.5))
    return space


def _search(max_trials: int, prior: list[TrialRecord]) -> list[TrialRecord]:
    optimizer = SMACOptimizer(
        _space(), seed=0, fidelity=Fidelity("successive_halving", 1 / 9)
    )
    settings = SearchSettings(
        deadline=Deadline.starting_now(None),
        max_trials=max_trials,
        per_trial_limit=None,
        crash_loss=10.0,
    )
    try:
        return run_search(
            optimizer, SerialExecutor(), quadratic, {}, settings, prior=prior
        )
    finally:
        optimizer.close()


def test_prior_trials_are_told_not_rerun_and_count_toward_max_trials() -> None:
    first = _search(8, [])
    prior = [
        TrialRecord(**{**vars(r), "outcome": None, "resumed": True}) for r in first
    ]
    records = _search(14, prior)
    assert len(records) == 14
    assert records[:8] == prior
    seen = {(r.config["x"], r.budget) for r in first}
    new = records[8:]
    assert not any((r.config["x"], r.budget) in seen for r in new)
    assert [r.trial_id for r in new] == list(range(8, 14))
    assert {r.seed for r in new} == {r.seed for r in first}


def test_known_results_must_come_before_the_first_ask() -> None:
    optimizer = SMACOptimizer(_space(), seed=0)
    try:
        optimizer.ask()
        with pytest.raises(RuntimeError, match="before the first ask"):
            optimizer.tell_known(
                {"x": 0.1}, seed=0, budget=None, loss=1.0, status="ok", seconds=1
            )
    finally:
        optimizer.close()
