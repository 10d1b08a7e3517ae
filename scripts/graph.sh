#!/usr/bin/env bash
# Draw the machine of every example skill (a package under skills/ with a model/ folder) as SVG
# and PNG. Usage: ./scripts/graph.sh [OUTPUT_DIR]   (default: build/graphs)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/build/graphs}"
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
  for format in svg png; do
    .venv/bin/alexafsm graph "skills.$name" --output "$out/$name.$format"
  done
done
echo "Graphs of ${skills[*]} are in $out"
