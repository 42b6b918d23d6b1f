"""The bounded pool of kept trial predictions."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from automl.ensemble import CandidatePool
from tests.test_ensemble.problems import Problem


def test_pool_keeps_the_best_and_spills_large_predictions(
    binary_problem: Problem, tmp_path: Path
) -> None:
    pool = CandidatePool(max_candidates=2, directory=tmp_path, spill_bytes=1000)
    candidates = binary_problem.candidates
    for candidate in candidates:
        pool.add(candidate)
    assert not pool.add(None)
    best_two = sorted(c.loss for c in candidates)[:2]
    assert [c.loss for c in pool.candidates] == best_two
    # Kept predictions are memory-mapped files; dropped ones were deleted.
    kept = pool.candidates[0].predictions
    assert isinstance(kept, np.memmap)
    assert len(list(tmp_path.glob("*.npy"))) == 2
    original = next(c for c in candidates if c.loss == best_two[0])
    np.testing.assert_array_equal(kept, original.predictions)
    # Equal losses keep the earlier trial.
    assert not pool.add(replace(candidates[0], loss=best_two[1]))


def test_pool_in_memory_without_directory(binary_problem: Problem) -> None:
    pool = CandidatePool(max_candidates=10)
    for candidate in binary_problem.candidates:
        assert pool.add(candidate)
    assert len(pool) == len(binary_problem.candidates)
    assert not isinstance(pool.candidates[0].predictions, np.memmap)
    assert not pool.add(replace(binary_problem.candidates[0], loss=float("nan")))
