"""The recorded deterministic fits (``tests/recorded``) give the same results."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.recorded import FITS, RecordedFit

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("fit", FITS, ids=lambda fit: fit.task)
def test_recorded_fit_is_reproduced(fit: RecordedFit) -> None:
    recorded = json.loads(fit.path.read_text())
    now = fit.run()
    changed = {
        lib: (was, now["versions"][lib])
        for lib, was in recorded["versions"].items()
        if now["versions"][lib] != was
    }
    hint = (
        f" (library versions differ: {changed}; if that explains it, re-record "
        "with `python -m tests.recorded`)"
        if changed
        else ""
    )
    # Exact but for the last bits of floating point, which another CPU's vector
    # instructions may change (and the JSON keeps 10 digits of a loss).
    for row, was in zip(now["leaderboard"], recorded["leaderboard"], strict=True):
        assert {**row, "loss": None} == {**was, "loss": None}, "leaderboard" + hint
        assert row["loss"] == pytest.approx(was["loss"], rel=1e-6), "loss" + hint
    np.testing.assert_allclose(
        now["predictions"],
        recorded["predictions"],
        rtol=1e-9,
        atol=1e-12,
        err_msg="predictions" + hint,
    )
