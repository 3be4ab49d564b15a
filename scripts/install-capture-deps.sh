#!/usr/bin/env bash
# Installs the packet capture tool that the pcap import tests drive (crates/sio-replay/tests/
# cli/pcap.rs): Debian's tcpdump package, which captures on 127.0.0.1 around a real Node
# socket.io server and client.
#
# Idempotent: does nothing when tcpdump is already there. Needs root (or sudo) and Debian's
# package sources; .ci/run calls it before the tests. Capturing needs root or CAP_NET_RAW.
set -euo pipefail
# Test processes call this too (crates/interop-deps), several at once under cargo-nextest: one
# installs while the others wait for it.
exec 9>"${TMPDIR:-/tmp}/sio-replay-install-capture.lock"
command -v flock >/dev/null 2>&1 && flock 9

tcpdump=$(command -v tcpdump || true)
if [ -z "$tcpdump" ] && [ -x /usr/bin/tcpdump ]; then
  tcpdump=/usr/bin/tcpdump
fi

if [ -z "$tcpdump" ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-capture-deps: no tcpdump and no apt-get: install tcpdump" >&2
    exit 1
  fi
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
  fi
  echo "install-capture-deps: installing Debian's tcpdump package"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpdump >/dev/null
  tcpdump=/usr/bin/tcpdump
fi

if ! version=$("$tcpdump" --version 2>&1 | head -1); then
  echo "install-capture-deps: $tcpdump does not run (--version failed)" >&2
  exit 1
fi
echo "install-capture-deps: $version at $tcpdump"
