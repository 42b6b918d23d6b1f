"""Trial records → the leaderboard DataFrame users read."""

from __future__ import annotations

from typing import Any

import pandas as pd

from automl.metrics import Metric
from automl.search import TrialRecord

_COLUMNS = [
    "rank",
    "trial_id",
    "model",
    "score",
    "loss",
    "status",
    "fit_time",
    "budget",
    "origin",
    "config",
    "error",
]


def leaderboard_frame(records: list[TrialRecord], metric: Metric) -> pd.DataFrame:
    """One row per trial, best first; failed trials last.

    ``score`` is in the user's metric (e.g. ROC AUC, higher is better), ``loss``
    is what the search minimised.
    """
    rows = [_row(r, metric) for r in records]
    frame = pd.DataFrame(rows, columns=_COLUMNS[1:])
    if frame.empty:
        return pd.DataFrame(columns=_COLUMNS)
    frame["failed"] = frame["status"] != "ok"
    frame = frame.sort_values(["failed", "loss", "trial_id"], kind="stable")
    frame = frame.drop(columns="failed").reset_index(drop=True)
    frame.insert(0, "rank", range(1, len(frame) + 1))
    return frame


def _row(record: TrialRecord, metric: Metric) -> dict[str, Any]:
    ok = record.status == "ok"
    return {
        "trial_id": record.trial_id,
        "model": record.config.get("model"),
        "score": metric.loss_to_score(record.loss) if ok else float("nan"),
        "loss": record.loss,
        "status": record.status,
        "fit_time": round(record.duration, 3),
        "budget": record.budget if record.budget is not None else 1.0,
        "origin": record.origin,
        "config": record.config,
        "error": (record.error or "").strip().splitlines()[0] if record.error else None,
    }
