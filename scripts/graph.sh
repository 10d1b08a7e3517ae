#!/usr/bin/env bash
# Draw the machine of every example skill as SVG and PNG.
# Usage: ./scripts/graph.sh [OUTPUT_DIR]   (default: build/graphs)
set -euo pipefail
cd "$(dirname "$0")/.."
draw() {
  for format in svg png; do
    .venv/bin/alexafsm graph "skills.$1" --output "$2/$1.$format"
  done
}
export -f draw
exec ./scripts/each-skill.sh build/graphs "$@" -- bash -c 'draw "$@"' draw
