"""Keep the validation predictions of the best trials, bounded in memory.

The search offers every finished full-budget trial; the pool keeps the
``max_candidates`` best by loss (auto-sklearn's ``ensemble_nbest`` = 50) and
drops the rest. Predictions larger than ``spill_bytes`` are written to
``directory`` as ``.npy`` files and read back memory-mapped, so that a large
dataset's 50 probability matrices do not all sit in RAM.

The fold models a trial kept on disk (``Candidate.model_files``) are deleted
when the pool drops the trial, and the worst candidates' are deleted while
they take more than ``max_model_bytes`` (such a candidate stays, and is
refitted if the ensemble selects it).
"""

from __future__ import annotations

import bisect
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from automl.ensemble.builder import Candidate
from automl.policy import DEFAULT_POLICY

#: Predictions above this size go to disk when the pool has a directory.
SPILL_BYTES = 8 * 2**20
#: Disk the kept fold models of the candidates may take.
MAX_MODEL_BYTES = 4 * 2**30


class CandidatePool:
    """The best trials with their predictions, best first.

    Parameters
    ----------
    max_candidates : int, default=50
        How many trials to keep.
    directory : str, Path or None, default=None
        Where large predictions are spilled (e.g. under ``output_dir``);
        None keeps everything in memory.
    spill_bytes : int, default=8 MiB
        Predictions larger than this are spilled when ``directory`` is set.
    max_model_bytes : int, default=4 GiB
        Disk the candidates' kept fold models may take, best candidates first.
    """

    def __init__(
        self,
        max_candidates: int = DEFAULT_POLICY.max_candidates,
        directory: str | Path | None = None,
        spill_bytes: int = SPILL_BYTES,
        max_model_bytes: int = MAX_MODEL_BYTES,
    ) -> None:
        self.max_candidates = max_candidates
        self.directory = None if directory is None else Path(directory)
        self.spill_bytes = spill_bytes
        self.max_model_bytes = max_model_bytes
        self._keys: list[tuple[float, int]] = []
        self._items: list[Candidate] = []
        self._count = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def candidates(self) -> list[Candidate]:
        """The kept candidates, best first."""
        return list(self._items)

    def add(self, candidate: Candidate | None) -> bool:
        """Offer a candidate; returns whether it was kept."""
        if candidate is None:
            return False
        key = (candidate.loss, self._count)
        self._count += 1
        full = len(self._items) >= self.max_candidates
        if not np.isfinite(candidate.loss) or (full and key >= self._keys[-1]):
            _remove(candidate.model_files)
            return False
        position = bisect.bisect(self._keys, key)
        self._keys.insert(position, key)
        self._items.insert(position, self._spill(candidate, key[1]))
        if len(self._items) > self.max_candidates:
            self._keys.pop()
            self._drop(self._items.pop())
        self._limit_model_bytes()
        return True

    def add_record(self, record: Any) -> bool:
        """Offer a search ``TrialRecord`` (kept if ok and it has predictions)."""
        return self.add(Candidate.from_record(record))

    def _spill(self, candidate: Candidate, number: int) -> Candidate:
        predictions = np.asarray(candidate.predictions)
        if self.directory is None or predictions.nbytes <= self.spill_bytes:
            return candidate
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"predictions_{number}.npy"
        np.save(path, predictions)
        return replace(candidate, predictions=np.load(path, mmap_mode="r"))

    def _limit_model_bytes(self) -> None:
        """Delete the worst candidates' fold models while over the limit."""
        sizes = [_size(c.model_files) for c in self._items]
        total = sum(sizes)
        for i in reversed(range(len(self._items))):
            if total <= self.max_model_bytes:
                return
            if sizes[i]:
                _remove(self._items[i].model_files)
                self._items[i] = replace(self._items[i], model_files=())
                total -= sizes[i]

    @staticmethod
    def _drop(candidate: Candidate) -> None:
        filename = getattr(candidate.predictions, "filename", None)
        _remove(() if filename is None else (filename,))
        _remove(candidate.model_files)


def _remove(paths: tuple[str, ...]) -> None:
    for path in paths:
        try:
            os.remove(path)
        except OSError:  # still mapped elsewhere (Windows) or already gone
            pass


def _size(paths: tuple[str, ...]) -> int:
    total = 0
    for path in paths:
        try:
            total += os.path.getsize(path)
        except OSError:
            pass
    return total
