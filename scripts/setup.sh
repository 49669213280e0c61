#!/usr/bin/env bash
# Creates .venv and installs Model Studio with its test tools. Safe to run again.
# The install builds the JS bundle (npm) through the package's build hook.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
python -m pip install -q --upgrade pip 2>&1 | grep -v "is ignored" || true
# constraints.txt pins torch to the CPU wheel (an open range pulls a multi-GB CUDA build).
python -m pip install -q -c constraints.txt -e ".[test,ray]" 2>&1 | grep -v "is ignored" || true
python -c "import modelstudio_widget, torch; print('modelstudio_widget ready, torch', torch.__version__)"
