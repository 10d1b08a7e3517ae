#!/usr/bin/env bash
# Run the test suite on each Python alexafsm supports that this machine has (python3.X on the
# PATH or under pyenv), each in its own .cache/venv-3.X. ./scripts/test.sh runs the .venv's
# Python only; skills run on others (AWS Lambda offers several), so run this before a release.
# Extra arguments go to pytest.
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
for version in 3.9 3.10 3.11 3.12 3.13; do
  python="$(find_python "$version" || true)"
  if [ -z "$python" ]; then
    echo "Python $version: not installed here, skipped"
    continue
  fi
  venv=".cache/venv-$version"
  if [ ! -x "$venv/bin/python" ] || [ setup.py -nt "$venv/.alexafsm-installed" ]; then
    echo "Python $version: installing alexafsm[test] into $venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q -e ".[test]"
    touch "$venv/.alexafsm-installed"
  fi
  echo "Python $version: $("$venv/bin/python" --version)"
  if "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"; then
    tested+=("$version")
  else
    failed+=("$version")
  fi
done
echo "passed on: ${tested[*]:-none}; failed on: ${failed[*]:-none}"
[ ${#failed[@]} -eq 0 ] && [ ${#tested[@]} -gt 0 ]
