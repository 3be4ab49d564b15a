#!/usr/bin/env bash
# Installs the browser that the browser end-to-end test drives (crates/sio-replay/tests/cli/
# browser.rs, interop/browser/run.mjs): Debian's chromium package, /usr/bin/chromium.
# playwright-core, which drives it, comes from interop/package-lock.json through
# scripts/install-node-deps.sh; nothing is downloaded by Playwright itself.
#
# Idempotent: does nothing when /usr/bin/chromium is already there. Needs root (or sudo) and
# Debian's package sources; .ci/run calls it before the tests.
set -euo pipefail
# Test processes call this too (crates/interop-deps), several at once under cargo-nextest: one
# installs while the others wait for it.
exec 9>"${TMPDIR:-/tmp}/sio-replay-install-browser.lock"
command -v flock >/dev/null 2>&1 && flock 9

chromium=/usr/bin/chromium

if [ ! -x "$chromium" ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser-deps: no $chromium and no apt-get: install Chromium and set CHROMIUM_PATH" >&2
    exit 1
  fi
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
  fi
  echo "install-browser-deps: installing Debian's chromium package"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

# Debian's launcher script prints a harmless shell warning on some machines: keep stdout only.
if ! version=$("$chromium" --version 2>/dev/null); then
  echo "install-browser-deps: $chromium does not run (--version failed)" >&2
  exit 1
fi
echo "install-browser-deps: $version at $chromium"
