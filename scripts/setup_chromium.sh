#!/usr/bin/env bash
# Install Debian's chromium (if missing) for the headless check of the HTML digest
# (tests/test_digest_page.py), quietly, then print its version.
#
# Usage: scripts/setup_chromium.sh          (as root, or with apt-get otherwise allowed)
# Re-running is cheap: an installed chromium is left alone.
set -euo pipefail

find_chromium() { command -v chromium || command -v chromium-browser || true; }

bin=$(find_chromium)
if [ -z "$bin" ]; then
  echo "installing chromium (Debian package)" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
    fonts-dejavu-core >/dev/null
  bin=$(find_chromium)
  [ -n "$bin" ] || { echo "chromium is still missing after apt-get install" >&2; exit 1; }
fi
# --version starts no browser, so it needs none of the headless flags the tests pass.
"$bin" --version
