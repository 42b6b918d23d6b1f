"""Warm start from prior tasks: meta-features, metadata/ and the portfolio."""
