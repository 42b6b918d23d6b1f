import time

import pytest
from ConfigSpace import ConfigurationSpace, Float

from automl.limits import Deadline
from automl.search import (
    ProcessExecutor,
    SearchSettings,
    SerialExecutor,
    SMACOptimizer,
    run_search,
)
from tests.test_search.trials import faulty, quadratic, worker_pid


def _space(default: float = 0.5) -> ConfigurationSpace:
    space = ConfigurationSpace(seed=0)
    space.add(Float("x", (0.0, 1.0), default=default))
    return space


def _settings(time_limit=None, max_trials=None, per_trial=None) -> SearchSettings:
    return SearchSettings(
        deadline=Deadline.starting_now(time_limit),
        max_trials=max_trials,
        per_trial_limit=per_trial,
        crash_loss=10.0,
    )


def _search(trial_fn, executor, settings, initial=None):
    optimizer = SMACOptimizer(_space(), seed=0, initial_configs=initial)
    try:
        return run_search(optimizer, executor, trial_fn, {}, settings)
    finally:
        optimizer.close()


def test_search_improves_on_its_initial_configuration() -> None:
    records = _search(
        quadratic,
        SerialExecutor(),
        _settings(max_trials=25),
        initial=[("default", {"x": 0.9})],
    )
    assert len(records) == 25
    assert records[0].config == {"x": 0.9} and records[0].origin == "default"
    assert min(r.loss for r in records) < 0.01 < records[0].loss


def test_same_seed_gives_the_same_proposals() -> None:
    first = _search(quadratic, SerialExecutor(), _settings(max_trials=12))
    second = _search(quadratic, SerialExecutor(), _settings(max_trials=12))
    assert [r.config for r in first] == [r.config for r in second]


class TickingClock:
    """A virtual clock that trials move forward by their own duration."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_search_stops_at_its_deadline_on_the_clock_it_is_given() -> None:
    clock = TickingClock()

    def half_second_trial(**kwargs):
        clock.now += 0.5
        return quadratic(**kwargs)

    settings = SearchSettings(
        deadline=Deadline.starting_now(3.0, clock=clock),
        max_trials=None,
        per_trial_limit=None,
        crash_loss=10.0,
    )
    records = _search(half_second_trial, SerialExecutor(), settings)
    # Six trials of 0.5 s fill the 3 s; none starts once too little is left.
    assert len(records) == 6
    assert [r.duration for r in records] == [0.5] * 6
    assert records[-1].started + records[-1].duration == pytest.approx(3.0)


@pytest.mark.slow
def test_failures_hangs_memory_hogs_and_dead_workers_cost_one_trial_each() -> None:
    initial = [("planted", {"x": x}) for x in (0.1, 0.95, 0.52, 0.62, 0.3)]
    executor = ProcessExecutor(2, memory_limit_mb=600)
    start = time.time()
    try:
        records = _search(
            faulty,
            executor,
            _settings(time_limit=60, max_trials=8, per_trial=6),
            initial,
        )
    finally:
        executor.close()
    assert time.time() - start < 40
    by_x = {r.config["x"]: r for r in records}
    assert by_x[0.1].status == "crashed" and "planted failure" in by_x[0.1].error
    assert by_x[0.95].status == "timeout"
    assert by_x[0.52].status == "crashed" and "terminated" in by_x[0.52].error
    assert by_x[0.62].status == "memout"
    assert by_x[0.3].status == "ok" and by_x[0.3].loss == pytest.approx(0.3)
    # every planted fault cost its own trial only: each trial's status is the
    # one its own configuration asks for, whatever ran beside it
    assert len(records) == 8
    assert [r.status for r in records] == [
        _planted_status(r.config["x"]) for r in records
    ]
    assert all(r.loss == 10.0 for r in records if r.status != "ok")


def _planted_status(x: float) -> str:
    if x < 0.2 or 0.5 < x < 0.55:
        return "crashed"
    if x > 0.9:
        return "timeout"
    return "memout" if 0.6 < x < 0.65 else "ok"


@pytest.mark.slow
@pytest.mark.parametrize("idle_limit_mb, replaced", [(1.0, True), (None, False)])
def test_a_worker_over_its_idle_limit_is_replaced_before_the_next_trial(
    idle_limit_mb, replaced
) -> None:
    executor = ProcessExecutor(1, memory_limit_mb=10_000, idle_limit_mb=idle_limit_mb)
    try:
        first = executor.submit(worker_pid).result()
        second = executor.submit(worker_pid).result()
    finally:
        executor.close()
    assert (first != second) is replaced
