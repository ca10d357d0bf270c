"""Arrow IPC stream interoperability with pyarrow as the oracle (src/arrow/): streams CardinalSin
writes read back in pyarrow with the exact types and values (nulls, NaN payloads, unicode), and
streams pyarrow writes (many types, dictionaries, deltas, slices, several batches) read identically
in CardinalSin. Runs test/tools/arrow_tool, our codec behind a JSON-lines bridge; set
$CS_ARROW_TOOL to use a tool from another build directory."""

import json
import math
import os
import random
import struct
import subprocess
from pathlib import Path

import pyarrow as pa
import pytest

REPO = Path(__file__).resolve().parents[2]
STALE_NAN_BITS = 0x7FF0000000000002
QUIET_NAN_BITS = 0x7FF8000000000000


@pytest.fixture(scope="session")
def tool():
    default = (Path(os.environ.get("CARDINALSIN_BIN", REPO / "build/debug/cmd/cardinalsin/cardinalsin"))
               .parents[2] / "test/tools/arrow_tool")
    path = os.environ.get("CS_ARROW_TOOL", str(default))
    if not os.access(path, os.X_OK):
        pytest.fail(f"arrow_tool not built at {path} (set CS_ARROW_TOOL)")
    return path


def from_bits(b):
    return struct.unpack("<d", struct.pack("<Q", b))[0]


def bits(d):
    return struct.unpack("<Q", struct.pack("<d", d))[0]


def to_json_double(d):
    if math.isnan(d):
        b = bits(d)
        return "NaN" if b == QUIET_NAN_BITS else f"NaN:{b:016x}"
    if math.isinf(d):
        return "Infinity" if d > 0 else "-Infinity"
    return d


def json_bits(v):
    """Bit pattern of a double as arrow_tool prints it."""
    if isinstance(v, str):
        if v == "NaN":
            return QUIET_NAN_BITS
        if v in ("Infinity", "-Infinity"):
            return bits(math.inf if v == "Infinity" else -math.inf)
        return int(v[4:], 16)
    return bits(float(v))


def run_tool(tool, *args, check=True):
    proc = subprocess.run([tool, *map(str, args)], capture_output=True, text=True, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def tool_rows(tool, path):
    return [json.loads(line) for line in run_tool(tool, "read", path).stdout.splitlines()]


def write_stream(path, batches, schema, options=None):
    with pa.OSFile(str(path), "wb") as sink:
        with pa.ipc.new_stream(sink, schema, options=options) as writer:
            for batch in batches:
                writer.write_batch(batch)


# ---------------------------------------------------------------- CardinalSin writes, pyarrow reads

SCHEMA = ("timestamp:timestamp_ns!,metric_name:string!,value:double!,series_id:uint64!,"
          "flag:bool,delta:int64,instance:string,job:string")


def metrics_rows(n, seed=1):
    rng = random.Random(seed)
    specials = [math.nan, math.inf, -math.inf, -0.0, 0.0, from_bits(STALE_NAN_BITS), 1e308, 5e-324]
    rows = []
    for i in range(n):
        series = i // 40
        rows.append({
            "timestamp": 1_700_000_000_000_000_000 + (i % 40) * 15_000_000_000 + rng.randint(0, 999),
            "metric_name": f"node_metric_{series % 7}",
            "value": specials[i % len(specials)] if i % 13 == 0 else rng.random() * 1e6,
            "series_id": (series * 0x9E3779B97F4A7C15) % 2**64,
            "flag": None if i % 11 == 0 else bool(rng.getrandbits(1)),
            "delta": None if i % 7 == 0 else rng.randint(-2**63, 2**63 - 1),
            "instance": None if series % 5 == 0 else rng.choice(["", "api", "db-é中😀", f"host-{series:03d}"]),
            "job": None if i % 3 == 0 else "x" * rng.randint(0, 300),
        })
    return rows


def write_with_tool(tool, tmp_path, rows, *args):
    src = tmp_path / "rows.jsonl"
    with open(src, "w") as f:
        for r in rows:
            f.write(json.dumps({k: (to_json_double(v) if k == "value" else v) for k, v in r.items()}) + "\n")
    out = tmp_path / "cs.arrows"
    run_tool(tool, "write", "--schema", SCHEMA, "--in", src, "--out", out, *args)
    return out


def message_kinds(data):
    reader = pa.ipc.MessageReader.open_stream(pa.BufferReader(data))
    kinds = []
    while True:
        try:
            message = reader.read_next_message()
        except StopIteration:
            return kinds
        if message is None:
            return kinds
        kinds.append(message.type)


def column_values(array):
    """Python values of a pyarrow array: ints for timestamps, bit patterns for doubles."""
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    if pa.types.is_timestamp(array.type):
        return array.cast(pa.int64()).to_pylist()
    if pa.types.is_float64(array.type):
        data = array.buffers()[1]
        return [None if not array[i].is_valid else struct.unpack_from("<Q", data, (array.offset + i) * 8)[0]
                for i in range(len(array))]
    return array.to_pylist()


@pytest.mark.parametrize("args, dictionary", [
    ([], True),
    (["--dictionary-columns", "metric_name,job"], True),
    (["--strings", "plain"], False),
    (["--strings", "plain", "--dictionary-columns", "instance"], False),
    (["--batch-rows", "97", "--dictionary-columns", "metric_name,instance,job"], True),
    (["--batch-rows", "50"], True),
    (["--strings", "plain", "--max-utf8-bytes", "2000"], False),
])
def test_cardinalsin_stream_reads_in_pyarrow(tool, tmp_path, args, dictionary):
    rows = metrics_rows(1000)
    path = write_with_tool(tool, tmp_path, rows, *args)
    with pa.ipc.open_stream(path.read_bytes()) as reader:
        batches = list(reader)
        schema = reader.schema
    string_type = pa.dictionary(pa.int32(), pa.string()) if dictionary else pa.string()
    assert schema == pa.schema([
        pa.field("timestamp", pa.timestamp("ns", tz="UTC"), nullable=False),
        pa.field("metric_name", string_type, nullable=False),
        pa.field("value", pa.float64(), nullable=False),
        pa.field("series_id", pa.uint64(), nullable=False),
        pa.field("flag", pa.bool_()),
        pa.field("delta", pa.int64()),
        pa.field("instance", string_type),
        pa.field("job", string_type),
    ])
    if "--batch-rows" in args:
        step = int(args[args.index("--batch-rows") + 1])
        assert [b.num_rows for b in batches] == [min(step, 1000 - s) for s in range(0, 1000, step)]
    if "--max-utf8-bytes" in args:
        assert len(batches) > 10
        for b in batches:
            for name in ("metric_name", "instance", "job"):
                data = b.column(name).buffers()[2]
                assert data is None or data.size <= 2000
    if "--dictionary-columns" in args and "--batch-rows" in args:
        # The tool's dictionaries grow from batch to batch: sent once, then only as deltas.
        kinds = message_kinds(path.read_bytes())
        assert kinds.count("dictionary") < 3 * len(batches), kinds
    table = pa.Table.from_batches(batches, schema)
    assert table.num_rows == len(rows)
    for name in table.column_names:
        got = column_values(table.column(name).combine_chunks())
        want = [r[name] for r in rows]
        if name == "value":
            want = [bits(v) for v in want]
        assert got == want, name


def test_full_loop_through_pyarrow(tool, tmp_path):
    """CardinalSin -> pyarrow (re-sliced into odd batches) -> CardinalSin gives the original rows."""
    rows = metrics_rows(700, seed=5)
    path = write_with_tool(tool, tmp_path, rows, "--batch-rows", "100")
    table = pa.ipc.open_stream(path.read_bytes()).read_all()
    back = tmp_path / "py.arrows"
    batches = [b for chunk in table.to_batches() for b in (chunk.slice(0, 33), chunk.slice(33))]
    write_stream(back, batches, table.schema)
    got = tool_rows(tool, back)
    assert len(got) == len(rows)
    for want, row in zip(rows, got):
        assert json_bits(row.pop("value")) == bits(want.pop("value"))
        assert row == want


# ---------------------------------------------------------------- pyarrow writes, CardinalSin reads

def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def test_pyarrow_types_read_in_cardinalsin(tool, tmp_path):
    n = 300
    rng = random.Random(3)
    valid = [i % 9 != 4 for i in range(n)]

    def maybe(values):
        return [v if ok else None for v, ok in zip(values, valid)]

    ints = [rng.randint(-2**31, 2**31 - 1) for _ in range(n)]
    seconds = [rng.randint(-2**33, 2**33) for _ in range(n)]
    words = ["", "α", "db-é中", "😀 emoji", "x" * 100]
    columns = {
        "b": pa.array(maybe([i % 3 == 0 for i in range(n)]), pa.bool_()),
        "i8": pa.array(maybe([rng.randint(-128, 127) for _ in range(n)]), pa.int8()),
        "i16": pa.array(maybe([rng.randint(-2**15, 2**15 - 1) for _ in range(n)]), pa.int16()),
        "i32": pa.array(maybe(ints), pa.int32()),
        "i64": pa.array(maybe([rng.randint(-2**63, 2**63 - 1) for _ in range(n)]), pa.int64()),
        "u8": pa.array(maybe([rng.randint(0, 255) for _ in range(n)]), pa.uint8()),
        "u32": pa.array(maybe([rng.randint(0, 2**32 - 1) for _ in range(n)]), pa.uint32()),
        "u64": pa.array(maybe([rng.randint(0, 2**64 - 1) for _ in range(n)]), pa.uint64()),
        "f32": pa.array(maybe([f32(rng.uniform(-1e6, 1e6)) for _ in range(n)]), pa.float32()),
        "f64": pa.array(maybe([from_bits(STALE_NAN_BITS) if i % 10 == 0 else rng.random() for i in range(n)]),
                        pa.float64()),
        "s": pa.array(maybe([rng.choice(words) for _ in range(n)]), pa.string()),
        "ls": pa.array(maybe([rng.choice(words) for _ in range(n)]), pa.large_string()),
        "d8": pa.array(maybe([rng.choice(words) for _ in range(n)]), pa.string()).dictionary_encode()
                .cast(pa.dictionary(pa.int8(), pa.string())),
        "dl": pa.array(maybe([rng.choice(words) for _ in range(n)]), pa.large_string()).dictionary_encode(),
        "ts_s": pa.array(maybe(seconds), pa.timestamp("s")),
        "ts_ms": pa.array(maybe(seconds), pa.timestamp("ms", tz="Europe/Paris")),
        "ts_us": pa.array(maybe(seconds), pa.timestamp("us", tz="UTC")),
        "ts_ns": pa.array(maybe(seconds), pa.timestamp("ns")),
    }
    table = pa.table(columns)
    # Several batches, sliced at offsets that are not multiples of 8 (bitmaps must be re-based).
    batches = [table.slice(0, 3), table.slice(3, 125), table.slice(128, 0), table.slice(128, 172)]
    path = tmp_path / "py.arrows"
    write_stream(path, [b.to_batches()[0] if b.num_rows else pa.RecordBatch.from_pylist([], table.schema)
                        for b in batches], table.schema)

    info = json.loads(run_tool(tool, "schema", path).stdout)
    expected_types = {"b": "bool", "i8": "int64", "i16": "int64", "i32": "int64", "i64": "int64",
                      "u8": "uint64", "u32": "uint64", "u64": "uint64", "f32": "double", "f64": "double",
                      "s": "string", "ls": "string", "d8": "string", "dl": "string",
                      "ts_s": "timestamp_ns", "ts_ms": "timestamp_ns", "ts_us": "timestamp_ns",
                      "ts_ns": "timestamp_ns"}
    assert [(f["name"], f["type"]) for f in info["fields"]] == list(expected_types.items())
    assert info["batches"] == [3, 125, 0, 172]
    assert info["dictionary_columns"] == ["d8", "dl"]

    got = tool_rows(tool, path)
    assert len(got) == n
    scale = {"ts_s": 10**9, "ts_ms": 10**6, "ts_us": 10**3, "ts_ns": 1}
    for name, array in columns.items():
        want = array.cast(array.type.value_type).to_pylist() if pa.types.is_dictionary(array.type) \
            else (array.cast(pa.int64()).to_pylist() if name in scale else array.to_pylist())
        for i, row in enumerate(got):
            w = want[i]
            if w is None:
                assert row[name] is None, (name, i)
            elif name in scale:
                assert row[name] == w * scale[name], (name, i)
            elif name in ("f32", "f64"):
                assert json_bits(row[name]) == bits(w), (name, i, row[name], w)
            else:
                assert row[name] == w, (name, i)


def test_dictionary_deltas_replacements_and_null_entries(tool, tmp_path):
    schema = pa.schema([pa.field("job", pa.dictionary(pa.int16(), pa.string()))])

    def batch(dictionary, indices):
        arr = pa.DictionaryArray.from_arrays(pa.array(indices, pa.int16()), pa.array(dictionary, pa.string()))
        return pa.record_batch([arr], schema=schema)

    batches = [
        batch(["a", "b"], [0, 1, None, 1]),
        batch(["a", "b", "c"], [2, 0]),                  # a delta with deltas enabled
        batch(["z", None], [0, 1, 0]),                   # a replacement; index 1 is a null entry
        batch(["z", None, "中"], [2, None]),
    ]
    for deltas in (False, True):
        path = tmp_path / f"d{deltas}.arrows"
        write_stream(path, batches, schema, pa.ipc.IpcWriteOptions(emit_dictionary_deltas=deltas))
        assert [r["job"] for r in tool_rows(tool, path)] == [
            "a", "b", None, "b", "c", "a", "z", None, "z", "中", None]


@pytest.mark.parametrize("arrow_type, name", [
    (pa.decimal128(10, 2), "Decimal"),
    (pa.date32(), "Date"),
    (pa.binary(), "Binary"),
    (pa.float16(), "FloatingPoint(HALF)"),
    (pa.list_(pa.int64()), "List"),
    (pa.struct([("a", pa.int64())]), "Struct"),
    (pa.duration("s"), "Duration"),
    (pa.dictionary(pa.int32(), pa.int64()), "dictionary of Int(bit_width=64, signed=true)"),
    (pa.null(), "Null"),
])
def test_unsupported_types_are_named(tool, tmp_path, arrow_type, name):
    schema = pa.schema([pa.field("ok", pa.int64()), pa.field("bad", arrow_type)])
    path = tmp_path / "bad.arrows"
    write_stream(path, [], schema)
    proc = run_tool(tool, "read", path, check=False)
    assert proc.returncode == 1
    assert "field 'bad'" in proc.stderr and f"unsupported Arrow type {name}" in proc.stderr, proc.stderr


def test_timestamp_overflow_is_an_error(tool, tmp_path):
    schema = pa.schema([pa.field("t", pa.timestamp("s"))])
    path = tmp_path / "overflow.arrows"
    write_stream(path, [pa.record_batch([pa.array([0, 10**11], pa.timestamp("s"))], schema=schema)], schema)
    proc = run_tool(tool, "read", path, check=False)
    assert proc.returncode == 1
    assert "field 't' row 1" in proc.stderr and "overflows" in proc.stderr, proc.stderr


@pytest.mark.parametrize("codec", ["zstd", "lz4"])
def test_compressed_bodies_are_rejected(tool, tmp_path, codec):
    schema = pa.schema([pa.field("x", pa.int64())])
    path = tmp_path / "compressed.arrows"
    write_stream(path, [pa.record_batch([pa.array(range(1000), pa.int64())], schema=schema)], schema,
                 pa.ipc.IpcWriteOptions(compression=codec))
    proc = run_tool(tool, "read", path, check=False)
    assert proc.returncode == 1
    assert "compressed" in proc.stderr, proc.stderr


def test_truncated_pyarrow_stream_is_an_error(tool, tmp_path):
    schema = pa.schema([pa.field("s", pa.string())])
    data = pa.BufferOutputStream()
    with pa.ipc.new_stream(data, schema) as writer:
        writer.write_batch(pa.record_batch([pa.array(["abc"] * 100)], schema=schema))
    raw = data.getvalue().to_pybytes()
    path = tmp_path / "cut.arrows"
    path.write_bytes(raw[:len(raw) - 20])  # inside the record batch body
    proc = run_tool(tool, "read", path, check=False)
    assert proc.returncode == 1
    assert "truncated body" in proc.stderr, proc.stderr
