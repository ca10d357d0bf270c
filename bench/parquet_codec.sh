#!/usr/bin/env bash
# Parquet codec benchmark (issue 3): CardinalSin's writer/reader next to pyarrow on the same
# node_exporter-like hour of data, one core each (pyarrow with threads off).
#
# Usage: bench/parquet_codec.sh   (release build of parquet_codec_benchmark first)
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
bin=build/release/bench/parquet_codec_benchmark
[[ -x $bin ]] || { echo "build $bin first (release preset)" >&2; exit 1; }
[[ -x .venv/bin/python ]] || scripts/install-deps.sh
file=$(mktemp -t cs-chunk-XXXXXX.parquet)
trap 'rm -f "$file"' EXIT
ours=$(taskset -c 0 "$bin" --out "$file" "$@")
taskset -c 0 .venv/bin/python - "$file" "$ours" <<'PY'
import io, json, sys, time
import pyarrow as pa, pyarrow.parquet as pq
pa.set_cpu_count(1); pa.set_io_thread_count(1)
path, ours = sys.argv[1], json.loads(sys.argv[2])
table = pq.read_table(path, use_threads=False)
rows = table.num_rows
def best(f, n=3):
    t = min(timeit(f) for _ in range(n)); return t
def timeit(f):
    t0 = time.perf_counter(); f(); return time.perf_counter() - t0
buf = {}
def write():
    b = io.BytesIO()
    pq.write_table(table, b, compression="zstd", compression_level=3, use_dictionary=True,
                   data_page_version="2.0", write_statistics=True, write_page_index=True)
    buf["bytes"] = b.getvalue()
enc = best(write)
dec = best(lambda: pq.read_table(pa.BufferReader(buf["bytes"]), use_threads=False))
# pyarrow reading OUR file, for the same-input decode comparison.
dec_ours_file = best(lambda: pq.read_table(path, use_threads=False))
# CardinalSin keeps string columns dictionary-encoded; ask pyarrow for the same.
strings = [f.name for f in table.schema if pa.types.is_string(f.type)]
dec_dict = best(lambda: pq.read_table(pa.BufferReader(buf["bytes"]), use_threads=False,
                                      read_dictionary=strings))
print("| metric | CardinalSin | pyarrow 26.0.1 | ratio |")
print("|---|---|---|---|")
print(f"| rows (samples) | {rows} | {rows} | |")
print(f"| bytes/sample | {ours['bytes_per_sample']:.3f} | {len(buf['bytes'])/rows:.3f} | "
      f"{(len(buf['bytes'])/rows)/ours['bytes_per_sample']:.2f} |")
print(f"| encode rows/s (1 core) | {ours['encode_rows_per_s']:.3g} | {rows/enc:.3g} | "
      f"{ours['encode_rows_per_s']/(rows/enc):.2f} |")
print(f"| decode rows/s (1 core) | {ours['decode_rows_per_s']:.3g} | {rows/dec:.3g} | "
      f"{ours['decode_rows_per_s']/(rows/dec):.2f} |")
print(f"| decode of CardinalSin's file, rows/s | {ours['decode_rows_per_s']:.3g} | {rows/dec_ours_file:.3g} | "
      f"{ours['decode_rows_per_s']/(rows/dec_ours_file):.2f} |")
print(f"| decode rows/s, pyarrow keeping dictionaries | {ours['decode_rows_per_s']:.3g} | {rows/dec_dict:.3g} | "
      f"{ours['decode_rows_per_s']/(rows/dec_dict):.2f} |")
print(f"| encode MB/s of output | {ours['file_bytes']/ours['encode_s']/1e6:.1f} | {len(buf['bytes'])/enc/1e6:.1f} | |")
PY
