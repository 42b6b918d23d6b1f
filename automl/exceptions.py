"""Warnings and errors that users may want to catch or filter."""

from __future__ import annotations


class AutoMLWarning(UserWarning):
    """Something in the fit did not go as planned; the estimator still works."""


class FallbackModelWarning(AutoMLWarning):
    """No searched model could be used; predictions come from a constant baseline."""
