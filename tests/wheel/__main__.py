"""``python -m tests.wheel [PYTHON ...]``: the wheel test for each interpreter.

Without arguments, every Python 3.10 to 3.13 on the machine: ``python3.X``
on ``PATH``, else a pyenv installation (``~/.pyenv/versions/3.X.*``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.wheel import main

SUPPORTED = ("3.10", "3.11", "3.12", "3.13")


def _runs_as(python: str, version: str) -> bool:
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    done = subprocess.run([python, "-c", probe], capture_output=True, text=True)
    return done.returncode == 0 and done.stdout.strip() == version


def find_interpreter(version: str) -> str | None:
    """An interpreter of ``version`` ("3.X") that runs, or None."""
    on_path = shutil.which(f"python{version}")
    pyenv = sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))
    for python in [on_path, *map(str, pyenv)]:
        if python is not None and _runs_as(python, version):
            return python
    return None


if __name__ == "__main__":
    pythons = sys.argv[1:] or [
        python for v in SUPPORTED if (python := find_interpreter(v)) is not None
    ]
    if not pythons:
        raise SystemExit("no Python 3.10 to 3.13 found")
    print("interpreters:", ", ".join(pythons))
    sys.exit(main(pythons))
