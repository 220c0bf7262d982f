#!/usr/bin/env bash
# Interleaves likwid-bench and tppverify on this host (the machine is noisy, so
# each round runs both back to back) and prints the ratio of medians for the
# two quality bars in benchmarks/README.md:
#   CPU triad  vs likwid-bench -t stream_mem_avx512 -W N:3GB:<threads>
#   FP64 FMA   vs likwid-bench -t peakflops_avx512_fma -W N:32kB:<threads>
# Needs: likwid (Debian package), a built tppverify (npm install).
set -euo pipefail
rounds=${ROUNDS:-5}
threads=$(nproc)
here=$(cd "$(dirname "$0")/../.." && pwd)
cli="node $here/dist/harness/cli/main.js"
command -v likwid-bench >/dev/null || { echo "likwid-bench not found: apt-get install likwid" >&2; exit 2; }

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
likwid_rate() { likwid-bench -t "$1" -W "N:$2:$threads" 2>/dev/null | awk -v key="$3" '$0 ~ key {print $2}'; }

: > /tmp/tpp-triad; : > /tmp/lw-triad; : > /tmp/tpp-fp64; : > /tmp/lw-fp64; : > /tmp/tpp-fp64-peak
for round in $(seq "$rounds"); do
  likwid_rate stream_mem_avx512 3GB 'MByte/s' | awk '{print $1/1000}' >> /tmp/lw-triad
  $cli bench --device cpu --suite bandwidth --json |
    node -e 'const r=JSON.parse(require("fs").readFileSync(0));console.log(r.bandwidth.kernels.find(k=>k.name==="triad").gbps.median)' >> /tmp/tpp-triad
  likwid_rate peakflops_avx512_fma 32kB 'MFlops/s' | awk '{print $1/1000}' >> /tmp/lw-fp64
  $cli bench --device cpu --suite throughput --json |
    node -e 'const r=JSON.parse(require("fs").readFileSync(0));const c=r.throughput.find(t=>t.format==="FP64");
      const lanes=8, ports=2; console.log(c.tops.median*1000, c.opsPerClockPerUnit/(lanes*2*ports))' > /tmp/tpp-fp64-round
  awk '{print $1}' /tmp/tpp-fp64-round >> /tmp/tpp-fp64
  awk '{print $2}' /tmp/tpp-fp64-round >> /tmp/tpp-fp64-peak
  echo "round $round done" >&2
done
lw_triad=$(median < /tmp/lw-triad); tpp_triad=$(median < /tmp/tpp-triad)
lw_fp64=$(median < /tmp/lw-fp64); tpp_fp64=$(median < /tmp/tpp-fp64); peak=$(median < /tmp/tpp-fp64-peak)
printf 'rounds: %s, threads: %s\n' "$rounds" "$threads"
printf 'triad  likwid %.2f GB/s  tppverify %.2f GB/s  ratio %.3f\n' "$lw_triad" "$tpp_triad" "$(echo "$tpp_triad / $lw_triad" | bc -l)"
printf 'FP64   likwid %.1f GFLOP/s  tppverify %.1f GFLOP/s  ratio %.3f\n' "$lw_fp64" "$tpp_fp64" "$(echo "$tpp_fp64 / $lw_fp64" | bc -l)"
printf 'FP64   share of theoretical peak at measured clock (2 FMA ports x 8 lanes x 2): %.3f\n' "$peak"
