"""Reproducible benchmarks of ``automl`` against baselines and peers.

Run ``python -m benchmarks.run --help`` and ``python -m benchmarks.report --help``
from the repository root. This package imports only numpy, pandas and
scikit-learn at module level, so that its worker also runs inside a peer's own
virtual environment (FLAML, AutoGluon).
"""
