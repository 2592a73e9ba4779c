#!/usr/bin/env bash
# GNU parallel on one machine (or one allocation): 8 shards, 2 at a time — each shard already
# uses every core it is given — then the merge. Run from the repository's root:
#   Examples/distributed/parallel.sh [STUDY] [SHARDS] [OUT]
# A shard that fails can be rerun alone; shards already written are skipped.
set -euo pipefail
study=${1:-Examples/distributed/study.policy} shards=${2:-8} out=${3:-results/study}
parallel --will-cite --halt soon,fail=1 -j2 policy run "$study" --shard {}/"$shards" --out "$out" ::: $(seq "$shards")
policy merge "$out"
