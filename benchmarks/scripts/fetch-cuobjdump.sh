#!/usr/bin/env bash
# Fetches cuobjdump and nvdisasm 12.4 (Debian trixie's nvidia-cuda-toolkit,
# component non-free) into .cache/cuobjdump/ for the SASS check, without
# touching the system's packages: apt-get download with a private apt state,
# then only the two binaries out of the .deb. CUDA 13's nvcc ships neither;
# cuobjdump 12.4 reads CUDA 13's sm_80/89/90a cubins (not sm_100a).
# Idempotent: prints the cuobjdump path, or one line saying why it cannot.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dest="$root/.cache/cuobjdump"
cuobjdump="$dest/usr/bin/cuobjdump"
if [ -x "$cuobjdump" ] && [ -x "$dest/usr/bin/nvdisasm" ]; then
  echo "$cuobjdump"
  exit 0
fi
fail() { echo "fetch-cuobjdump: $*" >&2; exit 1; }
command -v apt-get >/dev/null || fail "no apt-get on this machine"
command -v dpkg-deb >/dev/null || fail "no dpkg-deb on this machine"

# The Debian archive this machine already uses (deb822 or one-line sources).
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
  grep -E '^[[:space:]]*(URIs:|deb )' | grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n 1 | tr -d ' ' || true)
mirror=${mirror:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$keyring" ] || fail "no Debian archive keyring at $keyring"

state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/deb"
echo "deb [signed-by=$keyring] ${mirror%/} trixie main contrib non-free" >"$state/sources.list"
apt_options=(
  -o "Dir::Etc::sourcelist=$state/sources.list" -o Dir::Etc::sourceparts=/nonexistent
  -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache" -o Dir::State::status=/dev/null
  -o APT::Sandbox::User=root -qq
)
apt-get "${apt_options[@]}" update >"$state/update.log" 2>&1 || fail "apt-get update of trixie failed: $(tail -n 1 "$state/update.log")"
(cd "$state/deb" && apt-get "${apt_options[@]}" download nvidia-cuda-toolkit >"$state/download.log" 2>&1) ||
  fail "apt-get download nvidia-cuda-toolkit failed: $(tail -n 1 "$state/download.log")"
deb=$(ls "$state"/deb/nvidia-cuda-toolkit_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || fail "the download left no .deb"
rm -rf "$dest.part"
mkdir -p "$dest.part"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dest.part" ./usr/bin/cuobjdump ./usr/bin/nvdisasm ||
  fail "the .deb holds no usr/bin/cuobjdump and usr/bin/nvdisasm"
basename "$deb" >"$dest.part/package.txt"
rm -rf "$dest"
mv "$dest.part" "$dest"
"$cuobjdump" --version >/dev/null || fail "the fetched cuobjdump does not run"
echo "$cuobjdump"
