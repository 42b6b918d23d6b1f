"""The import contracts of ``pyproject.toml`` hold, and they would catch a
wrong-way import (``make lint`` runs the same check)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the package and contracts under ``root``."""
    code = (
        "import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(no_cache=True))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )


def test_the_import_contracts_hold() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout[-3000:]


def test_a_wrong_way_import_breaks_the_contracts(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "automl", tmp_path / "automl")
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    types = tmp_path / "automl" / "data" / "types.py"
    types.write_text(types.read_text() + "\nimport automl.ensemble  # wrong way\n")
    done = lint_imports(tmp_path)
    assert done.returncode != 0
    assert "automl.data is not allowed to import automl.ensemble" in done.stdout


#: Sizes above which a module or a class is hard to read and change (issue 33).
MAX_MODULE_LINES = 600
MAX_CLASS_LINES = 250


def test_no_module_or_class_outgrows_its_limit() -> None:
    import ast

    too_big = []
    for path in sorted((ROOT / "automl").rglob("*.py")):
        source = path.read_text()
        name = str(path.relative_to(ROOT))
        if len(source.splitlines()) > MAX_MODULE_LINES:
            too_big.append(f"{name}: {len(source.splitlines())} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_CLASS_LINES:
                    too_big.append(f"{name}: class {node.name}, {lines} lines")
    assert not too_big, "split these: " + "; ".join(too_big)
