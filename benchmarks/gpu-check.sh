#!/usr/bin/env bash
# Run on the GPU host (the device tool), after benchmarks/gpu-prepare.sh here.
# Builds nothing. Writes JSON and a short table under $OUT (default ./gpu-check-out).
#   DEVICE=cuda:0 (default)   TIMEOUT_S=120 per step (default)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${OUT:-$root/gpu-check-out}
device=${DEVICE:-cuda:0}
step_timeout=${TIMEOUT_S:-120}
mkdir -p "$out"
cd "$root"
[ -f .gpu-host/env.sh ] && source .gpu-host/env.sh >/dev/null
cd .gpu-host/app 2>/dev/null || cd "$root"
cli="node dist/harness/cli/main.js"

last_rc=0
step() {  # step NAME COMMAND...: runs with a time limit, keeps stdout, stderr and the exit code (in last_rc)
  local name=$1; shift
  timeout "$step_timeout" "$@" >"$out/$name.out" 2>"$out/$name.err"
  last_rc=$?
  echo "$name rc=$last_rc" | tee -a "$out/steps.txt"
  return 0
}

{ date -u; uname -a; } >"$out/host.txt"
command -v nvidia-smi >/dev/null && nvidia-smi -q >"$out/nvidia-smi-q.txt" 2>&1
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,uuid,serial,driver_version,vbios_version,clocks.max.sm,clocks.sm,power.limit,power.default_limit,mig.mode.current,ecc.mode.current --format=csv >"$out/nvidia-smi.csv" 2>&1
step devices $cli devices --json
step bench $cli bench --device "$device" --json
if [ "$last_rc" -ne 0 ]; then
  # One failing kernel ends a bench run: measure each format on its own so the
  # others still come back from this (scarce) GPU session.
  for format in FP64_TENSOR TF32 FP16 BF16 FP8 INT8; do
    step "bench-$format" $cli bench --device "$device" --suite throughput --format "$format" --quick --json
  done
  step bench-bandwidth $cli bench --device "$device" --suite bandwidth --json
fi
step sweep $cli bench --device "$device" --suite throughput --sweep --seconds-per-trial 0.02 --json
# The model from the device listing, written before any measurement (a failed bench leaves no bench.out).
model=$(node -e 'try{const r=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(r.backends.flatMap((b)=>b.devices).find((d)=>d.id===process.argv[2])?.model??"")}catch{console.log("")}' "$out/devices.out" "$device")
case "$model" in
  *H200*) declaration=harness/declaration/examples/h200-sxm.json ;;
  *H100*) declaration=harness/declaration/examples/h100-sxm.json ;;
  *) declaration= ;;
esac
if [ -n "$declaration" ]; then
  step run $cli run --device "$device" --declaration "$declaration" --out "$out/attestations" --json
else
  step run $cli run --device "$device" --out "$out/attestations" --json
fi
node -e '
const fs = require("fs");
const out = process.argv[1];
// The full bench, or else whatever its per-format and bandwidth reruns returned.
const read = (name) => { try { return JSON.parse(fs.readFileSync(`${out}/${name}.out`)); } catch { return null; } };
const full = read("bench");
const parts = full ? [full] : fs.readdirSync(out).filter((f) => /^bench-.*\.out$/.test(f)).map((f) => read(f.slice(0, -4))).filter(Boolean);
try {
  if (!parts.length) throw new Error("no bench output parsed");
  const r = { device: parts[0].device, bandwidth: parts.find((p) => p.bandwidth)?.bandwidth, throughput: parts.flatMap((p) => p.throughput ?? []) };
  const lines = [`${r.device.id} ${r.device.model}${full ? "" : " (from per-format reruns: the full bench failed)"}`];
  for (const k of r.bandwidth?.kernels ?? []) lines.push(`bandwidth ${k.name.padEnd(6)} median ${k.gbps.median.toFixed(0)} GB/s best ${k.gbps.best.toFixed(0)} (${k.trials} trials)`);
  for (const t of r.throughput ?? []) lines.push(t.available
    ? `${t.format.padEnd(11)} ${t.engine.padEnd(18)} ${t.tops.median.toFixed(1)} TOPS  ${t.opsPerClockPerUnit.toFixed(0)} ops/clk/SM  ${t.clockMhz.toFixed(0)} MHz  ${t.units} SMs`
    : `${t.format.padEnd(11)} ${t.engine.padEnd(18)} unavailable: ${t.unavailableReason}`);
  fs.writeFileSync(out + "/summary.txt", lines.join("\n") + "\n");
  console.log(lines.join("\n"));
} catch (e) { console.log("no bench result: " + e.message); }
' "$out"
