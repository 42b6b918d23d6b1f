"""The wheel a user installs: built, installed in a fresh environment, used.

The checks themselves are in :mod:`tests.wheel.in_venv`; ``make wheel-test``
runs the same for every Python 3.10-3.13 on the machine.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest

from tests.wheel import build_dists, check_installed

pytestmark = pytest.mark.slow


def test_installed_wheel_fits_warm_started_without_warnings(tmp_path: Path) -> None:
    dists = build_dists(tmp_path / "dist")
    with zipfile.ZipFile(dists.wheel) as archive:
        names = set(archive.namelist())
    assert {"automl/py.typed", "automl/metalearning/metadata.json"} <= names
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)
    report = check_installed(dists.wheel, sys.executable, tmp_path)
    assert {"portfolio", "nearest-task"} & set(report["origins"])
    assert report["version_output"] == f"automl {report['version']}"
    assert report["warnings"] == []
