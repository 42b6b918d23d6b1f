"""Fixtures of the robustness tests."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def ctrl_c_raises() -> Iterator[None]:
    """Ctrl-C handled as in a fresh interpreter: ``KeyboardInterrupt``.

    The interrupt tests send SIGINT to this process or to a child, which
    inherits an ignored SIGINT; a test run earlier in the same pytest-xdist
    worker may have left it ignored or replaced (the full parallel run failed
    these tests with "DID NOT RAISE KeyboardInterrupt" while they pass alone).
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    if previous is not None:  # None: set outside Python, cannot be put back
        signal.signal(signal.SIGINT, previous)
