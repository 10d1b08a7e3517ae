#!/usr/bin/env bash
# Shared set-up of scripts/serve.sh and scripts/test.sh: system packages when missing, a .venv,
# and the package installed into it in development mode. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v dot >/dev/null 2>&1 || need_apt+=(graphviz)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
# The console's browser tests (ALEXAFSM_EXTRAS=test) drive Debian's chromium through its driver.
if [[ ",${ALEXAFSM_EXTRAS:-}," == *,test,* ]]; then
  command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "Installing Debian packages: ${need_apt[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv"
  python3 -m venv .venv
fi
extras="${ALEXAFSM_EXTRAS:-}"
stamp=".venv/.alexafsm-installed${extras:+-$extras}"
if [ ! -f "$stamp" ] || [ setup.py -nt "$stamp" ]; then
  echo "Installing alexafsm${extras:+[$extras]} into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".${extras:+[$extras]}"
  touch "$stamp"
fi
