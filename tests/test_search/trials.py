"""Trial functions for the driver tests (importable, so workers can run them)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any


@dataclass
class Outcome:
    loss: float
    status: str = "ok"
    error: str | None = None


def quadratic(config: dict[str, Any], seed: int, deadline: float | None) -> Outcome:
    """Loss (x - 0.3)^2: the optimum is easy to find."""
    return Outcome((config["x"] - 0.3) ** 2)


def faulty(config: dict[str, Any], seed: int, deadline: float | None) -> Outcome:
    """Raises, hangs or dies depending on the configuration."""
    x = config["x"]
    if x < 0.2:
        raise RuntimeError("planted failure")
    if x > 0.9:
        time.sleep(60)
    if 0.5 < x < 0.55:
        os._exit(1)
    return Outcome(x)
