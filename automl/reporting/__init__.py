"""Reporting: the leaderboard, the text summary, progress and logging, plots.

matplotlib is imported only when a plot is drawn.
"""

from automl.reporting.importance import feature_importance
from automl.reporting.leaderboard import (
    key_hyperparameters,
    leaderboard_frame,
    performance_over_time,
)
from automl.reporting.plots import (
    plot_ensemble,
    plot_importance,
    plot_intervals,
    plot_trajectory,
)
from automl.reporting.progress import SearchProgress, enable_logging
from automl.reporting.summary import Member, ensemble_members, summary_text

__all__ = [
    "Member",
    "SearchProgress",
    "enable_logging",
    "ensemble_members",
    "feature_importance",
    "key_hyperparameters",
    "leaderboard_frame",
    "performance_over_time",
    "plot_ensemble",
    "plot_importance",
    "plot_intervals",
    "plot_trajectory",
    "summary_text",
]
