"""What a fitted estimator tells about itself: leaderboard, summary, plots, save.

A mixin of :class:`automl._base.BaseAuto`; each method reads only fitted
attributes, so it works the same on a model loaded with :func:`automl.load`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.utils.validation import check_is_fitted

from automl import persistence
from automl.reporting import (
    feature_importance,
    plot_ensemble,
    plot_importance,
    plot_trajectory,
    summary_text,
)


class FittedReports:
    """The reports of a fitted estimator (see the module docstring)."""

    leaderboard_: pd.DataFrame

    def leaderboard(self) -> pd.DataFrame:
        """One row per trial, best first (failed trials last).

        Returns
        -------
        pandas.DataFrame
            Columns: rank, trial_id, model, score (in the user's metric), loss
            (what the search minimised), status, fit_time, memory_mb (peak
            resident MiB of the trial's worker), budget, origin,
            resumed (reused from ``output_dir``'s trial log), hyperparameters
            (the family's own, as text), preprocessing (the
            choices that are not "none"), config, error.
        """
        check_is_fitted(self, "leaderboard_")
        return self.leaderboard_.copy()

    def summary(self) -> str:
        """A short text report: metric, best score and family, time, trials, ensemble.

        Returns
        -------
        str
            Print it: ``print(clf.summary())``.

        Examples
        --------
        >>> print(clf.summary())  # doctest: +SKIP
        AutoClassifier: binary, 30 features
          metric           roc_auc (higher is better)
          best validation  0.995 (hist_gb)
          ...
        """
        check_is_fitted(self, "trials_")
        return summary_text(self)

    def save(
        self,
        path: str | Path,
        *,
        format: str = "pickle",
        info: dict[str, Any] | None = None,
    ) -> Path:
        """Save the fitted estimator with the library versions; see ``automl.load``.

        Pickle files can run code when loaded: load them only from trusted
        sources, or save with ``format="skops"`` for a file that is safe to load.

        Parameters
        ----------
        path : str or Path
            File to write, e.g. ``"model.automl"``.
        format : {"pickle", "skops"}, default="pickle"
        info : dict or None, default=None
            JSON-serialisable facts to keep in the file's metadata.

        Returns
        -------
        Path

        Examples
        --------
        >>> import automl
        >>> path = clf.save("model.automl")  # doctest: +SKIP
        >>> clf = automl.load(path)  # doctest: +SKIP
        """
        check_is_fitted(self, "model_")
        return persistence.save(self, path, format=format, info=info)

    def plot_trajectory(self, ax: Any = None) -> Any:
        """Plot the best validation score over time, every trial a point (matplotlib).

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> ax = clf.plot_trajectory()  # doctest: +SKIP
        >>> ax.figure.savefig("trajectory.png")  # doctest: +SKIP
        """
        check_is_fitted(self, "trials_")
        return plot_trajectory(self, ax=ax)

    def plot_ensemble(self, ax: Any = None) -> Any:
        """Plot the final model's members and their weights (matplotlib).

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> ax = clf.plot_ensemble()  # doctest: +SKIP
        """
        check_is_fitted(self, "trials_")
        return plot_ensemble(self, ax=ax)

    def feature_importance(
        self,
        X: Any,
        y: Any,
        *,
        n_repeats: int = 5,
        max_rows: int = 5_000,
        time_limit: float | None = 60.0,
        random_state: int | None = 0,
        sample_weight: Any = None,
    ) -> pd.DataFrame:
        """How much each input column matters to the fitted model.

        Permutation importance: each column of ``X`` is shuffled among the
        rows in turn and how much the fit's metric (``metric_``) gets worse
        is measured, ``n_repeats`` times. It is computed for the final model as a
        whole, on the columns you passed (not the encoded or generated ones).
        Correlated columns share their importance.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to measure on; held-out rows (not the training rows) tell
            what the model needs on new data.
        y : array-like of shape (n_samples,)
        n_repeats : int, default=5
            Shuffles per column.
        max_rows : int, default=5_000
            At most this many rows (a random sample) are scored.
        time_limit : float or None, default=60
            Seconds the measurement may take: estimated from one scoring of
            the sample, it uses fewer rows (down to 200), then fewer repeats
            (down to 2) when the whole would take longer. None: no bound.
        random_state : int or None, default=0
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Weights of the rows in the metric.

        Returns
        -------
        pandas.DataFrame
            One row per input column, most important first: ``importance``
            (how much the metric gets worse, in its units: RMSE up, ROC AUC
            down; negative: shuffling helped, noise),
            ``stddev`` over the repeats, ``p_value`` (one-sided t-test that it
            is above zero), ``ci_low`` and ``ci_high`` (95 % interval). Its
            ``attrs`` hold ``metric``, ``n_rows``, ``n_repeats``, ``seconds``.

        Examples
        --------
        >>> importance = clf.feature_importance(X_test, y_test)  # doctest: +SKIP
        >>> importance.head()  # doctest: +SKIP
                         importance    stddev   p_value  ...
        feature
        worst perimeter    0.0123    0.0021   0.00018  ...
        """
        check_is_fitted(self, "model_")
        return feature_importance(
            self,
            X,
            y,
            n_repeats=n_repeats,
            max_rows=max_rows,
            time_limit=time_limit,
            random_state=random_state,
            sample_weight=sample_weight,
        )

    def plot_importance(
        self, importance: pd.DataFrame, ax: Any = None, top: int = 20
    ) -> Any:
        """Plot a :meth:`feature_importance` result as bars with 95 % intervals.

        Parameters
        ----------
        importance : pandas.DataFrame
            What :meth:`feature_importance` returned.
        ax : matplotlib Axes or None, default=None
        top : int, default=20
            The most important columns shown.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> importance = clf.feature_importance(X_test, y_test)  # doctest: +SKIP
        >>> ax = clf.plot_importance(importance)  # doctest: +SKIP
        """
        return plot_importance(importance, ax=ax, top=top)
