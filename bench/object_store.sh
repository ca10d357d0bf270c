#!/usr/bin/env bash
# Object store throughput, CardinalSin's clients next to a peer in one run:
#   - local filesystem store vs. plain POSIX files with the same durability (the floor);
#   - S3 client vs. boto3 (the AWS SDK for Python), both against one Ceph RGW started here.
# Small (4 KiB) and 8 MiB objects, ROUNDS (default 3) rounds; each cell is the median over the
# rounds. Prints a Markdown table for docs/benchmarks.md.
#
# Usage: bench/object_store.sh            (needs a release build: cmake --preset release &&
#                                          cmake --build --preset release --target object_store_benchmark)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
bin=build/release/bench/object_store_benchmark
[[ -x $bin ]] || { echo "build $bin first (release preset)" >&2; exit 1; }

venv=$repo/.venv-bench
if [[ ! -x $venv/bin/python ]]; then
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r bench/requirements.txt
fi

work=$(mktemp -d -t cs-bench-XXXXXX)
rgw=$work/rgw
cleanup() { test/harness/rgw.sh stop "$rgw" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
eval "$(RGW_FAST=1 test/harness/rgw.sh start "$rgw")"
export S3_ENDPOINT=$CS_TEST_S3_ENDPOINT STORAGE_CONTAINER=$CS_TEST_S3_BUCKET \
  S3_REGION=$CS_TEST_S3_REGION AWS_ACCESS_KEY_ID=$CS_TEST_S3_ACCESS_KEY_ID \
  AWS_SECRET_ACCESS_KEY=$CS_TEST_S3_SECRET_ACCESS_KEY S3_IF_MATCH_ETAG=$CS_TEST_S3_ETAG_QUOTING

results=$work/results.jsonl
rounds=${ROUNDS:-4}  # even, so each local client runs first in half the rounds
for round in $(seq "$rounds"); do
for shape in "4096 2000 4" "8388608 32 4"; do
  read -r bytes count threads <<<"$shape"
  CLOUD_PROVIDER=local DATA_DIR=$work/local $bin --object-bytes "$bytes" --objects "$count" \
    --threads "$threads" --raw-posix-dir "$work/raw-$bytes" --floor-first $((round % 2)) \
    >>"$results"
  CLOUD_PROVIDER=aws $bin --object-bytes "$bytes" --objects "$count" --threads "$threads" >>"$results"
  "$venv/bin/python" bench/peers/s3_boto3_bench.py --object-bytes "$bytes" --objects "$count" \
    --threads "$threads" >>"$results"
done
done

"$venv/bin/python" - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
import statistics
def find(store, client, phase, size):
    runs = [r for r in rows if r["store"] == store and r["client"] == client
            and r["phase"] == phase and r["object_bytes"] == size]
    ops = statistics.median(r["ops_per_s"] for r in runs)
    return {"ops_per_s": ops, "mib_per_s": ops * size / 2**20}
print("| store | object | phase | CardinalSin ops/s | MiB/s | peer | peer ops/s | peer MiB/s | ratio |")
print("|---|---|---|---|---|---|---|---|---|")
for size in sorted({r["object_bytes"] for r in rows}):
    label = "4 KiB" if size == 4096 else f"{size >> 20} MiB"
    for store, peer in (("local", "raw-posix"), ("aws", "boto3")):
        for phase in ("put", "get"):
            ours, theirs = find(store, "cardinalsin", phase, size), find(store, peer, phase, size)
            name = "local FS" if store == "local" else "Ceph RGW"
            print(f"| {name} | {label} | {phase} | {ours['ops_per_s']:.0f} | {ours['mib_per_s']:.1f} "
                  f"| {peer} | {theirs['ops_per_s']:.0f} | {theirs['mib_per_s']:.1f} "
                  f"| {ours['ops_per_s'] / theirs['ops_per_s']:.2f} |")
PY
