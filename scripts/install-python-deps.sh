#!/usr/bin/env bash
# Installs the Python Socket.IO client that the interop tests drive (python-socketio with its
# client extras websocket-client and requests, pinned by interop/python/requirements.txt) into
# the virtual environment interop/python/.venv.
#
# Idempotent: does nothing when the venv was installed from the current requirements.txt (its
# stamp file is newer than requirements.txt). Run it once after cloning; .ci/run calls it
# before the tests.
set -euo pipefail
# Test processes call this too (crates/interop-deps), several at once under cargo-nextest: one
# installs while the others wait for it.
exec 9>"${TMPDIR:-/tmp}/sio-replay-install-python.lock"
command -v flock >/dev/null 2>&1 && flock 9
cd "$(dirname "$0")/../interop/python"

venv=.venv
stamp="$venv/.installed-requirements"

if ! command -v python3 >/dev/null 2>&1; then
  echo "install-python-deps: python3 is required for the Python interop tests (3.8 or newer, with its venv module)" >&2
  exit 1
fi

if [ -f "$stamp" ] && [ "$stamp" -nt requirements.txt ] && [ -x "$venv/bin/python" ] \
  && "$venv/bin/python" -c 'import socketio, websocket, requests' 2>/dev/null; then
  echo "install-python-deps: interop/python/.venv is up to date"
  exit 0
fi

# A venv whose interpreter no longer runs (its base Python moved or was removed) is made anew.
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c '' 2>/dev/null; then
  python3 -m venv --clear "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --requirement requirements.txt
touch "$stamp"
echo "install-python-deps: installed $("$venv/bin/python" -c 'from importlib.metadata import version; print("python-socketio", version("python-socketio"), "python-engineio", version("python-engineio"), "websocket-client", version("websocket-client"))')"
