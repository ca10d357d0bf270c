"""Helpers for end-to-end tests of the write path: run `cardinalsin server` on free loopback ports,
send Prometheus remote write (1.0 and 2.0) with a pure-Python protobuf encoder and Snappy block
compressor, and read back what was stored (committed chunks via the catalog, or the unflushed
buffer via /internal/v1/scan).

    srv = start_server(cardinalsin_bin, tmp_path, ["--flush-interval", "1h"])
    status, body, headers = remote_write(srv.url, [({"__name__": "up", "job": "a"}, [(ts_ms, 1.0)])])
    srv.stop()                                         # SIGTERM: flushes and commits everything
    table = committed_rows(cardinalsin_bin, srv.data_dir, "default")

Everything binds 127.0.0.1; processes are stopped by their own PID only.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import pyarrow as pa
import pyarrow.ipc
import pyarrow.parquet as pq

LOOPBACK = "127.0.0.1"
FIXED_COLUMNS = ("timestamp", "metric_name", "value", "series_id")


# ---------------------------------------------------------------------------------------------
# Ports and HTTP


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def free_ports(n: int) -> list[int]:
    """`n` distinct free ports (all sockets held open together so none repeats)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind((LOOPBACK, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


# Loopback traffic never goes through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_request(url: str, method: str = "GET", body: bytes | None = None,
                 headers: Mapping[str, str] | None = None, timeout: float = 10):
    """(status, body bytes, headers dict) for any status, errors included."""
    req = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    try:
        with _OPENER.open(req, timeout=timeout) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def http_get(url: str, timeout: float = 10):
    return http_request(url, "GET", timeout=timeout)


# ---------------------------------------------------------------------------------------------
# The server process


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment minus object-store credentials and test knobs, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CS_TEST_", "AWS_", "S3_"))}
    env.update(extra or {})
    return env


@dataclass
class ServerHandle:
    """A running `cardinalsin server` (or `ingester`). `url` is the main HTTP port."""

    proc: subprocess.Popen
    data_dir: Path
    http_port: int
    grpc_port: int
    otlp_http_port: int
    flight_sql_port: int
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.http_port}"

    @property
    def otlp_url(self) -> str:
        return f"http://{LOOPBACK}:{self.otlp_http_port}"

    @property
    def grpc_target(self) -> str:
        return f"{LOOPBACK}:{self.grpc_port}"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def running(self) -> bool:
        return self.proc.poll() is None

    def stop(self, deadline_s: float = 30) -> int:
        """SIGTERM and wait (the server flushes and commits every buffered row). Returns the exit
        code; raises AssertionError if the process outlives the deadline (it is then killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=deadline_s)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"server {self.pid} did not stop within {deadline_s}s of SIGTERM\n"
                                     + self.log()[-4000:])
        return self.proc.returncode

    def kill(self) -> int:
        """SIGKILL (a crash: nothing is flushed) and reap."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        return self.proc.returncode


def start_server(binary: str, tmp_path: Path, extra_args: Sequence[str] = (),
                 env: Mapping[str, str] | None = None, command: str = "server",
                 data_dir: Path | None = None, ready_deadline_s: float = 60) -> ServerHandle:
    """Starts `cardinalsin <command>` on 127.0.0.1 with free ports for every listener and
    --data-dir `data_dir` (default tmp_path/"data"), and waits until /ready answers 200.
    Output goes to a log file next to the data dir (ServerHandle.log())."""
    data_dir = Path(data_dir or (tmp_path / "data"))
    http_port, grpc_port, otlp_port, flight_port = free_ports(4)
    log_path = tmp_path / f"cardinalsin-{command}-{http_port}.log"
    full_env = clean_env(env)
    ports = ["--http-port", str(http_port)]
    if command in ("server", "ingester"):
        ports += ["--grpc-port", str(grpc_port), "--otlp-http-port", str(otlp_port)]
    if command in ("server", "query"):
        ports += ["--flight-sql-port", str(flight_port)]
    args = [binary, command, "--bind-address", LOOPBACK, *ports, "--data-dir", str(data_dir), *extra_args]
    log = open(log_path, "wb")
    try:
        proc = subprocess.Popen(args, cwd=tmp_path, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    finally:
        log.close()
    handle = ServerHandle(proc, data_dir, http_port, grpc_port, otlp_port, flight_port, log_path, full_env)
    deadline = time.monotonic() + ready_deadline_s
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"`{' '.join(args)}` exited with {proc.returncode}:\n{handle.log()[-4000:]}")
        try:
            if http_get(handle.url + "/ready", timeout=2)[0] == 200:
                return handle
        except OSError:
            pass
        if time.monotonic() > deadline:
            handle.kill()
            raise AssertionError(f"server not ready within {ready_deadline_s}s:\n{handle.log()[-4000:]}")
        time.sleep(0.05)


# ---------------------------------------------------------------------------------------------
# Reading back


def _admin(binary: str, data_dir: Path, env: Mapping[str, str] | None, *args: str) -> bytes:
    proc = subprocess.run([binary, "admin", *args, "--data-dir", str(data_dir)], env=clean_env(env),
                          capture_output=True, timeout=120)
    if proc.returncode != 0:
        raise AssertionError(f"cardinalsin admin {' '.join(args)} failed ({proc.returncode}): "
                             f"{proc.stderr.decode(errors='replace')}")
    return proc.stdout


def catalog_snapshot(binary: str, data_dir: Path, tenant: str, env: Mapping[str, str] | None = None) -> dict:
    """`admin catalog show --json --tenant T` parsed: {"seq", "chunks": [{path, row_count, ...}],
    "watermarks", ...}."""
    return json.loads(_admin(binary, Path(data_dir), env, "catalog", "show", "--json", "--tenant", tenant))


def _plain_strings(table: pa.Table) -> pa.Table:
    """Dictionary columns decoded, so chunks with different encodings concatenate."""
    cols = []
    for f, col in zip(table.schema, table.columns):
        if pa.types.is_dictionary(f.type):
            col = col.cast(f.type.value_type)
        cols.append(col)
    return pa.Table.from_arrays(cols, names=table.column_names)


def concat(tables: Iterable[pa.Table]) -> pa.Table | None:
    tables = [_plain_strings(t) for t in tables]
    if not tables:
        return None
    return pa.concat_tables(tables, promote_options="default")


def committed_rows(binary: str, data_dir: Path, tenant: str, env: Mapping[str, str] | None = None,
                   bucket: str = "cardinalsin-data") -> pa.Table | None:
    """Every row of the tenant's live chunks (per its catalog), one table with the union of the
    chunks' label columns (a label a chunk lacks is null). None when the catalog has no chunk.
    Chunks are read from the local bucket folder when present, else through `admin store cat`."""
    snap = catalog_snapshot(binary, data_dir, tenant, env)
    chunks = snap.get("chunks") or []
    if isinstance(chunks, dict):
        chunks = list(chunks.values())
    tables = []
    for chunk in chunks:
        local = Path(data_dir) / bucket / chunk["path"]
        if local.is_file():
            table = pq.read_table(local)
        else:
            table = pq.read_table(pa.BufferReader(_admin(binary, Path(data_dir), env, "store", "cat", chunk["path"])))
        assert table.num_rows == chunk["row_count"], (chunk["path"], table.num_rows, chunk["row_count"])
        tables.append(table)
    return concat(tables)


def scan_rows(url: str, tenant: str, metric: str | None = None, start_ns: int | None = None,
              end_ns: int | None = None) -> pa.Table:
    """The tenant's unflushed rows from GET /internal/v1/scan (Arrow IPC stream)."""
    params = [("tenant", tenant)]
    if metric is not None:
        params.append(("metric", metric))
    if start_ns is not None:
        params.append(("start_ns", str(start_ns)))
    if end_ns is not None:
        params.append(("end_ns", str(end_ns)))
    query = urllib.parse.urlencode(params)
    status, body, _ = http_get(f"{url}/internal/v1/scan?{query}")
    if status != 200:
        raise AssertionError(f"scan: HTTP {status}: {body[:500]!r}")
    return _plain_strings(pyarrow.ipc.open_stream(body).read_all())


def label_columns(table: pa.Table) -> list[str]:
    return [n for n in table.column_names if n not in FIXED_COLUMNS]


def rows_as_series(table: pa.Table | None) -> dict[tuple, list[tuple[int, float]]]:
    """{sorted ((name, value), ...) with ("__name__", metric) included: [(timestamp_ns, value)]}
    with null/empty label cells treated as absent; samples sorted by time."""
    out: dict[tuple, list[tuple[int, float]]] = {}
    if table is None:
        return out
    labels = label_columns(table)
    cols = {n: table.column(n).to_pylist() for n in labels}
    ts = table.column("timestamp").cast(pa.int64()).to_pylist()
    names = table.column("metric_name").to_pylist()
    values = table.column("value").to_pylist()
    for i in range(table.num_rows):
        key = [("__name__", names[i])]
        key += [(n, cols[n][i]) for n in labels if cols[n][i] not in (None, "")]
        out.setdefault(tuple(sorted(key)), []).append((ts[i], values[i]))
    for samples in out.values():
        samples.sort(key=lambda s: s[0])
    return out


# ---------------------------------------------------------------------------------------------
# Protobuf and Snappy, by hand (wire format facts from the protobuf encoding spec)


def varint(n: int) -> bytes:
    """Protobuf varint; negative numbers as 64-bit two's complement (int64 encoding)."""
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_key(number: int, wire_type: int) -> bytes:
    return varint((number << 3) | wire_type)


def pb_bytes(number: int, data: bytes | str) -> bytes:
    if isinstance(data, str):
        data = data.encode()
    return pb_key(number, 2) + varint(len(data)) + data


def pb_varint(number: int, n: int) -> bytes:
    return pb_key(number, 0) + varint(n)


def pb_double(number: int, value: float) -> bytes:
    return pb_key(number, 1) + struct.pack("<d", value)


def pb_double_bits(number: int, bits: int) -> bytes:
    """A double field given by its raw IEEE-754 bits (NaN payloads, staleness markers)."""
    return pb_key(number, 1) + struct.pack("<Q", bits)


def snappy_block(data: bytes) -> bytes:
    """Snappy block (raw) format with literal elements only: valid, just not smaller."""
    out = bytearray(varint(len(data)))
    pos = 0
    while pos < len(data):
        n = min(len(data) - pos, 1 << 16)
        if n <= 60:
            out.append((n - 1) << 2)
        elif n <= 1 << 8:
            out += bytes([60 << 2, n - 1])
        else:
            out += bytes([61 << 2]) + struct.pack("<H", n - 1)
        out += data[pos:pos + n]
        pos += n
    return bytes(out)


def snappy_uncompress(data: bytes) -> bytes:
    """Decodes the Snappy block format (literals and copies), e.g. remote-read responses."""
    pos = 0
    length = shift = 0
    while True:
        b = data[pos]
        pos += 1
        length |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    out = bytearray()
    while pos < len(data):
        tag = data[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:
            n = tag >> 2
            if n >= 60:
                extra = n - 59
                n = int.from_bytes(data[pos:pos + extra], "little")
                pos += extra
            n += 1
            out += data[pos:pos + n]
            pos += n
            continue
        if kind == 1:
            n = ((tag >> 2) & 7) + 4
            offset = ((tag >> 5) << 8) | data[pos]
            pos += 1
        elif kind == 2:
            n = (tag >> 2) + 1
            offset = int.from_bytes(data[pos:pos + 2], "little")
            pos += 2
        else:
            n = (tag >> 2) + 1
            offset = int.from_bytes(data[pos:pos + 4], "little")
            pos += 4
        if offset == 0 or offset > len(out):
            raise ValueError(f"snappy: bad copy offset {offset} at {pos}")
        for _ in range(n):  # byte by byte: copies may overlap their own output
            out.append(out[-offset])
    if len(out) != length:
        raise ValueError(f"snappy: decoded {len(out)} bytes, header says {length}")
    return bytes(out)


def pb_fields(data: bytes):
    """Yields (field number, wire type, value) of one protobuf message: ints for varints,
    bytes for LEN and for fixed64/fixed32 (raw little-endian)."""
    pos = 0

    def read_varint():
        nonlocal pos
        result = shift = 0
        while True:
            b = data[pos]
            pos += 1
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result

    while pos < len(data):
        key = read_varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            yield number, wire, read_varint()
        elif wire == 1:
            yield number, wire, data[pos:pos + 8]
            pos += 8
        elif wire == 2:
            n = read_varint()
            yield number, wire, data[pos:pos + n]
            pos += n
        elif wire == 5:
            yield number, wire, data[pos:pos + 4]
            pos += 4
        else:
            raise ValueError(f"protobuf: unsupported wire type {wire}")


def _label_pairs(labels) -> list[tuple[str, str]]:
    return list(labels.items()) if isinstance(labels, Mapping) else list(labels)


def _sample_value(number: int, value) -> bytes:
    # A value may be given as ("bits", 0x7ff0000000000002) to control NaN payloads.
    if isinstance(value, tuple) and value[0] == "bits":
        return pb_double_bits(number, value[1])
    return pb_double(number, value)


def encode_write_request_v1(series_list) -> bytes:
    """prometheus.WriteRequest. `series_list`: [(labels, [(timestamp_ms, value), ...])], labels a
    dict or a list of (name, value) pairs (pairs allow duplicates and keep wire order)."""
    out = bytearray()
    for labels, samples in series_list:
        ts = bytearray()
        for name, value in _label_pairs(labels):
            ts += pb_bytes(1, pb_bytes(1, name) + pb_bytes(2, value))
        for t_ms, v in samples:
            ts += pb_bytes(2, _sample_value(1, v) + pb_varint(2, t_ms))
        out += pb_bytes(1, bytes(ts))
    return bytes(out)


def encode_write_request_v2(series_list) -> bytes:
    """io.prometheus.write.v2.Request with a symbol table (symbols[0] = "")."""
    symbols: dict[str, int] = {"": 0}

    def ref(s: str) -> int:
        if s not in symbols:
            symbols[s] = len(symbols)
        return symbols[s]

    series_bytes = bytearray()
    for labels, samples in series_list:
        refs = bytearray()
        for name, value in _label_pairs(labels):
            refs += varint(ref(name)) + varint(ref(value))
        ts = pb_bytes(1, bytes(refs))
        for t_ms, v in samples:
            ts += pb_bytes(2, _sample_value(1, v) + pb_varint(2, t_ms))
        series_bytes += pb_bytes(5, ts)
    out = bytearray()
    for s in symbols:  # dicts keep insertion order = ref order
        out += pb_bytes(4, s)
    return bytes(out + series_bytes)


RW1_CONTENT_TYPE = "application/x-protobuf"
RW2_CONTENT_TYPE = "application/x-protobuf;proto=io.prometheus.write.v2.Request"


def remote_write(url: str, series_list, tenant: str | None = None, version: int = 1,
                 headers: Mapping[str, str] | None = None, timeout: float = 30):
    """POSTs a remote-write request to `url`/api/v1/write (`url` may already end in
    /api/v1/write). Returns (status, body bytes, headers dict)."""
    body = encode_write_request_v1(series_list) if version == 1 else encode_write_request_v2(series_list)
    return post_remote_write(url, snappy_block(body), tenant=tenant, version=version, headers=headers,
                             timeout=timeout)


def post_remote_write(url: str, compressed: bytes, tenant: str | None = None, version: int = 1,
                      headers: Mapping[str, str] | None = None, timeout: float = 30):
    """POSTs an already-compressed body with the standard remote-write headers (overridable)."""
    if not url.endswith("/api/v1/write"):
        url = url.rstrip("/") + "/api/v1/write"
    h = {
        "Content-Type": RW1_CONTENT_TYPE if version == 1 else RW2_CONTENT_TYPE,
        "Content-Encoding": "snappy",
        "X-Prometheus-Remote-Write-Version": "0.1.0" if version == 1 else "2.0.0",
    }
    if tenant is not None:
        h["X-Scope-OrgID"] = tenant
    h.update(headers or {})
    h = {k: v for k, v in h.items() if v is not None}
    return http_request(url, "POST", compressed, h, timeout=timeout)


def now_ms() -> int:
    return time.time_ns() // 1_000_000
