"""Trial records → the leaderboard DataFrame users read."""

from __future__ import annotations

from typing import Any

import pandas as pd

from automl.metrics import Metric
from automl.search import TrialRecord, is_full_budget_success

_COLUMNS = [
    "rank",
    "trial_id",
    "model",
    "score",
    "loss",
    "status",
    "fit_time",
    "memory_mb",
    "budget",
    "origin",
    "resumed",
    "hyperparameters",
    "preprocessing",
    "config",
    "error",
]


def leaderboard_frame(records: list[TrialRecord], metric: Metric) -> pd.DataFrame:
    """One row per trial: full-budget trials by loss, then lower budgets, failures last.

    ``score`` is in the user's metric (e.g. ROC AUC, higher is better), ``loss``
    is what the search minimised. Only full-budget trials compete for the final
    model, so they come first.
    """
    rows = [_row(r, metric) for r in records]
    frame = pd.DataFrame(rows, columns=_COLUMNS[1:])
    if frame.empty:
        return pd.DataFrame(columns=_COLUMNS)
    frame["failed"] = frame["status"] != "ok"
    frame = frame.sort_values(
        ["failed", "budget", "loss", "trial_id"],
        ascending=[True, False, True, True],
        kind="stable",
    )
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
        "memory_mb": _peak_memory(record),
        "budget": record.budget if record.budget is not None else 1.0,
        "origin": record.origin,
        "resumed": record.resumed,
        "hyperparameters": key_hyperparameters(record.config),
        "preprocessing": preprocessing_summary(record.config),
        "config": record.config,
        "error": (record.error or "").strip().splitlines()[0] if record.error else None,
    }


def _peak_memory(record: TrialRecord) -> float:
    peak = getattr(record.outcome, "peak_memory_mb", None)
    return float("nan") if peak is None else round(float(peak), 1)


def with_skipped_families(frame: pd.DataFrame, skipped: dict[str, str]) -> pd.DataFrame:
    """The leaderboard with a row per family the memory plan left out, last.

    Parameters
    ----------
    frame : pandas.DataFrame
        From :func:`leaderboard_frame`.
    skipped : dict of str to str
        Family -> reason (``MemoryPlan.skipped``).

    Returns
    -------
    pandas.DataFrame
        Skipped families have status "memout", origin "memory plan", no
        trial_id and the reason in ``error``.
    """
    if not skipped:
        return frame
    rows = [
        {
            "trial_id": None,
            "model": family,
            "score": float("nan"),
            "loss": float("nan"),
            "status": "memout",
            "fit_time": 0.0,
            "memory_mb": float("nan"),
            "budget": float("nan"),
            "origin": "memory plan",
            "resumed": False,
            "hyperparameters": "",
            "preprocessing": "",
            "config": {"model": family},
            "error": reason,
        }
        for family, reason in skipped.items()
    ]
    extra = pd.DataFrame(rows).reindex(columns=frame.columns)
    out = pd.concat([frame.drop(columns="rank"), extra.drop(columns="rank")])
    out.insert(0, "rank", range(1, len(out) + 1))
    return out.reset_index(drop=True)


def key_hyperparameters(config: dict[str, Any]) -> str:
    """The model family's own hyperparameters, short and readable.

    Parameters
    ----------
    config : dict
        A plain configuration (``"model"`` plus ``"model:<family>:<name>"`` keys).

    Returns
    -------
    str
        ``"name=value"`` pairs, e.g. ``"learning_rate=0.1, num_leaves=31"``.

    Examples
    --------
    >>> key_hyperparameters(
    ...     {"model": "lightgbm", "model:lightgbm:num_leaves": 31.0, "scaler": "none"}
    ... )
    'num_leaves=31'
    """
    prefix = f"model:{config.get('model')}:"
    pairs = [
        f"{key[len(prefix) :]}={_short(value)}"
        for key, value in sorted(config.items())
        if key.startswith(prefix)
    ]
    return ", ".join(pairs)


def preprocessing_summary(config: dict[str, Any]) -> str:
    """The preprocessing choices of a configuration, skipping those set to none.

    Parameters
    ----------
    config : dict
        A plain configuration.

    Returns
    -------
    str
        ``"kind=choice"`` pairs, e.g. ``"categorical_encoder=onehot, scaler=standard"``.

    Examples
    --------
    >>> preprocessing_summary({"model": "linear", "scaler": "standard",
    ...                        "class_weight": "none"})
    'scaler=standard'
    """
    pairs = [
        f"{key}={value}"
        for key, value in sorted(config.items())
        if key != "model" and ":" not in key and value not in ("none", None)
    ]
    return ", ".join(pairs)


def _short(value: Any) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.3g}"
    return str(value)


def performance_over_time(trials: list[dict[str, Any]], metric: Metric) -> pd.DataFrame:
    """Best validation score so far against the time the fit had been running.

    Only trials that finished on the full budget count: trials on a fraction
    of the rows are not comparable, and cannot become the final model.

    Parameters
    ----------
    trials : list of dict
        Trial dicts as in an estimator's ``trials_`` (``trial_id``, ``config``,
        ``status``, ``loss``, ``budget``, ``started``, ``duration``).
    metric : Metric
        Turns losses back into scores in the user's metric.

    Returns
    -------
    pandas.DataFrame
        One row per improvement, in time order: ``time`` (seconds since the
        start of ``fit`` when the trial finished), ``score`` (best score so
        far), ``trial_id`` and ``model`` of the trial that set it.

    Examples
    --------
    >>> from automl.metrics import get_metric
    >>> trials = [
    ...     {"trial_id": 0, "config": {"model": "linear"}, "status": "ok",
    ...      "loss": 0.2, "budget": None, "started": 0.5, "duration": 1.0},
    ...     {"trial_id": 1, "config": {"model": "knn"}, "status": "ok",
    ...      "loss": 0.3, "budget": None, "started": 0.6, "duration": 2.0},
    ... ]
    >>> performance_over_time(trials, get_metric("accuracy", "binary"))
       time  score  trial_id   model
    0   1.5    0.8         0  linear
    """
    rows: list[dict[str, Any]] = []
    best = float("inf")
    for trial in sorted(trials, key=_finished_at):
        if (
            not is_full_budget_success(trial["status"], trial.get("budget"))
            or trial["loss"] >= best
        ):
            continue
        best = trial["loss"]
        rows.append(
            {
                "time": round(_finished_at(trial), 3),
                "score": metric.loss_to_score(best),
                "trial_id": trial["trial_id"],
                "model": trial["config"].get("model"),
            }
        )
    return pd.DataFrame(rows, columns=["time", "score", "trial_id", "model"])


def _finished_at(trial: dict[str, Any]) -> float:
    return float(trial["started"]) + float(trial["duration"])
