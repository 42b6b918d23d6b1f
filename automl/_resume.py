"""Resuming a killed fit from the trial log in ``output_dir``.

The run (:mod:`automl.run`) calls these: open the log for this
fit's data and settings, turn the logged trials into records the search tells
SMAC before its first ask, and offer their stored predictions to the ensemble.
The log itself is :mod:`automl.search.trial_log`.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
from ConfigSpace import ConfigurationSpace

from automl._version import __version__
from automl.ensemble import Candidate, CandidatePool
from automl.evaluation import TrialData
from automl.search import TrialRecord
from automl.search.trial_log import (
    LOG_NAME,
    LogHeader,
    TrialLog,
    data_fingerprint,
    read_trial_log,
    splits_fingerprint,
)
from automl.space import repair_config, space_hash

logger = logging.getLogger("automl")


def logged_auto_settings(
    output_dir: str | os.PathLike[str] | None, params: dict[str, Any]
) -> dict[str, Any]:
    """The resampling and k-fold repeats of a logged fit, for the parameters
    left at "auto" (empty without a log).

    "auto" depends on ``time_limit``; a resumed fit with another time limit
    keeps the validation of its trials so that their losses compare.
    """
    if output_dir is None or not (Path(output_dir) / LOG_NAME).exists():
        return {}
    try:
        header, _ = read_trial_log(output_dir)
    except ValueError:  # reported when the log is opened
        return {}
    logged = header.settings
    adopted: dict[str, Any] = {}
    if params["resampling"] == "auto" and logged.get("resampling") in ("holdout", "cv"):
        adopted["resampling"] = logged["resampling"]
    if params["cv_repeats"] == "auto" and isinstance(logged.get("cv_repeats"), int):
        adopted["cv_repeats"] = logged["cv_repeats"]
    return adopted


def open_trial_log(
    output_dir: str | os.PathLike[str],
    data: TrialData,
    space: ConfigurationSpace,
    settings: dict[str, Any],
    policy: dict[str, Any],
) -> TrialLog:
    """Open (or start) the trial log of ``output_dir`` for this fit.

    ``settings`` must match the log's for its trials to be resumed; the
    ``policy`` (:meth:`~automl.policy.Policy.as_dict`) is recorded beside
    them, not compared: it decides the time each stage gets, not what a
    trial's loss means.

    Raises ``ValueError`` if the log belongs to other data or settings.
    """
    settings = {**settings, "splits": splits_fingerprint(data.splits)}
    if data.sample_weight is not None:  # losses on other weights differ
        weights = np.ascontiguousarray(data.sample_weight, dtype=np.float64)
        settings["sample_weight"] = hashlib.sha256(weights.tobytes()).hexdigest()
    header = LogHeader(
        data_fingerprint=data_fingerprint(data.X, data.y, data.task),
        settings=settings,
        space_hash=space_hash(space),
        info={"automl_version": __version__, "policy": policy},
    )
    log = TrialLog(output_dir, header)
    if log.trials:
        logger.info(
            "resuming from %s: %d trials already finished",
            log.path,
            len(log.trials),
        )
    if log.space_changed and log.trials:
        logger.warning(
            "The configuration space changed since the trial log in %s was "
            "written (another library version?); its configurations are "
            "repaired to the current space.",
            output_dir,
        )
    return log


def resumed_trials(
    log: TrialLog, space: ConfigurationSpace, start: float
) -> list[TrialRecord]:
    """The logged trials, configurations repaired to ``space``.

    Trials whose configuration is illegal in ``space`` (e.g. a model family
    that is no longer installed) are left out with a warning.
    """
    records = []
    for record in log.resumed_records(start):
        config = repair_config(record.config, space)
        if config is None:
            logger.warning(
                "trial %d of the trial log does not fit the current "
                "configuration space; not resumed: %s",
                record.trial_id,
                record.config,
            )
            continue
        record.config = config
        records.append(record)
    return records


def offer_resumed(
    pool: CandidatePool, log: TrialLog, records: list[TrialRecord]
) -> None:
    """Offer the resumed successes to the ensemble: those whose predictions
    the log stored, which are those the pool took."""
    stored = {int(t["trial_id"]) for t in log.trials if t.get("predictions")}
    for record in records:
        if record.status != "ok" or record.trial_id not in stored:
            continue
        try:
            predictions = log.load_predictions(record.trial_id)
        except (OSError, ValueError) as exc:
            logger.warning(
                "predictions of trial %d unreadable (%s)", record.trial_id, exc
            )
            continue
        pool.add(Candidate.from_record(record, predictions))
