"""Ensembling: greedy ensemble selection, k-fold bags and stacking.

``build_ensemble`` is what ``fit`` calls after the search: it turns the
finished trials (:class:`Candidate`) into a :class:`FittedEnsemble` within a
deadline, degrading from a stack to a plain ensemble to the single best model.
"""

from __future__ import annotations

from automl.costs import diverse_bases
from automl.ensemble.bagging import Bag, BaggedModel, BagTimeoutError, fit_bag
from automl.ensemble.builder import Candidate, build_ensemble, has_diverged
from automl.ensemble.fitted import BaseMember, FittedEnsemble
from automl.ensemble.pool import CandidatePool
from automl.ensemble.selection import (
    EnsembleSelection,
    greedy_ensemble_selection,
    metric_loss,
)
from automl.ensemble.stacking import (
    StackCheck,
    StackerSpec,
    check_stacking,
    default_stackers,
    fit_stackers,
)

__all__ = [
    "Bag",
    "BagTimeoutError",
    "BaggedModel",
    "BaseMember",
    "Candidate",
    "CandidatePool",
    "EnsembleSelection",
    "FittedEnsemble",
    "StackCheck",
    "StackerSpec",
    "build_ensemble",
    "check_stacking",
    "default_stackers",
    "diverse_bases",
    "fit_bag",
    "fit_stackers",
    "greedy_ensemble_selection",
    "has_diverged",
    "metric_loss",
]
