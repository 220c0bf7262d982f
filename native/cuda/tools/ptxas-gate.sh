#!/usr/bin/env bash
# Compiler launcher for the CUDA sources: runs the compile, passes its output
# through without ptxas's per-kernel "info" lines, and fails the compile when
# ptxas reports wgmma serialization (C7510–C7518) or injects a
# warpgroup.arrive (C7519: registers of an in-flight wgmma touched by other
# code, which drains the pipe). ptxas prints those as "info", not warnings,
# so -Xptxas -Werror alone does not catch them; such a loop cannot reach the
# peak (tensor-instructions.md §2).
set -uo pipefail
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$@" >"$log" 2>&1
rc=$?
grep -v -E '^ptxas info +: (Compiling entry|Function properties|Used [0-9]+ registers|Compile time|[0-9]+ bytes (gmem|stack))|^ +[0-9]+ bytes stack frame' "$log" >&2
source_file=$(printf '%s\n' "$@" | grep -E '\.cu$' | tail -n 1)
failed=0
if grep -q -E 'C7519' "$log"; then
  echo "error: ptxas injected warpgroup.arrive (C7519) in ${source_file:-the compiled source}: fence the accumulators around each wgmma group" >&2
  failed=1
fi
if grep -q -E 'C751[0-8]' "$log"; then
  echo "error: ptxas serialized wgmma instructions ($(grep -o -E 'C751[0-8]' "$log" | sort -u | paste -sd/)) in ${source_file:-the compiled source}" >&2
  failed=1
fi
if [[ $failed -ne 0 ]]; then exit 1; fi
exit "$rc"
