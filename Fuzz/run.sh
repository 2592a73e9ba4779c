#!/usr/bin/env bash
# The fuzz campaign: builds the libFuzzer targets and runs each for SECONDS (default 60).
#
#   Fuzz/run.sh [SECONDS] [TARGET…]      targets: lexparse check run-program csv render differential (default: all)
#   FUZZ_KEEP_GOING=1 Fuzz/run.sh …      go on after a crash, saving each crasher
#
# Targets are built optimised with their asserts kept (-assert-config Debug, so an impossible
# state stops the run) and -sanitize=fuzzer,address over the library sources (SwiftPM's
# executables clash with libFuzzer's main), so the library sources are copied into one module
# without their `import Policy…` lines. The corpus is seeded from Examples/ and Tests/ (CSV
# files for the csv target), with a dictionary of the language's keywords. A crashing input
# is saved under Tests/FuzzRegressions/<target>/, which `swift test` replays
# (FuzzRegressionTests); keep it there once the crash is fixed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(lexparse check run-program csv render differential)
out="$root/Fuzz/out"
mkdir -p "$out"

# The dictionary: every keyword and punctuation mark of LANGUAGE.md §2, and values at the
# edges of what numbers, durations and dates can hold.
dict="$out/policy.dict"
: > "$dict"
for w in after agency and as assert at attributes by cancel combine compare decision else enact enum event \
         explain false for from if in include jurisdiction jurisdictions let not of on or overrides param plot \
         policy population proposed record repeal scenario set status table test then timeline true under until \
         when where with within size seed uniform weighted days month year count share sum mean chance \
         latest most_specific all any first '{' '}' '(' ')' '[' ']' '==' '!=' '<=' '>=' '..' '%' \
         '2013-06-01' '30 days' '"x"' '#' '##' 'baseline' 'quarter' 'to' 'decline' 'honor' \
         '1e19' '9.0e19' '-9.3e18' '1e308' '1e-300' '5e-324' 'nan' 'inf' '9999999 days' '9999999 months' \
         '-9223372036854775808' '9223372036854775807' '2299-12-31' '1800-01-01' '0%' '100%' '-0'; do
  printf '"%s"\n' "$(printf '%s' "$w" | sed 's/\\/\\\\/g; s/"/\\"/g')" >> "$dict"
done
csvdict="$out/csv.dict"
printf '"%s"\n' , '\\"' 'date' 'jurisdiction' 'charge' 'convicted' 'score' 'name' 'kind' 'parent' 'label' \
  '2013-01-01' 'felony' 'cook' 'usa' 'true' 'yes' '0' '1.5' '\\r\\n' '\\xef\\xbb\\xbf' > "$csvdict"

# The render target reads its input as choices and 8-byte values (big-endian): the bit
# patterns of doubles and integers at the edges.
renderdict="$out/render.dict"
: > "$renderdict"
for hex in 0000000000000000 8000000000000000 43e158e460913d00 c3e02207973f6440 7fe1ccf385ebc8a0 \
           0000000000000001 7fefffffffffffff 7ff0000000000000 fff0000000000000 7ff8000000000000 \
           7ff4000000000000 0010000000000000 43e0000000000000 7fffffffffffffff 8000000000000000 \
           ffffffffffffffff 44138400eca364a0 01a56e1fc2f8f359; do
  printf '"%s"\n' "$(printf '%s' "$hex" | sed 's/../\\x&/g')" >> "$renderdict"
done

# One module of library sources, imports between the library's own modules removed.
# (A folder per run, so two campaigns can run side by side.)
src=$(mktemp -d "$out/src.XXXXXX")
trap 'rm -rf "$src"' EXIT
for f in "$root"/Sources/PolicySupport/*.swift "$root"/Sources/PolicySyntax/*.swift "$root"/Sources/PolicyCore/*.swift \
         "$root"/Sources/PolicyShell/TableRenderer.swift "$root"/Sources/PolicyShell/ChartRenderer.swift \
         "$root"/Sources/PolicyShell/JSONSyntax.swift "$root"/Sources/PolicyShell/JSONValue.swift \
         "$root"/Sources/PolicyShell/AttributionJSON.swift; do
  sed -E '/^import (PolicySupport|PolicySyntax|PolicyCore|PolicyShell)$/d' "$f" > "$src/$(basename "$(dirname "$f")")-$(basename "$f")"
done

# The csv target's program, embedded as a string.
{ printf 'let csvProgram = """\n'; sed 's/^/    /' "$root/Fuzz/csv-program.policy"; printf '    """\n'; } > "$src/CSVProgram.swift"

# The differential target's program generator, shared with SemanticDifferentialTests.
generator=("$root"/Tests/PolicyEndToEndTests/Semantic{ProgramGenerator,Expressions,Queries}.swift)

build() { # target (rebuilt only when its sources changed)
  local target=$1
  local stamp
  stamp=$(cat "$src"/*.swift "$root"/Fuzz/*.swift "${generator[@]}" | sha1sum | cut -c1-40)
  if [ -x "$out/$target" ] && [ "$(cat "$out/$target.stamp" 2>/dev/null)" = "$stamp" ]; then return; fi
  rm -f "$out/$target"
  local sources=("$src"/PolicySupport-*.swift "$src"/PolicySyntax-*.swift)
  [ "$target" = lexparse ] || sources+=("$src"/PolicyCore-*.swift "$root/Fuzz/Support.swift")
  [ "$target" = run-program ] || [ "$target" = render ] && sources+=("$src"/PolicyShell-*.swift)
  [ "$target" = differential ] && sources+=("$src"/PolicyShell-*.swift "${generator[@]}")
  [ "$target" = csv ] && sources+=("$src/CSVProgram.swift")
  echo "== building $target"
  swiftc -O -assert-config Debug -g -parse-as-library -sanitize=fuzzer,address -module-name PolicyFuzz -enforce-exclusivity=checked \
    -suppress-warnings "${sources[@]}" "$root/Fuzz/$target.swift" -o "$out/$target" 2>&1 | grep -v 'Cannot export local symbol' || true
  [ -x "$out/$target" ] || { echo "error: $target did not build" >&2; exit 1; }
  echo "$stamp" > "$out/$target.stamp"
}

corpus() { # target → a corpus folder, seeded once and then kept (it grows between runs)
  local dir="$out/corpus-$1"
  mkdir -p "$dir"
  if [ "$1" = csv ]; then
    find "$root/Examples" "$root/Tests" -name '*.csv' -size -64k -exec cp {} "$dir/" \; 2>/dev/null || true
    printf 'date,jurisdiction,charge,convicted,score,weight,note,kind_of\n2013-01-01,cook,felony,yes,3,0.25,"a, ""b""",county\n2014-02-28,Cook County,,0,,,,\n' > "$dir/seed-cases.csv"
    printf 'name,kind,parent,label,trust,circuit,since,beds,open\ndupage,county,illinois,DuPage County,0.5,seventh,2001-02-03,10,no\nnaperville,city,dupage,,,,,,\n' > "$dir/seed-places.csv"
  elif [ "$1" = render ]; then
    # Bytes, read as choices: a few seeds of different lengths are enough to start from.
    for n in 16 64 256 1024; do head -c "$n" /dev/urandom > "$dir/seed-$n"; done
  elif [ "$1" = differential ]; then
    # Bytes, not programs: eight bytes of seed, then the generator's first choices.
    for i in 1 2 3 4 5 6 7 8; do printf "\\x0$i\\x00\\x00\\x00\\x00\\x00\\x00\\x00" > "$dir/seed-$i"; done
  elif [ "$1" = run-program ]; then
    # The same programs with small populations, so whole runs stay within the population limit.
    find "$root/Examples" "$root/Tests/Conformance" -name '*.policy' | while read -r f; do
      sed -E 's/size [0-9_]+/size 300/' "$f" > "$dir/$(basename "$f")"
    done
  else
    find "$root/Examples" "$root/Tests/Conformance" -name '*.policy' -exec cp {} "$dir/" \; 2>/dev/null || true
  fi
  echo "$dir"
}

for target in "${targets[@]}"; do
  build "$target"
  crashes="$root/Tests/FuzzRegressions/$target"
  mkdir -p "$crashes"
  d="$dict"; [ "$target" = csv ] && d="$csvdict"; [ "$target" = render ] && d="$renderdict"
  echo "== fuzzing $target for $seconds s"
  # -timeout: an input that takes over 10 s counts as a hang (saved like a crash); the
  # differential target runs each program under six engine settings, so 60 s (10 s each).
  timeout=10
  [ "$target" = differential ] && timeout=60
  # -detect_leaks=0: reference cycles between a program and its worlds live as long as the
  # program does by design; a leak report is not a crash.
  status=0
  # FUZZ_KEEP_GOING=1: fork mode — a crash is saved and the campaign goes on (to collect
  # several crashers in one run); otherwise the first crash ends the target's run.
  # The render target's saved inputs are bytes only it reads: they run first, as seeds, so
  # a finding that comes back ends the campaign at once.
  seeds=()
  [ "$target" = render ] && seeds=("$crashes")
  keep=()
  [ "${FUZZ_KEEP_GOING:-0}" = 1 ] && keep=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  SWIFT_BACKTRACE=enable=no ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}" "$out/$target" -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=4096 -detect_leaks=0 -dict="$d" \
    "${keep[@]}" -max_len=4096 -artifact_prefix="$crashes/" -print_final_stats=1 "$(corpus "$target")" "${seeds[@]}" \
    > "$out/$target.log" 2>&1 || status=$?
  grep -E '^(#[0-9]+.*(DONE|pulse)|stat::|==[0-9]+==ERROR|SUMMARY|artifact|INFO: (Loaded|seed corpus))' "$out/$target.log" | tail -12
  if [ "$status" -ne 0 ]; then
    echo "** $target failed (exit $status): the input is saved under Tests/FuzzRegressions/$target/; see $out/$target.log"
    failed=1
  fi
done
exit "${failed:-0}"
