#!/usr/bin/env python3
"""Regenerates the fuzzers' seed corpora in test/fuzz/corpus/ (test/fuzz/README.md).

    .venv/bin/python test/fuzz/generate_corpus.py [--tool build/debug/test/tools/parquet_tool]

Writes small valid Parquet files with CardinalSin's own writer (test/tools/parquet_tool), pyarrow
and DuckDB, then derives from them:
  corpus/parquet_reader/    the files, plus corrupted variants (truncated at several points, the
                            footer length changed, bytes flipped in the footer and page headers)
  corpus/parquet_metadata/  the pieces the metadata decoders take: footers (FileMetaData), page
                            headers (v1, v2, dictionary), column and offset indexes, bloom filter
                            headers, plus truncated and flipped variants

Deterministic for a given set of writer versions: fixed data, fixed random seed, no timestamps.
Each output directory is cleared first. Needs pyarrow and duckdb (the .venv has both).
"""

import argparse
import hashlib
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
MAX_FILE = 8 * 1024

# ------------------------------------------------------------------------------------------------
# A generic Thrift Compact Protocol walker, enough to find offsets in a footer and the length of a
# page header. Structs decode to {field_id: value}.

STOP, TRUE, FALSE, BYTE, I16, I32, I64, DOUBLE, BINARY, LIST, SET, MAP, STRUCT = range(13)


def read_varint(buf, pos):
    shift = result = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def zigzag(n):
    return (n >> 1) ^ -(n & 1)


def read_value(buf, pos, t):
    if t in (TRUE, FALSE):  # a bool field: the value is in the type nibble
        return t == TRUE, pos
    if t == BYTE:
        return buf[pos], pos + 1
    if t in (I16, I32, I64):
        v, pos = read_varint(buf, pos)
        return zigzag(v), pos
    if t == DOUBLE:
        return struct.unpack_from("<d", buf, pos)[0], pos + 8
    if t == BINARY:
        n, pos = read_varint(buf, pos)
        return bytes(buf[pos : pos + n]), pos + n
    if t in (LIST, SET):
        h = buf[pos]
        pos += 1
        n, et = h >> 4, h & 0x0F
        if n == 15:
            n, pos = read_varint(buf, pos)
        out = []
        for _ in range(n):
            if et in (TRUE, FALSE):  # bool elements are one byte each
                out.append(buf[pos] == 1)
                pos += 1
            else:
                v, pos = read_value(buf, pos, et)
                out.append(v)
        return out, pos
    if t == MAP:
        n, pos = read_varint(buf, pos)
        out = {}
        if n:
            kt, vt = buf[pos] >> 4, buf[pos] & 0x0F
            pos += 1
            for _ in range(n):
                k, pos = read_value(buf, pos, kt)
                v, pos = read_value(buf, pos, vt)
                out[k] = v
        return out, pos
    if t == STRUCT:
        return read_struct(buf, pos)
    raise ValueError(f"compact type {t} at {pos}")


def read_struct(buf, pos):
    fields = {}
    last = 0
    while True:
        h = buf[pos]
        pos += 1
        if h == STOP:
            return fields, pos
        delta, t = h >> 4, h & 0x0F
        if delta:
            fid = last + delta
        else:
            v, pos = read_varint(buf, pos)
            fid = zigzag(v)
        fields[fid], pos = read_value(buf, pos, t)
        last = fid


# ------------------------------------------------------------------------------------------------
# Writers.


def rows(n, seed):
    rng = random.Random(seed)
    jobs = ["api", "db", "cache", "queue"]
    out = []
    for i in range(n):
        out.append(
            {
                "timestamp": 1_700_000_000_000_000_000 + i * 15_000_000_000,
                "job": jobs[i % len(jobs)] if i % 7 else None,
                "value": rng.choice([rng.random() * 100, None, float("nan")]) if i % 5 == 0 else i * 0.5,
                "count": i * 3 - 20,
                "ok": i % 3 == 0,
                "id": (1 << 63) + i,
            }
        )
    return out


def parquet_tool_files(tool, tmp):
    """CardinalSin's own writer: v1 and v2 pages, every encoding it offers, bloom filters."""
    schema = "timestamp:timestamp_ns!,job:string,value:double,count:int64,ok:bool,id:uint64"
    data = os.path.join(tmp, "rows.jsonl")

    def write(name, n, *args):
        with open(data, "w") as f:
            for r in rows(n, seed=len(name)):
                v = r["value"]
                if isinstance(v, float) and v != v:
                    r["value"] = "NaN"
                f.write(json.dumps(r) + "\n")
        out = os.path.join(tmp, name)
        subprocess.run([tool, "write", "--schema", schema, "--in", data, "--out", out, *args], check=True)
        return name, out

    return [
        write("cs_v2_zstd_auto.parquet", 40, "--compression", "zstd", "--page-version", "2"),
        write(
            "cs_v1_snappy_dict_rowgroups.parquet",
            45,
            "--compression", "snappy", "--page-version", "1", "--row-group-rows", "15",
            "--page-rows", "8", "--encoding", "job=dictionary", "--encoding", "count=dictionary",
        ),
        write(
            "cs_v2_none_delta_bss.parquet",
            30,
            "--compression", "none", "--page-version", "2", "--encoding", "timestamp=delta",
            "--encoding", "count=delta", "--encoding", "value=bss", "--encoding", "job=plain",
        ),
        write(
            "cs_v1_zstd_plain_bloom.parquet",
            24,
            "--compression", "zstd", "--page-version", "1", "--encoding", "job=plain",
            "--encoding", "timestamp=plain", "--bloom", "job", "--bloom", "count",
        ),
        write("cs_empty.parquet", 0, "--compression", "zstd"),
    ]


def arrow_table(n, seed):
    rng = random.Random(seed)
    return pa.table(
        {
            "ts_ms": pa.array([1_700_000_000_000 + 1000 * i for i in range(n)], pa.timestamp("ms", tz="UTC")),
            "ts_us": pa.array([1_700_000_000_000_000 + i for i in range(n)], pa.timestamp("us")),
            "i32": pa.array([None if i % 6 == 0 else i - 5 for i in range(n)], pa.int32()),
            "u64": pa.array([(1 << 64) - 1 - i for i in range(n)], pa.uint64()),
            "f32": pa.array([rng.random() for _ in range(n)], pa.float32()),
            "f64": pa.array([None if i % 4 == 1 else rng.random() * 1e6 for i in range(n)], pa.float64()),
            "flag": pa.array([None if i % 9 == 0 else i % 2 == 0 for i in range(n)], pa.bool_()),
            "name": pa.array([None if i % 5 == 0 else f"host-{i % 3}" for i in range(n)], pa.string()),
            "fixed": pa.array([bytes([i % 256, 1, 2, 3]) for i in range(n)], pa.binary(4)),
            "date": pa.array(list(range(19000, 19000 + n)), pa.date32()),
        }
    )


def pyarrow_files(tmp):
    out = []

    def write(name, table, **kw):
        path = os.path.join(tmp, name)
        pq.write_table(table, path, store_schema=False, **kw)
        out.append((name, path))

    t = arrow_table(24, 1)
    write("pa_v1_gzip_dict_pageindex.parquet", t.select(["ts_ms", "i32", "f64", "name", "date"]),
          compression="gzip", data_page_version="1.0", write_page_index=True, row_group_size=15,
          max_rows_per_page=8)
    write("pa_v1_snappy_alltypes.parquet", t, compression="snappy")
    write("pa_v2_zstd_delta.parquet", t.select(["ts_us", "i32", "name", "u64"]), compression="zstd",
          data_page_version="2.0", use_dictionary=False,
          column_encoding={"ts_us": "DELTA_BINARY_PACKED", "i32": "DELTA_BINARY_PACKED",
                           "name": "DELTA_LENGTH_BYTE_ARRAY", "u64": "PLAIN"})
    write("pa_v2_snappy_deltabytes_bss.parquet", t.select(["name", "f32", "f64", "fixed", "flag"]),
          compression="snappy", data_page_version="2.0", use_dictionary=False,
          column_encoding={"name": "DELTA_BYTE_ARRAY", "f32": "BYTE_STREAM_SPLIT",
                           "f64": "BYTE_STREAM_SPLIT", "fixed": "BYTE_STREAM_SPLIT", "flag": "RLE"})
    write("pa_none_bloom.parquet", t.select(["name", "i32", "date"]), compression="none",
          bloom_filter_options={"name": {"ndv": 16, "fpp": 0.05}, "i32": {"ndv": 16, "fpp": 0.05}},
          write_page_index=True)
    write("pa_int96.parquet", t.select(["ts_us", "f64"]), compression="none",
          use_deprecated_int96_timestamps=True)
    nested = pa.table({"id": pa.array([1, 2, 3], pa.int64()),
                       "tags": pa.array([["a"], [], ["b", "c"]], pa.list_(pa.string()))})
    write("pa_nested_list.parquet", nested, compression="none")
    write("pa_zero_rows.parquet", t.slice(0, 0).select(["i32", "name"]), compression="snappy")
    return out


def duckdb_files(tmp):
    out = []
    con = duckdb.connect()
    con.execute(
        """CREATE TABLE t AS SELECT
             range AS id,
             TIMESTAMP '2024-01-01' + INTERVAL (range) SECOND AS ts,
             CASE WHEN range % 5 = 0 THEN NULL ELSE 'job-' || (range % 4) END AS job,
             range * 0.25 AS value,
             range % 3 = 0 AS ok
           FROM range(40)"""
    )
    for name, opts in [
        ("duck_zstd_v2.parquet", "COMPRESSION zstd, PARQUET_VERSION v2, ROW_GROUP_SIZE 16"),
        ("duck_snappy_v1.parquet", "COMPRESSION snappy, ROW_GROUP_SIZE 25"),
        ("duck_gzip.parquet", "COMPRESSION gzip"),
        ("duck_uncompressed.parquet", "COMPRESSION uncompressed"),
    ]:
        path = os.path.join(tmp, name)
        con.execute(f"COPY t TO '{path}' (FORMAT parquet, {opts})")
        out.append((name, path))
    return out


# ------------------------------------------------------------------------------------------------
# Pieces and corruptions.


def footer_of(data):
    assert data[-4:] == b"PAR1"
    n = struct.unpack_from("<I", data, len(data) - 8)[0]
    return len(data) - 8 - n, n


def chunk_start(md):
    """The first page of a column chunk. pyarrow writes data_page_offset 0 for a chunk holding
    only a dictionary page (zero rows)."""
    data, dictionary = md.get(9, 0), md.get(11)
    if dictionary and dictionary > 0 and (dictionary < data or data == 0):
        return dictionary
    return data


def pieces(data):
    """(kind, bytes) for the footer, page headers, page indexes and bloom filter headers."""
    start, n = footer_of(data)
    footer = data[start : start + n]
    out = [("footer", footer)]
    meta, _ = read_struct(footer, 0)
    for rg in meta.get(4, []):
        for cc in rg.get(1, []):
            md = cc.get(3, {})
            pos = chunk_start(md)
            end = pos + md.get(7, 0)
            while pos < end:
                header, body = read_struct(data, pos)
                out.append((f"page{header.get(1)}", data[pos : min(body + 16, end)]))
                pos = body + header.get(3, 0)
            if 4 in cc and 5 in cc:
                out.append(("offsetindex", data[cc[4] : cc[4] + cc[5]]))
            if 6 in cc and 7 in cc:
                out.append(("columnindex", data[cc[6] : cc[6] + cc[7]]))
            if md.get(14) is not None:
                _, body = read_struct(data, md[14])
                out.append(("bloom", data[md[14] : body + 32]))
    return out


def flip(data, pos, rng):
    b = bytearray(data)
    b[pos] ^= 1 << rng.randrange(8)
    return bytes(b)


def reader_variants(name, data, rng):
    """Corrupted copies of one file: truncations, footer length changes, flipped header bytes."""
    start, n = footer_of(data)
    size = len(data)
    out = {}
    for cut in sorted({size - 1, size - 8, start + n // 2, start + 1, size // 2}):
        if 0 < cut < size:
            out[f"trunc{cut}"] = data[:cut]
    for label, value in [("plus1", n + 1), ("minus1", n - 1), ("huge", 0xFFFFFFFF)]:
        out[f"footerlen_{label}"] = data[:-8] + struct.pack("<I", value & 0xFFFFFFFF) + b"PAR1"
    for i in range(2):
        out[f"footerflip{i}"] = flip(data, rng.randrange(start, start + n), rng)
    # Flip bytes inside the first page header of each column chunk.
    meta, _ = read_struct(data[start : start + n], 0)
    k = 0
    for rg in meta.get(4, [])[:1]:
        for cc in rg.get(1, [])[:3]:
            pos = chunk_start(cc.get(3, {}))
            _, body = read_struct(data, pos)
            out[f"pageflip{k}"] = flip(data, rng.randrange(pos, body), rng)
            k += 1
    return {f"bad_{name[:-len('.parquet')]}_{label}.parquet": v for label, v in out.items()}


def metadata_variants(kind, data, rng):
    out = {}
    if len(data) > 2:
        out["trunc"] = data[: len(data) // 2]
        out["flip"] = flip(data, rng.randrange(len(data)), rng)
    return out


def write_dir(path, files):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    for name, data in sorted(files.items()):
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tool", default=os.path.join(REPO, "build/debug/test/tools/parquet_tool"),
                    help="parquet_tool binary (cmake --build --preset debug --target parquet_tool)")
    args = ap.parse_args()
    if not os.access(args.tool, os.X_OK):
        sys.exit(f"{args.tool} not found: cmake --build --preset debug --target parquet_tool")

    rng = random.Random(20240601)
    with tempfile.TemporaryDirectory() as tmp:
        written = parquet_tool_files(args.tool, tmp) + pyarrow_files(tmp) + duckdb_files(tmp)
        valid = {}
        for name, path in written:
            with open(path, "rb") as f:
                valid[name] = f.read()

    reader = {}
    metadata = {}
    seen = set()
    for name, data in valid.items():
        print(f"  {name}: {len(data)} bytes")
        if len(data) >= MAX_FILE:
            sys.exit(f"{name} is {len(data)} bytes; seeds must stay under {MAX_FILE}")
        reader[name] = data
        # Variants of a few files of each writer are plenty.
        if name in ("cs_v2_none_delta_bss.parquet", "cs_v1_zstd_plain_bloom.parquet",
                    "pa_v2_zstd_delta.parquet", "pa_none_bloom.parquet", "duck_zstd_v2.parquet"):
            reader.update(reader_variants(name, data, rng))
        base = name[: -len(".parquet")]
        counts = {}
        for kind, piece in pieces(data):
            digest = hashlib.sha1(piece).hexdigest()
            if digest in seen or counts.get(kind, 0) >= 2:
                continue  # a couple of each kind per file
            seen.add(digest)
            counts[kind] = counts.get(kind, 0) + 1
            stem = f"{base}_{kind}{counts[kind]}"
            metadata[stem] = piece
            if kind in ("footer", "page0", "page2", "page3") and counts[kind] == 1:
                for label, v in metadata_variants(kind, piece, rng).items():
                    metadata[f"bad_{stem}_{label}"] = v

    write_dir(os.path.join(HERE, "corpus", "parquet_reader"), reader)
    write_dir(os.path.join(HERE, "corpus", "parquet_metadata"), metadata)
    for d, files in (("parquet_reader", reader), ("parquet_metadata", metadata)):
        total = sum(len(v) for v in files.values())
        print(f"corpus/{d}: {len(files)} files, {total} bytes")
    print(f"valid Parquet seeds: {len(valid)} files, {sum(len(v) for v in valid.values())} bytes")


if __name__ == "__main__":
    main()
