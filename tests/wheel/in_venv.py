"""Checks run *inside* a fresh virtual environment where the wheel is installed.

Run by :mod:`tests.wheel` with the environment's interpreter, from an empty
folder, so that no source tree is on the path. Only the installed package and
its dependencies are imported. Prints one JSON document with what it found,
and exits non-zero with a message on the first failed check.

Usage: ``python in_venv.py WORKDIR``
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

WARM_ORIGINS = {"portfolio", "nearest-task"}
FIT_SECONDS = 20


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"wheel check failed: {message}")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=600)


def console_script() -> dict[str, str]:
    """``automl --version`` and ``--help`` from the installed entry point."""
    script = str(Path(sysconfig.get_path("scripts")) / "automl")
    version = run(script, "--version")
    check(version.returncode == 0, f"automl --version failed: {version.stderr}")
    helped = run(script, "--help")
    check(helped.returncode == 0, f"automl --help failed: {helped.stderr}")
    check("fit" in helped.stdout, "automl --help does not list the fit command")
    return {"version_output": version.stdout.strip()}


FIT = """
import json, sys, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import numpy as np
    from sklearn.datasets import load_breast_cancer
    from automl import AutoClassifier
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    clf = AutoClassifier(time_limit={seconds}, random_state=0).fit(X, y)
    clf.save(sys.argv[1])
    np.save(sys.argv[2], clf.predict_proba(X.iloc[:20]))
board = clf.leaderboard()
print(json.dumps({{
    "warnings": [f"{{w.category.__name__}}: {{w.message}}" for w in caught],
    "origins": sorted(set(board["origin"].dropna())),
    "trials": int(board["trial_id"].notna().sum()),
    "fit_time": clf.fit_time_,
}}))
"""

LOAD = """
import sys, numpy as np, automl
from sklearn.datasets import load_breast_cancer
X, _ = load_breast_cancer(return_X_y=True, as_frame=True)
model = automl.load(sys.argv[1])
np.testing.assert_allclose(model.predict_proba(X.iloc[:20]), np.load(sys.argv[2]))
print("loaded")
"""


def default_fit(workdir: Path) -> dict[str, object]:
    """A 20 s default fit: no warning, warm-start origins, save and load."""
    model, expected = workdir / "model.automl", workdir / "proba.npy"
    fitted = run(
        sys.executable, "-c", FIT.format(seconds=FIT_SECONDS), str(model), str(expected)
    )
    check(fitted.returncode == 0, f"the fit failed:\n{fitted.stderr}")
    check(fitted.stderr.strip() == "", f"the fit wrote to stderr:\n{fitted.stderr}")
    report = json.loads(fitted.stdout.strip().splitlines()[-1])
    check(not report["warnings"], f"the fit warned: {report['warnings']}")
    check(
        bool(WARM_ORIGINS & set(report["origins"])),
        f"no warm-start trial in the leaderboard (origins {report['origins']})",
    )
    loaded = run(sys.executable, "-c", LOAD, str(model), str(expected))
    check(
        loaded.returncode == 0, f"automl.load in a new process failed:\n{loaded.stderr}"
    )
    return report


def packaging() -> dict[str, object]:
    """The installed package: not the source tree, typed, with its knowledge base."""
    import automl
    from automl.metalearning.metadata import load_metadata

    location = Path(automl.__file__).resolve().parent
    check("site-packages" in location.parts, f"automl imported from {location}")
    check((location / "py.typed").is_file(), "py.typed is missing")
    check(load_metadata() is not None, "the package has no knowledge base")
    check(
        automl.__version__ == metadata.version("automl"),
        f"automl.__version__ {automl.__version__} != the wheel's "
        f"{metadata.version('automl')}",
    )
    return {"version": automl.__version__, "location": str(location)}


def offline_builder(workdir: Path) -> dict[str, object]:
    """``python -m automl.metalearning.build`` on a two-task corpus, then a fit
    warm-started from what it compiled."""
    import pandas as pd
    from sklearn.datasets import load_breast_cancer, load_diabetes

    corpus = workdir / "corpus"
    corpus.mkdir()
    rows = []
    for name, loader, task in [
        ("cancer", load_breast_cancer, "binary"),
        ("diabetes", load_diabetes, "regression"),
    ]:
        frame = loader(as_frame=True).frame
        frame.to_csv(corpus / f"{name}.csv", index=False)
        rows.append({"name": name, "file": f"{name}.csv", "task": task})
    pd.DataFrame(rows).to_csv(corpus / "index.csv", index=False)
    compiled = workdir / "knowledge.json"
    built = run(
        sys.executable,
        "-m",
        "automl.metalearning.build",
        "--corpus",
        str(corpus),
        "--out",
        str(workdir / "records"),
        "--compiled",
        str(compiled),
        "--search-trials",
        "2",
        "--models",
        "linear,lightgbm",
    )
    check(built.returncode == 0, f"the offline builder failed:\n{built.stderr}")
    document = json.loads(compiled.read_text())
    check(len(document["tasks"]) == 2, "the builder did not record both tasks")
    return {"builder_tasks": len(document["tasks"])}


def main() -> None:
    workdir = Path(sys.argv[1])
    os.chdir(workdir)
    report: dict[str, object] = {"python": sys.version.split()[0]}
    report.update(packaging())
    report.update(console_script())
    report.update(default_fit(workdir))
    report.update(offline_builder(workdir))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
