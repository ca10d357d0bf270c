"""Freshness probe for bench/ingest_e2e.sh: writes one line-protocol sample at a time to the
ingester and measures the time from the write's acknowledgement until the sample is visible in
the ingester's scan endpoint (what query nodes read). Prints p50/p99/max in milliseconds.

    python bench/freshness.py http://127.0.0.1:8081 200
"""

import sys
import time
import urllib.request

import pyarrow.ipc as ipc


def visible(base: str, metric: str, probe: str) -> bool:
    with urllib.request.urlopen(f"{base}/internal/v1/scan?metric={metric}", timeout=10) as response:
        table = ipc.open_stream(response.read()).read_all()
    return "i" in table.column_names and probe in table.column("i").to_pylist()


def main() -> None:
    base, count = sys.argv[1], int(sys.argv[2])
    metric = "freshness_probe_value"
    delays = []
    for i in range(count):
        body = f"freshness_probe,i={i} value={i}".encode()
        request = urllib.request.Request(f"{base}/api/v2/write", data=body, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 204, response.status
        acked = time.monotonic()
        while not visible(base, metric, str(i)):
            time.sleep(0.001)
        delays.append((time.monotonic() - acked) * 1000)
        time.sleep(0.05)
    delays.sort()
    p = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))]
    print(f"  {len(delays)} probes: p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms, max {delays[-1]:.1f} ms")


if __name__ == "__main__":
    main()
