#!/usr/bin/env bash
# The e2e tests drive Debian's Chromium (Playwright's own browser download is not used). Install it when missing.
set -euo pipefail
browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$browser" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
  echo "e2e: $browser is missing; install it with: apt-get install -y chromium" >&2
  exit 1
fi
echo "e2e: installing Debian's chromium (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium
