"""Warnings and errors that users may want to catch or filter."""

from __future__ import annotations


class AutoMLWarning(UserWarning):
    """Something in the fit did not go as planned; the estimator still works."""


class FallbackModelWarning(AutoMLWarning):
    """No searched model could be used; predictions come from a constant baseline."""


class VersionMismatchWarning(AutoMLWarning):
    """A model file was saved under other patch versions of automl or a dependency."""


class ModelFileError(ValueError):
    """A file is not a model saved by ``save``, or cannot be loaded safely."""


class IncompatibleVersionsError(ModelFileError):
    """A model file was saved under another major or minor version of a library."""
