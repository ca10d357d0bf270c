"""The OpenTelemetry Python SDK sends to CardinalSin over every OTLP transport, and what is stored
must be exactly the Prometheus translation of what the SDK sent (src/otlp/README.md,
src/otlp/naming.h; docs/format/otlp-translation.md once written):

- metric names: OTel name split at characters outside [a-zA-Z0-9:], unit suffix appended
  (`s` -> seconds, `By` -> bytes, `ms` -> milliseconds, `{annotation}` and `1` -> nothing),
  `_total` for monotonic sums, `_ratio` for gauges of unit `1`, `_bucket{le}`/`_sum`/`_count` for
  histograms (exponential ones converted to explicit cumulative buckets), `{quantile}`/`_sum`/
  `_count` for summaries;
- labels: every resource attribute and point attribute (point wins), names with invalid
  characters turned into `_`; `job` = service.namespace/service.name, `instance` =
  service.instance.id; non-string values rendered as text;
- cumulative temporality only: delta points are rejected with an OTLP partial success.

One SDK collection pair (two collections, so every series has two cumulative points) is sent to a
different tenant per transport (x-scope-orgid), and each tenant must hold exactly the expected
series. Expected names are written out by hand; label sets and values are computed from the
protobuf request the SDK's own encoder produced."""

import gzip
import math
import os
import time
from decimal import Decimal

import grpc
import pytest
from google.protobuf import json_format
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http import Compression as HttpCompression
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpExporter
from opentelemetry.metrics import Observation
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2 as svc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc as svc_grpc
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.sdk.metrics import (Counter, Histogram, MeterProvider, ObservableGauge, UpDownCounter)
from opentelemetry.sdk.metrics.export import AggregationTemporality, InMemoryMetricReader, MetricExportResult
from opentelemetry.sdk.metrics.view import (ExplicitBucketHistogramAggregation, ExponentialBucketHistogramAggregation,
                                            View)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.version import __version__ as sdk_version

from ingest_util import committed_rows, http_request, rows_as_series, start_server

# OTel name -> the Prometheus family the translation rules give (written by hand).
FAMILIES = {
    "app.requests": "app_requests_total",             # monotonic Sum, unit {request}: annotation only
    "queue.size": "queue_size_bytes",                 # non-monotonic Sum, unit By: no _total
    "cpu.utilization": "cpu_utilization_ratio",       # Gauge, unit 1: _ratio
    "http.server.duration": "http_server_duration_seconds",  # Histogram, unit s
    "rpc.client.latency": "rpc_client_latency_milliseconds",  # ExponentialHistogram, unit ms
    "rpc.server.latency": "rpc_server_latency_seconds",       # Summary (hand-built), unit s
}
BOUNDS = [0.005, 0.01, 0.1, 1.0, 2.5]


@pytest.fixture(autouse=True)
def clean_otel_env(monkeypatch):
    """The SDK and its exporters read OTEL_* (resource, temporality, endpoints) and proxy
    variables; the test states everything itself."""
    for name in list(os.environ):
        if name.startswith("OTEL_") or name.lower() in ("http_proxy", "https_proxy", "grpc_proxy", "all_proxy"):
            monkeypatch.delenv(name)


# ---------------------------------------------------------------------------------------------
# The translation, restated in Python


def format_float(x: float) -> str:
    """Go's strconv.FormatFloat(x, 'f', -1, 64)."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    text = format(Decimal(repr(x)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def label_name(key: str) -> str:
    out, prev = [], False
    for c in key:
        if c.isascii() and c.isalnum():
            out.append(c)
            prev = False
        elif not prev:
            out.append("_")
            prev = True
    name = "".join(out)
    return "key_" + name if name[0].isdigit() else name


def any_value_text(v: common_pb2.AnyValue) -> str:
    kind = v.WhichOneof("value")
    if kind == "string_value":
        return v.string_value
    if kind == "bool_value":
        return "true" if v.bool_value else "false"
    if kind == "int_value":
        return str(v.int_value)
    if kind == "double_value":
        return format_float(v.double_value)
    raise AssertionError(f"test uses no {kind} attributes")


def attrs(kvs) -> dict[str, str]:
    return {label_name(kv.key): any_value_text(kv.value) for kv in kvs}


def exp_boundary(index: int, scale: int) -> float:
    """base^index, base = 2^(2^-scale), computed as the server does (power of two times 2^(r/2^scale))."""
    if scale <= 0:
        return math.ldexp(1.0, index << -scale)
    per_octave = 1 << scale
    q, r = divmod(index, per_octave)
    return math.ldexp(2.0 ** (r / per_octave), q)


def expected_series(request: svc.ExportMetricsServiceRequest) -> dict[tuple, list[tuple[int, float]]]:
    """{sorted label pairs with __name__: [(time_unix_nano, value)]} for a request."""
    out: dict[tuple, list[tuple[int, float]]] = {}

    def emit(base: dict, name: str, t: int, value: float, extra: dict | None = None):
        labels = {**base, **(extra or {}), "__name__": name}
        key = tuple(sorted((k, v) for k, v in labels.items() if v != ""))
        out.setdefault(key, []).append((t, float(value)))

    for rm in request.resource_metrics:
        res = {kv.key: any_value_text(kv.value) for kv in rm.resource.attributes}
        res_labels = attrs(rm.resource.attributes)
        if "service.name" in res:
            namespace = res.get("service.namespace")
            res_labels["job"] = f"{namespace}/{res['service.name']}" if namespace is not None else res["service.name"]
        if "service.instance.id" in res:
            res_labels["instance"] = res["service.instance.id"]
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                family = FAMILIES[m.name]
                kind = m.WhichOneof("data")
                if kind in ("gauge", "sum"):
                    for p in getattr(m, kind).data_points:
                        v = p.as_double if p.WhichOneof("value") == "as_double" else p.as_int
                        emit({**res_labels, **attrs(p.attributes)}, family, p.time_unix_nano, v)
                elif kind == "histogram":
                    for p in m.histogram.data_points:
                        base = {**res_labels, **attrs(p.attributes)}
                        cumulative = 0
                        for bound, count in zip(p.explicit_bounds, p.bucket_counts):
                            cumulative += count
                            emit(base, family + "_bucket", p.time_unix_nano, cumulative, {"le": format_float(bound)})
                        emit(base, family + "_bucket", p.time_unix_nano, p.count, {"le": "+Inf"})
                        emit(base, family + "_sum", p.time_unix_nano, p.sum)
                        emit(base, family + "_count", p.time_unix_nano, p.count)
                elif kind == "exponential_histogram":
                    for p in m.exponential_histogram.data_points:
                        assert not any(p.negative.bucket_counts), "the test records no negative values"
                        base = {**res_labels, **attrs(p.attributes)}
                        cumulative = 0
                        if p.zero_count:
                            cumulative += p.zero_count
                            emit(base, family + "_bucket", p.time_unix_nano, cumulative,
                                 {"le": format_float(p.zero_threshold)})
                        for k, count in enumerate(p.positive.bucket_counts):
                            if count == 0:
                                continue  # empty buckets are not written
                            cumulative += count
                            bound = exp_boundary(p.positive.offset + k + 1, p.scale)
                            emit(base, family + "_bucket", p.time_unix_nano, cumulative, {"le": format_float(bound)})
                        emit(base, family + "_bucket", p.time_unix_nano, p.count, {"le": "+Inf"})
                        emit(base, family + "_sum", p.time_unix_nano, p.sum)
                        emit(base, family + "_count", p.time_unix_nano, p.count)
                elif kind == "summary":
                    for p in m.summary.data_points:
                        base = {**res_labels, **attrs(p.attributes)}
                        for q in p.quantile_values:
                            emit(base, family, p.time_unix_nano, q.value, {"quantile": format_float(q.quantile)})
                        emit(base, family + "_sum", p.time_unix_nano, p.sum)
                        emit(base, family + "_count", p.time_unix_nano, p.count)
                else:
                    raise AssertionError(kind)
    for samples in out.values():
        samples.sort()
    return out


def merge(*parts):
    out: dict[tuple, list] = {}
    for part in parts:
        for k, v in part.items():
            out.setdefault(k, []).extend(v)
    for v in out.values():
        v.sort()
    return out


# ---------------------------------------------------------------------------------------------
# Producing data with the SDK


RESOURCE = {
    "service.name": "checkout",
    "service.namespace": "shop",
    "service.instance.id": "pod-7",
    "deployment.environment": "e2e",
    "host.cpu.count": 4,
}


def produce(temporality: AggregationTemporality):
    """Two collections of the same instruments; returns the SDK's MetricsData of each."""
    reader = InMemoryMetricReader(preferred_temporality={
        Counter: temporality, UpDownCounter: temporality, Histogram: temporality, ObservableGauge: temporality})
    provider = MeterProvider(
        resource=Resource.create(RESOURCE),
        metric_readers=[reader],
        views=[
            View(instrument_name="http.server.duration", aggregation=ExplicitBucketHistogramAggregation(BOUNDS)),
            View(instrument_name="rpc.client.latency", aggregation=ExponentialBucketHistogramAggregation(max_size=160)),
        ])
    meter = provider.get_meter("e2e.ingest", "1.0")
    requests = meter.create_counter("app.requests", unit="{request}", description="requests served")
    queue = meter.create_up_down_counter("queue.size", unit="By")
    duration = meter.create_histogram("http.server.duration", unit="s")
    latency = meter.create_histogram("rpc.client.latency", unit="ms")
    cpu_values = iter([0.25, 0.75])
    meter.create_observable_gauge(
        "cpu.utilization", unit="1",
        callbacks=[lambda options: [Observation(next(cpu_values), {"cpu": 0, "cpu.mode": "user"})]])

    requests.add(3, {"http.method": "GET", "http.status_code": 200})
    requests.add(1, {"http.method": "POST", "http.status_code": 500, "retry": True})
    queue.add(1024, {"queue": "orders"})
    queue.add(-256, {"queue": "orders"})
    for v in (0.003, 0.007, 0.05, 0.05, 2.0, 7.5):
        duration.record(v, {"http.route": "/cart"})
    for v in (0.0, 1.0, 3.0, 17.0, 120.0, 121.0):
        latency.record(v, {"rpc.service": "Pay"})
    first = reader.get_metrics_data()
    requests.add(2, {"http.method": "GET", "http.status_code": 200})
    queue.add(-768, {"queue": "orders"})
    duration.record(0.5, {"http.route": "/cart"})
    latency.record(5000.0, {"rpc.service": "Pay"})
    second = reader.get_metrics_data()
    provider.shutdown()
    return [first, second]


def summary_request(t_ns: int) -> svc.ExportMetricsServiceRequest:
    """A Summary the SDK cannot produce, built with the opentelemetry-proto classes."""
    kv = lambda k, v: common_pb2.KeyValue(key=k, value=common_pb2.AnyValue(string_value=v))
    point = metrics_pb2.SummaryDataPoint(
        time_unix_nano=t_ns, count=10, sum=4.5, attributes=[kv("rpc.method", "Charge")],
        quantile_values=[metrics_pb2.SummaryDataPoint.ValueAtQuantile(quantile=q, value=v)
                         for q, v in ((0.0, 0.01), (0.5, 0.25), (0.99, 1.75), (1.0, 2.0))])
    metric = metrics_pb2.Metric(name="rpc.server.latency", unit="s",
                                summary=metrics_pb2.Summary(data_points=[point]))
    return svc.ExportMetricsServiceRequest(resource_metrics=[metrics_pb2.ResourceMetrics(
        resource={"attributes": [kv("service.name", "payments")]},
        scope_metrics=[metrics_pb2.ScopeMetrics(metrics=[metric])])])


def stored(binary, server, tenant):
    return rows_as_series(committed_rows(binary, server.data_dir, tenant))


def assert_same(got, want, what):
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    assert not missing and not extra, f"{what}: missing series {missing[:5]}, unexpected series {extra[:5]}"
    for key in want:
        assert got[key] == want[key], f"{what}: {key}: stored {got[key]}, expected {want[key]}"


# ---------------------------------------------------------------------------------------------


def test_otel_sdk_every_transport(cardinalsin_bin, tmp_path):
    data = produce(AggregationTemporality.CUMULATIVE)
    requests = [encode_metrics(d) for d in data]
    want = merge(*(expected_series(r) for r in requests))

    # Hand-checked facts about `want` (so the restated rules above cannot silently agree with a
    # wrong server): names, job/instance, attribute rendering, cumulative values.
    get_total = (("__name__", "app_requests_total"), ("deployment_environment", "e2e"), ("host_cpu_count", "4"),
                 ("http_method", "GET"), ("http_status_code", "200"), ("instance", "pod-7"), ("job", "shop/checkout"),
                 ("service_instance_id", "pod-7"), ("service_name", "checkout"), ("service_namespace", "shop"),
                 ("telemetry_sdk_language", "python"), ("telemetry_sdk_name", "opentelemetry"),
                 ("telemetry_sdk_version", sdk_version))
    assert [v for _, v in want[get_total]] == [3.0, 5.0]
    names = {dict(k)["__name__"] for k in want}
    assert names == {"app_requests_total", "queue_size_bytes", "cpu_utilization_ratio",
                     "http_server_duration_seconds_bucket", "http_server_duration_seconds_sum",
                     "http_server_duration_seconds_count", "rpc_client_latency_milliseconds_bucket",
                     "rpc_client_latency_milliseconds_sum", "rpc_client_latency_milliseconds_count"}
    by_name = lambda n: [v for k, v in want.items() if dict(k)["__name__"] == n]
    assert [v for _, v in by_name("queue_size_bytes")[0]] == [768.0, 0.0]
    assert [v for _, v in by_name("cpu_utilization_ratio")[0]] == [0.25, 0.75]
    assert [v for _, v in by_name("http_server_duration_seconds_count")[0]] == [6.0, 7.0]
    les = sorted(dict(k)["le"] for k in want if dict(k)["__name__"] == "http_server_duration_seconds_bucket")
    assert les == sorted(["0.005", "0.01", "0.1", "1", "2.5", "+Inf"])
    assert [v for _, v in by_name("rpc_client_latency_milliseconds_count")[0]] == [6.0, 7.0]
    # Exponential buckets are (lower, upper]: the recorded 1.0 lies in the bucket ending at
    # exactly 1, the recorded 0.0 in the zero bucket (le = zero_threshold = 0).
    exp_les = {dict(k)["le"]: v for k, v in want.items()
               if dict(k)["__name__"] == "rpc_client_latency_milliseconds_bucket"}
    assert [v for _, v in exp_les["0"]] == [1.0, 1.0] and [v for _, v in exp_les["1"]] == [2.0, 2.0]
    cpu_key = next(k for k in want if dict(k)["__name__"] == "cpu_utilization_ratio")
    assert dict(cpu_key)["cpu"] == "0" and dict(cpu_key)["cpu_mode"] == "user"

    server = start_server(cardinalsin_bin, tmp_path, ["--flush-interval", "1h"])
    try:
        # gRPC, plain and gzip.
        for tenant, compression in (("grpc", None), ("grpcgzip", grpc.Compression.Gzip)):
            exporter = GrpcExporter(endpoint=server.grpc_target, insecure=True, compression=compression,
                                    headers=(("x-scope-orgid", tenant),), timeout=10)
            for d in data:
                assert exporter.export(d) == MetricExportResult.SUCCESS, tenant
            exporter.shutdown()
        # OTLP/HTTP protobuf with gzip, on the OTLP/HTTP port.
        exporter = HttpExporter(endpoint=server.otlp_url + "/v1/metrics", compression=HttpCompression.Gzip,
                                headers={"X-Scope-OrgID": "http"}, timeout=10)
        for d in data:
            assert exporter.export(d) == MetricExportResult.SUCCESS
        exporter.shutdown()
        # OTLP/HTTP JSON (the SDK has no JSON exporter): the same requests through the protobuf
        # JSON mapping; the first plain with enum names, the second gzip-compressed with enums as
        # integers (as the OTLP spec asks of JSON senders).
        for r, compress in zip(requests, (False, True)):
            body = json_format.MessageToJson(r, use_integers_for_enums=compress).encode()
            headers = {"Content-Type": "application/json", "X-Scope-OrgID": "json"}
            if compress:
                body = gzip.compress(body)
                headers["Content-Encoding"] = "gzip"
            status, reply, reply_headers = http_request(server.otlp_url + "/v1/metrics", "POST", body, headers)
            assert (status, reply) == (200, b"{}"), reply
            assert reply_headers["Content-Type"].startswith("application/json")
        # A summary over gRPC with the generated stub.
        summary = summary_request(time.time_ns())
        with grpc.insecure_channel(server.grpc_target) as channel:
            reply = svc_grpc.MetricsServiceStub(channel).Export(summary, metadata=(("x-scope-orgid", "summary"),),
                                                                timeout=10)
        assert not reply.HasField("partial_success"), reply
    finally:
        assert server.stop() == 0, server.log()[-4000:]

    for tenant in ("grpc", "grpcgzip", "http", "json"):
        assert_same(stored(cardinalsin_bin, server, tenant), want, tenant)
    summary_want = expected_series(summary)
    assert {dict(k)["__name__"] for k in summary_want} == {
        "rpc_server_latency_seconds", "rpc_server_latency_seconds_sum", "rpc_server_latency_seconds_count"}
    assert sorted(dict(k).get("quantile") for k in summary_want if "quantile" in dict(k)) == ["0", "0.5", "0.99", "1"]
    assert all(dict(k)["job"] == "payments" and "instance" not in dict(k) for k in summary_want)
    assert_same(stored(cardinalsin_bin, server, "summary"), summary_want, "summary")


def test_delta_temporality_is_rejected_with_partial_success(cardinalsin_bin, tmp_path):
    data = produce(AggregationTemporality.DELTA)
    requests = [encode_metrics(d) for d in data]
    delta_points = sum(len(getattr(m, m.WhichOneof("data")).data_points)
                       for r in requests for rm in r.resource_metrics for sm in rm.scope_metrics for m in sm.metrics
                       if m.WhichOneof("data") != "gauge")
    gauge_only = svc.ExportMetricsServiceRequest()
    for r in requests:
        gauge_only.MergeFrom(r)
    for rm in gauge_only.resource_metrics:
        for sm in rm.scope_metrics:
            kept = [m for m in sm.metrics if m.WhichOneof("data") == "gauge"]
            del sm.metrics[:]
            sm.metrics.extend(kept)
    # First collection: 2 counter series + 1 up-down + 2 histograms; the second has no POST
    # counter point (delta: nothing recorded since the first).
    assert delta_points == 9

    server = start_server(cardinalsin_bin, tmp_path, ["--flush-interval", "1h"])
    try:
        # The raw gRPC answer: OK with partial_success naming the problem.
        with grpc.insecure_channel(server.grpc_target) as channel:
            stub = svc_grpc.MetricsServiceStub(channel)
            rejected = 0
            for r in requests:
                reply = stub.Export(r, metadata=(("x-scope-orgid", "rawgrpc"),), timeout=10)
                rejected += reply.partial_success.rejected_data_points
                assert "delta temporality is not supported" in reply.partial_success.error_message, reply
            assert rejected == delta_points
        # OTLP/HTTP protobuf: 200 with the partial success in the body.
        status, body, _ = http_request(server.otlp_url + "/v1/metrics", "POST", requests[0].SerializeToString(),
                                       {"Content-Type": "application/x-protobuf", "X-Scope-OrgID": "rawhttp"})
        assert status == 200
        reply = svc.ExportMetricsServiceResponse.FromString(body)
        assert reply.partial_success.rejected_data_points == 5
        assert "cumulative" in reply.partial_success.error_message
        # The SDK's own exporter configured for delta: the export "succeeds" (partial success is
        # not an error for the SDK) and only the gauge is stored.
        exporter = GrpcExporter(endpoint=server.grpc_target, insecure=True, headers=(("x-scope-orgid", "sdk"),),
                                preferred_temporality={Counter: AggregationTemporality.DELTA}, timeout=10)
        for d in data:
            assert exporter.export(d) == MetricExportResult.SUCCESS
        exporter.shutdown()
    finally:
        assert server.stop() == 0, server.log()[-4000:]
    want = expected_series(gauge_only)
    assert {dict(k)["__name__"] for k in want} == {"cpu_utilization_ratio"}
    for tenant in ("rawgrpc", "sdk"):
        assert_same(stored(cardinalsin_bin, server, tenant), want, tenant)
