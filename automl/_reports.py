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
from automl.reporting import plot_ensemble, plot_trajectory, summary_text


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
