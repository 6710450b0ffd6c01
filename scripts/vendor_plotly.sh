#!/usr/bin/env bash
# Replace the site's vendored Plotly with a version from npm (plotly.js-basic-dist-min), unchanged,
# and print its checksum for bot/report/site_assets/README.md.
#
# Usage: scripts/vendor_plotly.sh [VERSION]      (default: 4.1.1)
set -euo pipefail
version="${1:-4.1.1}"
here="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "plotly.js-basic-dist-min@${version}" >/dev/null && tar xzf ./*.tgz)
cp "$tmp/package/plotly-basic.min.js" "$here/bot/report/site_assets/plotly-basic.min.js"
cp "$tmp/package/LICENSE" "$here/bot/report/site_assets/LICENSE.plotly.txt"
sha256sum "$here/bot/report/site_assets/plotly-basic.min.js"
