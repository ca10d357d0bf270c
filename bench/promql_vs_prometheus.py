"""Times PromQL through the Prometheus HTTP API of CardinalSin and of Prometheus, same data.

Called by bench/promql_vs_prometheus.sh (which builds, generates and loads the data and starts
both servers):

  promql_vs_prometheus.py --cardinalsin URL --prometheus URL --end-ns NS --hours H [--runs 20]

Every query runs the way its client sends it: dashboard panels as Grafana's POST form range
queries (the dashboards' 30-minute default and a 24-hour view), query-pack lines as instant
queries, TSBS-like queries at TSBS's ranges and steps, and the dashboard variables as
`label/<name>/values` and `series` lookups. Evaluation times sit 7 s off the 30-s sample grid
so no sample lies exactly on a window boundary (Prometheus 2.42 closes range windows on the
left, 3.x and CardinalSin open them). One warm-up per server, then --runs timed runs
alternating between the servers over keep-alive connections, timed until the whole body is
read. p99 is nearest-rank (with 20 runs, the slowest). Answers are compared (every series,
every point, 1e-6 relative) so the comparison is of equal work.
"""

import argparse
import http.client
import json
import math
import statistics
import sys
import time
import urllib.parse

F = 'run_id=~".*",service=~".*",tenant=~".*"'

# (group, name, expression, modes); modes: "instant" or "range:<range>:<step>".
PANEL_MODES = ("range:30m:10s", "range:24h:2m")
PACK_MODES = ("instant",)


def queries(run_id):
    panels = [
        ("ingest throughput", f"sum(rate(cardinalsin_ingester_write_rows_total{{{F}}}[1m]))"),
        ("query throughput", f'sum(rate(cardinalsin_query_requests_total{{result="ok",{F}}}[1m]))'),
        ("compaction backlog", f"max(cardinalsin_compaction_l0_pending_files{{{F}}})"),
        ("error pressure",
         f'sum(rate(cardinalsin_query_requests_total{{result="error",{F}}}[5m])) + '
         f'sum(rate(cardinalsin_ingester_wal_operations_total{{result="error",{F}}}[5m])) + '
         f'sum(rate(cardinalsin_metadata_cas_attempts_total{{result="conflict",{F}}}[5m]))'),
        ("write latency p95",
         f"histogram_quantile(0.95, sum(rate(cardinalsin_ingester_write_latency_seconds_bucket{{{F}}}[5m])) by (le))"),
        ("buffer fullness", f"max(cardinalsin_ingester_buffer_fullness_ratio{{{F}}})"),
        ("wal error rate", f'sum(rate(cardinalsin_ingester_wal_operations_total{{result="error",{F}}}[5m]))'),
        ("query latency p99",
         f"histogram_quantile(0.99, sum(rate(cardinalsin_query_latency_seconds_bucket{{{F}}}[5m])) by (le))"),
        ("query error rate", f'sum(rate(cardinalsin_query_requests_total{{result="error",{F}}}[5m]))'),
        ("cache hit ratio",
         f"sum(rate(cardinalsin_query_cache_hits_total{{{F}}}[5m])) / clamp_min(sum(rate(cardinalsin_query_cache_hits_total{{{F}}}[5m])) + "
         f"sum(rate(cardinalsin_query_cache_misses_total{{{F}}}[5m])), 1)"),
        ("scan throughput", f"sum(rate(cardinalsin_query_bytes_scanned_total{{{F}}}[5m]))"),
        ("compaction cycle p95",
         f"histogram_quantile(0.95, sum(rate(cardinalsin_compaction_cycle_duration_seconds_bucket{{{F}}}[5m])) by (le))"),
        ("cas conflicts", f'sum(rate(cardinalsin_metadata_cas_attempts_total{{result="conflict",{F}}}[5m]))'),
        ("lease error rate", f'sum(rate(cardinalsin_metadata_lease_operations_total{{result="error",{F}}}[5m]))'),
    ]
    r = f'run_id=~"{run_id}"'
    pack = [
        ("ingest_throughput_rps", f"sum(rate(cardinalsin_ingester_write_rows_total{{{r}}}[5m]))"),
        ("ingest_error_rps", f'sum(rate(cardinalsin_ingester_wal_operations_total{{result="error",{r}}}[5m]))'),
        ("query_latency_p99_seconds",
         f"histogram_quantile(0.99, sum(rate(cardinalsin_query_latency_seconds_bucket{{{r}}}[5m])) by (le))"),
        ("query_error_rps", f'sum(rate(cardinalsin_query_requests_total{{result="error",{r}}}[5m]))'),
        ("compaction_backlog_l0", f"max(cardinalsin_compaction_l0_pending_files{{{r}}})"),
        ("metadata_cas_conflict_rps", f'sum(rate(cardinalsin_metadata_cas_attempts_total{{result="conflict",{r}}}[5m]))'),
        ("cache_hit_ratio",
         f"sum(rate(cardinalsin_query_cache_hits_total{{{r}}}[5m])) / clamp_min(sum(rate(cardinalsin_query_cache_hits_total{{{r}}}[5m])) + "
         f"sum(rate(cardinalsin_query_cache_misses_total{{{r}}}[5m])), 1)"),
        ("ingest_rows_total", f"sum(increase(cardinalsin_ingester_write_rows_total{{{r}}}[24h]))"),
        ("query_errors_total", f'sum(increase(cardinalsin_query_requests_total{{result="error",{r}}}[24h]))'),
        ("compaction_jobs_total_by_result", f"sum by (result) (increase(cardinalsin_compaction_jobs_total{{{r}}}[24h]))"),
        ("metadata_cas_attempts_by_result",
         f"sum by (result) (increase(cardinalsin_metadata_cas_attempts_total{{{r}}}[24h]))"),
        ("max_l0_pending_24h", f"max_over_time(cardinalsin_compaction_l0_pending_files{{{r}}}[24h])"),
        ("split_actions_by_result", f"sum by (result) (increase(cardinalsin_split_actions_total{{{r}}}[24h]))"),
    ]
    eight = "|".join(str(h) for h in (1, 2, 3, 5, 8, 13, 21, 34))
    tsbs = [
        ("single-groupby-1-1-1", 'max by (hostname) (max_over_time(cpu_usage_user{hostname="host_42"}[1m]))',
         ("range:1h:1m",)),
        ("single-groupby-1-1-12", 'max by (hostname) (max_over_time(cpu_usage_user{hostname="host_42"}[1m]))',
         ("range:12h:1m",)),
        ("single-groupby-1-8-1",
         f'max by (hostname) (max_over_time(cpu_usage_user{{hostname=~"host_({eight})"}}[1m]))', ("range:1h:1m",)),
        ("double-groupby-1", "avg by (hostname) (avg_over_time(cpu_usage_user[1h]))", ("range:12h:1h",)),
        ("high-cpu-1", 'cpu_usage_user{hostname="host_42"} > 90', ("range:12h:1m",)),
        ("high-cpu-all", "cpu_usage_user > 90", ("range:1h:1m",)),
        ("lastpoint", "cpu_usage_user", ("instant",)),
        ("groupby-orderby-limit", "topk(5, max by (hostname) (max_over_time(cpu_usage_user[5m])))", ("instant",)),
        ("rate-by-region", "sum by (region) (rate(http_requests_total[5m]))", ("range:1h:15s", "range:24h:5m")),
        ("errors-ratio-by-service",
         "sum by (service) (rate(http_errors_total[5m])) / sum by (service) (rate(http_requests_total[5m]))",
         ("range:1h:15s",)),
        ("count-by-os", "count by (os) (mem_used_percent > 80)", ("range:1h:15s",)),
    ]
    out = [("dashboard panel", n, e, PANEL_MODES) for n, e in panels]
    out += [("query pack", n, e, PACK_MODES) for n, e in pack]
    out += [("TSBS-like", n, e, m) for n, e, m in tsbs]
    return out


def lookups(run_id):
    """The dashboards' variable queries and metric browser calls as Grafana sends them (GET, over
    the dashboards' 30-minute view)."""
    m = "cardinalsin_compaction_cycle_duration_seconds_count"
    return [
        ("variable run_id", "/api/v1/label/run_id/values", [("match[]", m)]),
        ("variable service", "/api/v1/label/service/values", [("match[]", m)]),
        ("variable tenant", "/api/v1/label/tenant/values", [("match[]", m)]),
        ("metric browser names", "/api/v1/label/__name__/values", []),
        ("series of a run", "/api/v1/series", [("match[]", f'cardinalsin_query_requests_total{{run_id="{run_id}"}}')]),
    ]


DURATIONS = {"s": 1, "m": 60, "h": 3600}


def seconds(d):
    return int(d[:-1]) * DURATIONS[d[-1]]


class Api:
    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.host, self.port = u.hostname, u.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=600)

    def call(self, method, path, params):
        """POST as a form (what Grafana's httpMethod POST sends for queries) or GET with a query string."""
        body = urllib.parse.urlencode(params)
        for attempt in range(2):
            try:
                if method == "POST":
                    self.conn.request("POST", path, body=body,
                                      headers={"Content-Type": "application/x-www-form-urlencoded"})
                else:
                    self.conn.request("GET", f"{path}?{body}")
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.HTTPException, ConnectionError):
                if attempt:
                    raise
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=600)
        if resp.status != 200:
            raise RuntimeError(f"{self.port}{path} {resp.status}: {data[:300]!r}")
        return data


def points(data):
    """{labels: [(t, v), ...]} from a query or query_range answer."""
    d = json.loads(data)["data"]
    out = {}
    if d["resultType"] == "scalar":
        return {"": [(d["result"][0], float(d["result"][1]))]}
    for s in d["result"]:
        key = json.dumps(s["metric"], sort_keys=True)
        vals = s.get("values") or ([s["value"]] if "value" in s else [])
        out[key] = [(t, float(v)) for t, v in vals]
    return out


def compare(a, b):
    """'' when equal within 1e-6 relative, else a short description."""
    if a.keys() != b.keys():
        return f"series {len(a)} vs {len(b)}"
    worst = 0.0
    for k in a:
        pa_, pb = a[k], b[k]
        if [t for t, _ in pa_] != [t for t, _ in pb]:
            return f"timestamps differ for {k[:80]}"
        for (_, x), (_, y) in zip(pa_, pb):
            if math.isnan(x) and math.isnan(y) or x == y:
                continue
            worst = max(worst, abs(x - y) / max(abs(x), abs(y)))
    return f"max rel diff {worst:.1e}" if worst > 1e-6 else ""


def percentile(times, p):
    s = sorted(times)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cardinalsin", required=True)
    ap.add_argument("--prometheus", required=True)
    ap.add_argument("--end-ns", type=int, required=True, help="last sample's time")
    ap.add_argument("--hours", type=float, required=True, help="hours of data")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--only", default="", help="comma-separated query names")
    args = ap.parse_args()

    end = args.end_ns // 10**9 + 7
    last_run = f"run-{math.ceil(args.hours):04d}"
    servers = {"cardinalsin": Api(args.cardinalsin), "prometheus": Api(args.prometheus)}
    only = set(filter(None, args.only.split(",")))
    print(f"# evaluation end = {end} (last sample + 7 s); {args.runs} timed runs per server after 1 warm-up, "
          f"alternating; query pack run_id = {last_run}", flush=True)
    print("| group | query | mode | CardinalSin p50 | p99 | Prometheus p50 | p99 | ratio p50 | answers |")
    print("|---|---|---|---|---|---|---|---|---|", flush=True)
    rows = []
    failures = 0

    def measure(group, name, mode, path, params, parse, method="POST"):
        nonlocal failures
        times = {k: [] for k in servers}
        bodies = {}
        try:
            for k, api in servers.items():
                bodies[k] = api.call(method, path, params)  # warm-up
            for _ in range(args.runs):
                for k, api in servers.items():
                    t0 = time.perf_counter()
                    api.call(method, path, params)
                    times[k].append(time.perf_counter() - t0)
        except RuntimeError as e:
            failures += 1
            print(f"| {group} | {name} | {mode} | ERROR {e} |||||", flush=True)
            return
        diff = compare(parse(bodies["cardinalsin"]), parse(bodies["prometheus"]))
        c, p = times["cardinalsin"], times["prometheus"]
        ratio = statistics.median(p) / statistics.median(c)
        rows.append((group, name, mode, c, p, ratio, diff))
        print(f"| {group} | {name} | {mode} | {statistics.median(c)*1e3:.1f} ms | {percentile(c, 99)*1e3:.1f} ms | "
              f"{statistics.median(p)*1e3:.1f} ms | {percentile(p, 99)*1e3:.1f} ms | {ratio:.2f} | "
              f"{diff or 'agree'} |", flush=True)

    for group, name, expr, modes in queries(last_run):
        if only and name not in only:
            continue
        for mode in modes:
            if mode == "instant":
                measure(group, name, mode, "/api/v1/query", {"query": expr, "time": end}, points)
                continue
            _, rng, step = mode.split(":")
            if seconds(rng) > args.hours * 3600:
                continue
            params = {"query": expr, "start": end - seconds(rng), "end": end, "step": seconds(step)}
            measure(group, name, f"{rng} step {step}", "/api/v1/query_range", params, points)

    def names(data):
        d = json.loads(data)["data"]
        return {json.dumps(x, sort_keys=True): [] for x in d}

    for name, path, params in lookups(last_run):
        if only and name not in only:
            continue
        measure("lookup", name, "30m", path, params + [("start", end - 1800), ("end", end)], names,
                method="GET")

    print()
    for group in dict.fromkeys(r[0] for r in rows):
        g = [r for r in rows if r[0] == group]
        geo = math.exp(sum(math.log(r[5]) for r in g) / len(g))
        worst_p99 = max(percentile(r[3], 99) for r in g)
        print(f"# {group}: {len(g)} measurements, CardinalSin faster in {sum(r[5] >= 1 for r in g)}, "
              f"geometric mean ratio {geo:.2f}, worst CardinalSin p99 {worst_p99*1e3:.1f} ms, "
              f"answers differ in {sum(bool(r[6]) for r in g)}", flush=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
