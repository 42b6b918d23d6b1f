"""The scale simulation: the real driver and SMAC on a virtual clock."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ConfigSpace import ConfigurationSpace

from automl.metalearning.metadata import reference_properties
from automl.space import build_space, family_defaults, select_models
from benchmarks.scale import (
    ReplayedTask,
    VirtualClock,
    simulate,
    summary_line,
    write_report,
)


@pytest.fixture(scope="module")
def task() -> ReplayedTask:
    """A task whose defaults take 1-40 s and lose 0.1-0.5, by family."""
    space: ConfigurationSpace = build_space(
        reference_properties("binary"), select_models("binary"), seed=0
    )
    defaults = list(family_defaults(space).values())
    rows = [
        (config, 0.1 + 0.4 * i / len(defaults), 1.0 + 39.0 * (i % 3) / 2)
        for i, config in enumerate(defaults)
    ]
    return ReplayedTask("toy", space, rows, trial_seconds=10.0)


def test_the_clock_jumps_only_forward_and_leaves_out_excluded_work() -> None:
    clock = VirtualClock()
    start = clock()
    clock.advance_to(start + 100.0)
    assert clock() >= start + 100.0
    clock.advance_to(start)  # the past: no jump back
    assert clock() >= start + 100.0
    before = clock()
    clock.exclude(5.0)
    assert clock() < before


@pytest.mark.parametrize("optimiser", ["smac", "smac_unbounded", "random"])
def test_a_simulated_search_keeps_its_workers_busy(task, optimiser) -> None:
    result = simulate(task, n_workers=4, n_trials=40, optimiser=optimiser)
    assert result["trials"] == 40
    # 40 trials of about 10 s on 4 workers: most of the time all are busy
    assert 0.5 < result["utilisation"] <= 1.0 + 1e-9
    assert 0.5 < result["utilisation_until_last_start"] <= 1.0 + 1e-9
    assert result["virtual_seconds"] >= 40 * 1.0 / 4
    best = np.array(result["best_by_trial"])
    assert (np.diff(best) <= 0).all()
    assert best[-1] == pytest.approx(result["best_loss"], abs=1e-6)
    ends = [end for end, _ in result["best_by_time"]]
    assert ends == sorted(ends) and ends[-1] <= result["virtual_seconds"] + 0.01
    assert len(result["ask_s_by_window"]) == 1 and result["driver_s_per_trial"] > 0


def test_summary_line_and_report(task, tmp_path) -> None:
    runs = [simulate(task, 2, 12, o) for o in ("smac", "smac_unbounded", "random")]
    for run in runs:
        run["workers"] = 100  # the plot's panel of 100 workers
    line = summary_line(100, 12, runs)
    assert line.startswith("workers=100 trials=12 utilisation=")
    assert "best_loss_smac=" in line and "best_loss_random=" in line
    write_report(json.loads(json.dumps(runs)), tmp_path)
    report = (tmp_path / "report.md").read_text().splitlines()
    assert len(report) == 2 + 3  # header, rule, one row per run
    assert (tmp_path / "scale.png").stat().st_size > 10_000


def test_with_a_time_limit_the_search_ends_at_its_deadline_as_a_fit_does(task):
    result = simulate(task, 4, None, "random", time_limit=120.0)
    assert result["requested_trials"] is None and result["trials"] > 4
    assert result["virtual_seconds"] <= 120.0 + 1.0
    # trials are cut at the deadline, so the workers are busy to the end
    assert result["utilisation"] > 0.9
    assert 0 <= result["timeouts"] <= 4 + result["trials"] // 2
