"""Malformed, oversized and hostile writes against a real `cardinalsin server`: each gets the status
src/ingest/http_routes.h and src/ingest/otlp_grpc.h document and a message naming the problem,
and whatever valid data a request carried is stored (checked in the committed chunks after
SIGTERM)."""

import gzip
import json
import time

import grpc
import pytest
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as svc
from opentelemetry.proto.metrics.v1 import metrics_pb2

from ingest_util import (committed_rows, encode_write_request_v1, http_request, now_ms, pb_fields,
                         post_remote_write, remote_write, rows_as_series, scan_rows, snappy_block, start_server)

MAX_BODY = 64 * 1024
LIMIT_ARGS = ["--flush-interval", "1h", "--max-body-bytes", str(MAX_BODY), "--max-labels-per-series", "5",
              "--max-label-value-length", "64"]
DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def limited(cardinalsin_bin, tmp_path_factory):
    """One server with small limits shared by the table-driven malformed-request cases."""
    tmp = tmp_path_factory.mktemp("limited")
    server = start_server(cardinalsin_bin, tmp, LIMIT_ARGS)
    yield server
    server.stop()


def ok_series(name: str, t: int):
    return ({"__name__": name, "job": "e2e"}, [(t, 1.0), (t + 1000, 2.0)])


# (case id, headers to override, body bytes, expected status, substrings of the response body)
def malformed_cases():
    good = snappy_block(encode_write_request_v1([ok_series("never_stored", now_ms())]))
    return [
        ("wrong content type", {"Content-Type": "text/plain"}, good, 415, ["text/plain"]),
        ("json content type", {"Content-Type": "application/json"}, good, 415, ["application/json"]),
        ("missing snappy encoding", {"Content-Encoding": None}, good, 415, ["Content-Encoding"]),
        ("gzip instead of snappy", {"Content-Encoding": "gzip"}, gzip.compress(b"x"), 415, ["snappy"]),
        ("corrupt snappy", {}, b"\xff\xff\xff\xff\x0f" + b"\x00garbage", 400, ["snappy"]),
        ("snappy length lies", {}, snappy_block(b"abc")[:-1], 400, ["snappy"]),
        ("corrupt protobuf", {}, snappy_block(b"\x0a\xff\x01garbage"), 400, ["WriteRequest", "truncated"]),
        ("corrupt series", {}, snappy_block(b"\x0a\x02\x12\x05"), 400, ["timeseries[0]", "truncated"]),
        ("wrong wire type", {}, snappy_block(b"\x08\x01"), 400, ["wire type"]),
        ("body over --max-body-bytes", {}, snappy_block(b"\x00" * (MAX_BODY + 1)), 413, []),
    ]


@pytest.mark.parametrize("case", malformed_cases(), ids=lambda c: c[0])
def test_malformed_remote_write(limited, case):
    """Each malformed request is refused as a whole with the documented status."""
    _, headers, body, status, needles = case
    got_status, got_body, _ = post_remote_write(limited.url, body, headers=headers)
    text = got_body.decode(errors="replace")
    assert got_status == status, text
    for needle in needles:
        assert needle.lower() in text.lower(), f"{needle!r} not in {text!r}"
    # Nothing of a refused request reaches the buffer.
    assert scan_rows(limited.url, "default").num_rows == 0


def test_mixed_valid_and_invalid_series(cardinalsin_bin, tmp_path):
    limited = start_server(cardinalsin_bin, tmp_path, LIMIT_ARGS)
    try:
        check_mixed_request(limited, cardinalsin_bin)
    finally:
        limited.stop()


def check_mixed_request(limited, cardinalsin_bin):
    t = now_ms()
    invalid = [
        ([("__name__", "dup"), ("a", "1"), ("a", "2")], 'duplicate label name "a"'),
        ([("job", "no-name")], "missing metric name (__name__)"),
        ([("__name__", "reserved"), ("timestamp", "x")], 'label name "timestamp" is reserved'),
        ([("__name__", "wide"), ("a", "1"), ("b", "2"), ("c", "3"), ("d", "4"), ("e", "5")],
         "6 labels exceed the limit of 5"),
        ([("__name__", "long_value"), ("a", "v" * 65)], 'value of label "a" has 65 bytes, over the limit of 64'),
    ]
    series = [ok_series("good_a", t)]
    for labels, _ in invalid:
        series.append((labels, [(t, 1.0)]))
    series.append(({"__name__": "too_old"}, [(t - 8 * DAY_MS, 1.0)]))
    series.append(ok_series("good_b", t))
    # One series with one sample too old and one fine: only the old sample goes.
    series.append(({"__name__": "half_old"}, [(t - 8 * DAY_MS, 1.0), (t, 3.0)]))
    status, body, headers = remote_write(limited.url, series)
    text = body.decode()
    assert status == 400, text
    assert text.startswith("accepted 5 samples (3 series); rejected 7 samples (6 series): "), text
    for _, reason in invalid:
        assert reason in text, f"{reason!r} not in {text!r}"
    assert "outside the accepted time range" in text and '__name__="too_old"' in text, text
    assert headers["X-Prometheus-Remote-Write-Samples-Written"] == "5"

    # Tenant routing in the same server.
    assert remote_write(limited.url, [ok_series("routed", t)], tenant="team-a")[0] == 204
    for bad in ("bad/tenant", "_hidden", "x" * 129):
        status, body, _ = remote_write(limited.url, [ok_series("never_stored", t)], tenant=bad)
        assert status == 400 and b"invalid tenant id" in body, (bad, status, body)
    assert http_request(limited.url + "/internal/v1/scan?tenant=bad/tenant")[0] == 400

    # Remote write 2.0: the written-samples header counts what was stored.
    v2 = [ok_series("v2_a", t), ({"__name__": "v2_b", "x": "y"}, [(t, 5.0), (t + 1, 6.0), (t + 2, 7.0)])]
    status, body, headers = remote_write(limited.url, v2, version=2)
    assert status == 204, body
    assert headers["X-Prometheus-Remote-Write-Samples-Written"] == "5"
    assert headers["X-Prometheus-Remote-Write-Histograms-Written"] == "0"

    # Before the shutdown the buffer already holds the accepted rows (and nothing else).
    names = set(scan_rows(limited.url, "default").column("metric_name").to_pylist())
    assert names == {"good_a", "good_b", "half_old", "v2_a", "v2_b"}

    assert limited.stop() == 0, limited.log()[-4000:]
    stored = rows_as_series(committed_rows(cardinalsin_bin, limited.data_dir, "default"))
    ns = 1_000_000
    assert stored == {
        (("__name__", "good_a"), ("job", "e2e")): [(t * ns, 1.0), ((t + 1000) * ns, 2.0)],
        (("__name__", "good_b"), ("job", "e2e")): [(t * ns, 1.0), ((t + 1000) * ns, 2.0)],
        (("__name__", "half_old"),): [(t * ns, 3.0)],
        (("__name__", "v2_a"), ("job", "e2e")): [(t * ns, 1.0), ((t + 1000) * ns, 2.0)],
        (("__name__", "v2_b"), ("x", "y")): [(t * ns, 5.0), ((t + 1) * ns, 6.0), ((t + 2) * ns, 7.0)],
    }
    assert rows_as_series(committed_rows(cardinalsin_bin, limited.data_dir, "team-a")) == {
        (("__name__", "routed"), ("job", "e2e")): [(t * ns, 1.0), ((t + 1000) * ns, 2.0)]}


def test_buffer_full_gets_429_with_retry_after(cardinalsin_bin, tmp_path):
    server = start_server(cardinalsin_bin, tmp_path, ["--flush-interval", "1h", "--max-buffer-bytes", "4096"])
    try:
        t = now_ms()
        accepted = 0
        for i in range(200):
            batch = [({"__name__": "fill", "i": str(i), "pad": "p" * 40}, [(t, float(i))])]
            status, body, headers = remote_write(server.url, batch)
            if status == 429:
                break
            assert status == 204, body
            accepted += 1
        else:
            pytest.fail("200 writes into a 4 KiB buffer never got 429")
        assert int(headers["Retry-After"]) >= 1
        assert b"buffer is full" in body, body
        assert accepted >= 1
        # The same refusal over line protocol and OTLP/HTTP.
        status, body, headers = http_request(server.url + "/api/v2/write", "POST", b"m v=1\n")
        assert status == 429 and "Retry-After" in headers, body
        assert json.loads(body)["message"].startswith("write buffer is full")
    finally:
        assert server.stop() == 0, server.log()[-4000:]
    # Everything acknowledged before the 429 is stored; the refused request is not.
    stored = rows_as_series(committed_rows(cardinalsin_bin, server.data_dir, "default"))
    assert sorted(int(dict(k)["i"]) for k in stored) == list(range(accepted))


def test_otlp_errors(cardinalsin_bin, tmp_path):
    server = start_server(cardinalsin_bin, tmp_path, ["--flush-interval", "1h"])
    try:
        with grpc.insecure_channel(server.grpc_target) as channel:
            export = channel.unary_unary("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
                                         request_serializer=lambda b: b, response_deserializer=lambda b: b)
            for payload in (b"\x0a\xff\xff\xff\xff\x0f", b"\xff"):
                with pytest.raises(grpc.RpcError) as err:
                    export(payload, timeout=10)
                assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
                assert err.value.details().startswith("Invalid OTLP metrics payload"), err.value.details()
            with pytest.raises(grpc.RpcError) as err:
                export(b"", timeout=10)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value.details()
            gauge = metrics_pb2.Metric(name="g", gauge=metrics_pb2.Gauge(data_points=[
                metrics_pb2.NumberDataPoint(time_unix_nano=time.time_ns(), as_double=1.0)]))
            valid = svc.ExportMetricsServiceRequest(resource_metrics=[metrics_pb2.ResourceMetrics(
                scope_metrics=[metrics_pb2.ScopeMetrics(metrics=[gauge])])]).SerializeToString()
            with pytest.raises(grpc.RpcError) as err:
                export(valid, metadata=(("x-scope-orgid", "bad/tenant"),), timeout=10)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "invalid tenant id" in err.value.details(), err.value.details()
            assert export(valid, metadata=(("x-scope-orgid", "otlp-team"),), timeout=10) == b""

        url = server.otlp_url + "/v1/metrics"
        # JSON garbage: 400 with a JSON google.rpc.Status.
        status, body, headers = http_request(url, "POST", b'{"resourceMetrics": [ {"resource": 7', {
            "Content-Type": "application/json"})
        assert status == 400 and headers["Content-Type"].startswith("application/json")
        reply = json.loads(body)
        assert reply["code"] == 3 and reply["message"], reply
        status, body, _ = http_request(url, "POST", b'{"resourceMetrics": "not a list"}',
                                       {"Content-Type": "application/json"})
        assert status == 400 and "resourceMetrics" in json.loads(body)["message"], body
        # Protobuf garbage: 400 with a protobuf google.rpc.Status {code = 3, message}.
        status, body, headers = http_request(url, "POST", b"\x0a\xff\xff", {"Content-Type": "application/x-protobuf"})
        assert status == 400 and headers["Content-Type"] == "application/x-protobuf"
        fields = {n: v for n, _, v in pb_fields(body)}
        assert fields[1] == 3 and b"truncated" in fields[2], fields
        # Gzip that is not gzip, and an unsupported media type.
        status, _, _ = http_request(url, "POST", b"not gzip", {"Content-Type": "application/x-protobuf",
                                                               "Content-Encoding": "gzip"})
        assert status == 400
        status, body, _ = http_request(url, "POST", b"{}", {"Content-Type": "text/plain"})
        assert status == 415 and b"text/plain" in body
    finally:
        assert server.stop() == 0, server.log()[-4000:]
    # Only the one valid export was stored, under its tenant.
    assert list(rows_as_series(committed_rows(cardinalsin_bin, server.data_dir, "otlp-team"))) == [(("__name__", "g"),)]
    assert committed_rows(cardinalsin_bin, server.data_dir, "default") is None


def test_line_protocol_partial_write_and_precision(cardinalsin_bin, tmp_path):
    server = start_server(cardinalsin_bin, tmp_path, ["--flush-interval", "1h"])
    now_s = int(time.time()) - 60
    try:
        body = (f"good,host=a value=1.5 {now_s}000000000\n"
                f"bad,host=b value= {now_s}000000000\n"
                f"good,host=c value=2i,text=\"s\" {now_s}000000000\n").encode()
        status, reply, _ = http_request(server.url + "/api/v2/write", "POST", body)
        assert status == 400, reply
        message = json.loads(reply)
        assert message["code"] == "invalid"
        assert message["message"].startswith("partial write: accepted 2 samples (2 series); rejected 2 samples")
        assert "line 2" in message["message"] and 'field "text" is a string' in message["message"], message

        # precision=s on /api/v2/write, precision=ms on the 1.x /write, default ns.
        assert http_request(server.url + f"/api/v2/write?precision=s", "POST",
                            f"prec,p=s v=1 {now_s}\n".encode())[0] == 204
        assert http_request(server.url + f"/write?precision=ms", "POST",
                            f"prec,p=ms v=2 {now_s * 1000 + 5}\n".encode())[0] == 204
        assert http_request(server.url + "/api/v2/write", "POST",
                            f"prec,p=ns v=3 {now_s * 10**9 + 7}\n".encode())[0] == 204
        assert http_request(server.url + "/write?precision=u", "POST",
                            f"prec,p=u v=4 {now_s * 10**6 + 9}\n".encode())[0] == 204
        # Names the 2.x endpoint does not know are 400 naming the parameter value.
        status, reply, _ = http_request(server.url + "/api/v2/write?precision=fortnight", "POST", b"x v=1\n")
        assert status == 400 and "fortnight" in json.loads(reply)["message"], reply
    finally:
        assert server.stop() == 0, server.log()[-4000:]
    ns = 10**9
    stored = rows_as_series(committed_rows(cardinalsin_bin, server.data_dir, "default"))
    assert stored == {
        (("__name__", "good_value"), ("host", "a")): [(now_s * ns, 1.5)],
        (("__name__", "good_value"), ("host", "c")): [(now_s * ns, 2.0)],
        (("__name__", "prec_v"), ("p", "s")): [(now_s * ns, 1.0)],
        (("__name__", "prec_v"), ("p", "ms")): [(now_s * ns + 5_000_000, 2.0)],
        (("__name__", "prec_v"), ("p", "ns")): [(now_s * ns + 7, 3.0)],
        (("__name__", "prec_v"), ("p", "u")): [(now_s * ns + 9_000, 4.0)],
    }
