"""Progress bar, trial lines, logging, and a quiet fit at verbose=0."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import textwrap
import time

import pytest

from automl.metrics import get_metric
from automl.reporting import SearchProgress, enable_logging
from automl.search import TrialRecord


def _record(trial_id, model, loss, status="ok", budget=None, error=None):
    return TrialRecord(
        trial_id=trial_id,
        config={"model": model},
        seed=0,
        budget=budget,
        origin="smac",
        loss=loss,
        status=status,
        started=0.0,
        duration=0.25,
        error=error,
    )


def _run(verbose: int, records, **kwargs) -> tuple[SearchProgress, str]:
    out = io.StringIO()
    options = {"time_limit": 30.0, "max_trials": None, **kwargs}
    metric = get_metric("accuracy", "binary")
    progress = SearchProgress(verbose, metric, start=time.time(), file=out, **options)
    for record in records:
        progress(record)
    progress.close()
    return progress, out.getvalue()


RECORDS = [
    _record(0, "linear", 0.20),
    _record(1, "knn", 0.05, budget=0.33),  # partial budget: not a candidate
    _record(2, "lightgbm", 0.10),
    _record(3, "catboost", 10.0, status="crashed", error="ValueError: boom\nmore"),
    _record(4, "mlp", 10.0, status="timeout", error="ran past its time limit"),
]


def test_bar_shows_trials_failures_and_best_full_budget_score() -> None:
    progress, out = _run(1, RECORDS)
    final = out.replace("\r", "\n").strip().splitlines()[-1]
    assert "5 trials (1 failed, 1 timed out)" in final
    assert "best accuracy=0.9 (lightgbm)" in final
    assert "100%" in final
    assert "trial   0" not in out  # no per-trial lines at verbose=1
    assert progress.best_model == "lightgbm"


def test_verbose_2_writes_one_line_per_trial_with_the_error_of_failures() -> None:
    _, out = _run(2, RECORDS)
    lines = [line for line in out.replace("\r", "\n").splitlines() if "trial " in line]
    assert len([line for line in lines if line.startswith("trial")]) == 5
    assert any("crashed" in line and "ValueError: boom" in line for line in lines)
    assert any("on 33% of the rows" in line for line in lines)
    assert not any("more" in line for line in lines)  # first line of the error only


def test_verbose_0_shows_nothing_but_logs_every_trial(caplog) -> None:
    with caplog.at_level(logging.INFO, logger="automl"):
        _, out = _run(0, RECORDS)
    assert out == ""
    trial_lines = [r for r in caplog.records if r.getMessage().startswith("trial")]
    assert len(trial_lines) == len(RECORDS)
    assert caplog.records[-1].getMessage().startswith("search finished: 5 trials")


def test_without_time_limit_the_bar_counts_trials() -> None:
    _, out = _run(1, RECORDS[:2], time_limit=None, max_trials=4)
    assert "2 trials" in out
    assert "s left" not in out


def test_chain_calls_every_callback_in_order() -> None:
    seen: list[str] = []
    progress = SearchProgress(
        0, get_metric("accuracy", "binary"), start=0.0, time_limit=1, max_trials=None
    )
    callback = progress.chain(lambda r: seen.append(f"a{r.trial_id}"))
    callback(RECORDS[0])
    assert seen == ["a0"]
    assert progress.counts["ok"] == 1


def test_enable_logging_attaches_one_handler_however_often_it_is_called() -> None:
    logger = logging.getLogger("automl")
    out = io.StringIO()
    try:
        enable_logging("INFO")
        handler = enable_logging("INFO", stream=out)
        ours = [h for h in logger.handlers if getattr(h, "_automl_handler", False)]
        assert ours == [handler]
        logging.getLogger("automl.search").info("visible")
        assert out.getvalue() == "automl: visible\n"
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)


def test_a_verbose_fit_shows_the_bar_and_a_line_per_trial(verbose_fit) -> None:
    n_trials = len(verbose_fit.estimator.trials_)
    text = verbose_fit.stderr.replace("\r", "\n")
    assert "AutoClassifier:" in text
    assert "s left" in text
    trial_lines = {line[:9] for line in text.splitlines() if line.startswith("trial")}
    assert len(trial_lines) == n_trials
    assert f"{n_trials} trials" in text.strip().splitlines()[-1]


def test_a_fit_logs_start_every_trial_and_end(verbose_fit) -> None:
    lines = verbose_fit.log.splitlines()
    assert lines[0].startswith("automl: search started: time_limit=30 s")
    assert sum(line.startswith("automl: trial") for line in lines) == len(
        verbose_fit.estimator.trials_
    )
    assert any(line.startswith("automl: search finished:") for line in lines)


def test_a_fit_leaves_the_applications_root_logger_alone(verbose_fit) -> None:
    root = logging.getLogger()
    assert root.level == verbose_fit.root_level_before
    assert all(h in root.handlers for h in verbose_fit.root_handlers_before)
    assert not any(
        type(h) is logging.StreamHandler and h not in verbose_fit.root_handlers_before
        for h in root.handlers
    )


@pytest.mark.slow
def test_a_default_fit_prints_nothing_at_all() -> None:
    """What a user sees: stdout and stderr of a whole process, workers included."""
    script = textwrap.dedent(
        """
        from sklearn.datasets import load_breast_cancer
        from automl import AutoClassifier
        X, y = load_breast_cancer(return_X_y=True, as_frame=True)
        clf = AutoClassifier(time_limit=20, max_trials=6, n_jobs=2).fit(X, y)
        clf.predict_proba(X)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr == ""
