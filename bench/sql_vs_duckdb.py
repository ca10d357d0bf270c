"""Times SQL queries against CardinalSin's /api/v1/sql and DuckDB over the same chunk files.

Called by bench/sql_vs_duckdb.sh (which builds, generates the data and starts the server):

  sql_vs_duckdb.py --url http://127.0.0.1:PORT --catalog catalog.json --store-dir DIR \
                   --end-ns NS [--runs 5]

`now()` in the query pack is replaced by a fixed TIMESTAMP literal (the last sample + 10 s) in
both engines, so the windows cover the data however long the run takes. CardinalSin is asked
for format=arrow over one keep-alive HTTP connection and timed until the whole body is read;
DuckDB is timed until the result is an Arrow table. Each query: one warm-up per engine, then
--runs timed runs; medians are reported. Results are checked to agree (row counts and the
first row's numbers within 1e-6 relative) so the comparison is of equal work.
"""

import argparse
import datetime
import http.client
import json
import math
import re
import statistics
import sys
import time
import urllib.parse

import duckdb
import pyarrow as pa


def queries(now):
    t = f"TIMESTAMP '{now}'"
    pack = [
        ("metric_recent_avg",
         f"SELECT metric_name, avg(value) AS avg_value FROM metrics WHERE timestamp > {t} - interval '5 minutes' GROUP BY metric_name ORDER BY avg_value DESC LIMIT 25"),
        ("metric_recent_p95",
         f"SELECT metric_name, percentile_cont(0.95) WITHIN GROUP (ORDER BY value) AS p95_value FROM metrics WHERE timestamp > {t} - interval '5 minutes' GROUP BY metric_name ORDER BY p95_value DESC LIMIT 25"),
        ("recent_error_like_signals",
         f"SELECT timestamp, metric_name, value FROM metrics WHERE timestamp > {t} - interval '5 minutes' AND metric_name LIKE '%error%' ORDER BY timestamp DESC, value DESC LIMIT 200"),
        ("minute_rollup",
         f"SELECT date_trunc('minute', timestamp) AS minute, metric_name, avg(value) AS avg_value FROM metrics WHERE timestamp > {t} - interval '60 minutes' GROUP BY minute, metric_name ORDER BY minute DESC, metric_name LIMIT 1000"),
        ("peak_values",
         f"SELECT metric_name, max(value) AS max_value FROM metrics WHERE timestamp > {t} - interval '24 hours' GROUP BY metric_name ORDER BY max_value DESC LIMIT 50"),
        ("signal_presence",
         f"SELECT metric_name, count(*) AS samples FROM metrics WHERE timestamp > {t} - interval '24 hours' GROUP BY metric_name ORDER BY samples DESC, metric_name LIMIT 100"),
    ]
    cpu5 = "('cpu_usage_user', 'cpu_usage_system', 'cpu_usage_idle', 'cpu_usage_iowait', 'mem_used_percent')"
    hosts8 = "(" + ", ".join(f"'host_{h}'" for h in (3, 17, 101, 256, 333, 512, 777, 901)) + ")"
    last_hour = f"timestamp >= {t} - interval '1 hour' AND timestamp < {t}"
    last_12h = f"timestamp >= {t} - interval '12 hours' AND timestamp < {t}"
    tsbs = [
        ("single-groupby-1-1-1",
         f"SELECT date_trunc('minute', timestamp) AS minute, max(value) AS max_value FROM metrics WHERE metric_name = 'cpu_usage_user' AND hostname = 'host_42' AND {last_hour} GROUP BY minute ORDER BY minute"),
        ("single-groupby-5-8-1",
         f"SELECT date_trunc('minute', timestamp) AS minute, metric_name, max(value) AS max_value FROM metrics WHERE metric_name IN {cpu5} AND hostname IN {hosts8} AND {last_hour} GROUP BY minute, metric_name ORDER BY minute, metric_name"),
        ("double-groupby-1",
         f"SELECT date_trunc('hour', timestamp) AS hour, hostname, avg(value) AS avg_value FROM metrics WHERE metric_name = 'cpu_usage_user' AND {last_12h} GROUP BY hour, hostname ORDER BY hour, hostname"),
        ("double-groupby-5",
         f"SELECT date_trunc('hour', timestamp) AS hour, hostname, metric_name, avg(value) AS avg_value FROM metrics WHERE metric_name IN {cpu5} AND {last_12h} GROUP BY hour, hostname, metric_name ORDER BY hour, hostname, metric_name"),
        ("groupby-orderby-limit",
         f"SELECT date_trunc('minute', timestamp) AS minute, max(value) AS max_value FROM metrics WHERE metric_name = 'cpu_usage_user' AND timestamp < {t} - interval '30 minutes' GROUP BY minute ORDER BY minute DESC LIMIT 5"),
        # DuckDB spells last_value-by-time as arg_max(value, timestamp).
        ("lastpoint",
         "SELECT hostname, metric_name, last_value(value) AS value, max(timestamp) AS ts FROM metrics GROUP BY hostname, metric_name ORDER BY hostname, metric_name",
         "SELECT hostname, metric_name, arg_max(value, timestamp) AS value, max(timestamp) AS ts FROM metrics GROUP BY hostname, metric_name ORDER BY hostname, metric_name"),
        ("high-cpu-1",
         f"SELECT timestamp, hostname, value FROM metrics WHERE metric_name = 'cpu_usage_user' AND value > 90 AND hostname = 'host_42' AND {last_12h} ORDER BY timestamp"),
        ("high-cpu-all",
         f"SELECT timestamp, hostname, value FROM metrics WHERE metric_name = 'cpu_usage_user' AND value > 90 AND {last_12h} ORDER BY timestamp, hostname"),
    ]
    return pack, tsbs


def selective_pair(now):
    t = f"TIMESTAMP '{now}'"
    agg = "count(*) AS n, avg(value) AS avg_value, max(value) AS max_value"
    selective = (f"SELECT {agg} FROM metrics WHERE metric_name = 'cpu_usage_user' AND hostname = 'host_42' "
                 f"AND timestamp >= {t} - interval '2 hours' AND timestamp < {t} - interval '1 hour'")
    full = f"SELECT {agg} FROM metrics"
    return selective, full


class CardinalSin:
    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
        self.last_stats = {}

    def raw(self, sql, fmt):
        body = json.dumps({"query": sql, "format": fmt})
        self.conn.request("POST", "/api/v1/sql", body=body, headers={"Content-Type": "application/json"})
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"CardinalSin {resp.status} for {sql!r}: {data[:500]!r}")
        self.last_stats = {k: v for k, v in resp.getheaders() if k.lower().startswith("x-cardinalsin")}
        return data

    def run(self, sql):
        return self.raw(sql, "arrow")

    @staticmethod
    def table(data):
        return pa.ipc.open_stream(data).read_all()


def duck_arrow(con, sql):
    """The whole result as a pyarrow Table (DuckDB 2 renamed fetch_arrow_table)."""
    rel = con.sql(sql)
    fetch = getattr(rel, "to_arrow_table", None) or rel.arrow
    return fetch()


def timed(fn, runs):
    fn()  # warm-up
    times = []
    out = None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def first_numbers(table):
    if table.num_rows == 0:
        return []
    row = table.slice(0, 1).to_pylist()[0]
    nums = []
    for v in row.values():
        if isinstance(v, bool) or v is None:
            continue
        if isinstance(v, (int, float)):
            nums.append(float(v))
        elif isinstance(v, datetime.datetime):
            nums.append(v.replace(tzinfo=datetime.timezone.utc).timestamp() if v.tzinfo is None else v.timestamp())
    return nums


def agree(a, b):
    if a.num_rows != b.num_rows:
        return f"rows {a.num_rows} vs {b.num_rows}"
    na, nb = first_numbers(a), first_numbers(b)
    if len(na) != len(nb):
        return f"first row {na} vs {nb}"
    for x, y in zip(na, nb):
        if not (math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-9) or (math.isnan(x) and math.isnan(y))):
            return f"first row {na} vs {nb}"
    return ""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--catalog", required=True, help="`cardinalsin admin catalog show --json` output")
    p.add_argument("--store-dir", required=True, help="directory the chunk paths are relative to")
    p.add_argument("--end-ns", type=int, required=True, help="last sample's time")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--only", default="", help="comma-separated query names")
    args = p.parse_args()

    with open(args.catalog) as f:
        state = json.load(f)
    chunks = state["chunks"]
    paths = [c["path"] for c in (chunks.values() if isinstance(chunks, dict) else chunks)]
    files = [f"{args.store_dir}/{p}" for p in sorted(paths)]
    now_dt = datetime.datetime.fromtimestamp(args.end_ns // 10**9 + 10, tz=datetime.timezone.utc)
    now = now_dt.strftime("%Y-%m-%d %H:%M:%S")

    duck = duckdb.connect()
    duck.execute("SET TimeZone = 'UTC'")
    file_list = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    duck.execute(f"CREATE VIEW metrics AS SELECT * FROM read_parquet([{file_list}])")
    threads = duck.execute("SELECT current_setting('threads')").fetchall()[0][0]
    print(f"# {len(files)} chunk files; now = {now} UTC; DuckDB {duckdb.__version__} threads={threads}; "
          f"{args.runs} timed runs after 1 warm-up, medians", flush=True)

    cs = CardinalSin(args.url)
    only = set(filter(None, args.only.split(",")))
    pack, tsbs = queries(now)
    rows = []
    failures = 0
    for group, qs in (("query pack", pack), ("TSBS-like", tsbs)):
        for q in qs:
            name, cs_sql = q[0], q[1]
            # DuckDB has no date_trunc for TIMESTAMPTZ_NS (how it reads our timestamp column).
            duck_sql = q[2] if len(q) > 2 else re.sub(r"date_trunc\('(\w+)', timestamp\)",
                                                      r"date_trunc('\1', timestamp::TIMESTAMPTZ)", cs_sql)
            if only and name not in only:
                continue
            cs_t, cs_body = timed(lambda: cs.run(cs_sql), args.runs)
            stats = cs.last_stats
            duck_t, duck_table = timed(lambda: duck_arrow(duck, duck_sql), args.runs)
            diff = agree(CardinalSin.table(cs_body), duck_table)
            if diff:
                failures += 1
            rows.append((group, name, cs_t, duck_t, duck_table.num_rows,
                         stats.get("X-CardinalSin-Rows-Read", "?"), diff))
            print(f"{name}: cardinalsin {cs_t*1e3:.1f} ms, duckdb {duck_t*1e3:.1f} ms, "
                  f"ratio {duck_t/cs_t:.2f}{'  MISMATCH ' + diff if diff else ''}", flush=True)

    print()
    print("| group | query | CardinalSin (ms) | DuckDB (ms) | ratio (DuckDB / CardinalSin) | result rows | rows read |")
    print("|---|---|---|---|---|---|---|")
    for group, name, cs_t, duck_t, n, read, diff in rows:
        mark = " (results differ: " + diff + ")" if diff else ""
        print(f"| {group} | {name} | {cs_t*1e3:.1f} | {duck_t*1e3:.1f} | {duck_t/cs_t:.2f}{mark} | {n} | {read} |")

    if not only or "selective" in only:
        selective, full = selective_pair(now)
        sel_t, sel_body = timed(lambda: cs.run(selective), args.runs)
        sel_stats = cs.last_stats
        full_t, full_body = timed(lambda: cs.run(full), args.runs)
        full_stats = cs.last_stats
        dsel_t, _ = timed(lambda: duck_arrow(duck, selective), args.runs)
        dfull_t, _ = timed(lambda: duck_arrow(duck, full), args.runs)
        print()
        print("| query | CardinalSin (ms) | rows read | DuckDB (ms) |")
        print("|---|---|---|---|")
        print(f"| one series, one hour | {sel_t*1e3:.2f} | {sel_stats.get('X-CardinalSin-Rows-Read', '?')} | {dsel_t*1e3:.1f} |")
        print(f"| full scan | {full_t*1e3:.1f} | {full_stats.get('X-CardinalSin-Rows-Read', '?')} | {dfull_t*1e3:.1f} |")
        print(f"| full / selective | {full_t/sel_t:.0f}x | | {dfull_t/dsel_t:.1f}x |")
        print(f"# selective: {CardinalSin.table(sel_body).to_pylist()}, full: {CardinalSin.table(full_body).to_pylist()}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
