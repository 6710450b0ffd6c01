#!/usr/bin/env bash
# Install the Node tools for the GitHub contract tests (tests/test_contract_github.py):
#   @octokit/openapi           GitHub's official REST description (latest)
#   @stoplight/prism-cli       the validating mock that serves it (5.14.2 exactly: 5.16 needs a
#                              newer Node than the machine's v20)
#   @octokit/webhooks-examples real webhook payloads (latest)
#
# Usage: scripts/setup_contract_tools.sh   (into $PARETOBOT_NODE_DIR or ~/.cache/paretobot/node)
# Re-running is cheap: a folder whose marker matches and whose tools are there is left alone.
# PARETOBOT_CONTRACT_REFRESH=1 reinstalls, which picks up newer "latest" versions.
set -euo pipefail

PRISM_VERSION=5.14.2
NODE_DIR="${PARETOBOT_NODE_DIR:-$HOME/.cache/paretobot/node}"
MARKER="$NODE_DIR/.paretobot-contract-ready"
WANT="@octokit/openapi@latest @stoplight/prism-cli@$PRISM_VERSION @octokit/webhooks-examples@latest"

start=$(date +%s)
elapsed() { echo "$(($(date +%s) - start)) s"; }

ready() {
  [[ -f "$MARKER" && "$(cat "$MARKER")" == "$WANT" ]] \
    && [[ -x "$NODE_DIR/node_modules/.bin/prism" ]] \
    && [[ -f "$NODE_DIR/node_modules/@octokit/openapi/package.json" ]] \
    && [[ -f "$NODE_DIR/node_modules/@octokit/webhooks-examples/package.json" ]]
}

if [[ -z "${PARETOBOT_CONTRACT_REFRESH:-}" ]] && ready; then
  echo "contract tools ready in $NODE_DIR ($WANT), checked in $(elapsed)"
  exit 0
fi

command -v node >/dev/null || { echo "node is required (v18.20.1 or newer)" >&2; exit 1; }
command -v npm >/dev/null || { echo "npm is required" >&2; exit 1; }

mkdir -p "$NODE_DIR"
rm -f "$MARKER"
# A package.json of our own, so the folder is a self-contained npm project and nothing is global.
cat >"$NODE_DIR/package.json" <<EOF
{
  "name": "paretobot-contract-tools",
  "private": true,
  "description": "Node tools for paretobot's GitHub contract tests; made by scripts/setup_contract_tools.sh",
  "dependencies": {
    "@octokit/openapi": "latest",
    "@octokit/webhooks-examples": "latest",
    "@stoplight/prism-cli": "$PRISM_VERSION"
  }
}
EOF
if [[ -n "${PARETOBOT_CONTRACT_REFRESH:-}" ]]; then
  rm -rf "$NODE_DIR/node_modules" "$NODE_DIR/package-lock.json"
fi

(cd "$NODE_DIR" && npm install --no-audit --no-fund --loglevel=error)

# Prove the install works before marking it ready.
"$NODE_DIR/node_modules/.bin/prism" --version >/dev/null
version_of() { node -p "require('$NODE_DIR/node_modules/$1/package.json').version"; }
echo "$WANT" >"$MARKER"

echo "contract tools installed in $NODE_DIR in $(elapsed):"
echo "  @octokit/openapi $(version_of @octokit/openapi)"
echo "  @stoplight/prism-cli $(version_of @stoplight/prism-cli)"
echo "  @octokit/webhooks-examples $(version_of @octokit/webhooks-examples)"
