#!/usr/bin/env bash
# Installs Debian's tshark (Wireshark's command-line dissector), the peer the pcap import
# benchmark compares with (benches/pcap/run.sh). Non-interactive: the debconf question about
# letting non-root users capture is answered "no" beforehand. Idempotent.
set -euo pipefail
if command -v tshark >/dev/null 2>&1; then
  echo "install-tshark: $(tshark --version | head -1)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-tshark: no tshark and no apt-get: install tshark" >&2
  exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  sudo=(sudo)
fi
echo "wireshark-common wireshark-common/install-setuid boolean false" | "${sudo[@]}" debconf-set-selections
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tshark >/dev/null
echo "install-tshark: $(tshark --version | head -1)"
