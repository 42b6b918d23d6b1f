"""Trial functions for the driver tests (importable, so workers can run them)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class Outcome:
    loss: float
    status: str = "ok"
    error: str | None = None


def quadratic(config: dict[str, Any], seed: int, budget: Any, deadline: Any) -> Outcome:
    """Loss (x - 0.3)^2: the optimum is easy to find."""
    return Outcome((config["x"] - 0.3) ** 2)


def faulty(config: dict[str, Any], seed: int, budget: Any, deadline: Any) -> Outcome:
    """Raises, hangs, allocates too much or kills itself depending on ``x``."""
    x = config["x"]
    if x < 0.2:
        raise RuntimeError("planted failure")
    if x > 0.9:
        time.sleep(60)
    if 0.5 < x < 0.55:
        os._exit(1)
    if 0.6 < x < 0.65:
        hog = np.ones((1024, 1024, 1024), dtype=np.uint8)  # 1 GiB, touched
        time.sleep(5)
        return Outcome(float(hog[0, 0, 0]))
    time.sleep(0.5)
    return Outcome(x)


def worker_pid(**_: Any) -> int:
    """The process id of the worker that ran the trial."""
    return os.getpid()
