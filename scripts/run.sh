#!/usr/bin/env bash
# Set up (if needed) and start pos-app. With no JustiFi credentials in the
# environment it runs in demo mode against the built-in sandbox.
# Usage: bash scripts/run.sh [pos-app arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --gui
exec .venv/bin/pos-app "$@"
