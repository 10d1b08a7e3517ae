#!/usr/bin/env bash
# Set everything up on a fresh clone and run the test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
ALEXAFSM_EXTRAS=test,docs ./scripts/setup.sh
# alexafsm 0.1.11 itself, from PyPI, is the reference of the wire-compatibility tests.
if [ ! -d .cache/alexafsm-0.1.11/alexafsm ]; then
  mkdir -p .cache
  .venv/bin/python -m pip download -q --no-deps --no-binary :all: alexafsm==0.1.11 -d .cache
  tar xzf .cache/alexafsm-0.1.11.tar.gz -C .cache
fi
# Lint and type checks first (configured in pyproject.toml): any finding fails the script.
echo "ruff check"
.venv/bin/python -m ruff check --quiet alexafsm tests skills scripts benchmarks
echo "mypy"
.venv/bin/python -m mypy
# The API reference builds with warnings as errors (a docstring's broken markup fails here).
echo "docs"
ALEXAFSM_DOCS_NO_SETUP=1 ./scripts/docs.sh
# pytest exits 5 when it collects no test: that is a failure here, not a pass.
exec .venv/bin/python -m pytest "$@"
