#!/usr/bin/env bash
# Sets everything up (venv, JS bundle) and serves the phone app with Voilà.
# Extra arguments go to `modelstudio serve` (e.g. --ip 0.0.0.0 --port 8866).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# shellcheck disable=SC1091
. .venv/bin/activate
exec modelstudio serve "$@"
