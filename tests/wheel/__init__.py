"""Build the sdist and wheel, install the wheel in a fresh environment, check it.

What a user gets from ``pip install``, tested the way they get it: the wheel
is built from the sdist with ``python -m build`` (so the sdist is complete
too), installed into a new virtual environment of the chosen interpreter, and
:mod:`tests.wheel.in_venv` runs there from an empty folder, with no source
tree on the path. ``make wheel-test`` runs it for every Python 3.10-3.13 on
the machine; ``tests/test_wheel.py`` for the interpreter running the tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IN_VENV = Path(__file__).with_name("in_venv.py")


@dataclass(frozen=True)
class Dists:
    """The built sdist and wheel."""

    sdist: Path
    wheel: Path


def build_dists(outdir: Path) -> Dists:
    """``python -m build``: the sdist, then the wheel built from it."""
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(outdir), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    (sdist,) = outdir.glob("*.tar.gz")
    (wheel,) = outdir.glob("*.whl")
    return Dists(sdist, wheel)


def wheel_contents(wheel: Path) -> dict[str, int]:
    """Bytes (compressed) per entry under the package and the dist-info folder."""
    sizes: dict[str, int] = {}
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            parts = info.filename.split("/")
            key = "/".join(parts[:2]) if len(parts) > 2 else info.filename
            sizes[key] = sizes.get(key, 0) + info.compress_size
    return dict(sorted(sizes.items()))


def check_installed(wheel: Path, python: str, workdir: Path) -> dict[str, object]:
    """Install ``wheel`` into a new environment of ``python`` and run the checks.

    Returns the report of :mod:`tests.wheel.in_venv`; raises ``AssertionError``
    with its message when a check fails.
    """
    venv = workdir / "venv"
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    _run([*pip, str(wheel)])
    scratch = workdir / "scratch"
    scratch.mkdir()
    done = subprocess.run(
        [str(venv / "bin" / "python"), str(IN_VENV), str(scratch)],
        capture_output=True,
        text=True,
        cwd=scratch,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
        timeout=1200,
    )
    if done.returncode != 0:
        raise AssertionError(f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed:\n{done.stderr[-4000:]}")


def main(pythons: list[str]) -> int:
    """Build once, then install and check with each interpreter; print a report."""
    with tempfile.TemporaryDirectory(prefix="automl-wheel-") as tmp:
        dists = build_dists(Path(tmp) / "dist")
        size = dists.wheel.stat().st_size
        print(f"{dists.wheel.name}: {size / 2**20:.2f} MiB; sdist {dists.sdist.name}")
        for entry, n_bytes in wheel_contents(dists.wheel).items():
            print(f"  {entry:<48} {n_bytes / 1024:9.1f} KiB")
        failed = 0
        for python in pythons:
            workdir = Path(tempfile.mkdtemp(prefix="check-", dir=tmp))
            try:
                report = check_installed(dists.wheel, python, workdir)
            except (AssertionError, subprocess.SubprocessError) as exc:
                failed += 1
                print(f"FAILED {python}: {exc}")
                continue
            print(
                f"ok {python}: Python {report['python']}, {report['version_output']}, "
                f"{report['trials']} trials in {report['fit_time']:.1f} s, "
                f"origins {report['origins']}, no warnings, save/load ok, "
                f"builder ok"
            )
    return 1 if failed else 0
