"""Queries racing ingest and flushes: many clients run SQL while a writer keeps appending and the
ingester keeps flushing (300 ms) - every answer must show each series as an exact, gap-free,
duplicate-free prefix of what was written, containing at least everything acknowledged before the
query started. Values are sequence numbers, so per series count(*) == max(value) proves both."""

import json
import threading
import time

from ingest_util import http_request, now_ms, remote_write, start_server

HOSTS = [f"host-{i}" for i in range(4)]
PER_BATCH = 50
RUN_SECONDS = 8
QUERY_THREADS = 6


def test_queries_during_ingest_and_flushes_see_exact_prefixes(cardinalsin_bin, tmp_path):
    server = start_server(cardinalsin_bin, tmp_path, ["--flush-interval", "300ms"])
    acked = {h: 0 for h in HOSTS}  # highest sequence number acknowledged per host
    acked_lock = threading.Lock()
    stop = threading.Event()
    failures: list[str] = []
    queries_done = [0]
    base_ms = now_ms() - 3_600_000

    def writer():
        seq = 0
        while not stop.is_set():
            series = []
            for h in HOSTS:
                samples = [(base_ms + (seq + i) * 10, float(seq + i + 1)) for i in range(PER_BATCH)]
                series.append(({"__name__": "conc", "host": h}, samples))
            status, body, _ = remote_write(server.url, series)
            if status != 204:
                failures.append(f"write got {status}: {body[:200]!r}")
                return
            seq += PER_BATCH
            with acked_lock:
                for h in HOSTS:
                    acked[h] = seq

    def querier(index: int):
        query = ("SELECT host, count(*) AS n, max(value) AS mx FROM metrics "
                 "WHERE metric_name = 'conc' GROUP BY host ORDER BY host")
        while not stop.is_set() and not failures:
            with acked_lock:
                floor = dict(acked)
            status, body, _ = http_request(server.url + "/api/v1/sql", "POST",
                                           json.dumps({"query": query}).encode(),
                                           {"Content-Type": "application/json"}, timeout=30)
            if status != 200:
                failures.append(f"query {index} got {status}: {body[:300]!r}")
                return
            rows = {r[0]: (r[1], r[2]) for r in json.loads(body)["data"]}
            for h in HOSTS:
                n, mx = rows.get(h, (0, 0))
                if n != (mx or 0):
                    failures.append(f"{h}: {n} rows but max value {mx} (duplicates or gaps)")
                elif n < floor[h]:
                    failures.append(f"{h}: {n} rows, but {floor[h]} were acknowledged before the query")
            queries_done[0] += 1

    threads = [threading.Thread(target=writer)]
    threads[0].start()
    # The `host` column exists once a row has it (an unknown column is an error, not NULLs).
    while acked[HOSTS[0]] == 0 and not failures:
        time.sleep(0.01)
    threads += [threading.Thread(target=querier, args=(i,)) for i in range(QUERY_THREADS)]
    for t in threads[1:]:
        t.start()
    time.sleep(RUN_SECONDS)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert not failures, "\n".join(failures[:10])
    assert queries_done[0] >= 2 * QUERY_THREADS, f"only {queries_done[0]} queries completed"
    commits = json.loads(http_request(server.url + "/api/v1/sql", "POST",
                                      json.dumps({"query": "SELECT count(*) FROM metrics"}).encode(),
                                      {"Content-Type": "application/json"})[1])["stats"]["chunks_total"]
    assert commits >= 3, f"only {commits} chunks: the run did not race flushes"
    print(f"{queries_done[0]} queries, {acked[HOSTS[0]]} samples per host, {commits} chunks")
    assert server.stop() == 0
