#!/usr/bin/env bash
# Create benchmarks/.venv-flaml, an isolated environment for the FLAML peer.
# FLAML is never a dependency of the automl package: it is run by the
# benchmark runner with this interpreter (auto-detected, or --python-flaml).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${1:-$here/.venv-flaml}"
python="${PYTHON:-python3}"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "flaml[automl]" pandas scikit-learn psutil
"$venv/bin/python" -c "import flaml, lightgbm, xgboost; print('flaml', flaml.__version__)"
