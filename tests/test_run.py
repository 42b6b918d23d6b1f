"""A whole run in this process on a fake clock: search, ensemble and the
fallbacks decided by the injected clock, not by how fast this machine is."""

from __future__ import annotations

import time
import warnings
from concurrent.futures import Future
from typing import Any

import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.dummy import DummyClassifier

from automl import AutoClassifier
from automl.data import check_features
from automl.exceptions import FallbackModelWarning
from automl.limits import Deadline
from automl.plan import Machine
from automl.prepare import Prepared, prepare
from automl.run import FitResult, RunOptions, Runtime, run_fit
from automl.search import SerialExecutor


class FakeClock:
    """Epoch seconds that advance by ``step`` at every reading, from now."""

    def __init__(self, step: float) -> None:
        self.now = time.time()
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


class CrashingExecutor(SerialExecutor):
    """Every trial and refit fails."""

    def submit(self, fn: Any, /, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_exception(RuntimeError("this worker always fails"))
        return future


def _prepared(**params: Any) -> Prepared:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    params = {**AutoClassifier(n_jobs=1).get_params(), **params}
    machine = Machine(cores=1, memory_limit_mb=4_000)
    return prepare(check_features(X), y.to_numpy(), "binary", params, machine)


def _run(
    prepared: Prepared,
    clock: FakeClock,
    executor: type = SerialExecutor,
    max_trials: int | None = None,
) -> FitResult:
    options = RunOptions(
        name="test",
        deadline=Deadline.starting_now(prepared.plan.reserve.time_limit, clock),
        max_trials=max_trials,
        meta_learning=False,
        output_dir=None,
        verbose=0,
        dask_cluster=None,
        max_ensemble_members=None,
    )
    runtime = Runtime(
        make_executor=lambda plan, options: executor(),
        load_knowledge=lambda source: None,
    )
    return run_fit(prepared.plan, prepared.data, DummyClassifier(), options, runtime)


def test_a_run_on_a_fake_clock_is_decided_by_that_clock() -> None:
    prepared = _prepared(time_limit=20, resampling="holdout")
    first = _run(prepared, FakeClock(step=0.5))
    assert first.ensemble is not None
    assert 0 < first.search_seconds <= 20
    assert len(first.records) >= 2
    # The same clock readings give the same trials and the same final model,
    # however long each trial really took.
    again = _run(prepared, FakeClock(step=0.5))
    assert [r.config for r in again.records] == [r.config for r in first.records]
    assert again.final_model["members"] == first.final_model["members"]
    # A clock that runs faster leaves time for fewer trials.
    fast = _run(prepared, FakeClock(step=1.0))
    assert len(fast.records) < len(first.records)


def test_without_a_full_budget_trial_the_best_partial_one_is_refitted() -> None:
    prepared = _prepared(time_limit=60, multi_fidelity=True)
    result = _run(prepared, FakeClock(step=0.01), max_trials=2)
    assert all(r.budget is not None and r.budget < 1 for r in result.records)
    assert result.ensemble is None and result.best is not None
    assert result.final_model["kind"] == "single"
    assert result.final_model["decision"].startswith(
        "no trial finished on all rows: refitted trial"
    )


def test_when_every_trial_fails_the_constant_baseline_predicts() -> None:
    prepared = _prepared(time_limit=30)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FallbackModelWarning)
        with pytest.raises(FallbackModelWarning, match="no trial finished"):
            _run(prepared, FakeClock(step=1.0), CrashingExecutor)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FallbackModelWarning)
        result = _run(prepared, FakeClock(step=1.0), CrashingExecutor)
    assert result.final_model["kind"] == "fallback"
    assert result.final_model["decision"] == "no trial succeeded: constant baseline"
    assert isinstance(result.model, DummyClassifier)
