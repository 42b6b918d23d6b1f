"""The end of a fit without an ensemble: refit a best trial, else the constant
baseline; and the record of whatever the final model is (``ensemble_info_``).

When the search kept no full-budget trial with predictions, or building the
ensemble failed, :class:`RefitBest` refits the best trials on all rows, best
first, and keeps the first refit that did not diverge on its trial's
validation rows; the run supplies how one refit is done (in a worker it can
kill). When none works, the constant baseline predicts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from automl.ensemble.fitted import FittedEnsemble
from automl.ensemble.state import has_diverged
from automl.evaluation import TrialData, predict_pipeline
from automl.metrics import Metric, score_predictions
from automl.resampling import validation_indices
from automl.search import TrialRecord

logger = logging.getLogger("automl")


def best_first(records: list[TrialRecord]) -> list[TrialRecord]:
    """Finished trials, the highest budget first, then by loss.

    When no trial reached the full budget (a short fit with successive
    halving), the best ones of the highest budget reached are refitted on all
    rows: a model from them beats the constant fallback.
    """
    ok = [r for r in records if r.status == "ok"]
    return sorted(ok, key=lambda r: (-(r.budget or 1.0), r.loss))


@dataclass
class RefitBest:
    """The best of the top ``n_tries`` trials that refits on all rows in time.

    Parameters
    ----------
    refit : callable
        ``refit(record)``: the trial's configuration fitted on all rows, or
        None if that failed or ran out of time.
    data : TrialData
    metric : Metric
    tolerance : float
        ``Policy.divergence_tolerance``.
    n_tries : int, default=3
    """

    refit: Callable[[TrialRecord], Any]
    data: TrialData
    metric: Metric
    tolerance: float
    n_tries: int = 3

    def run(self, records: list[TrialRecord]) -> tuple[TrialRecord, Any] | None:
        """The first refit that works, with its trial; None if none does."""
        for record in best_first(records)[: self.n_tries]:
            model = self.refit(record)
            if model is None:
                continue
            if self.diverged(model, record):
                logger.warning(
                    "The refit of trial %d on all rows did far worse on its "
                    "validation rows than the trial; trying the next best.",
                    record.trial_id,
                )
                continue
            return record, model
        return None

    def diverged(self, model: Any, record: TrialRecord) -> bool:
        """The ensemble members' check (``has_diverged``) on a single refit."""
        data = self.data
        rows = validation_indices(data.splits)
        predictions = predict_pipeline(
            model, data.X.iloc[rows], data.task, data.n_classes
        )
        loss = score_predictions(
            self.metric, data.y[rows], predictions, data.task, data.weights_of(rows)
        )
        return has_diverged(loss, record.loss, self.tolerance)

    def timed(
        self, records: list[TrialRecord], why: str
    ) -> tuple[tuple[TrialRecord, Any] | None, dict[str, Any]]:
        """:meth:`run`, and the final model's record (:func:`refit_info`)."""
        start = time.time()
        refitted = self.run(records)
        return refitted, refit_info(records, refitted, why, time.time() - start)


def ensemble_info(ensemble: FittedEnsemble) -> dict[str, Any]:
    """The estimator's ``ensemble_info_``: kind, members, losses, decision."""
    return {
        "kind": ensemble.kind,
        "members": [
            {k: v for k, v in m.items() if k != "predictor"} for m in ensemble.members
        ],
        "validation_losses": dict(ensemble.validation_losses),
        "decision": ensemble.decision,
        "fit_seconds": ensemble.fit_seconds,
        "stage_seconds": dict(ensemble.stage_seconds),
        "stage_estimates": dict(ensemble.stage_estimates),
        "calibration": ensemble.calibration.as_dict(),
    }


def refit_info(
    records: list[TrialRecord],
    refitted: tuple[TrialRecord, Any] | None,
    why: str,
    seconds: float,
) -> dict[str, Any]:
    """``ensemble_info_`` of a fit that ended without an ensemble (``why``)."""
    if refitted is None:
        kind, members = "fallback", []
        decision = (
            f"{why}, and refitting the best trials failed: constant baseline"
            if best_first(records)
            else "no trial succeeded: constant baseline"
        )
    else:
        record = refitted[0]
        kind = "single"
        members = [
            {
                "name": f"{record.config.get('model')}#{record.trial_id}",
                "trial_id": record.trial_id,
                "family": record.config.get("model"),
                "weight": 1.0,
                "layer": 1,
                "predictor": "full refit",
            }
        ]
        budget = 1.0 if record.budget is None else record.budget
        decision = (
            f"{why}: refitted trial {record.trial_id} (validated on "
            f"{budget:.0%} of the rows) on all rows"
        )
    return {
        "kind": kind,
        "members": members,
        "validation_losses": {},
        "decision": decision,
        "fit_seconds": seconds,
        "stage_seconds": {"refit": seconds},
    }
