#!/usr/bin/env bash
# Print the machine of every example skill as text (NAME.txt, to commit and diff) and
# as JSON (NAME.json). Usage: ./scripts/print-machine.sh [OUTPUT_DIR]   (default: build/machines)
set -euo pipefail
cd "$(dirname "$0")/.."
write() {
  .venv/bin/alexafsm print "skills.$1" > "$2/$1.txt"
  .venv/bin/alexafsm print "skills.$1" --format json > "$2/$1.json"
  echo "wrote $2/$1.txt and $2/$1.json"
}
export -f write
exec ./scripts/each-skill.sh build/machines "$@" -- bash -c 'write "$@"' write
