#!/usr/bin/env bash
# Builds the libFuzzer targets (swiftc -sanitize=fuzzer,address over the library sources —
# SwiftPM's executables clash with libFuzzer's main) and runs each for SECONDS (default 60),
# with a corpus seeded from Examples/ and Tests/Conformance/ and the keyword dictionary.
# New crashers are copied to Tests/FuzzRegressions/<target>/ for the test suite to replay.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
out="$root/Fuzz/out"
mkdir -p "$out"
# The dictionary: every keyword and punctuation mark of LANGUAGE.md §2.
dict="$out/policy.dict"
: > "$dict"
for w in after agency and as assert at attributes by cancel combine compare decision else enact enum event \
         explain false for from if in include jurisdiction jurisdictions let not of on or overrides param plot \
         policy population proposed record repeal scenario set status table test then timeline true under until \
         when where with within size seed uniform weighted days month year '{' '}' '(' ')' '[' ']' '==' '!=' '<=' \
         '>=' '..' '%' '2013-06-01' '30 days' '"x"' '#' '##'; do
  printf '"%s"\n' "$(printf '%s' "$w" | sed 's/\\/\\\\/g; s/"/\\"/g')" >> "$dict"
done
build() { # target, extra sources…
  local target=$1; shift
  swiftc -O -g -parse-as-library -sanitize=fuzzer,address -module-name PolicyFuzz \
    "$@" "$root/Fuzz/$target.swift" -o "$out/$target"
}
corpus() { # target
  local dir="$out/corpus-$1"
  mkdir -p "$dir"
  find "$root/Examples" "$root/Tests/Conformance" -name '*.policy' -exec cp {} "$dir/" \; 2>/dev/null || true
  echo "$dir"
}
build lexparse "$root"/Sources/PolicySyntax/*.swift
for target in lexparse; do
  crashes="$root/Tests/FuzzRegressions/$target"
  mkdir -p "$crashes"
  "$out/$target" -max_total_time="$seconds" -dict="$dict" -max_len=4096 -artifact_prefix="$crashes/" \
    -print_final_stats=1 "$(corpus $target)" 2>&1 | tail -25
done
