#!/usr/bin/env bash
# W4 side by side: `policy run` (release build), a plain C program and numpy on the same
# files, each timed as a whole process (best of RUNS), after checking that all three print
# the same table. Prints the times and the ratios the engine is measured by.
#
#   bench/w4/run.sh [FOLDER]      FOLDER: a W4 folder made by `policy bench w4`
#                                 (default: made here, 1,000,000 bookings)
#   RUNS=5 CASES=1000000 POLICY=path/to/policy bench/w4/run.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
runs=${RUNS:-3}
cases=${CASES:-1000000}
policy=${POLICY:-$root/.build/release/policy}
if [[ ! -x $policy ]]; then
  echo "building policy (release)…" >&2
  (cd "$root" && swift build -c release >/dev/null)
fi
folder=${1:-}
if [[ -z $folder ]]; then
  "$policy" bench w4 --cases "$cases" --dir /tmp/policy-bench >/dev/null
  folder=/tmp/policy-bench/w4-$cases
fi
[[ -f $folder/bookings.csv ]] || { echo "error: no W4 files in $folder (make them with: policy bench w4 --dir DIR)" >&2; exit 66; }
python3 -c 'import numpy' 2>/dev/null || { echo "error: numpy is missing (pip install numpy, or apt-get install python3-numpy)" >&2; exit 69; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/w4" "$here/w4.c"

# Same answers first.
# (The run's CSV opens with a `# table …` line naming the statement; the peers print the table.)
"$policy" run --format csv "$folder/w4.policy" | grep -v '^#' > "$work/policy.csv"
"$work/w4" "$folder" > "$work/c.csv"
python3 "$here/w4.py" "$folder" > "$work/numpy.csv"
for peer in c numpy; do
  if ! cmp -s "$work/policy.csv" "$work/$peer.csv"; then
    echo "error: $peer and policy disagree:" >&2
    diff "$work/policy.csv" "$work/$peer.csv" >&2 || true
    exit 1
  fi
done

best() { # best wall time of $runs runs of the command, in seconds
  local best=""
  for ((i = 0; i < runs; i++)); do
    local t0 t1
    t0=$(date +%s.%N); "$@" > /dev/null; t1=$(date +%s.%N)
    best=$(python3 -c "import sys; a=float(sys.argv[1])-float(sys.argv[2]); b=sys.argv[3]; print(a if not b else min(a, float(b)))" "$t1" "$t0" "$best")
  done
  echo "$best"
}
tp=$(best "$policy" run "$folder/w4.policy")
tc=$(best "$work/w4" "$folder")
tn=$(best python3 "$here/w4.py" "$folder")
python3 - "$tp" "$tc" "$tn" "$(wc -l < "$folder/bookings.csv")" <<'PY'
import sys
tp, tc, tn, lines = map(float, sys.argv[1:5])
print(f"W4: {int(lines) - 1:,} bookings from CSV, whole process, best of runs; all three print the same table")
print(f"  policy   {tp:7.3f} s")
print(f"  C        {tc:7.3f} s   policy / C     = {tp / tc:5.2f}   (target ≤ 2.5)")
print(f"  numpy    {tn:7.3f} s   numpy / policy = {tn / tp:5.2f}   (target ≥ 4)")
PY
