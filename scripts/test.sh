#!/usr/bin/env bash
# Set up (if needed) and run every check CI runs: lint, types, import rules, tests.
# Usage: bash scripts/test.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev

export QT_QPA_PLATFORM=offscreen
export PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy
echo "== import rules"
.venv/bin/lint-imports --no-cache
echo "== pytest"
# A hung Qt teardown is not caught by pytest-timeout: bound the whole run.
status=0
timeout --kill-after=30 3000 .venv/bin/pytest -p no:cacheprovider --durations=30 "$@" || status=$?
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
  echo "pytest: the test run hung and was stopped" >&2
fi
exit "$status"
