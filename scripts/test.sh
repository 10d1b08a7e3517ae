#!/usr/bin/env bash
# Set everything up on a fresh clone and run the test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
ALEXAFSM_EXTRAS=test ./scripts/setup.sh
# pytest exits 5 when it collects no test: that is a failure here, not a pass.
exec .venv/bin/python -m pytest "$@"
