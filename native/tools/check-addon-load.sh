#!/usr/bin/env bash
# Says what this host lacks to load the built addon, before anything runs:
# every shared library and symbol version (glibc, libstdc++) the dynamic
# loader cannot find for build/Release/tppverify.node and, where built, the
# HIP backend's libtppverify_hip.so (whose lack only disables HIP). The addon
# carries libgomp.so.1 beside itself and links libstdc++ and libgcc in, so on
# a host with only the GPU driver nothing should be missing but glibc itself.
#
#   native/tools/check-addon-load.sh [ADDON_DIR]   (default: build/Release)
#
# Prints one line per finding and exits 0 when the addon will load, 1 when
# it will not, 2 when there is no addon or no ldd.
set -uo pipefail
dir=${1:-build/Release}
addon="$dir/tppverify.node"
if [[ ! -f "$addon" ]]; then
  echo "check-addon-load: no addon at $addon (run npm install, or the packer)" >&2
  exit 2
fi
if ! command -v ldd >/dev/null 2>&1; then
  echo "check-addon-load: ldd is not installed: cannot tell what the addon needs" >&2
  exit 2
fi

# Lines of `ldd` (stdout and stderr) that name something the loader cannot find:
# a library ("libx.so => not found") or a symbol version ("version `GLIBC_2.34' not found").
missing() { ldd "$1" 2>&1 | grep -E 'not found' | sed -E 's/^[[:space:]]+//'; }

status=0
glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null || echo "glibc unknown")
echo "host: $glibc"
needs=$(missing "$addon")
if [[ -n "$needs" ]]; then
  while IFS= read -r line; do echo "tppverify.node is missing: $line"; done <<<"$needs"
  status=1
else
  echo "tppverify.node: every library and symbol version it needs is present"
fi
if [[ -f "$dir/libtppverify_hip.so" ]]; then
  hip=$(missing "$dir/libtppverify_hip.so")
  if [[ -n "$hip" ]]; then
    while IFS= read -r line; do echo "libtppverify_hip.so (HIP backend only) is missing: $line"; done <<<"$hip"
  else
    echo "libtppverify_hip.so: every library it needs is present"
  fi
fi
exit "$status"
