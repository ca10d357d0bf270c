"""Differential test of `/api/v1/sql` against DuckDB over the very same chunks.

A server ingests a dataset by remote write (five metrics whose label sets differ, so some label
columns are absent from some chunks; NaN/+Inf/-Inf samples; label values repeated across
metrics; several flushes plus rows still buffered), is stopped with SIGTERM (committing the
rest) and restarted for querying. DuckDB reads the catalog's live chunks with
read_parquet(..., union_by_name=true) as `metrics`. A seeded generator (sql_diff_util.py; the
seed is printed and can be set with CS_SQL_DIFF_SEED, the count with CS_SQL_DIFF_QUERIES) makes
a few hundred queries that both engines run; every result must agree row by row (rules,
tolerances and intentional differences in sql_diff_util.py's docstring).
"""

import json
import math
import os
import random
import time

import duckdb
import pytest

from ingest_util import catalog_snapshot, http_request, now_ms, remote_write, start_server
from sql_diff_util import QueryGenerator, arrow_rows, Schema, compare_results, format_rows

DEFAULT_SEED = 20261124
DEFAULT_QUERIES = 400
STEP_MS = 30_000
SAMPLES = 720  # six hours per series; chunks above 8192 rows span several batches
FLUSH_MAX_ROWS = 8200
QUERY_TIMEOUT_S = 20

HOSTS = ["h1", "h2", "h3", "h4", "h5"]
REGIONS = {"h1": "eu", "h2": "us", "h3": "eu"}  # h4, h5 have no region label
LABELS = {
    "host": HOSTS,
    "region": ["eu", "us"],
    "env": ["prod", "staging"],
    "method": ["GET", "POST"],
    "status": ["200", "404", "500"],
    "dc": ["dc1", "dc2"],
    "sensor": ["s1", "s2", "s3"],
    "room": ["lab", "hall"],
}
METRICS = ["cpu_usage", "http_requests_total", "memory_bytes", "temperature", "errors_total"]


def series_list(base_ms: int):
    """[(labels, [(ts_ms, value)])] with deterministic values."""
    rng = random.Random(7)
    out = []

    def add(labels, value_fn):
        out.append((labels, [(base_ms + i * STEP_MS, value_fn(i)) for i in range(SAMPLES)]))

    for n, host in enumerate(HOSTS):
        labels = {"__name__": "cpu_usage", "host": host}
        if host in REGIONS:
            labels["region"] = REGIONS[host]
        if n % 2 == 0:
            labels["env"] = "prod"
        add(labels, lambda i, n=n: round(rng.uniform(0, 100), 3) + n)
    for host in HOSTS[:3]:
        for method in ["GET", "POST"]:
            for status in (["200", "500"] if method == "GET" else ["200", "404"]):
                labels = {"__name__": "http_requests_total", "host": host, "method": method, "status": status,
                          "region": REGIONS[host]}
                add(labels, lambda i: float(i * 7 + rng.randint(0, 5)))
    for host, dc in [("h1", "dc1"), ("h2", "dc1"), ("h4", "dc2")]:
        add({"__name__": "memory_bytes", "host": host, "dc": dc},
            lambda i: float(1_000_000_000 + rng.randint(0, 900_000_000)))
    for sensor, room in [("s1", "lab"), ("s2", "lab"), ("s3", "hall")]:
        def temp(i, sensor=sensor):
            if sensor == "s3" and i in (10, 50):
                return float("nan")
            if sensor == "s3" and i == 70:
                return float("inf")
            if sensor == "s2" and i == 90:
                return float("-inf")
            return round(rng.uniform(-20, 45), 2)
        add({"__name__": "temperature", "sensor": sensor, "room": room}, temp)
    for host in ["h2", "h5"]:
        add({"__name__": "errors_total", "host": host, "env": "staging"}, lambda i: float(i // 10))
    return out


def slice_batches(data, parts: int):
    """The samples (the same count in every series) cut by time into `parts` batches."""
    n = len(data[0][1])
    return [[(labels, samples[p * n // parts:(p + 1) * n // parts]) for labels, samples in data]
            for p in range(parts)]


def sql_json(url: str, query: str):
    status, body, _ = http_request(url + "/api/v1/sql", "POST", json.dumps({"query": query, "format": "json"}).encode(),
                                   {"Content-Type": "application/json"}, timeout=QUERY_TIMEOUT_S)
    return status, body


def chunks_total(url: str) -> int:
    status, body = sql_json(url, "SELECT count(*) FROM metrics")
    assert status == 200, body
    return json.loads(body)["stats"]["chunks_total"]


@pytest.fixture(scope="module")
def engines(cardinalsin_bin, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("sql_duckdb")
    base_ms = (now_ms() // 3_600_000 - 8) * 3_600_000 + 17 * 60_000  # not hour-aligned
    data = series_list(base_ms)
    total_rows = sum(len(s) for _, s in data)
    args = ["--flush-interval", "1h", "--flush-max-rows", str(FLUSH_MAX_ROWS)]
    server = start_server(cardinalsin_bin, tmp_path, args)
    try:
        # Per metric first (chunks with different label columns), then by time for all metrics.
        # A write that takes the buffer to FLUSH_MAX_ROWS flushes all of it; the test waits for
        # that chunk, so the chunks are the same on every run. The last batch stays buffered.
        writes = [[(l, s[: SAMPLES // 2]) for l, s in data if l["__name__"] == m] for m in METRICS]
        writes += slice_batches([(l, s[SAMPLES // 2:]) for l, s in data], 6)
        buffered = 0
        chunks = 0
        for batch in writes:
            assert remote_write(server.url, batch)[0] == 204
            buffered += sum(len(s) for _, s in batch)
            if buffered >= FLUSH_MAX_ROWS:
                chunks += 1
                buffered = 0
                deadline = time.monotonic() + 30
                while chunks_total(server.url) < chunks:
                    assert time.monotonic() < deadline, f"flush {chunks} did not happen"
                    time.sleep(0.05)
        assert buffered > 0
        status, body = sql_json(server.url, "SELECT count(*) FROM metrics")
        assert status == 200, body
        before = json.loads(body)
        assert before["data"] == [[total_rows]]
        chunks_before = before["stats"]["chunks_total"]
    finally:
        assert server.stop() == 0
    snap = catalog_snapshot(cardinalsin_bin, server.data_dir, "default")
    chunks = snap["chunks"]
    assert len(chunks) == chunks_before + 1 >= 3, (len(chunks), chunks_before)  # SIGTERM flushed the rest
    assert sum(c["row_count"] for c in chunks) == total_rows

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    files = [str(server.data_dir / "cardinalsin-data" / c["path"]) for c in chunks]
    # Timestamps become microsecond TIMESTAMPTZ, exact for this millisecond data: DuckDB has no
    # date_trunc for TIMESTAMPTZ_NS. Results are compared as integer nanoseconds either way.
    con.execute(f"CREATE TABLE metrics AS SELECT * REPLACE (timestamp::TIMESTAMPTZ AS timestamp) "
                f"FROM read_parquet({files!r}, union_by_name = true)")
    assert con.execute("SELECT count(*) FROM metrics").fetchall() == [(total_rows,)]

    server = start_server(cardinalsin_bin, tmp_path, [])
    schema = Schema(labels=LABELS, metrics=METRICS, start_ns=base_ms * 1_000_000,
                    end_ns=(base_ms + SAMPLES * STEP_MS) * 1_000_000)
    yield server, con, schema
    assert server.stop() == 0


BOTH_FAILED = "both engines rejected the query"


def run_one(server, con, q):
    """None when both engines agree, BOTH_FAILED when both reject the query, else a report."""
    try:
        status, body = sql_json(server.url, q.sql)
    except OSError as e:  # a timeout: the test fails, the remaining queries still run
        return f"cardinalsin: no answer: {e}\n" + server.log()[-2000:]
    try:
        duck_cols, duck_rows = arrow_rows(con.sql(q.sql).to_arrow_table())
        duck_error = None
    except duckdb.Error as e:
        duck_error = str(e)
    if status != 200 and duck_error is not None:
        return BOTH_FAILED
    if status != 200 or duck_error is not None:
        return (f"cardinalsin: HTTP {status} {body[:500].decode(errors='replace')}\n"
                f"duckdb: {duck_error or 'ok'}")
    result = json.loads(body)
    diff = compare_results(result["columns"], result["data"], duck_cols, duck_rows, q.ordered)
    if diff is None:
        return None
    return (f"{diff}\n--- cardinalsin ({len(result['data'])} rows):\n{format_rows(result['data'])}\n"
            f"--- duckdb ({len(duck_rows)} rows):\n{format_rows(duck_rows)}")


def test_generated_queries_match_duckdb(engines):
    server, con, schema = engines
    seed = int(os.environ.get("CS_SQL_DIFF_SEED", DEFAULT_SEED))
    count = int(os.environ.get("CS_SQL_DIFF_QUERIES", DEFAULT_QUERIES))
    print(f"sql diff: seed {seed}, {count} queries, data from {schema.start_ns} ns")
    gen = QueryGenerator(schema, seed)
    failures, rejected = [], []
    started = time.monotonic()
    for i in range(count):
        q = gen.query()
        report = run_one(server, con, q)
        if report is BOTH_FAILED:
            rejected.append(q.sql)
        elif report is not None:
            failures.append(f"query {i}: {q.sql}\n{report}")
    elapsed = time.monotonic() - started
    print(f"sql diff: {count - len(failures)} of {count} agreed ({len(rejected)} rejected by both) "
          f"in {elapsed:.1f}s")
    assert not failures, f"{len(failures)} of {count} queries disagree (seed {seed}):\n\n" + "\n\n".join(failures[:30])
    # Both engines rejecting a query is agreement, but the generator should make valid SQL.
    assert len(rejected) <= count // 50, "too many queries rejected by both engines:\n" + "\n".join(rejected[:10])
