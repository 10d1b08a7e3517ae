#!/usr/bin/env bash
# Set everything up on a fresh clone and serve the example skill on 127.0.0.1:8888 in dev mode
# (requests are not verified, so curl can talk to it). Extra arguments go to `alexafsm serve`,
# e.g. ./scripts/serve.sh --port 9000 --record turns.jsonl
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

host=127.0.0.1
port=8888
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --host) host="${args[i + 1]:-$host}" ;;
    --host=*) host="${args[i]#--host=}" ;;
    --port) port="${args[i + 1]:-$port}" ;;
    --port=*) port="${args[i]#--port=}" ;;
  esac
done

cat <<MSG

To hear the launch response, run this in another terminal:

  curl -s -H 'Content-Type: application/json' --data @$PWD/scripts/launch-request.json http://$host:$port/

MSG
# The skill lives in this checkout, not in the installed package.
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec .venv/bin/alexafsm serve skills.skillsearch --host 127.0.0.1 --port 8888 --dev "$@"
