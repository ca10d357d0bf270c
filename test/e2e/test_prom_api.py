"""The Prometheus HTTP API end to end (issue 6): known series written through remote write, half
committed in chunks and half still in the ingester buffer, then the requests Grafana's Prometheus
datasource sends (form-POST range queries with a step, label-values variable queries with
match[], series and label lookups, buildinfo / metadata probes, format_query) and the error
answers clients key on (errorType and HTTP status).

Only simple PromQL is used (selectors, sum by, rate), so the expected values are exact."""

import json
import time
import urllib.parse

import pytest

from ingest_util import (http_request, now_ms, pb_bytes, pb_varint, post_remote_write, remote_write,
                         snappy_block, start_server)

STEP_MS = 15_000
SAMPLES = 20
JOBS = ["api", "db"]
INSTANCES = ["a", "b"]


def dataset(base_ms: int):
    """http_requests_total{job, instance}: a counter rising by (index + 1) per 15 s sample;
    temperature_celsius{zone="eu"}: a gauge."""
    series = []
    for j, job in enumerate(JOBS):
        for i, instance in enumerate(INSTANCES):
            inc = 2 * j + i + 1
            labels = {"__name__": "http_requests_total", "job": job, "instance": instance}
            series.append((labels, [(base_ms + k * STEP_MS, float(k * inc)) for k in range(SAMPLES)]))
    series.append(({"__name__": "temperature_celsius", "zone": "eu"},
                   [(base_ms + k * STEP_MS, 20.0 + k / 4) for k in range(SAMPLES)]))
    return series


def api(url: str, path: str, params=None, method: str = "GET", tenant: str | None = None):
    """(status, parsed JSON body) of a GET with a query string or a form POST, as Grafana sends."""
    headers = {"X-Scope-OrgID": tenant} if tenant else {}
    encoded = urllib.parse.urlencode(params or [], doseq=True)
    if method == "POST":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        status, body, _ = http_request(url + path, "POST", encoded.encode(), headers)
    else:
        status, body, _ = http_request(url + path + ("?" + encoded if encoded else ""), method, None,
                                       headers)
    return status, (json.loads(body) if body else None)


def ok(url: str, path: str, params=None, method: str = "GET", tenant: str | None = None):
    status, body = api(url, path, params, method, tenant)
    assert status == 200, body
    assert body["status"] == "success", body
    return body["data"]


def seconds(ms: int):
    """A timestamp as the API encodes it (seconds, millisecond precision)."""
    return ms / 1000


@pytest.fixture(scope="module")
def loaded(cardinalsin_bin, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("prom_api")
    server = start_server(cardinalsin_bin, tmp_path, ["--flush-interval", "500ms"])
    # Samples end a little in the past, on a second boundary, so instant queries "now" see them.
    base = (now_ms() - SAMPLES * STEP_MS) // 1000 * 1000
    data = dataset(base)
    half = SAMPLES // 2
    first = [(labels, samples[:half]) for labels, samples in data]
    second = [(labels, samples[half:]) for labels, samples in data]
    assert remote_write(server.url, first)[0] == 204
    deadline = time.monotonic() + 20
    while True:
        status, body, _ = http_request(server.url + "/api/v1/sql", "POST",
                                       json.dumps({"query": "SELECT count(*) FROM metrics"}).encode(),
                                       {"Content-Type": "application/json"})
        assert status == 200, body
        if json.loads(body)["stats"]["chunks_total"] > 0:
            break
        assert time.monotonic() < deadline, "no chunk was committed"
        time.sleep(0.1)
    assert remote_write(server.url, second)[0] == 204  # stays unflushed for a while
    yield server, base, data
    assert server.stop() == 0


def test_grafana_probes(loaded):
    server, _, _ = loaded
    info = ok(server.url, "/api/v1/status/buildinfo")
    assert set(info) >= {"version", "revision", "branch", "buildUser", "buildDate", "goVersion"}
    assert info["version"]
    # Grafana's health check.
    data = ok(server.url, "/api/v1/query", {"query": "1+1", "time": "1700000000"})
    assert data == {"resultType": "scalar", "result": [1700000000, "2"]}
    # Nothing described these metrics: an empty object, not an error.
    assert ok(server.url, "/api/v1/metadata") == {}
    assert ok(server.url, "/api/v1/metadata", {"metric": "http_requests_total", "limit": "10"}) == {}
    assert ok(server.url, "/api/v1/query_exemplars", {"query": "http_requests_total", "start": "0",
                                                       "end": "10"}) == []
    assert ok(server.url, "/api/v1/rules") == {"groups": []}
    assert ok(server.url, "/api/v1/alerts") == {"alerts": []}
    targets = ok(server.url, "/api/v1/targets")
    assert targets["activeTargets"] == [] and targets["droppedTargets"] == []
    assert "startTime" in ok(server.url, "/api/v1/status/runtimeinfo")
    assert ok(server.url, "/api/v1/status/flags")["query.lookback-delta"] == "5m"


def test_format_and_parse_query(loaded):
    server, _, _ = loaded
    assert ok(server.url, "/api/v1/format_query",
              {"query": "sum(rate(http_requests_total{job='api'}[5m]))by(job)"}) == \
        'sum by (job) (rate(http_requests_total{job="api"}[5m]))'
    assert ok(server.url, "/api/v1/format_query", {"query": "up"}, method="POST") == "up"
    tree = ok(server.url, "/api/v1/parse_query", {"query": "sum by (job) (up)"})
    assert tree["type"] == "aggregation" and tree["op"] == "sum" and tree["grouping"] == ["job"]
    assert tree["expr"]["type"] == "vectorSelector" and tree["expr"]["name"] == "up"


def test_label_names_and_values(loaded):
    server, base, _ = loaded
    window = {"start": str(seconds(base - 60_000)), "end": str(seconds(base + SAMPLES * STEP_MS))}
    assert ok(server.url, "/api/v1/labels") == ["__name__", "instance", "job", "zone"]
    assert ok(server.url, "/api/v1/labels", [("match[]", "temperature_celsius"), *window.items()]) == \
        ["__name__", "zone"]
    assert ok(server.url, "/api/v1/label/__name__/values") == ["http_requests_total",
                                                              "temperature_celsius"]
    # Grafana's label_values(http_requests_total, job) and a chained variable.
    assert ok(server.url, "/api/v1/label/job/values",
              [("match[]", "http_requests_total"), *window.items()]) == JOBS
    assert ok(server.url, "/api/v1/label/instance/values",
              [("match[]", 'http_requests_total{job=~"api"}'), *window.items()], method="POST") == INSTANCES
    assert ok(server.url, "/api/v1/label/job/values", [("match[]", "temperature_celsius")]) == []
    assert ok(server.url, "/api/v1/label/nosuch/values") == []
    # limit truncates with a warning.
    status, body = api(server.url, "/api/v1/label/job/values", {"limit": "1"})
    assert status == 200 and len(body["data"]) == 1
    assert body["warnings"] == ["results truncated due to limit"]


def test_series(loaded):
    server, base, _ = loaded
    params = [("match[]", 'http_requests_total{instance="a"}'), ("match[]", "temperature_celsius"),
              ("start", str(seconds(base))), ("end", str(seconds(base + SAMPLES * STEP_MS)))]
    want = [{"__name__": "http_requests_total", "instance": "a", "job": job} for job in JOBS] + \
           [{"__name__": "temperature_celsius", "zone": "eu"}]
    assert ok(server.url, "/api/v1/series", params, method="POST") == want
    assert ok(server.url, "/api/v1/series", params) == want
    # A range after the last sample selects nothing.
    later = [("match[]", "temperature_celsius"), ("start", str(seconds(base + 10 * SAMPLES * STEP_MS))),
             ("end", str(seconds(base + 11 * SAMPLES * STEP_MS)))]
    assert ok(server.url, "/api/v1/series", later) == []


def test_instant_selector_reads_chunks_and_buffer(loaded):
    server, base, data = loaded
    last = base + (SAMPLES - 1) * STEP_MS
    result = ok(server.url, "/api/v1/query",
                {"query": 'http_requests_total{job="db"}', "time": str(seconds(last))})
    assert result["resultType"] == "vector"
    assert result["result"] == [
        {"metric": {"__name__": "http_requests_total", "instance": instance, "job": "db"},
         "value": [seconds(last), str(float((SAMPLES - 1) * (2 + i + 1))).removesuffix(".0")]}
        for i, instance in enumerate(INSTANCES)]
    # RFC 3339 time, and a sample from the committed half.
    mid = base + 3 * STEP_MS
    rfc = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(mid // 1000)) + "Z"
    result = ok(server.url, "/api/v1/query", {"query": "temperature_celsius", "time": rfc})
    assert result["result"] == [{"metric": {"__name__": "temperature_celsius", "zone": "eu"},
                                 "value": [seconds(mid), "20.75"]}]


def test_range_query_form_post(loaded):
    server, base, _ = loaded
    params = {"query": 'http_requests_total{job="api",instance="b"}', "start": str(seconds(base)),
              "end": str(seconds(base + (SAMPLES - 1) * STEP_MS)), "step": "15s"}
    result = ok(server.url, "/api/v1/query_range", params, method="POST")
    assert result["resultType"] == "matrix"
    assert result["result"] == [{
        "metric": {"__name__": "http_requests_total", "instance": "b", "job": "api"},
        "values": [[seconds(base + k * STEP_MS), str(2 * k)] for k in range(SAMPLES)]}]
    # The same with a float step and GET.
    assert ok(server.url, "/api/v1/query_range", {**params, "step": "15"}) == result


def test_range_query_sum_by_rate(loaded):
    server, base, _ = loaded
    start = base + 8 * STEP_MS
    end = base + (SAMPLES - 1) * STEP_MS
    params = {"query": "sum by (job) (rate(http_requests_total[1m]))", "start": str(seconds(start)),
              "end": str(seconds(end)), "step": "30s"}
    result = ok(server.url, "/api/v1/query_range", params, method="POST")
    assert result["resultType"] == "matrix"
    assert [s["metric"] for s in result["result"]] == [{"job": job} for job in JOBS]
    for j, series in enumerate(result["result"]):
        # Counters rising steadily: the per-second rate is exact inside the data (no resets, the
        # window well inside the samples), summed over the job's two instances.
        want = sum(2 * j + i + 1 for i in range(len(INSTANCES))) / (STEP_MS / 1000)
        times = [t for t, _ in series["values"]]
        assert times == [seconds(t) for t in range(start, end + 1, 30_000)]
        for _, value in series["values"]:
            assert float(value) == pytest.approx(want)


def test_tenants_are_separate(loaded):
    server, _, _ = loaded
    assert ok(server.url, "/api/v1/labels", tenant="other") == []
    assert ok(server.url, "/api/v1/query", {"query": "http_requests_total"}, tenant="other")["result"] == []
    status, body = api(server.url, "/api/v1/labels", tenant="../bad")
    assert status == 400 and body["errorType"] == "bad_data"


@pytest.mark.parametrize("path, params, message", [
    ("/api/v1/query_range", {"query": "up", "start": "x", "end": "1", "step": "1"},
     'invalid parameter "start": cannot parse "x" to a valid timestamp'),
    ("/api/v1/query_range", {"query": "up", "start": "10", "end": "1", "step": "1"},
     'invalid parameter "end": end timestamp must not be before start time'),
    ("/api/v1/query_range", {"query": "up", "start": "0", "end": "1", "step": "0"},
     'invalid parameter "step": zero or negative query resolution step widths are not accepted. '
     'Try a positive integer'),
    ("/api/v1/query_range", {"query": "up", "start": "0", "end": "100000", "step": "1"},
     "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query "
     "resolution (?step=XX)"),
    ("/api/v1/query", {"query": "up", "time": "yesterday"},
     "invalid parameter \"time\": Invalid time value for 'time': cannot parse \"yesterday\" to a "
     "valid timestamp"),
    ("/api/v1/series", {}, "no match[] parameter provided"),
])
def test_parameter_errors(loaded, path, params, message):
    server, _, _ = loaded
    for method in ("GET", "POST"):
        status, body = api(server.url, path, params, method=method)
        assert status == 400, body
        assert body == {"status": "error", "errorType": "bad_data", "error": message}


def test_query_errors(loaded):
    server, _, _ = loaded
    status, body = api(server.url, "/api/v1/query", {"query": "sum(rate(up[5m])"})
    assert status == 400 and body["errorType"] == "bad_data"
    assert body["error"].startswith('invalid parameter "query": ')
    status, body = api(server.url, "/api/v1/query_range",
                       {"query": "up[5m]", "start": "0", "end": "60", "step": "15"})
    assert status == 400 and body["errorType"] == "bad_data"
    status, body = api(server.url, "/api/v1/label/job/values", {"match[]": "{"})
    assert status == 400 and body["errorType"] == "bad_data"
    # Many-to-many matching fails in evaluation: 422 execution.
    status, body = api(server.url, "/api/v1/query",
                       {"query": "http_requests_total + on(job) http_requests_total"})
    assert status == 422, body
    assert body["errorType"] == "execution"
    status, _ = api(server.url, "/api/v1/query", {"query": "up"}, method="DELETE")
    assert status == 405


def test_metadata_from_remote_write_and_otlp(cardinalsin_bin, tmp_path):
    """Metric metadata sent by Prometheus (remote write 1.0 metadata-only requests) and OTLP
    descriptions/units reach /api/v1/metadata, per tenant, with limit and limit_per_metric."""
    server = start_server(cardinalsin_bin, tmp_path)
    try:
        def metadata(kind: int, family: str, help_text: str, unit: str = "") -> bytes:
            return pb_bytes(3, pb_varint(1, kind) + pb_bytes(2, family) + pb_bytes(4, help_text) +
                            pb_bytes(5, unit))
        body = (metadata(1, "http_requests_total", "Requests served.") +
                metadata(2, "node_load1", "1m load average.") +
                metadata(3, "request_duration_seconds", "Latency.", "seconds"))
        assert post_remote_write(server.url, snappy_block(body))[0] == 204
        # A later help text for the same family replaces the earlier one (one ingester keeps the
        # latest entry per family; several ingesters' distinct entries are all listed).
        assert post_remote_write(server.url, snappy_block(metadata(2, "node_load1", "Load, 1m.")))[0] == 204
        otlp = {"resourceMetrics": [{"resource": {"attributes": []}, "scopeMetrics": [{"metrics": [{
            "name": "queue.size", "description": "Jobs waiting.", "unit": "By",
            "gauge": {"dataPoints": [{"asDouble": 3, "timeUnixNano": str(now_ms() * 1_000_000)}]}}]}]}]}
        status, reply, _ = http_request(server.otlp_url + "/v1/metrics", "POST", json.dumps(otlp).encode(),
                                        {"Content-Type": "application/json", "X-Scope-OrgID": "team-b"})
        assert status == 200, reply

        want = {
            "http_requests_total": [{"type": "counter", "help": "Requests served.", "unit": ""}],
            "node_load1": [{"type": "gauge", "help": "Load, 1m.", "unit": ""}],
            "request_duration_seconds": [{"type": "histogram", "help": "Latency.", "unit": "seconds"}],
        }
        deadline = time.monotonic() + 20
        while (got := ok(server.url, "/api/v1/metadata")) != want:
            assert time.monotonic() < deadline, got
            time.sleep(0.2)
        assert ok(server.url, "/api/v1/metadata", {"metric": "node_load1"}) == {"node_load1": want["node_load1"]}
        assert len(ok(server.url, "/api/v1/metadata", {"limit": "2"})) == 2
        assert ok(server.url, "/api/v1/metadata", {"metric": "nonexistent"}) == {}
        deadline = time.monotonic() + 20
        while not (other := ok(server.url, "/api/v1/metadata", tenant="team-b")):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert other == {"queue_size_bytes": [{"type": "gauge", "help": "Jobs waiting.", "unit": "bytes"}]}
    finally:
        assert server.stop() == 0
    # After a restart the metadata is still there (it lives in the bucket).
    again = start_server(cardinalsin_bin, tmp_path, data_dir=server.data_dir)
    try:
        assert ok(again.url, "/api/v1/metadata", {"metric": "http_requests_total"}) == {
            "http_requests_total": want["http_requests_total"]}
    finally:
        assert again.stop() == 0
