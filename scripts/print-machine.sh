#!/usr/bin/env bash
# Print the machine of every example skill (a package under skills/ with a model/ folder) as
# 0.1.11's text (NAME.txt, to commit and diff) and as JSON (NAME.json).
# Usage: ./scripts/print-machine.sh [OUTPUT_DIR]   (default: build/machines)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/build/machines}"
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
  .venv/bin/alexafsm print "skills.$name" > "$out/$name.txt"
  .venv/bin/alexafsm print "skills.$name" --format json > "$out/$name.json"
  echo "wrote $out/$name.txt and $out/$name.json"
done
echo "Machines of ${skills[*]} are in $out"
