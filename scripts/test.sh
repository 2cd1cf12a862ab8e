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
# In parallel (pytest-xdist). On 2 cores pytest took 4.8 to 5.5 minutes with 3 workers
# (6.4 while building the bundle beside a soak), 6.2 with 2 and 6.4 to 7.4 with 4; 27 in
# one process. The tests mostly keep the CPU busy (`pos-app` subprocesses starting, Qt):
# workers beyond 3 only queue.
# `--dist loadgroup` keeps the bundle's tests on one worker, started first
# (tests/conftest.py). `bash scripts/test.sh -n 0` runs everything in one process.
WORKERS=3
# A hung Qt teardown is not caught by pytest-timeout: bound the whole run.
status=0
timeout --kill-after=30 3000 .venv/bin/pytest -p no:cacheprovider --durations=30 \
  -n "$WORKERS" --dist loadgroup "$@" || status=$?
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
  echo "pytest: the test run hung and was stopped" >&2
fi
exit "$status"
