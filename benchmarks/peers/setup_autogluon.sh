#!/usr/bin/env bash
# Create benchmarks/.venv-autogluon, an isolated environment for the AutoGluon
# peer (autogluon.tabular with LightGBM, CatBoost and XGBoost, plus a CPU
# torch for its neural network). Never a dependency of the automl package:
# the runner uses this interpreter for system `autogluon` when it exists.
# FastAI, TabPFN and the other foundation models are left out: they need
# torchvision or model downloads from a hub.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${1:-$here/.venv-autogluon}"
python="${PYTHON:-python3}"
torch="${TORCH_SPEC:-torch==2.13.0}"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "$torch"
"$venv/bin/python" -m pip install --quiet \
    "autogluon.tabular[lightgbm,catboost,xgboost]" psutil
"$venv/bin/python" -c "import autogluon.tabular as t, torch; \
print('autogluon.tabular', t.__version__, 'torch', torch.__version__)"
