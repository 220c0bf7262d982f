#!/usr/bin/env bash
# The device check: one call on a GPU host (the device tool) that measures
# everything once, side by side with a PyTorch peer, inside one deadline.
# Prepare here first with `bash benchmarks/gpu-prepare.sh`, then run through
# the device tool with carry [".gpu-host"]:   bash benchmarks/gpu-check.sh
#
# $OUT holds at most three files at any moment: gpu-check.tar.gz (every raw
# output, rewritten after each step, so a kill mid-way still returns all that
# was done), summary.txt (rewritten after each step, printed last) and,
# briefly, one of them being replaced (*.part).
#
#   DEVICE=cuda:0     the device to measure (cpu for the dry run)
#   BUDGET_S=480      one deadline for the whole call, seconds (the device tool
#                     allows 600 s a command; the machine's start counts too)
#   RESERVE_S=20      kept back from the deadline for the last summary and archive
#   OUT=./gpu-check-out
#   PEER_PYTHON       python with torch (default: the first of python3,
#                     /usr/bin/python3 that imports it)
#   APP_DIR           the built harness (default .gpu-host/app, else the checkout)
#   ONLY=run,bench-FP8  run only these steps (rerun what failed); "bench" covers
#                     its per-format reruns; host and the telemetry always run
#   --quick           small sizes and short trials: the CPU dry run (tests)
# Exits 0 when it reached its end (what failed is in the summary), 2 when it
# cannot start, 130 when interrupted (after writing the summary and archive).
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
self="$root/benchmarks/gpu-check.sh"

# ---- helpers the steps run (the script calls itself: `gpu-check.sh --helper NAME`) ----
if [ "${1:-}" = "--helper" ]; then
  case "${2:-}" in
    host)
      date -u +%Y-%m-%dT%H:%M:%SZ
      uname -a
      grep -m1 'model name' /proc/cpuinfo 2>/dev/null
      echo "cpus: $(nproc 2>/dev/null)"
      grep -E '^(MemTotal|MemAvailable)' /proc/meminfo 2>/dev/null
      [ -r /etc/os-release ] && grep -E '^PRETTY_NAME=' /etc/os-release
      echo "node: $(command -v node) $(node --version 2>&1)"
      command -v nvidia-smi >/dev/null && echo "nvidia-smi: $(command -v nvidia-smi)" || echo "nvidia-smi: not on PATH"
      for tool in cuobjdump nvcc python3; do echo "$tool: $(command -v "$tool" || echo 'not on PATH')"; done
      ls -d /usr/local/cuda* 2>/dev/null | sed 's/^/cuda toolkit folder: /'
      exit 0 ;;
    ldd)
      # What the addon needs at load time, and whether this host has it.
      status=0
      for lib in build/Release/*.node build/Release/*.so; do
        [ -e "$lib" ] || continue
        echo "== $lib"
        ldd "$lib" 2>&1
        # The HIP backend is a library of its own, loaded only where ROCm is: optional on NVIDIA hosts.
        label=MISSING
        case "$lib" in *hip*) label=OPTIONAL-MISSING ;; esac
        missing=$(ldd "$lib" 2>&1 | awk '/not found/ {print $1}' | tr '\n' ' ')
        if [ -n "$missing" ]; then
          echo "$label: $lib needs $missing"
          [ "$label" = MISSING ] && status=1
        fi
        # Symbol versions it asks for against those the resolved libraries offer.
        for family in GLIBC GLIBCXX CXXABI GOMP; do
          need=$(grep -ao "${family}_[0-9][0-9.]*" "$lib" | sort -uV | tail -n 1)
          [ -n "$need" ] || continue
          have=$(ldd "$lib" 2>/dev/null | awk '/=> \// {print $3}' | xargs -r grep -aoh "${family}_[0-9][0-9.]*" 2>/dev/null | sort -uV | tail -n 1)
          if [ -z "$have" ] || [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | tail -n 1)" != "$have" ]; then
            echo "$label: $lib needs $need, this host offers ${have:-none}"
            [ "$label" = MISSING ] && status=1
          else
            echo "ok: needs $need, host offers $have"
          fi
        done
      done
      echo "== load"
      if node -e 'require(process.argv[1])' "$(pwd)/build/Release/tppverify.node" 2>&1; then echo "the addon loads"; else echo "MISSING: the addon does not load"; status=1; fi
      exit "$status" ;;
    identity)
      # Issue 17's one-call device probe, when the checkout has one.
      # Its stdout goes into the archive; without OUT it writes nothing beside it ($OUT keeps at most 3 files).
      for probe in benchmarks/identity-probe* "$root"/benchmarks/identity-probe*; do
        [ -e "$probe" ] || continue
        case "$probe" in
          *.sh) exec env -u OUT bash "$probe" ;;
          *.py) exec env -u OUT python3 "$probe" ;;
          *.mjs | *.js) exec env -u OUT node "$probe" ;;
          *) [ -x "$probe" ] && exec env -u OUT "$probe" ;;
        esac
      done
      echo "no benchmarks/identity-probe.* in this checkout"
      exit 0 ;;
    sass)
      cuobjdump=$(command -v cuobjdump || ls /usr/local/cuda/bin/cuobjdump 2>/dev/null || true)
      if [ -z "$cuobjdump" ]; then
        echo '{"disassembler":null,"reason":"no cuobjdump on this host (no CUDA toolkit): see sass-prepare.json for the check made when the payload was prepared"}'
        exit 0
      fi
      exec node dist/benchmarks/sass/cli.js --json --cuobjdump "$cuobjdump" build/Release/tppverify.node ;;
    *) echo "unknown helper ${2:-}" >&2; exit 2 ;;
  esac
fi

quick=0
[ "${1:-}" = "--quick" ] && quick=1
device=${DEVICE:-cuda:0}
only=${ONLY:-}
budget_s=${BUDGET_S:-480}
reserve_s=${RESERVE_S:-20}
out=${OUT:-$root/gpu-check-out}
started=$(date +%s)
deadline=$((started + budget_s))
archive_name=gpu-check.tar.gz
# Raw output files larger than this keep their first and last halves (the device tool returns 16 MiB a file).
max_raw_bytes=$((2 * 1024 * 1024))
quick_min_s=3
# A step that ignores SIGTERM gets SIGKILL this much later (inside the reserve).
kill_after_s=3
# One nvidia-smi sample a second bounds the telemetry to the deadline: under 100 kB.
telemetry_ms=1000

mkdir -p "$out" || { echo "gpu-check: cannot create $out" >&2; exit 2; }
# Absolute: the steps run from the app folder.
out=$(cd "$out" && pwd)
rm -f "$out/$archive_name" "$out/summary.txt" "$out/$archive_name.part" "$out/summary.txt.part"
work=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX") || exit 2
printf 'step\tstatus\trc\tseconds\tnote\n' >"$work/steps.tsv"
printf 'device\t%s\nbudget_s\t%s\nreserve_s\t%s\nquick\t%s\nstarted\t%s\nonly\t%s\n' "$device" "$budget_s" "$reserve_s" "$quick" "$started" "$only" >"$work/check.tsv"

app=${APP_DIR:-}
if [ -z "$app" ]; then
  if [ -d "$root/.gpu-host/app" ]; then app="$root/.gpu-host/app"; else app="$root"; fi
fi
if [ -f "$root/.gpu-host/env.sh" ]; then
  # The packed Node 24 (benchmarks/gpu-host/pack-node.sh), first on PATH.
  # shellcheck source=/dev/null
  cd "$root" && source .gpu-host/env.sh >"$work/node-unpack.txt" 2>&1
fi
cd "$app" || { echo "gpu-check: no app folder $app" >&2; exit 2; }
cli=(node dist/harness/cli/main.js)

step_pid=
sampler_pid=

now() { date +%s; }

cap_file() {  # keeps the first and last halves of an oversized raw output
  local file=$1 size
  size=$(stat -c %s "$file" 2>/dev/null || echo 0)
  if [ "$size" -gt "$max_raw_bytes" ]; then
    { head -c $((max_raw_bytes / 2)) "$file"; printf '\n[... %s bytes cut ...]\n' "$((size - max_raw_bytes))"; tail -c $((max_raw_bytes / 2)) "$file"; } >"$file.cut"
    mv -f "$file.cut" "$file"
  fi
}

fallback_summary() {  # when node cannot write the summary: the steps and the last error lines
  echo "tppverify device check ($device): the summary program failed; steps and last error lines follow"
  column -t -s $'\t' "$work/steps.tsv" 2>/dev/null || cat "$work/steps.tsv"
  for err in "$work"/*.err; do
    [ -s "$err" ] || continue
    echo "-- $(basename "$err" .err):"
    tail -n 3 "$err"
  done
  [ -s "$work/summary.err" ] && { echo "-- summary:"; tail -n 3 "$work/summary.err"; }
}

refresh() {  # rewrites the summary and the archive from everything so far
  printf 'elapsed_s\t%s\n' "$(($(now) - started))" >"$work/elapsed.tsv"
  if ! timeout 10 node dist/harness/gpu-check/summary.js "$work" >"$work/summary.txt" 2>"$work/summary.err"; then
    fallback_summary >"$work/summary.txt"
  fi
  cp "$work/summary.txt" "$out/summary.txt.part" && mv -f "$out/summary.txt.part" "$out/summary.txt"
  tar -C "$work" -czf "$out/$archive_name.part" . 2>/dev/null && mv -f "$out/$archive_name.part" "$out/$archive_name"
}

record() {  # record NAME STATUS RC SECONDS NOTE
  printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$work/steps.tsv"
  printf '%-24s %-8s rc=%-4s %5ss  %s\n' "$1" "$2" "$3" "$4" "$5"
}

last_rc=0
# step NAME CAP_S MIN_S COMMAND...: runs COMMAND for at most CAP_S seconds and
# never past the deadline; skipped when fewer than MIN_S seconds are left.
# stdout to NAME.out, stderr to NAME.err; the exit code in last_rc.
selected() {  # selected NAME: in ONLY (or no ONLY given)
  local name=$1
  [ -z "$only" ] || [ "$name" = host ] || [[ ",$only," == *",$name,"* ]] || [[ "$name" == bench-* && ",$only," == *",bench,"* ]]
}

step() {
  local name=$1 cap=$2 minimum=$3
  shift 3
  if ! selected "$name"; then
    last_rc=-1
    record "$name" skipped - 0 "not selected (ONLY=$only)"
    return 0
  fi
  # The dry run's steps take seconds: only a step with no time at all is skipped.
  [ "$quick" -eq 1 ] && minimum=$quick_min_s
  local left=$((deadline - reserve_s - $(now)))
  if [ "$left" -lt "$minimum" ]; then
    last_rc=-1
    # No refresh: a skipped step adds no output, and the deadline leaves no time for one.
    record "$name" skipped - 0 "deadline: ${left}s left of ${budget_s}s, needs ${minimum}s"
    return 0
  fi
  local slice=$((cap < left ? cap : left)) begin
  begin=$(now)
  timeout --kill-after="$kill_after_s" "$slice" "$@" >"$work/$name.out" 2>"$work/$name.err" &
  step_pid=$!
  wait "$step_pid"
  last_rc=$?
  step_pid=
  cap_file "$work/$name.out"
  cap_file "$work/$name.err"
  local status=ok note=""
  if [ "$last_rc" -eq 124 ] || [ "$last_rc" -eq 137 ]; then
    status=timeout
    note="stopped after ${slice}s ($([ "$slice" -lt "$cap" ] && echo "the deadline; cap ${cap}s" || echo "its cap"))"
  elif [ "$last_rc" -ne 0 ]; then
    status=failed
    note=$(tail -n 1 "$work/$name.err" | cut -c1-160)
  fi
  record "$name" "$status" "$last_rc" "$(($(now) - begin))" "$note"
  refresh
}

skip() {  # skip NAME REASON
  if selected "$1"; then record "$1" skipped - 0 "$2"; else record "$1" skipped - 0 "not selected (ONLY=$only)"; fi
}

stop_sampler() {
  if [ -n "$sampler_pid" ]; then
    kill "$sampler_pid" 2>/dev/null
    wait "$sampler_pid" 2>/dev/null
    sampler_pid=
  fi
}

finish() {
  stop_sampler
  refresh
  printf '\n'
  cat "$out/summary.txt"
  rm -rf "$work"
}

on_signal() {
  [ -n "$step_pid" ] && kill "$step_pid" 2>/dev/null
  record signal stopped - 0 "the check was interrupted"
  finish
  exit 130
}
trap on_signal INT TERM

echo "gpu-check: device $device, budget ${budget_s}s (reserve ${reserve_s}s), app $app, out $out"

# ---- telemetry through the whole call ----
if command -v nvidia-smi >/dev/null; then
  telemetry_fields=timestamp,index,clocks.sm,clocks.mem,clocks.max.sm,power.draw,power.limit,temperature.gpu,temperature.memory,utilization.gpu,clocks_throttle_reasons.active,clocks_throttle_reasons.sw_power_cap,clocks_throttle_reasons.hw_slowdown,clocks_throttle_reasons.sw_thermal_slowdown,clocks_throttle_reasons.hw_thermal_slowdown,clocks_throttle_reasons.hw_power_brake_slowdown
  timeout "$((deadline - $(now)))" nvidia-smi --query-gpu="$telemetry_fields" --format=csv,nounits -lms "$telemetry_ms" \
    >"$work/telemetry.csv" 2>"$work/telemetry.err" &
  sampler_pid=$!
fi

# ---- steps, most valuable first ----
step host 10 1 bash "$self" --helper host
step ldd 20 2 bash "$self" --helper ldd
if command -v nvidia-smi >/dev/null; then
  step nvidia-smi-q 30 5 nvidia-smi -q -x
  step nvidia-smi-query 15 3 nvidia-smi --query-gpu=index,name,serial,uuid,pci.bus_id,driver_version,vbios_version,compute_cap,clocks.max.sm,clocks.max.mem,clocks.sm,clocks.mem,power.limit,power.default_limit,power.max_limit,mig.mode.current,ecc.mode.current,persistence_mode,compute_mode,temperature.gpu,memory.total --format=csv
else
  skip nvidia-smi-q "nvidia-smi not on PATH"
  skip nvidia-smi-query "nvidia-smi not on PATH"
fi
step devices 30 5 "${cli[@]}" devices --json
step identity-probe 30 5 env DEVICE="$device" bash "$self" --helper identity

if [ "$quick" -eq 1 ]; then
  sizes=(--array-mib 16 --seconds-per-trial 0.005)
  quick_flag=(--quick)
  bench_cap=60 rerun_cap=20
else
  sizes=()
  quick_flag=()
  bench_cap=200 rerun_cap=45
fi
step bench "$bench_cap" 20 "${cli[@]}" bench --device "$device" "${quick_flag[@]}" "${sizes[@]}" --json
if [ "$last_rc" -ne 0 ]; then
  # One failing kernel ends a bench run: measure each format on its own, then
  # the bandwidth, so the others still come back from this scarce session.
  for format in FP64_TENSOR FP64 FP32 TF32 FP16 BF16 FP8 INT8; do
    step "bench-$format" "$rerun_cap" 10 "${cli[@]}" bench --device "$device" --suite throughput --format "$format" --quick "${sizes[@]}" --json
  done
  step bench-bandwidth "$bench_cap" 20 "${cli[@]}" bench --device "$device" --suite bandwidth "${sizes[@]}" --json
fi

# The peer right after the bench, in the same thermal state.
peer_python=${PEER_PYTHON:-}
if [ -z "$peer_python" ] && selected peer; then
  for candidate in python3 /usr/bin/python3; do
    if command -v "$candidate" >/dev/null && timeout 60 "$candidate" -c 'import torch' >/dev/null 2>&1; then
      peer_python=$candidate
      break
    fi
  done
fi
peer_device=$device
[ "$device" = cpu ] || peer_device="cuda:${device#*:}"
peer_cap=120
# The peer stops starting cases 15 s before its slice ends, so it still prints its JSON.
peer_left=$((deadline - reserve_s - $(now)))
peer_deadline=$(((peer_left < peer_cap ? peer_left : peer_cap) - 15))
[ "$peer_deadline" -ge 1 ] || peer_deadline=1
if [ -n "$peer_python" ]; then
  step peer "$peer_cap" 20 "$peer_python" "$root/benchmarks/peer/torch_peer.py" --device "$peer_device" "${quick_flag[@]}" --deadline-s "$peer_deadline"
else
  skip peer "no python on this host imports torch (tried python3, /usr/bin/python3; set PEER_PYTHON)"
fi

if [ "$quick" -eq 1 ]; then
  # The dry run proves the command line; one format keeps it short (a CPU has no sweep variants).
  step sweep 60 10 "${cli[@]}" bench --device "$device" --suite throughput --sweep --format FP64 --quick --seconds-per-trial 0.005 --json
else
  step sweep 120 20 "${cli[@]}" bench --device "$device" --suite throughput --sweep --seconds-per-trial 0.02 --json
fi

# A signed run, with the card's example declaration when there is one.
model=$(node -e 'try{const r=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(r.backends.flatMap((b)=>b.devices).find((d)=>d.id===process.argv[2])?.model??"")}catch{console.log("")}' "$work/devices.out" "$device")
case "$model" in
  *H200*) declaration=(--declaration harness/declaration/examples/h200-sxm.json) ;;
  *H100*) declaration=(--declaration harness/declaration/examples/h100-sxm.json) ;;
  *) declaration=() ;;
esac
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check-run.XXXXXX")
if [ "$quick" -eq 1 ]; then
  # The dry run's sustained phase is shortened too (a recorded deviation): 2 s of 5 ms trials is 400 CPU clock probes.
  step run 90 15 "${cli[@]}" run --device "$device" "${declaration[@]}" --quick "${sizes[@]}" --sustained-seconds 0.1 --out "$run_dir" --json
else
  # The standard run ends with its 60 s sustained phase (issue 18): 70 s more than before.
  step run 270 40 "${cli[@]}" run --device "$device" "${declaration[@]}" --out "$run_dir" --json
fi
# The signed files go into the archive, under attestations/.
if compgen -G "$run_dir/*" >/dev/null; then
  mkdir -p "$work/attestations" && cp -r "$run_dir"/. "$work/attestations/"
fi
rm -rf "$run_dir"

step sass 60 5 bash "$self" --helper sass
[ -f sass-prepare.json ] && cp sass-prepare.json "$work/sass-prepare.json"
if command -v nvidia-smi >/dev/null; then
  step nvidia-smi-after 15 3 nvidia-smi --query-gpu=index,clocks.sm,clocks.mem,power.draw,temperature.gpu,clocks_throttle_reasons.active --format=csv
fi

finish
exit 0
