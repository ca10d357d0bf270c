#!/usr/bin/env bash
# PromQL benchmark (issue 6): the dashboard panels, the query packs and a TSBS-like set through
# the Prometheus HTTP API of `cardinalsin server` and of Debian's Prometheus 2.42 holding the
# same samples, side by side in one run (instant and range queries, latency percentiles).
#
#   bench/promql_vs_prometheus.sh [--hosts 1000] [--hours 24] [--interval-s 30]
#       [--chunk-minutes 60] [--runs 20] [--keep DIR] [--only name1,name2]
#
# Series: 10 host metrics x --hosts (1000 hosts = 10k series, 100000 = 1M) plus CardinalSin's
# telemetry (about 900 series per hourly run, what the dashboards and query packs read).
# bench/metrics_dataset_gen writes the chunks straight into the catalog and the same samples as
# OpenMetrics text, which `promtool tsdb create-blocks-from openmetrics` turns into Prometheus
# blocks (the backfill path Prometheus documents). Prometheus is then started on those blocks and
# left to finish its startup compactions before anything is timed.
#
# CARDINALSIN_BIN / DATASET_GEN: already built release binaries (skips the build).
# --keep DIR: reuse (or create) the dataset in DIR (both stores) instead of a scratch directory.
# Needs the .venv (scripts/install-deps.sh) and Debian's prometheus package (promtool).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

hosts=1000 hours=24 interval=30 chunk_minutes=60 runs=20 keep="" only=""
while (($#)); do
  case "$1" in
    --hosts) hosts=$2; shift 2 ;;
    --hours) hours=$2; shift 2 ;;
    --interval-s) interval=$2; shift 2 ;;
    --chunk-minutes) chunk_minutes=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "usage: $0 [--hosts H] [--hours N] [--interval-s S] [--chunk-minutes M] [--runs R] [--keep DIR] [--only q1,q2]" >&2
       exit 2 ;;
  esac
done

source "$repo/bench/lib/release_binaries.sh"
py=$repo/.venv/bin/python
[[ -x $py ]] || { echo "run scripts/install-deps.sh first (needs .venv)" >&2; exit 1; }
command -v promtool >/dev/null && command -v prometheus >/dev/null \
  || { echo "needs Debian's prometheus package (apt-get install prometheus)" >&2; exit 1; }

scratch=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$scratch"; }
trap cleanup EXIT
data=${keep:-$scratch/data}
mkdir -p "$data"

if [[ ! -s "$data/dataset.json" ]]; then
  rm -rf "$data/cardinalsin" "$data/prometheus" "$data/openmetrics"
  mkdir -p "$data/openmetrics"
  echo "generating $hours h x $hosts hosts at ${interval}s into $data ..." >&2
  start=$(date +%s)
  "$gen" --data-dir "$data/cardinalsin" --hours "$hours" --hosts "$hosts" --interval-s "$interval" \
    --chunk-minutes "$chunk_minutes" --telemetry --openmetrics-dir "$data/openmetrics" \
    >"$data/dataset.json.tmp" 2>"$scratch/gen.err" || { cat "$scratch/gen.err" >&2; exit 1; }
  echo "generated in $(($(date +%s) - start)) s: $(cat "$data/dataset.json.tmp")" >&2
  start=$(date +%s)
  # One promtool per 2-hour file, two at a time (promtool re-reads its input once per block).
  ls "$data"/openmetrics/*.om | xargs -P 2 -I{} sh -c \
    'promtool tsdb create-blocks-from openmetrics --quiet "$1" "$2" || exit 255' _ {} "$data/prometheus"
  echo "backfilled Prometheus in $(($(date +%s) - start)) s" >&2
  rm -rf "$data/openmetrics"
  mv "$data/dataset.json.tmp" "$data/dataset.json"
fi
end_ns=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end_ns"])' "$data/dataset.json")

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() {  # url pid log
  for _ in $(seq 1 600); do curl -sf "$1" >/dev/null && return 0; kill -0 "$2" 2>/dev/null || break; sleep 0.2; done
  cat "$3" >&2; return 1
}

prom_port=$(free_port)
printf 'global:\n  scrape_interval: 1h\n' >"$scratch/prometheus.yml"
prometheus --config.file="$scratch/prometheus.yml" --storage.tsdb.path="$data/prometheus" \
  --storage.tsdb.retention.time=10y --web.listen-address="127.0.0.1:$prom_port" \
  --log.level=warn >"$scratch/prometheus.log" 2>&1 &
prom_pid=$!; pids+=("$prom_pid")
wait_ready "http://127.0.0.1:$prom_port/-/ready" "$prom_pid" "$scratch/prometheus.log"
# Prometheus compacts backfilled 2-hour blocks into larger ones shortly after start (its first
# compaction tick is a minute in): wait for that to finish so it does not run during timing.
echo "waiting for Prometheus's startup compactions ..." >&2
compactions() { curl -sf "http://127.0.0.1:$prom_port/metrics" | awk '/^prometheus_tsdb_compactions_total / {print $2}'; }
sleep 70
last=$(compactions)
while sleep 15; now=$(compactions); [[ "$now" != "$last" ]]; do last=$now; done
blocks=$(curl -sf "http://127.0.0.1:$prom_port/metrics" | awk '/^prometheus_tsdb_blocks_loaded / {print $2}')

port=$(free_port)
"$bin" server --bind-address 127.0.0.1 --http-port "$port" --grpc-port "$(free_port)" \
  --otlp-http-port "$(free_port)" --flight-sql-port "$(free_port)" --data-dir "$data/cardinalsin" \
  --log-level warn >"$scratch/server.log" 2>&1 &
cs_pid=$!; pids+=("$cs_pid")
wait_ready "http://127.0.0.1:$port/ready" "$cs_pid" "$scratch/server.log"

echo "# $(uname -m), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, load $(cut -d' ' -f1-3 /proc/loadavg);" \
  "dataset $(cat "$data/dataset.json"); CardinalSin $(du -sh "$data/cardinalsin" | cut -f1) on disk," \
  "Prometheus $(du -sh "$data/prometheus" | cut -f1) in $blocks blocks"
status=0
"$py" bench/promql_vs_prometheus.py --cardinalsin "http://127.0.0.1:$port" \
  --prometheus "http://127.0.0.1:$prom_port" --end-ns "$end_ns" --hours "$hours" --runs "$runs" \
  ${only:+--only "$only"} || status=$?
echo "# peak RSS: CardinalSin $(awk '/VmHWM/ {print $2, $3}' "/proc/$cs_pid/status")," \
  "Prometheus $(awk '/VmHWM/ {print $2, $3}' "/proc/$prom_pid/status")"
exit $status
