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
    assert now["leaderboard"] == recorded["leaderboard"], "leaderboard changed" + hint
    np.testing.assert_array_equal(
        now["predictions"], recorded["predictions"], err_msg="predictions" + hint
    )
