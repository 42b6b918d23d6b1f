"""What the driver asks of an optimiser: the :class:`Optimizer` protocol.

The driver (:mod:`automl.search.driver`) knows optimisers only through this
protocol; SMAC's implementation is :class:`automl.search.optimizer.SMACOptimizer`,
and any object with these four methods (e.g. the benchmarks' random search)
can take its place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Proposal:
    """One trial to run: plain configuration values, seed, budget and origin.

    ``info`` is the optimiser's own handle on the trial, given back in
    :meth:`Optimizer.tell`.
    """

    config: dict[str, Any]
    seed: int
    budget: float | None
    origin: str
    info: Any = None


class Optimizer(Protocol):
    """Proposes configurations and learns from their losses."""

    def ask(self) -> Proposal:
        """The next configuration to evaluate."""
        ...

    def tell(
        self, proposal: Proposal, loss: float, status: str, seconds: float
    ) -> None:
        """Report a finished trial; ``loss`` is finite."""
        ...

    def tell_known(
        self,
        config: dict[str, Any],
        *,
        seed: int,
        budget: float | None,
        loss: float,
        status: str,
        seconds: float,
    ) -> None:
        """Report a trial finished before this optimiser existed (resume);
        called before the first :meth:`ask`."""
        ...

    def close(self) -> None:
        """Release what the optimiser holds (files, threads)."""
        ...
