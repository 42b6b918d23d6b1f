"""Bounded proposals: the surrogate's data stays small, pending points are lies."""

from __future__ import annotations

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
    # Uniform sampling: 40 points get under 2e-3 with probability 0.22. The
    # search's proposals vary with the process's string-hash seed (best of 40
    # from 9e-6 to 1.9e-3 over PYTHONHASHSEED 0-3 and pytest runs), so a
    # tighter bound fails at random.
    assert best < 2e-3, best
