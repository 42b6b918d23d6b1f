"""Reporting: the leaderboard (and later progress and plots)."""

from automl.reporting.leaderboard import leaderboard_frame

__all__ = ["leaderboard_frame"]
