#!/usr/bin/env bash
# Run the test suite on each Python alexafsm supports that this machine has (python3.X on the
# PATH or under pyenv), each in its own .cache/venv-3.X, then once more on the oldest of them
# with the oldest dependencies setup.py allows (scripts/lowest-requirements.txt).
# ./scripts/test.sh runs the .venv's Python only; skills run on others (AWS Lambda offers
# several), so run this before a release. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/test.sh --collect-only -q >/dev/null  # system packages and 0.1.11, without the run

find_python() {  # the newest $1.x under pyenv, else python$1 on the PATH, if it runs
  local root candidate
  root="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
  for candidate in $(ls -d "$root"/versions/"$1".*/bin/python 2>/dev/null | sort -V -r) \
                   "$(command -v "python$1" 2>/dev/null || true)"; do
    if [ -n "$candidate" ] && "$candidate" -c 'import sys' >/dev/null 2>&1; then
      echo "$candidate"
      return
    fi
  done
}

failed=() tested=()
run() {  # run NAME PYTHON [pip install options]: the suite in .cache/venv-NAME
  local name="$1" python="$2" venv=".cache/venv-$1"
  shift 2
  if [ ! -x "$venv/bin/python" ] || [ setup.py -nt "$venv/.alexafsm-installed" ]; then
    echo "$name: installing alexafsm[test] into $venv"
    "$python" -m venv --clear "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q "$@" -e ".[test]"
    touch "$venv/.alexafsm-installed"
  fi
  echo "$name: $("$venv/bin/python" --version)"
  if "$venv/bin/python" -m pytest -q -p no:cacheprovider "${pytest_args[@]}"; then
    tested+=("$name")
  else
    failed+=("$name")
  fi
}

pytest_args=("$@")
oldest=""
for version in 3.9 3.10 3.11 3.12 3.13; do
  python="$(find_python "$version" || true)"
  if [ -z "$python" ]; then
    echo "$version: not installed here, skipped"
    continue
  fi
  oldest="${oldest:-$python}"
  run "$version" "$python"
done
# the dependencies' oldest versions setup.py allows, on the oldest Python found
if [ -n "$oldest" ]; then
  run lowest "$oldest" -c scripts/lowest-requirements.txt
fi
echo "passed on: ${tested[*]:-none}; failed on: ${failed[*]:-none}"
[ ${#failed[@]} -eq 0 ] && [ ${#tested[@]} -gt 0 ]
