#!/usr/bin/env python3
"""Regenerates the encoding_*.bin fixtures of src/parquet/encoding_test.cc.

Each fixture is the payload of one page, cut out of a Parquet file that pyarrow wrote
uncompressed with data page v1. Required columns make a data page hold only values.

  python3 -m venv /tmp/enc-venv && /tmp/enc-venv/bin/pip install pyarrow==26.0.1
  /tmp/enc-venv/bin/python src/parquet/testdata/encoding_golden_gen.py src/parquet/testdata

The value generators below are mirrored by the Golden*() functions in encoding_test.cc.
"""
import io
import math
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def golden_int64s():
    v = [1_700_000_000_000_000_000 + i * 15_000_000_000 + (i * 7919) % 1000 for i in range(1000)]
    return v + [INT64_MIN, INT64_MAX, 0]


def golden_int32s():
    return [(i * 104729) % 20011 - 10000 for i in range(500)] + [INT32_MIN, INT32_MAX]


def golden_doubles():
    return [20.0 + 5.0 * math.sin(i / 10.0) + i * 0.001 for i in range(700)]


def golden_strings():
    return [f'job="api",instance="host-{i % 13}",code="{200 + (i % 5) * 100}"' for i in range(300)]


# A minimal reader of the Thrift compact protocol, enough to walk page headers.
class Compact:
    def __init__(self, buf, pos):
        self.buf, self.pos = buf, pos

    def byte(self):
        b = self.buf[self.pos]
        self.pos += 1
        return b

    def varint(self):
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result

    def zigzag(self):
        v = self.varint()
        return (v >> 1) ^ -(v & 1)

    def value(self, t):
        if t in (1, 2):
            return t == 1
        if t == 3:
            return self.byte()
        if t in (4, 5, 6):
            return self.zigzag()
        if t == 7:
            self.pos += 8
            return None
        if t == 8:
            n = self.varint()
            self.pos += n
            return self.buf[self.pos - n:self.pos]
        if t in (9, 10):
            h = self.byte()
            n, et = h >> 4, h & 0x0F
            if n == 15:
                n = self.varint()
            return [self.value(et) if et not in (1, 2) else self.byte() for _ in range(n)]
        if t == 11:
            n = self.varint()
            if n:
                kv = self.byte()
                for _ in range(n):
                    self.value(kv >> 4)
                    self.value(kv & 0x0F)
            return None
        if t == 12:
            return self.struct()
        raise ValueError(f"unknown compact type {t}")

    def struct(self):
        fields, last = {}, 0
        while True:
            h = self.byte()
            if h == 0:
                return fields
            delta, t = h >> 4, h & 0x0F
            fid = last + delta if delta else self.zigzag()
            fields[fid] = self.value(t)
            last = fid


def pages(path):
    """Yields (page_type, encoding, payload) for the single column chunk of `path`."""
    data = open(path, "rb").read()
    col = pq.ParquetFile(path).metadata.row_group(0).column(0)
    start = col.dictionary_page_offset if col.has_dictionary_page else col.data_page_offset
    pos, end = start, start + col.total_compressed_size
    while pos < end:
        reader = Compact(data, pos)
        header = reader.struct()
        size = header[3]
        payload = data[reader.pos:reader.pos + size]
        page_type = header[1]
        encoding = (header.get(5) or header.get(7) or header.get(8))[2]
        yield page_type, encoding, payload
        pos = reader.pos + size


def write(table, tmp, **options):
    pq.write_table(table, tmp, compression="none", data_page_version="1.0",
                   write_statistics=False, **options)
    return list(pages(tmp))


def main(out_dir):
    tmp = os.path.join(out_dir, "_tmp.parquet")
    PLAIN, RLE, DBP, DLBA, DBA, RLE_DICT, BSS = 0, 3, 5, 6, 7, 8, 9

    def one(table, column_encoding, expected_encoding, name):
        (page,) = write(table, tmp, use_dictionary=False, column_encoding={"x": column_encoding})
        assert page[0] == 0 and page[1] == expected_encoding, page[:2]
        open(os.path.join(out_dir, name), "wb").write(page[2])

    required = lambda t: pa.schema([pa.field("x", t, nullable=False)])
    int64s = pa.table({"x": golden_int64s()}, schema=required(pa.int64()))
    int32s = pa.table({"x": golden_int32s()}, schema=required(pa.int32()))
    doubles = pa.table({"x": golden_doubles()}, schema=required(pa.float64()))
    strings = pa.table({"x": golden_strings()}, schema=required(pa.string()))
    one(int64s, "DELTA_BINARY_PACKED", DBP, "encoding_dbp_int64.bin")
    one(int64s, "PLAIN", PLAIN, "encoding_plain_int64.bin")
    one(int32s, "DELTA_BINARY_PACKED", DBP, "encoding_dbp_int32.bin")
    one(doubles, "BYTE_STREAM_SPLIT", BSS, "encoding_bss_double.bin")
    one(strings, "DELTA_LENGTH_BYTE_ARRAY", DLBA, "encoding_dlba_strings.bin")
    one(strings, "DELTA_BYTE_ARRAY", DBA, "encoding_dba_strings.bin")

    dictionary_page, data_page = write(strings, tmp, use_dictionary=True)
    assert dictionary_page[0] == 2 and data_page[0] == 0 and data_page[1] in (RLE_DICT, 2)
    open(os.path.join(out_dir, "encoding_dict_strings_dictionary.bin"), "wb").write(
        dictionary_page[2])
    open(os.path.join(out_dir, "encoding_dict_strings_indices.bin"), "wb").write(data_page[2])

    bools = pa.table({"x": [None if i % 3 == 0 else i % 5 == 0 for i in range(300)]},
                     schema=pa.schema([pa.field("x", pa.bool_(), nullable=True)]))
    (page,) = write(bools, tmp, use_dictionary=False)
    assert page[0] == 0 and page[1] == PLAIN, page[:2]
    open(os.path.join(out_dir, "encoding_levels_bool.bin"), "wb").write(page[2])
    os.remove(tmp)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))
