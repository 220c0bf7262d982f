#!/usr/bin/env bash
# Run here, before a GPU session: assembles everything the GPU host needs in
# .gpu-host/app (built JavaScript, the addon, schemas, example declarations,
# production dependencies) and packs Node with ../shared/gpu-host/pack-node.sh.
# Then: the device tool with carry [".gpu-host"] and the command
#   bash benchmarks/gpu-check.sh
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
bash ../shared/gpu-host/pack-node.sh >/dev/null
app=.gpu-host/app
rm -rf "$app"
mkdir -p "$app/build/Release" "$app/harness/declaration"
cp package.json package-lock.json "$app/"
cp -r dist proto "$app/"
cp -r harness/declaration/examples "$app/harness/declaration/"
cp build/Release/*.node "$app/build/Release/"
cp build/Release/*.so "$app/build/Release/" 2>/dev/null || true
# What --version reports about the build (backends, toolchains).
cp build/tppverify-build.json "$app/build/" 2>/dev/null || true
(cd "$app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
# cmake-js is only needed to build: drop it from the payload.
rm -rf "$app/node_modules/cmake-js"
du -sh .gpu-host
