#!/usr/bin/env bash
# Build the API reference (Sphinx + autodoc) into build/docs/html (or $ALEXAFSM_DOCS_OUT), from
# scratch and failing on any warning, as CI does (scripts/test.sh). Extra arguments go to
# sphinx-build. Then open build/docs/html/index.html.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${ALEXAFSM_DOCS_NO_SETUP:-}" ]; then
  ALEXAFSM_EXTRAS="${ALEXAFSM_EXTRAS:-docs}" ./scripts/setup.sh
fi
exec .venv/bin/python -m sphinx -E -W --keep-going -q -b html docs "${ALEXAFSM_DOCS_OUT:-build/docs/html}" "$@"
