"""`cardinalsin generate` (the runbook's test-data-generator) against an in-test HTTP sink that
decodes what it receives: the contract's exact stdout, pacing, error exit codes, every
--protocol's route and headers, and high-cardinality churn.

The sink decodes raw Snappy and protobuf by hand with ingest_util (no python-snappy or protobuf
package)."""

import http.server
import re
import struct
import threading

import pytest

from ingest_util import pb_fields, snappy_uncompress


# --- decoding --------------------------------------------------------------------------------

fields = pb_fields


def varint(data: bytes, pos: int) -> tuple[int, int]:
    """One varint at data[pos:]: (value, position after it)."""
    value, shift = 0, 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, pos


def decode_rw1(body):
    """prometheus.WriteRequest -> [(labels dict, [(ts_ms, value)])]."""
    series = []
    for number, _, ts in fields(body):
        if number != 1:
            continue
        labels, samples = {}, []
        for n, _, v in fields(ts):
            if n == 1:
                label = {k: val.decode() for k, _, val in fields(v)}
                labels[label.get(1, "")] = label.get(2, "")
            elif n == 2:
                s = {k: val for k, _, val in fields(v)}
                samples.append((s.get(2, 0), struct.unpack("<d", s.get(1, b"\0" * 8))[0]))
        series.append((labels, samples))
    return series


def decode_rw2(body):
    """io.prometheus.write.v2.Request -> [(labels dict, [(ts_ms, value)])]."""
    symbols, raw = [], []
    for number, _, v in fields(body):
        if number == 4:
            symbols.append(v.decode())
        elif number == 5:
            raw.append(v)
    series = []
    for ts in raw:
        refs, samples = [], []
        for n, wire, v in fields(ts):
            if n == 1 and wire == 2:
                pos = 0
                while pos < len(v):
                    r, pos = varint(v, pos)
                    refs.append(r)
            elif n == 1:
                refs.append(v)
            elif n == 2:
                s = {k: val for k, _, val in fields(v)}
                samples.append((s.get(2, 0), struct.unpack("<d", s.get(1, b"\0" * 8))[0]))
        labels = {symbols[refs[i]]: symbols[refs[i + 1]] for i in range(0, len(refs), 2)}
        series.append((labels, samples))
    return series


def decode_otlp(body):
    """ExportMetricsServiceRequest (gauges) -> [(labels dict, [(time_ns, value)])]."""
    series = []
    for n1, _, resource_metrics in fields(body):
        if n1 != 1:
            continue
        for n2, _, scope_metrics in fields(resource_metrics):
            if n2 != 2:
                continue
            for n3, _, metric in fields(scope_metrics):
                if n3 != 2:
                    continue
                name, points = "", []
                for n4, _, v in fields(metric):
                    if n4 == 1:
                        name = v.decode()
                    elif n4 == 5:  # gauge
                        points += [p for n5, _, p in fields(v) if n5 == 1]
                for p in points:
                    labels, ts, value = {"__name__": name}, 0, None
                    for n6, _, v in fields(p):
                        if n6 == 3:
                            ts = struct.unpack("<Q", v)[0]
                        elif n6 == 4:
                            value = struct.unpack("<d", v)[0]
                        elif n6 == 7:
                            kv = dict((k, val) for k, _, val in fields(v))
                            any_value = dict((k, val) for k, _, val in fields(kv.get(2, b"")))
                            labels[kv[1].decode()] = any_value.get(1, b"").decode()
                    series.append((labels, [(ts, value)]))
    return series


def decode_influx(body):
    series = []
    for line in body.decode().splitlines():
        if not line:
            continue
        head, field, ts = line.split(" ")
        measurement, *tags = head.split(",")
        name, value = field.split("=")
        labels = {"__name__": f"{measurement}_{name}", **dict(t.split("=", 1) for t in tags)}
        series.append((labels, [(int(ts), float(value))]))
    return series


# --- the sink --------------------------------------------------------------------------------

class Sink:
    """A threaded HTTP/1.1 server on 127.0.0.1 that decodes and counts what it receives."""

    def __init__(self, status=204, reply=b""):
        self.status, self.reply = status, reply
        self.lock = threading.Lock()
        self.requests = []  # (method, path, headers)
        self.samples = 0
        self.series = set()
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                decoded = sink.decode(self.path, self.headers, body)
                with sink.lock:
                    sink.requests.append(("POST", self.path, dict(self.headers)))
                    if sink.status < 300:
                        for labels, samples in decoded:
                            sink.samples += len(samples)
                            sink.series.add(tuple(sorted(labels.items())))
                self.send_response(sink.status)
                self.send_header("Content-Length", str(len(sink.reply)))
                self.end_headers()
                self.wfile.write(sink.reply)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def decode(path, headers, body):
        if path == "/api/v1/write":
            raw = snappy_uncompress(body)
            if "io.prometheus.write.v2.Request" in headers.get("Content-Type", ""):
                return decode_rw2(raw)
            return decode_rw1(raw)
        if path == "/v1/metrics":
            return decode_otlp(body)
        if path.startswith("/api/v2/write"):
            return decode_influx(body)
        raise AssertionError(f"unexpected path {path}")

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sink_factory():
    sinks = []

    def make(**kwargs):
        s = Sink(**kwargs)
        sinks.append(s)
        return s

    yield make
    for s in sinks:
        s.close()


SUMMARY = re.compile(
    r"\nGeneration Complete\n===================\n"
    r"Duration:       (?P<elapsed>[0-9.]+(?:s|ms))\n"
    r"Samples sent:   (?P<samples>\d+)\n"
    r"Batches sent:   (?P<batches>\d+)\n"
    r"Errors:         (?P<errors>\d+)\n"
    r"Bytes sent:     (?P<bytes>\d+) \((?P<mb>\d+\.\d\d) MB\)\n"
    r"Actual rate:    (?P<rate>\d+\.\d\d) samples/sec\n$")


def runner_samples_sent(stdout: str) -> int:
    """What scripts/telemetry/run_mixed_workload.sh extracts (section 14.1): field 3 of the last
    line starting `[Stats] Samples:` or `Samples sent:`, non-digits removed."""
    value = None
    for line in stdout.splitlines():
        if line.startswith("[Stats] Samples:") or line.startswith("Samples sent:"):
            value = int(re.sub(r"\D", "", line.split()[2]))
    return value


def test_steady_rate_prints_the_contract_and_matches_what_arrived(run, sink_factory):
    sink = sink_factory()
    proc = run("generate", "--endpoint", sink.url, "--samples-per-second", "2000",
               "--duration", "3s", "--batch-size", "100")
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode == 0, (out, err)
    assert err == ""
    assert out.startswith(
        "CardinalSin Test Data Generator\n"
        "================================\n"
        f"Endpoint:      {sink.url}\n"
        "Metrics:       10\n"
        "Hosts:         5\n"
        "Regions:       3\n"
        "Target rate:   2000 samples/sec\n"
        "Duration:      3s\n"
        "Batch size:    100\n"
        "Mode:          steady\n"
        "\n"
        "Starting steady-rate generation...\n"
        "[Stats] Samples: "), out
    assert re.search(r"^\[Stats\] Samples: \d+, Batches: \d+, Errors: 0, Bytes: \d+$", out, re.M)
    m = SUMMARY.search(out)
    assert m, out
    samples = int(m["samples"])
    assert samples == sink.samples
    assert runner_samples_sent(out) == samples
    assert int(m["errors"]) == 0
    assert int(m["batches"]) * 100 == samples
    assert abs(float(m["rate"]) - 2000) <= 200, m["rate"]
    assert abs(samples / 3 - 2000) <= 200, samples
    assert m["mb"] == f"{int(m['bytes']) / 1e6:.2f}"
    # The contract's series: 100 samples walk cpu_usage x 5 hosts x 3 regions x 2 envs (30
    # series) and then memory_used_bytes etc.
    names = {dict(s)["__name__"] for s in sink.series}
    assert names == {"cpu_usage", "memory_used_bytes", "disk_read_bytes_total",
                     "disk_write_bytes_total"}
    assert len(sink.series) == 100
    assert all(list(dict(s)) == sorted(dict(s)) for s in sink.series)
    headers = sink.requests[0][2]
    assert sink.requests[0][1] == "/api/v1/write"
    assert headers["Content-Type"] == "application/x-protobuf"
    assert headers["Content-Encoding"] == "snappy"
    assert headers["X-Prometheus-Remote-Write-Version"] == "0.1.0"
    assert "X-Scope-OrgID" not in headers


def test_failed_batches_exit_non_zero_with_the_warning(run, sink_factory):
    sink = sink_factory(status=500, reply=b"ingester overloaded\n" + b"x" * 400)
    proc = run("generate", "--endpoint", sink.url, "--samples-per-second", "500",
               "--duration", "1s", "--batch-size", "100")
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode == 1, (out, err)
    m = SUMMARY.search(out)
    assert m, out
    assert m["samples"] == "0" and int(m["errors"]) == 5
    assert err.endswith("WARNING: 5 errors occurred during generation\n"), err
    first = err.splitlines()[0]
    assert first == "Error sending batch: HTTP error: 500 - ingester overloaded " + "x" * 180


def test_burst_prints_every_error(run, sink_factory):
    sink = sink_factory(status=503, reply=b"slow down")
    proc = run("generate", "--endpoint", sink.url, "--burst", "--samples-per-second", "300",
               "--duration", "1s", "--batch-size", "100")
    assert proc.returncode == 1
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert "Sending 300 samples in burst mode...\n" in out
    assert "[Stats]" not in out
    assert err.count("Error sending batch: HTTP error: 503 - slow down\n") == 3
    assert err.endswith("WARNING: 3 errors occurred during generation\n")


@pytest.mark.parametrize("protocol,path,headers", [
    ("remote-write", "/api/v1/write",
     {"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
      "X-Prometheus-Remote-Write-Version": "0.1.0"}),
    ("remote-write-v2", "/api/v1/write",
     {"Content-Type": "application/x-protobuf;proto=io.prometheus.write.v2.Request",
      "Content-Encoding": "snappy", "X-Prometheus-Remote-Write-Version": "2.0.0"}),
    ("otlp", "/v1/metrics", {"Content-Type": "application/x-protobuf"}),
    ("influx", "/api/v2/write?precision=ns", {"Content-Type": "text/plain; charset=utf-8"}),
])
def test_each_protocol_reaches_its_route(run, sink_factory, protocol, path, headers):
    sink = sink_factory(status=200)
    proc = run("generate", "--endpoint", sink.url + "/", "--protocol", protocol, "--burst",
               "--samples-per-second", "500", "--duration", "1s", "--batch-size", "100",
               "--tenant", "team-a", "--threads", "2")
    out = proc.stdout.decode()
    assert proc.returncode == 0, (out, proc.stderr.decode())
    assert f"Protocol:      {protocol}\n" in out or protocol == "remote-write"
    assert SUMMARY.search(out)["samples"] == "500"
    assert sink.samples == 500
    assert len(sink.requests) == 5
    for _, got_path, got_headers in sink.requests:
        assert got_path == path
        for name, value in headers.items():
            assert got_headers.get(name) == value, (name, got_headers)
        assert got_headers.get("X-Scope-OrgID") == "team-a"
    # Every protocol carries the same 100 series (the first 100 of the contract's walk).
    assert len(sink.series) == 100
    assert {dict(s)["__name__"] for s in sink.series} == {
        "cpu_usage", "memory_used_bytes", "disk_read_bytes_total", "disk_write_bytes_total"}
    assert all({"host", "region", "env"} <= set(dict(s)) for s in sink.series)


def test_high_cardinality_churn_as_fast_as_possible(run, sink_factory):
    sink = sink_factory()
    proc = run("generate", "--endpoint", sink.url, "--series", "1000", "--churn", "0.5",
               "--samples-per-second", "0", "--duration", "2500ms", "--batch-size", "1000")
    out = proc.stdout.decode()
    assert proc.returncode == 0, (out, proc.stderr.decode())
    assert "Target rate:   unlimited\n" in out
    assert "Series:        1000 (churn 0.5/s)\n" in out
    assert int(SUMMARY.search(out)["samples"]) == sink.samples
    # Each batch covers all 1000 slots; seconds 1 and 2 each replace 500 of them.
    assert len(sink.series) == 2000
    keys = {tuple(k for k, _ in s) for s in sink.series}
    assert keys == {("__name__", "env", "host", "pod", "region", "request_id")}


@pytest.mark.parametrize("args,message", [
    (["--regions", "9"], "--regions"),
    (["--protocol", "graphite"], "--protocol"),
    (["--duration", "soon"], "--duration"),
    (["--metrics", "many"], "--metrics"),
    (["--churn", "0.1"], "--churn needs --series"),
    (["--burst", "--samples-per-second", "0"], "--burst"),
    (["--no-such-flag"], "--no-such-flag"),
])
def test_bad_flags_exit_2(run, args, message):
    proc = run("generate", "--endpoint", "http://127.0.0.1:1", *args)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert message in proc.stderr.decode()
    assert b"Generation Complete" not in proc.stdout
