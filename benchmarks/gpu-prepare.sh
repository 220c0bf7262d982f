#!/usr/bin/env bash
# Run here, before a GPU session, after `npm install`: assembles what the GPU
# host needs in .gpu-host/ (ignored by git): a packed Node 24
# (benchmarks/gpu-host/pack-node.sh) and app/ with the built JavaScript, the
# addon, schemas, example declarations, production dependencies, any
# identity probe, and the SASS check of this very addon (sass-prepare.json).
# Then: the device tool with carry [".gpu-host"] and the command
#   bash benchmarks/gpu-check.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# The device tool carries the working tree and .gpu-host: 64 MiB in all.
carry_limit_mib=64
[ -f build/Release/tppverify.node ] && [ -f dist/harness/cli/main.js ] ||
  { echo "gpu-prepare: build first (npm install): build/Release/tppverify.node or dist/ is missing" >&2; exit 1; }

bash benchmarks/gpu-host/pack-node.sh
app=.gpu-host/app
rm -rf "$app"
mkdir -p "$app/build/Release" "$app/harness/declaration" "$app/benchmarks"
cp package.json package-lock.json "$app/"
cp -r dist proto "$app/"
cp -r harness/declaration/examples "$app/harness/declaration/"
cp build/Release/*.node "$app/build/Release/"
cp build/Release/*.so "$app/build/Release/" 2>/dev/null || true
# Issue 17's device identity probe, as a script or a built program, when there is one.
for probe in benchmarks/identity-probe* build/Release/identity-probe*; do
  [ -e "$probe" ] && cp -r "$probe" "$app/benchmarks/"
done
(cd "$app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
# cmake-js is only needed to build: drop it from the payload.
rm -rf "$app/node_modules/cmake-js"

# The SASS check of the addon that travels (the GPU host may have no CUDA toolkit).
if cuobjdump=$(bash benchmarks/scripts/fetch-cuobjdump.sh 2>"$app/sass-prepare.err"); then
  node dist/benchmarks/sass/cli.js --json --cuobjdump "$cuobjdump" build/Release/tppverify.node >"$app/sass-prepare.json" || true
  node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1]));const n=r.violations.filter((v)=>!v.known).length;console.log(`sass: ${r.kernels.length} kernels, ${r.violations.length} violations (${n} new)`)' "$app/sass-prepare.json" || true
else
  reason=$(tail -n 1 "$app/sass-prepare.err")
  node -e 'console.log(JSON.stringify({disassembler:null,reason:process.argv[1]}))' "no cuobjdump here: $reason" >"$app/sass-prepare.json"
  echo "sass: not checked here ($reason)"
fi
rm -f "$app/sass-prepare.err"

du -sh .gpu-host
total_kib=$(du -sk .gpu-host | cut -f1)
tree_kib=$(git ls-files -z | xargs -0 du -ck 2>/dev/null | tail -n 1 | cut -f1)
if [ $(((total_kib + tree_kib) / 1024)) -ge "$carry_limit_mib" ]; then
  echo "gpu-prepare: .gpu-host ($((total_kib / 1024)) MiB) plus the working tree ($((tree_kib / 1024)) MiB) exceed the device tool's ${carry_limit_mib} MiB" >&2
  exit 1
fi
echo "ready: run 'bash benchmarks/gpu-check.sh' through the device tool with carry [\".gpu-host\"]"
