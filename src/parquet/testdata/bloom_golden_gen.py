#!/usr/bin/env python3
"""Regenerates the bloom_*.bin fixtures of src/parquet/bloom_filter_test.cc.

Each fixture is the bitset of one column chunk's split-block Bloom filter (the bytes after the
BloomFilterHeader), cut out of a Parquet file written by pyarrow or DuckDB.

  python3 -m venv /tmp/enc-venv && /tmp/enc-venv/bin/pip install pyarrow==26.0.1 duckdb==2.0.0
  /tmp/enc-venv/bin/python src/parquet/testdata/bloom_golden_gen.py src/parquet/testdata

The values are mirrored in bloom_filter_test.cc.
"""
import os
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from encoding_golden_gen import Compact  # noqa: E402


def bitsets(path):
    """Yields (column name, bitset) for every column chunk of row group 0 with a Bloom filter."""
    data = open(path, "rb").read()
    footer_len = int.from_bytes(data[-8:-4], "little")
    meta = Compact(data, len(data) - 8 - footer_len).struct()
    for chunk in meta[4][0][1]:  # FileMetaData.row_groups[0].columns
        column = chunk[3]  # ColumnChunk.meta_data
        offset = column.get(14)  # ColumnMetaData.bloom_filter_offset
        if offset is None:
            continue
        reader = Compact(data, offset)
        header = reader.struct()  # BloomFilterHeader
        assert 1 in header[2] and 1 in header[3] and 1 in header[4], header  # BLOCK, XXHASH, none
        yield column[3][0].decode(), data[reader.pos:reader.pos + header[1]]


def main(out_dir):
    tmp = os.path.join(out_dir, "_tmp.parquet")
    table = pa.table({
        "name": [f"series-{i}" for i in range(1000)],
        "ts": [1_700_000_000_000 + 15_000 * i for i in range(1000)],
    })
    pq.write_table(table, tmp, bloom_filter_options={
        "name": {"ndv": 1000, "fpp": 0.01}, "ts": {"ndv": 1000, "fpp": 0.01}})
    for name, bitset in bitsets(tmp):
        open(os.path.join(out_dir, f"bloom_pyarrow_{name}.bin"), "wb").write(bitset)

    duckdb.sql(f"""COPY (SELECT 'label-' || (i % 500) AS label, (i % 300)::BIGINT AS code
                         FROM range(5000) t(i))
                   TO '{tmp}' (FORMAT parquet)""")
    written = 0
    for name, bitset in bitsets(tmp):
        open(os.path.join(out_dir, f"bloom_duckdb_{name}.bin"), "wb").write(bitset)
        written += 1
    assert written == 2, written
    os.remove(tmp)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))
