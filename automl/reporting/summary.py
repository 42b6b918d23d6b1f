"""A fitted estimator in a few lines of text, and its ensemble members.

Both work from the estimator's public fitted attributes (``trials_``,
``metric_``, ``best_config_``, ``ensemble_`` ...), so they apply to a loaded
model as well as to a freshly fitted one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from numbers import Integral
from typing import Any

from automl.reporting.progress import STATUS_WORDS

#: How ``best_config_["model"]`` names the constant baseline used when no
#: searched model could be refitted.
_FALLBACK_PREFIX = "fallback:"
_BASELINE = "constant baseline"


@dataclass(frozen=True)
class Member:
    """One member of the final model.

    Parameters
    ----------
    label : str
        ``"trial 4"`` for a searched configuration, or the member's name.
    model : str or None
        Its model family (``"lightgbm"`` ...), when known.
    weight : float
        Its weight in the ensemble (1.0 for a single model).
    """

    label: str
    model: str | None
    weight: float


def ensemble_members(estimator: Any) -> list[Member]:
    """The members of a fitted estimator's final model and their weights.

    Reads ``ensemble_``: a list of ``(trial_id or name, weight)`` pairs, or an
    object whose ``weight_pairs()`` returns them. An estimator without one (or
    with an empty one) is its single best model with weight 1.0. This is the
    only place that knows the shape of ``ensemble_``.

    Parameters
    ----------
    estimator : AutoClassifier or AutoRegressor
        A fitted estimator.

    Returns
    -------
    list of Member
        Heaviest first.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> est = SimpleNamespace(
    ...     trials_=[{"trial_id": 3, "config": {"model": "knn"}, "status": "ok"}],
    ...     best_config_={"model": "knn"},
    ... )
    >>> ensemble_members(est)
    [Member(label='trial 3', model='knn', weight=1.0)]
    """
    families = {t["trial_id"]: t["config"].get("model") for t in estimator.trials_}
    ensemble: Any = getattr(estimator, "ensemble_", None)
    if hasattr(ensemble, "weight_pairs"):  # a FittedEnsemble rather than the pairs
        ensemble = ensemble.weight_pairs()
    if not ensemble:
        return [_single_best(estimator)]
    members = []
    for key, weight in ensemble:
        if isinstance(key, Integral) and int(key) in families:
            members.append(Member(f"trial {key}", families[int(key)], float(weight)))
        else:
            members.append(Member(str(key), None, float(weight)))
    return sorted(members, key=lambda m: -m.weight)


def _single_best(estimator: Any) -> Member:
    model = str(estimator.best_config_.get("model"))
    if model.startswith(_FALLBACK_PREFIX):
        return Member(_BASELINE, model[len(_FALLBACK_PREFIX) :], 1.0)
    for trial in estimator.trials_:
        if trial["status"] == "ok" and trial["config"] == estimator.best_config_:
            return Member(f"trial {trial['trial_id']}", model, 1.0)
    return Member(str(model), model, 1.0)


def summary_text(estimator: Any) -> str:
    """A short text report of a fitted estimator.

    Parameters
    ----------
    estimator : AutoClassifier or AutoRegressor
        A fitted estimator.

    Returns
    -------
    str
        The metric, the best validation score and family, the time used,
        trials ok / failed / timed out, when the first usable model (a trial
        on the full budget) finished, the resampling and the ensemble size.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from automl import AutoClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = AutoClassifier(time_limit=20, max_trials=2, n_jobs=1).fit(X, y)
    >>> print(summary_text(clf))  # doctest: +ELLIPSIS
    AutoClassifier: multiclass, 4 features
      metric           log_loss (lower is better)
    ...
    """
    metric = estimator.metric_
    members = ensemble_members(estimator)
    direction = "higher" if metric.greater_is_better else "lower"
    lines = [
        f"{type(estimator).__name__}: {_data_line(estimator)}",
        f"  metric           {metric.name} ({direction} is better)",
        f"  best validation  {_best_line(estimator)}",
        f"  time used        {_time_line(estimator)}",
        f"  trials           {_trials_line(estimator.trials_)}",
    ]
    first = _first_model_line(estimator)
    if first:
        lines.append(f"  first model      {first}")
    lines += [
        f"  resampling       {_resampling_line(estimator)}",
        f"  final model      {_members_line(members)}",
    ]
    calibration = _calibration_line(getattr(estimator, "ensemble_info_", {}))
    if calibration:
        lines.append(f"  calibration      {calibration}")
    conformal = _conformal_line(estimator)
    if conformal:
        lines.append(f"  conformal        {conformal}")
    plan = getattr(estimator, "memory_plan_", None)
    if plan is not None:
        lines.append(f"  memory           {_memory_line(plan)}")
        lines += [f"                   {note}" for note in _memory_notes(plan)]
    return "\n".join(lines)


def _conformal_line(estimator: Any) -> str:
    """The 90 % intervals or sets and their out-of-fold coverage, or ""."""
    scores = getattr(getattr(estimator, "model_", None), "conformity", None)
    if scores is None:
        return ""
    if getattr(scores, "levels", None) is not None:  # a quantile fit: CQR
        alphas = scores.alphas()
        if not alphas:
            return ""
        level = 1 - alphas[-1]
        return (
            f"{level:.0%} conformalized quantile intervals: out-of-fold coverage "
            f"{scores.oof_coverage(alphas[-1]):.1%}"
        )
    what = "intervals" if scores.labels is None else "prediction sets"
    text = f"90 % {what}: out-of-fold coverage {scores.oof_coverage(0.1):.1%}"
    if scores.scale is not None:
        text += f" (adaptive {scores.oof_coverage(0.1, adaptive=True):.1%}"
        kind = "adaptive" if scores.uses_adaptive(0.1, "auto") else "plain"
        text += f"; the {kind} ones are narrower and the default)"
    return text


def _calibration_line(info: dict[str, Any]) -> str:
    """What was kept of the temperature and the decision rule, or ""."""
    calibration = info.get("calibration") or {}
    kept = []
    if calibration.get("temperature", 1.0) != 1.0:
        kept.append(f"temperature {calibration['temperature']:.3g}")
    if calibration.get("threshold") is not None:
        kept.append(f"decision threshold {calibration['threshold']:.3g}")
    if calibration.get("class_weights") is not None:
        kept.append("class weights 1 / prior")
    return "; ".join(kept)


def _time_line(estimator: Any) -> str:
    limit = estimator.time_limit
    text = f"{estimator.fit_time_:.1f} s" + (f" of {limit:g} s" if limit else "")
    search = getattr(estimator, "search_time_", None)  # absent in older saves
    if search is not None:
        after = estimator.fit_time_ - search
        text += f" (search {search:.1f} s, then {after:.1f} s for the final model)"
    return text


def _first_model_line(estimator: Any) -> str:
    """When the first trial on the full budget finished (a usable model), or ""."""
    progress = getattr(estimator, "performance_over_time_", None)
    if progress is None or progress.empty:
        return ""
    first = progress.iloc[0]
    return (
        f"after {first['time']:.1f} s: {first['model']} "
        f"(validation {first['score']:.4g})"
    )


def _memory_line(plan: dict[str, Any]) -> str:
    workers = plan["n_workers"]
    per_trial = plan["per_trial_mb"]
    text = f"limit {plan['limit_mb']:,.0f} MiB, data {plan['data_mb']:,.0f} MiB"
    if workers and per_trial is not None:
        text += f", {workers} worker{'s' if workers > 1 else ''} × {per_trial:,.0f} MiB"
    return text


def _memory_notes(plan: dict[str, Any]) -> list[str]:
    notes = list(plan["notes"])
    if plan["skipped"]:
        notes.append("not searched (memory): " + ", ".join(sorted(plan["skipped"])))
    return notes


def _data_line(estimator: Any) -> str:
    return f"{estimator.task_}, {estimator.n_features_in_} features"


def _best_line(estimator: Any) -> str:
    model = estimator.best_config_.get("model")
    score = estimator.best_score_
    if score != score:  # NaN: the constant fallback
        return "none (no trial finished, or refitting failed)"
    return f"{score:.4g} ({model})"


def _trials_line(trials: list[dict[str, Any]]) -> str:
    counts = Counter(t["status"] for t in trials)
    parts = [f"{counts['ok']} ok"] + [
        f"{counts[status]} {word}"
        for status, word in STATUS_WORDS.items()
        if counts[status]
    ]
    others = sorted(set(counts) - {"ok", *STATUS_WORDS})
    parts += [f"{counts[status]} {status}" for status in others]
    return f"{len(trials)} ({', '.join(parts)})"


def _members_line(members: list[Member]) -> str:
    if len(members) == 1 and members[0].label == _BASELINE:
        return f"{_BASELINE} ({members[0].model}): no searched model could be used"
    if len(members) == 1:
        return f"the single best model ({members[0].label}, {members[0].model})"
    shown = ", ".join(f"{m.model or m.label} {m.weight:.2f}" for m in members[:5]) + (
        ", ..." if len(members) > 5 else ""
    )
    return f"ensemble of {len(members)} members: {shown}"


def _resampling_line(estimator: Any) -> str:
    validation = getattr(estimator, "validation_", {})
    if validation.get("splitter"):
        what = f"{validation['splitter']}, {validation['n_splits']} splits"
    else:
        repeats = getattr(estimator, "cv_repeats_", 1)
        repeated = f", k-fold repeated {repeats} times" if repeats > 1 else ""
        what = f"{estimator.resampling_}{repeated}"
    validated, rows = validation.get("validated_rows"), validation.get("rows")
    if validated is not None and validated < rows:
        what += f" ({validated:,} of {rows:,} rows validated)"
    if validation.get("weighted"):
        what += "; rows weighted by sample_weight"
        left_out = validation.get("left_out_for_weights")
        if left_out:
            what += f" (not searched, cannot weigh rows: {', '.join(left_out)})"
    return what
