#!/usr/bin/env bash
# SQL engine benchmark (issue 5): the runbook's query-pack SQL plus a TSBS-like set against
# `cardinalsin server`'s /api/v1/sql (format=arrow) and DuckDB reading exactly the live chunk
# files of the same data, in the same run; plus one series / one hour versus a full scan.
#
#   bench/sql_vs_duckdb.sh [--rows 100000000] [--hosts 1000] [--runs 5] [--keep DIR] [--only q1,q2]
#
# The dataset (10 metrics x --hosts hosts, 6 labels, one sample per 10 s, one chunk per hour) is
# written by bench/metrics_dataset_gen with the ingester's chunk builder and committed to the catalog
# directly (no HTTP ingest: 100M rows would take minutes through the write path). The server is
# then started on the finished data directory, so every row is in a committed chunk.
#
# CARDINALSIN_BIN / DATASET_GEN: already built release binaries (skips the build).
# --keep DIR: reuse (or create) the dataset in DIR instead of a scratch directory.
# Needs the .venv (scripts/install-deps.sh) for duckdb and pyarrow.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

rows=100000000 hosts=1000 runs=5 keep="" only=""
while (($#)); do
  case "$1" in
    --rows) rows=$2; shift 2 ;;
    --hosts) hosts=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "usage: $0 [--rows N] [--hosts H] [--runs R] [--keep DIR] [--only q1,q2]" >&2; exit 2 ;;
  esac
done

source "$repo/bench/lib/release_binaries.sh"
py=$repo/.venv/bin/python
[[ -x $py ]] || { echo "run scripts/install-deps.sh first (needs .venv with duckdb, pyarrow)" >&2; exit 1; }

scratch=$(mktemp -d)
pid=""
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$scratch"; }
trap cleanup EXIT
data=${keep:-$scratch/data}
mkdir -p "$data"

if [[ ! -s "$data/dataset.json" ]]; then
  echo "generating $rows rows into $data ..." >&2
  start=$(date +%s)
  "$gen" --data-dir "$data" --rows "$rows" --hosts "$hosts" >"$data/dataset.json.tmp" 2>"$scratch/gen.err" \
    || { cat "$scratch/gen.err" >&2; exit 1; }
  mv "$data/dataset.json.tmp" "$data/dataset.json"
  echo "generated in $(($(date +%s) - start)) s: $(cat "$data/dataset.json")" >&2
fi
end_ns=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end_ns"])' "$data/dataset.json")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
"$bin" server --bind-address 127.0.0.1 --http-port "$port" --grpc-port "$(free_port)" \
  --otlp-http-port "$(free_port)" --flight-sql-port "$(free_port)" --data-dir "$data" --log-level warn >"$scratch/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/ready" >/dev/null || { cat "$scratch/server.log" >&2; exit 1; }

"$bin" admin --data-dir "$data" catalog show --json >"$scratch/catalog.json"
echo "# $(uname -m), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, load $(cut -d' ' -f1-3 /proc/loadavg);" \
  "dataset $(cat "$data/dataset.json"), $(du -sh "$data/cardinalsin-data" | cut -f1) on disk"
status=0
"$py" bench/sql_vs_duckdb.py --url "http://127.0.0.1:$port" --catalog "$scratch/catalog.json" \
  --store-dir "$data/cardinalsin-data" --end-ns "$end_ns" --runs "$runs" ${only:+--only "$only"} || status=$?
echo "# server peak RSS: $(awk '/VmHWM/ {print $2, $3}' "/proc/$pid/status")"
exit $status
