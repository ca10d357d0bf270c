"""`/api/v1/sql` end to end: real processes, remote-write data, every result format read by real
clients (json, csv, pyarrow for arrow, ndjson), the contract's query pack, errors, and the split
deployment (`cardinalsin ingester` + `cardinalsin query` on one bucket), where the query node
finds the ingester's unflushed rows through the bucket's registry."""

import csv
import io
import json
import math
import time
import urllib.parse

import pyarrow as pa
import pyarrow.ipc
import pytest

from ingest_util import free_ports, http_request, now_ms, remote_write, start_server

METRICS = ["cpu_usage", "http_errors_total", "memory_used_bytes"]
HOSTS = ["host-a", "host-b", "host-c", "host-d"]
SAMPLES = 10


def dataset(base_ms: int):
    """Known samples: metric x host, SAMPLES per series one second apart, value = i + host index."""
    series = []
    for m, metric in enumerate(METRICS):
        for h, host in enumerate(HOSTS):
            labels = {"__name__": metric, "host": host, "job": "e2e"}
            series.append((labels, [(base_ms + i * 1000, float(i + h + 10 * m)) for i in range(SAMPLES)]))
    return series


def sql(url: str, query: str, fmt: str = "json", method: str = "POST", tenant: str | None = None):
    headers = {"X-Scope-OrgID": tenant} if tenant else {}
    if method == "POST":
        headers["Content-Type"] = "application/json"
        return http_request(url + "/api/v1/sql", "POST", json.dumps({"query": query, "format": fmt}).encode(),
                            headers)
    return http_request(url + "/api/v1/sql?" + urllib.parse.urlencode({"query": query, "format": fmt}),
                        "GET", None, headers)


def content_type(headers: dict) -> str:
    return {k.lower(): v for k, v in headers.items()}["content-type"]


def sql_json(url: str, query: str) -> dict:
    status, body, _ = sql(url, query)
    assert status == 200, body
    return json.loads(body)


@pytest.fixture
def loaded_server(cardinalsin_bin, tmp_path):
    """A server holding the dataset: half committed in chunks, half still in the ingester buffer."""
    server = start_server(cardinalsin_bin, tmp_path, ["--flush-interval", "500ms"])
    base = now_ms() - 60_000
    data = dataset(base)
    first, second = data[: len(data) // 2], data[len(data) // 2:]
    assert remote_write(server.url, first)[0] == 204
    deadline = time.monotonic() + 20
    while sql_json(server.url, "SELECT count(*) FROM metrics")["stats"]["chunks_total"] == 0:
        assert time.monotonic() < deadline, "no chunk was committed"
        time.sleep(0.1)
    assert remote_write(server.url, second)[0] == 204
    yield server, data
    assert server.stop() == 0


def expected_groups(data, key, agg):
    groups = {}
    for labels, samples in data:
        groups.setdefault(key(labels), []).extend(v for _, v in samples)
    return {k: agg(v) for k, v in groups.items()}


def test_json_results_match_the_written_samples(loaded_server):
    server, data = loaded_server
    total = len(METRICS) * len(HOSTS) * SAMPLES
    result = sql_json(server.url, "SELECT count(*) AS n FROM metrics")
    assert result["columns"] == ["n"] and result["data"] == [[total]]
    assert result["stats"]["rows_read"] == total and result["stats"]["bytes_read"] > 0

    rows = sql_json(server.url, "SELECT metric_name, host, sum(value) AS s, max(value) AS mx FROM metrics "
                                "GROUP BY 1, 2 ORDER BY metric_name, host")
    assert rows["columns"] == ["metric_name", "host", "s", "mx"]
    sums = expected_groups(data, lambda l: (l["__name__"], l["host"]), sum)
    maxes = expected_groups(data, lambda l: (l["__name__"], l["host"]), max)
    assert [(r[0], r[1]) for r in rows["data"]] == sorted(sums)
    for metric, host, s, mx in rows["data"]:
        assert s == sums[(metric, host)] and mx == maxes[(metric, host)]

    # Exact filters over committed and unflushed rows alike; timestamps are integer nanoseconds.
    picked = sql_json(server.url, "SELECT timestamp, value FROM metrics WHERE metric_name = 'http_errors_total' "
                                  "AND host = 'host-c' ORDER BY timestamp")
    want = [s for labels, s in data if labels["__name__"] == "http_errors_total" and labels["host"] == "host-c"][0]
    assert picked["data"] == [[t * 1_000_000, v] for t, v in want]


def test_query_pack_runs_unchanged(loaded_server):
    server, data = loaded_server
    pack = {
        "metric_recent_avg": "SELECT metric_name, avg(value) AS avg_value FROM metrics WHERE timestamp > now() - interval '5 minutes' GROUP BY metric_name ORDER BY avg_value DESC LIMIT 25",
        "metric_recent_p95": "SELECT metric_name, percentile_cont(0.95) WITHIN GROUP (ORDER BY value) AS p95_value FROM metrics WHERE timestamp > now() - interval '5 minutes' GROUP BY metric_name ORDER BY p95_value DESC LIMIT 25",
        "recent_error_like_signals": "SELECT timestamp, metric_name, value FROM metrics WHERE timestamp > now() - interval '5 minutes' AND metric_name LIKE '%error%' ORDER BY timestamp DESC LIMIT 200",
        "minute_rollup": "SELECT date_trunc('minute', timestamp) AS minute, metric_name, avg(value) AS avg_value FROM metrics WHERE timestamp > now() - interval '60 minutes' GROUP BY minute, metric_name ORDER BY minute DESC LIMIT 1000",
        "peak_values": "SELECT metric_name, max(value) AS max_value FROM metrics WHERE timestamp > now() - interval '24 hours' GROUP BY metric_name ORDER BY max_value DESC LIMIT 50",
        "signal_presence": "SELECT metric_name, count(*) AS samples FROM metrics WHERE timestamp > now() - interval '24 hours' GROUP BY metric_name ORDER BY samples DESC LIMIT 100",
    }
    results = {alias: sql_json(server.url, q) for alias, q in pack.items()}
    avgs = expected_groups(data, lambda l: l["__name__"], lambda v: sum(v) / len(v))
    got = {m: v for m, v in results["metric_recent_avg"]["data"]}
    assert got.keys() == avgs.keys() and all(math.isclose(got[m], avgs[m]) for m in avgs)
    assert [r[1] for r in results["metric_recent_avg"]["data"]] == sorted(got.values(), reverse=True)
    errors = results["recent_error_like_signals"]["data"]
    assert len(errors) == len(HOSTS) * SAMPLES and all(r[1] == "http_errors_total" for r in errors)
    assert [r[0] for r in errors] == sorted((r[0] for r in errors), reverse=True)
    assert {m: n for m, n in results["signal_presence"]["data"]} == {m: len(HOSTS) * SAMPLES for m in METRICS}
    peaks = expected_groups(data, lambda l: l["__name__"], max)
    assert {m: v for m, v in results["peak_values"]["data"]} == peaks
    p95 = {m: v for m, v in results["metric_recent_p95"]["data"]}
    assert p95.keys() == set(METRICS)
    rollup = results["minute_rollup"]["data"]
    assert {r[1] for r in rollup} == set(METRICS) and all(r[0] % 60_000_000_000 == 0 for r in rollup)


def test_csv_arrow_and_ndjson_agree_with_json(loaded_server):
    server, _ = loaded_server
    query = "SELECT timestamp, metric_name, host, value FROM metrics ORDER BY metric_name, host, timestamp"
    reference = sql_json(server.url, query)["data"]

    status, body, headers = sql(server.url, query, "arrow", method="GET")
    assert status == 200 and content_type(headers) == "application/vnd.apache.arrow.stream"
    table = pa.ipc.open_stream(body).read_all()
    assert table.column_names == ["timestamp", "metric_name", "host", "value"]
    assert pa.types.is_timestamp(table.schema.field("timestamp").type)
    arrow_rows = [list(row) for row in zip(table.column("timestamp").cast(pa.int64()).to_pylist(),
                                           table.column("metric_name").to_pylist(),
                                           table.column("host").to_pylist(), table.column("value").to_pylist())]
    assert arrow_rows == reference

    status, body, headers = sql(server.url, query, "csv")
    assert status == 200 and content_type(headers).startswith("text/csv")
    lines = list(csv.reader(io.StringIO(body.decode())))
    assert lines[0] == ["timestamp", "metric_name", "host", "value"]
    assert len(lines) == len(reference) + 1
    first_ts = reference[0][0]
    iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(first_ts // 1_000_000_000))
    assert lines[1][0].startswith(iso) and lines[1][0].endswith("Z")
    assert [l[1:3] for l in lines[1:]] == [[r[1], r[2]] for r in reference]
    assert [float(l[3]) for l in lines[1:]] == [r[3] for r in reference]

    status, body, _ = sql(server.url, query, "ndjson")
    assert status == 200
    objects = [json.loads(line) for line in body.decode().splitlines()]
    assert [[o["timestamp"], o["metric_name"], o["host"], o["value"]] for o in objects] == reference


@pytest.mark.parametrize("query, fragment", [
    ("SELCT * FORM nonexistent_table", "line 1, column 1"),
    ("SELECT nope FROM metrics", "nope"),
    ("SELECT * FROM nonexistent_table", "nonexistent_table"),
    ("SELECT avg(value FROM metrics", "line 1"),
])
def test_bad_queries_are_400_with_the_problem_named(loaded_server, query, fragment):
    server, _ = loaded_server
    status, body, _ = sql(server.url, query)
    assert status == 400, body
    assert fragment in json.loads(body)["error"]


def test_bad_format_and_empty_tables(loaded_server):
    server, _ = loaded_server
    status, body, _ = sql(server.url, "SELECT 1", "xml")
    assert (status, body) == (400, b"Invalid format. Use: json, arrow, or csv")
    empty = sql_json(server.url, "SELECT metric_name FROM metrics WHERE metric_name = 'absent'")
    assert empty["columns"] == ["metric_name"] and empty["data"] == []
    other_tenant = sql(server.url, "SELECT count(*) AS n FROM metrics", tenant="nobody")
    assert other_tenant[0] == 200 and json.loads(other_tenant[1])["data"] == [[0]]


def test_split_deployment_reads_unflushed_rows_through_the_registry(cardinalsin_bin, tmp_path):
    data_dir = tmp_path / "bucket"
    ingester = start_server(cardinalsin_bin, tmp_path, ["--flush-interval", "1h"], command="ingester",
                            data_dir=data_dir)
    query = start_server(cardinalsin_bin, tmp_path, command="query", data_dir=data_dir)
    try:
        data = dataset(now_ms() - 30_000)
        assert remote_write(ingester.url, data)[0] == 204
        # Nothing is committed (1 h flush interval): every row comes from the ingester's buffer.
        result = sql_json(query.url, "SELECT count(*) AS n FROM metrics")
        assert result["data"] == [[len(data) * SAMPLES]]
        assert result["stats"]["chunks_total"] == 0
        # A query node has no buffer of its own: writes there are refused, not lost.
        status, body, _ = remote_write(query.url, data[:1])
        assert status == 503 and b"ingester" in body
    finally:
        assert ingester.stop() == 0
    # After the ingester's shutdown flush the same rows come from chunks.
    result = sql_json(query.url, "SELECT count(*) AS n FROM metrics")
    assert result["data"] == [[len(data) * SAMPLES]] and result["stats"]["chunks_total"] >= 1
    assert query.stop() == 0


def test_query_limits_answer_422_naming_the_limit(cardinalsin_bin, tmp_path):
    server = start_server(cardinalsin_bin, tmp_path, ["--query-max-rows-scanned", "100",
                                                      "--query-max-result-rows", "5"])
    try:
        assert remote_write(server.url, dataset(now_ms() - 60_000))[0] == 204
        status, body, _ = sql(server.url, "SELECT count(*) FROM metrics")
        assert status == 422 and "100 rows" in json.loads(body)["error"], body
        status, body, _ = sql(server.url, "SELECT value FROM metrics WHERE host = 'host-a' AND "
                                          "metric_name = 'cpu_usage'")
        assert status == 422 and "5" in json.loads(body)["error"], body
        assert sql(server.url, "SELECT 1 AS one")[0] == 200
    finally:
        assert server.stop() == 0
