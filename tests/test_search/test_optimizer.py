"""Bounded proposals: the surrogate's data stays small, pending points are lies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from ConfigSpace import ConfigurationSpace, Float

from automl.search import SMACOptimizer
from automl.search.optimizer import MIN_TRIALS, RETRAIN_GROWTH, _best_and_sampled


def _space() -> ConfigurationSpace:
    space = ConfigurationSpace(seed=0)
    space.add(Float("x", (0.0, 1.0)), Float("y", (0.0, 1.0)))
    return space


def _told(optimizer: SMACOptimizer, n: int) -> None:
    for _ in range(n):
        proposal = optimizer.ask()
        x, y = proposal.config["x"], proposal.config["y"]
        optimizer.tell(proposal, (x - 0.3) ** 2 + (y - 0.7) ** 2, "ok", 1.0)


def test_the_surrogate_keeps_the_best_half_and_a_sample_of_the_rest() -> None:
    rng = np.random.default_rng(0)
    X = rng.random((100, 2))
    Y = rng.random((100, 1))
    kept_X, kept_Y = _best_and_sampled(X, Y, 40, rng)
    assert kept_X.shape == (40, 2) and kept_Y.shape == (40, 1)
    best_20 = np.sort(Y[:, 0])[:20]
    assert np.isin(best_20, kept_Y[:, 0]).all()
    assert len(np.unique(kept_Y[:, 0])) == 40  # no row twice
    assert _best_and_sampled(X, Y, 200, rng)[0] is X


def test_running_configurations_are_lies_at_the_mean_cost() -> None:
    optimizer = SMACOptimizer(_space(), seed=0, n_workers=4)
    try:
        _told(optimizer, 3 * MIN_TRIALS)
        pending = [optimizer.ask() for _ in range(3)]
        selector = optimizer._smac._config_selector
        X, Y, observed = selector._collect_data()
    finally:
        optimizer.close()
    assert len(observed) == 3 * MIN_TRIALS  # what was measured
    assert len(X) == len(Y) == 3 * MIN_TRIALS + len(pending)
    np.testing.assert_allclose(Y[-3:], Y[:-3].mean(), rtol=1e-12)
    assert selector._retrain_after == max(4, -(-3 * MIN_TRIALS // RETRAIN_GROWTH))


def test_bounded_proposals_still_find_the_optimum_region() -> None:
    optimizer = SMACOptimizer(_space(), seed=0, n_workers=1)
    try:
        _told(optimizer, 40)
        best = min(value.cost for _, value in optimizer._smac.runhistory.items())
    finally:
        optimizer.close()
    # Uniform sampling: 40 points get under 2e-4 with probability 0.025.
    assert best < 2e-4, best


PROPOSALS = """
from tests.test_search.test_optimizer import _space, _told
from automl.search import SMACOptimizer
optimizer = SMACOptimizer(_space(), seed=0, n_workers=1)
_told(optimizer, 16)
print([sorted(config.items()) for config in optimizer._smac.runhistory.get_configs()])
optimizer.close()
"""


def test_proposals_are_the_same_in_every_process() -> None:
    # Python salts string hashes per process; SMAC's local search ordered its
    # start points through a set of configurations (hashed by their names).
    outputs = [
        subprocess.run(
            [sys.executable, "-c", PROPOSALS],
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=Path(__file__).parents[2],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    ]
    assert outputs[0].count("x") == 16  # the initial design and SMAC's proposals
    assert outputs[0] == outputs[1]
