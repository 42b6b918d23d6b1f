"""The offline portfolio-against-defaults check on a hand-made matrix."""

from __future__ import annotations

import pandas as pd
import pytest

from benchmarks.portfolio_vs_defaults import (
    group_tables,
    held_out_designs,
    thinned_matrix,
)

TASKS = ["a", "b", "c", "d"]


def _matrix(losses: dict[str, list[float]], times: dict[str, list[float]]) -> list:
    return [
        {
            "task": t,
            "candidate": c,
            "loss": losses[c][i],
            "fit_time": times[c][i],
            "status": "ok",
        }
        for c in losses
        for i, t in enumerate(TASKS)
    ]


LOSSES = {
    "default:linear": [0.3, 0.4, 0.3, 0.5],
    "default:lightgbm": [0.2, 0.5, 0.4, 0.3],
    "task:x": [0.1, 0.1, 0.1, 0.1],
}


def test_a_candidate_best_everywhere_beats_the_defaults_and_complements_them() -> None:
    times = {
        "default:linear": [1.0] * 4,
        "default:lightgbm": [2.0] * 4,
        "task:x": [4.0] * 4,
    }
    failed = {"task": "a", "candidate": "task:x", "loss": 9.0, "status": "error"}
    matrix = [*_matrix(LOSSES, times), failed]
    types = dict.fromkeys(TASKS, "binary") | {"r": "regression"}
    loss_table, time_table = group_tables(matrix, types, "classification")
    assert list(loss_table.index) == TASKS  # the failed record is left out
    designs = held_out_designs(loss_table, time_table, sizes=(1, 3))

    regret, cost = designs["portfolio[:1]"]
    assert regret == 0.0
    assert cost == pytest.approx(2.0)  # 4 s over each task's median of 2 s
    default_regret, default_cost = designs["defaults"]
    # per task, the better default's (loss - best) / (worst - best)
    expected = pd.Series([0.1 / 0.2, 0.3 / 0.4, 0.2 / 0.3, 0.2 / 0.4]).mean()
    assert default_regret == pytest.approx(expected)
    assert default_cost == pytest.approx(0.5 + 1.0)
    assert designs["portfolio[:3]"][0] == 0.0
    # after the defaults, task:x is the one complement: regret 0, both costs
    assert designs["defaults + 1 complements"] == pytest.approx((0.0, 1.5 + 2.0))


def test_a_thinned_matrix_loses_the_candidate_best_everywhere() -> None:
    times = {c: [1.0] * 4 for c in LOSSES}
    losses, seconds = group_tables(
        _matrix(LOSSES, times), dict.fromkeys(TASKS, "binary"), "classification"
    )
    (_, _, full, _), (_, _, thin, _) = thinned_matrix(losses, seconds, (1.0, 0.0))
    assert full == 0.0  # task:x, best on every task, is in every portfolio
    assert thin == pytest.approx(held_out_designs(losses, seconds)["defaults"][0])
