#!/usr/bin/env bash
# Compiler launcher for the CUDA sources: runs the compile, passes its output
# through without ptxas's per-kernel "info" lines, and fails the compile when
# ptxas reports wgmma serialization (C7514/C7515). ptxas prints those as
# "info", not warnings, so -Xptxas -Werror alone does not catch them; a
# serialized wgmma loop cannot reach the peak (tensor-instructions.md §2).
set -uo pipefail
log=$(mktemp)
trap 'rm -f "$log"' EXIT
"$@" >"$log" 2>&1
rc=$?
grep -v -E '^ptxas info +: (Compiling entry|Function properties|Used [0-9]+ registers|Compile time|[0-9]+ bytes (gmem|stack))|^ +[0-9]+ bytes stack frame' "$log" >&2
if grep -q -E 'C751[45]' "$log"; then
  source_file=$(printf '%s\n' "$@" | grep -E '\.cu$' | tail -n 1)
  echo "error: ptxas serialized wgmma instructions (C7514/C7515) in ${source_file:-the compiled source}" >&2
  exit 1
fi
exit "$rc"
