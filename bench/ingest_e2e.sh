#!/usr/bin/env bash
# End-to-end ingest benchmark (issue 4): `cardinalsin ingester` with WAL_SYNC_MODE=every_write
# versus Debian's Prometheus 2.42 remote-write receiver, driven by the same load generator
# (`cardinalsin generate`, release build) on the same machine, one after the other in one run.
# Reports sustained samples/s, errors and peak RSS of each receiver, plus freshness (ack ->
# visible in the ingester's scan endpoint) for CardinalSin.
#
#   bench/ingest_e2e.sh [--duration 60s] [--series 100000] [--churn 0] [--threads 4]
#                       [--batch-size 2000] [--only cardinalsin|prometheus]
#
# Needs the .venv (scripts/install-deps.sh) for the freshness probe (bench/freshness.py).
#
# Everything binds 127.0.0.1 in a scratch directory; servers are stopped by PID.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

duration=60s series=100000 churn=0 threads=4 batch=2000 only=""
while (($#)); do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --series) series=$2; shift 2 ;;
    --churn) churn=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --batch-size) batch=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "usage: $0 [--duration D] [--series N] [--churn R] [--threads T] [--batch-size B] [--only cardinalsin|prometheus]" >&2; exit 2 ;;
  esac
done

# CARDINALSIN_BIN: an already built release binary (skips the build).
bin=${CARDINALSIN_BIN:-}
if [[ -z "$bin" ]]; then
  cmake --preset release >/dev/null
  cmake --build --preset release --target cardinalsin >/dev/null
  bin=$repo/build/release/cmd/cardinalsin/cardinalsin
fi
scratch=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$scratch"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() {  # url deadline-seconds
  for _ in $(seq 1 $(($2 * 10))); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done
  echo "not ready: $1" >&2; return 1
}
# Samples the peak RSS (KiB) of $1 into $2 until the process exits or $2.stop appears.
watch_rss() {
  local peak=0 rss
  while kill -0 "$1" 2>/dev/null && [[ ! -e "$2.stop" ]]; do
    rss=$(ps -o rss= -p "$1" 2>/dev/null | tr -d ' ') || break
    [[ -n "$rss" ]] && ((rss > peak)) && peak=$rss
    echo "$peak" >"$2"
    sleep 0.5
  done
}
run_generator() {  # endpoint -> prints "rate errors"
  "$bin" generate --endpoint "$1" --series "$series" --churn "$churn" --samples-per-second 0 --threads "$threads" \
    --batch-size "$batch" --duration "$duration" >"$scratch/gen.out" 2>"$scratch/gen.err" || true
  local rate errors
  rate=$(awk '/^Actual rate:/ {print $3}' "$scratch/gen.out")
  errors=$(awk '/^Errors:/ {print $2}' "$scratch/gen.out")
  echo "${rate:-0} ${errors:-?}"
}

declare -A rate errors rss
if [[ "$only" != prometheus ]]; then
  port=$(free_port)
  "$bin" ingester --bind-address 127.0.0.1 --http-port "$port" --grpc-port "$(free_port)" \
    --otlp-http-port "$(free_port)" --data-dir "$scratch/cs" --wal-sync-mode every_write \
    --log-level warn >"$scratch/cs.log" 2>&1 &
  pid=$!; pids+=("$pid")
  wait_ready "http://127.0.0.1:$port/ready" 30
  watch_rss "$pid" "$scratch/cs.rss" &
  if [[ -x .venv/bin/python ]]; then
    .venv/bin/python bench/freshness.py "http://127.0.0.1:$port" 200 >"$scratch/fresh.out" 2>&1 &
    fresh_pid=$!
  fi
  read -r rate[cardinalsin] errors[cardinalsin] < <(run_generator "http://127.0.0.1:$port")
  touch "$scratch/cs.rss.stop"; sleep 0.6
  rss[cardinalsin]=$(cat "$scratch/cs.rss")
  [[ -n "${fresh_pid:-}" ]] && wait "$fresh_pid" || true
  kill -TERM "$pid"; wait "$pid" || true
  echo "== cardinalsin generator output"; cat "$scratch/gen.out"
fi
if [[ "$only" != cardinalsin ]]; then
  port=$(free_port)
  printf 'global:\n  scrape_interval: 1h\n' >"$scratch/prometheus.yml"
  prometheus --config.file="$scratch/prometheus.yml" --storage.tsdb.path="$scratch/prom" \
    --web.listen-address="127.0.0.1:$port" --web.enable-remote-write-receiver --log.level=warn \
    >"$scratch/prom.log" 2>&1 &
  pid=$!; pids+=("$pid")
  wait_ready "http://127.0.0.1:$port/-/ready" 30
  watch_rss "$pid" "$scratch/prom.rss" &
  read -r rate[prometheus] errors[prometheus] < <(run_generator "http://127.0.0.1:$port")
  touch "$scratch/prom.rss.stop"; sleep 0.6
  rss[prometheus]=$(cat "$scratch/prom.rss")
  kill -TERM "$pid"; wait "$pid" || true
  echo "== prometheus generator output"; cat "$scratch/gen.out"
fi

echo
echo "ingest, $series series (churn $churn/s), $threads generator threads, batches of $batch, $duration each, $(nproc) cores"
printf '%-12s %14s %8s %12s\n' receiver samples/s errors peak-RSS-MiB
for r in cardinalsin prometheus; do
  [[ -n "${rate[$r]:-}" ]] || continue
  printf '%-12s %14s %8s %12d\n' "$r" "${rate[$r]}" "${errors[$r]}" $((${rss[$r]:-0} / 1024))
done
if [[ -n "${rate[cardinalsin]:-}" && -n "${rate[prometheus]:-}" ]]; then
  python3 -c "print('ratio cardinalsin/prometheus: %.2fx rate, %.2fx RSS' % (${rate[cardinalsin]}/${rate[prometheus]}, ${rss[cardinalsin]}/${rss[prometheus]}))"
fi
[[ -s "$scratch/fresh.out" ]] && { echo "freshness (ack -> visible in the ingester scan):"; cat "$scratch/fresh.out"; }
