#!/usr/bin/env bash
# Shared by graph.sh and print-machine.sh: set up, then run "$@ NAME OUT_DIR" for every example
# skill (a package under skills/ with a model/ folder).
# Usage: ./scripts/each-skill.sh DEFAULT_OUT_DIR [OUT_DIR] -- COMMAND...
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
default_out="$1"; shift
out="$default_out"
if [ "${1:-}" != "--" ]; then out="$1"; shift; fi
shift  # the --
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$root"
./scripts/setup.sh
# The skills live in this checkout, not in the installed package.
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"

skills=()
for dir in skills/*/; do
  [ -f "$dir/__init__.py" ] && [ -d "$dir/model" ] && skills+=("$(basename "$dir")")
done
if [ ${#skills[@]} -eq 0 ]; then
  echo "No example skill found: expected skills/<name>/__init__.py with a model/ folder" >&2
  exit 1
fi
for name in "${skills[@]}"; do
  "$@" "$name" "$out"
done
echo "Files of ${skills[*]} are in $out"
