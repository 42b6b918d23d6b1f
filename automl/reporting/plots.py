"""Plots of a fitted estimator: the optimisation trajectory, the final model
and the permutation importance of its input columns.

matplotlib is imported only when a plot is drawn (``pip install
"automl[plots]"``). Every function draws on ``ax`` when given, or on a new
figure, and returns the Axes.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from automl.reporting.leaderboard import performance_over_time
from automl.reporting.summary import ensemble_members

_FAILED_COLOUR = "0.55"


def plot_trajectory(estimator: Any, ax: Any = None) -> Any:
    """Best validation score against time, with every trial as a point.

    Points are coloured by model family; hollow points are trials on part of
    the rows (multi-fidelity), crosses along the bottom are failed trials.
    The black step line is the best full-budget score so far.

    Parameters
    ----------
    estimator : AutoClassifier or AutoRegressor
        A fitted estimator.
    ax : matplotlib.axes.Axes or None, default=None
        Where to draw; None creates a new figure.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from automl import AutoClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = AutoClassifier(time_limit=20, max_trials=2, n_jobs=1).fit(X, y)
    >>> ax = plot_trajectory(clf)
    >>> ax.get_xlabel()
    'seconds since fit started'
    """
    ax = _new_axes(ax)
    metric = estimator.metric_
    trials = _trial_frame(estimator.trials_, metric)
    colours = family_colours(trials["model"])
    ok = trials[trials["status"] == "ok"]
    for model, group in ok.groupby("model", sort=True):
        full = group[group["full_budget"]]
        partial = group[~group["full_budget"]]
        colour = colours[str(model)]
        ax.scatter(full["time"], full["score"], color=colour, label=model, s=28)
        if len(partial):
            ax.scatter(
                partial["time"],
                partial["score"],
                facecolors="none",
                edgecolors=colour,
                s=28,
            )
    _draw_failures(ax, trials[trials["status"] != "ok"])
    _draw_best(ax, estimator, trials)
    ax.set_xlabel("seconds since fit started")
    ax.set_ylabel(f"validation {metric.name}")
    ax.set_title("Optimisation trajectory")
    ax.legend(fontsize="small", loc="best")
    ax.grid(alpha=0.3)
    return ax


def plot_ensemble(estimator: Any, ax: Any = None) -> Any:
    """The members of the final model and their weights, as horizontal bars.

    Parameters
    ----------
    estimator : AutoClassifier or AutoRegressor
        A fitted estimator; without an ``ensemble_`` its single best model is
        shown with weight 1.0.
    ax : matplotlib.axes.Axes or None, default=None
        Where to draw; None creates a new figure.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from automl import AutoClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = AutoClassifier(time_limit=20, max_trials=2, n_jobs=1).fit(X, y)
    >>> ax = plot_ensemble(clf)
    >>> ax.get_xlabel()
    'weight'
    """
    members = ensemble_members(estimator)
    ax = _new_axes(ax, height=1.2 + 0.45 * len(members))
    colours = family_colours(
        pd.Series([t["config"].get("model") for t in estimator.trials_])
    )
    labels = [m.label if m.model is None else f"{m.label} ({m.model})" for m in members]
    weights = [m.weight for m in members]
    bar_colours = [colours.get(str(m.model), _FAILED_COLOUR) for m in members]
    positions = list(range(len(members)))
    bars = ax.barh(positions, weights, color=bar_colours)
    ax.bar_label(bars, labels=[f"{w:.2f}" for w in weights], padding=3)
    ax.set_yticks(positions, labels)
    ax.invert_yaxis()
    ax.set_xlabel("weight")
    ax.set_xlim(0, max(1.0, max(weights)) * 1.12)
    title = "Ensemble members" if len(members) > 1 else "Final model (single best)"
    ax.set_title(title)
    return ax


def plot_importance(importance: pd.DataFrame, ax: Any = None, top: int = 20) -> Any:
    """Permutation importances as horizontal bars with their 95 % intervals.

    Parameters
    ----------
    importance : pandas.DataFrame
        As returned by ``feature_importance``.
    ax : matplotlib.axes.Axes or None, default=None
        Where to draw; None creates a new figure.
    top : int, default=20
        The most important columns shown.

    Returns
    -------
    matplotlib.axes.Axes
    """
    shown = importance.head(top)
    ax = _new_axes(ax, height=1.2 + 0.35 * len(shown))
    positions = list(range(len(shown)))
    errors = [
        (shown["importance"] - shown["ci_low"]).clip(lower=0),
        (shown["ci_high"] - shown["importance"]).clip(lower=0),
    ]
    colours = ["C0" if p < 0.05 else _FAILED_COLOUR for p in shown["p_value"]]
    ax.barh(positions, shown["importance"], xerr=errors, color=colours)
    ax.set_yticks(positions, list(shown.index))
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    metric = importance.attrs.get("metric", "the metric")
    ax.set_xlabel(f"{metric} worse by, when the column is shuffled")
    ax.set_title("Permutation importance (grey: p >= 0.05)")
    return ax


def plot_intervals(
    estimator: Any, alpha: float = 0.1, adaptive: bool | str = "auto", ax: Any = None
) -> Any:
    """Out-of-fold predictions against the true values, with their conformal
    intervals; rows outside their interval in red.

    Parameters
    ----------
    estimator : AutoRegressor
        A fitted regressor whose final model kept out-of-fold predictions.
    alpha : float, default=0.1
    adaptive : bool or "auto", default="auto"
        The intervals of ``predict_interval(..., adaptive=adaptive)``.
    ax : matplotlib.axes.Axes or None, default=None

    Returns
    -------
    matplotlib.axes.Axes
    """
    scores = getattr(estimator.model_, "conformity", None)
    if getattr(scores, "levels", None) is not None:
        raise ValueError(
            "plot_intervals shows the intervals around one predicted value; this "
            "fit predicts quantiles (quantile_levels). Plot predict's columns."
        )
    if scores is None or scores.predictions is None:
        raise ValueError(
            "plot_intervals needs a regressor whose final model kept out-of-fold "
            "predictions; this one has none."
        )
    adaptive = scores.uses_adaptive(alpha, adaptive)
    half = scores.oof_half_widths(alpha, adaptive)
    inside = scores.scores <= half
    ax = _new_axes(ax, height=5.0)
    for mask, colour in ((inside, "C0"), (~inside, "C3")):
        ax.errorbar(
            scores.targets[mask],
            scores.predictions[mask],
            yerr=half[mask],
            fmt="o",
            ms=2,
            elinewidth=0.5,
            alpha=0.5,
            color=colour,
        )
    low = float(min(scores.targets.min(), scores.predictions.min()))
    high = float(max(scores.targets.max(), scores.predictions.max()))
    ax.plot([low, high], [low, high], color="black", lw=0.8)
    ax.set_xlabel("true value")
    ax.set_ylabel("out-of-fold prediction")
    kind = "adaptive " if adaptive else ""
    ax.set_title(
        f"{1 - alpha:.0%} {kind}intervals: {inside.mean():.1%} of "
        f"{len(inside):,} out-of-fold rows inside"
    )
    return ax


def family_colours(models: pd.Series) -> dict[str, Any]:
    """A stable colour per model family (families sorted by name).

    Parameters
    ----------
    models : pandas.Series
        Family names, repeated or not.

    Returns
    -------
    dict
        Family name → matplotlib colour.

    Examples
    --------
    >>> sorted(family_colours(pd.Series(["knn", "linear", "knn"])))
    ['knn', 'linear']
    """
    palette = [f"C{i}" for i in range(10)]
    names = sorted({str(m) for m in models.dropna()})
    return {name: palette[i % len(palette)] for i, name in enumerate(names)}


def _trial_frame(trials: list[dict[str, Any]], metric: Any) -> pd.DataFrame:
    rows = [
        {
            "time": float(t["started"]) + float(t["duration"]),
            "score": metric.loss_to_score(t["loss"]) if t["status"] == "ok" else None,
            "model": t["config"].get("model"),
            "status": t["status"],
            "full_budget": t.get("budget") is None or t["budget"] >= 1,
        }
        for t in trials
    ]
    columns = ["time", "score", "model", "status", "full_budget"]
    return pd.DataFrame(rows, columns=columns)


def _draw_failures(ax: Any, failed: pd.DataFrame) -> None:
    if failed.empty:
        return
    from matplotlib.transforms import blended_transform_factory

    transform = blended_transform_factory(ax.transData, ax.transAxes)
    ax.scatter(
        failed["time"],
        [0.03] * len(failed),
        marker="x",
        color=_FAILED_COLOUR,
        transform=transform,
        label="failed",
        s=24,
    )


def _draw_best(ax: Any, estimator: Any, trials: pd.DataFrame) -> None:
    best = getattr(estimator, "performance_over_time_", None)
    if best is None:
        best = performance_over_time(estimator.trials_, estimator.metric_)
    if best.empty:
        return
    end = max(float(trials["time"].max()), float(best["time"].iloc[-1]))
    times = [*best["time"], end]
    scores = [*best["score"], best["score"].iloc[-1]]
    ax.step(times, scores, where="post", color="black", lw=1.5, label="best so far")


def _new_axes(ax: Any, height: float = 4.0) -> Any:
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "Plotting needs matplotlib, which is not installed. Install it with "
            "pip install 'automl[plots]' (or pip install matplotlib)."
        ) from exc
    _, ax = plt.subplots(figsize=(7, height), layout="constrained")
    return ax
