"""The package version: the one source for ``automl.__version__``, ``automl --version``
and the wheel's metadata (``pyproject.toml``)."""

__version__ = "0.1.0"
