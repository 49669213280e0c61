#!/usr/bin/env bash
# Sets up everything (venv, JS bundle, Chromium for browser tests) and runs every test:
# lint, the JS unit tests and the whole pytest suite (browser end-to-end tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# shellcheck disable=SC1091
. .venv/bin/activate

if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Chromium for the browser tests (apt)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

echo "== ruff"
ruff check .
if [ -f package.json ]; then
  echo "== JS unit tests"
  npm test --silent
fi
echo "== pytest"
export OMP_NUM_THREADS=1
python -m pytest "$@"
