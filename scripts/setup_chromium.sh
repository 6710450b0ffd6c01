#!/usr/bin/env bash
# Install Debian's chromium and chromium-driver (if missing) for the headless checks of the HTML
# digest (tests/test_digest_page.py) and of the site, which Selenium drives through chromedriver
# (tests/test_site.py), quietly, then print their versions.
#
# Usage: scripts/setup_chromium.sh          (as root, or with apt-get otherwise allowed)
# Re-running is cheap: an installed chromium is left alone.
set -euo pipefail

find_chromium() { command -v chromium || command -v chromium-browser || true; }

bin=$(find_chromium)
if [ -z "$bin" ] || ! command -v chromedriver >/dev/null; then
  echo "installing chromium and chromium-driver (Debian packages)" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
    chromium-driver fonts-dejavu-core >/dev/null
  bin=$(find_chromium)
  [ -n "$bin" ] || { echo "chromium is still missing after apt-get install" >&2; exit 1; }
  command -v chromedriver >/dev/null || { echo "chromedriver is still missing" >&2; exit 1; }
fi
# --version starts no browser, so it needs none of the headless flags the tests pass.
"$bin" --version
chromedriver --version
