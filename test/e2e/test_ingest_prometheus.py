"""A real Prometheus (Debian's 2.42) scrapes a real node-exporter and itself every second and
remote-writes to CardinalSin; afterwards every sample Prometheus stored must be in CardinalSin with
the same labels, the same millisecond timestamp and a bit-identical value.

Two views of Prometheus' storage are compared with CardinalSin's committed chunks:
- the query API (`{__name__=~".+"}[10m]`), which drops staleness markers and prints every NaN as
  "NaN": CardinalSin's samples minus its staleness markers (bits 0x7ff0000000000002) must equal
  it, values bit for bit except NaNs (NaN-ness only);
- remote read, which returns the raw samples: equal to CardinalSin's rows bit for bit, staleness
  markers and NaN payloads included, nothing extra on either side.
Stopping node-exporter before the end makes Prometheus write a staleness marker for each of its
series, so that class of samples is always exercised; the counts are printed."""

import json
import math
import os
import shutil
import struct
import time

import pytest

from ingest_util import (LOOPBACK, committed_rows, http_get, http_request, pb_bytes, pb_fields,
                         pb_varint, rows_as_series, snappy_block, snappy_uncompress, start_server)
from prom_util import NODE_EXPORTER, PROMETHEUS, ScrapingPrometheus

STALE_NAN_BITS = 0x7FF0000000000002
SCRAPE_WINDOW_S = 40

# CI installs both (scripts/install-deps.sh), so there a missing binary is a failure, not a skip.
pytestmark = pytest.mark.skipif(
    not (shutil.which(PROMETHEUS) and shutil.which(NODE_EXPORTER)) and os.environ.get("CI") != "true",
    reason="Debian's prometheus and prometheus-node-exporter are not installed (scripts/install-deps.sh installs them)")


def bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def go_float(text: str) -> float:
    """A value as Prometheus' API writes it (strconv.FormatFloat 'f', -1: round-trips exactly)."""
    return float(text.replace("Inf", "inf"))


def remote_read_all(prom_url: str, start_ms: int, end_ms: int) -> dict[tuple, list[tuple[int, int]]]:
    """Every raw sample Prometheus holds in [start_ms, end_ms], staleness markers included, through
    its remote-read API (prometheus.ReadRequest, SAMPLES response): {labels: [(ts_ns, value bits)]}."""
    matcher = pb_varint(1, 2) + pb_bytes(2, "__name__") + pb_bytes(3, ".+")  # type RE
    query = pb_varint(1, start_ms) + pb_varint(2, end_ms) + pb_bytes(3, matcher)
    request = pb_bytes(1, query) + pb_bytes(2, b"\x00")  # accepted_response_types: [SAMPLES]
    status, body, headers = http_request(
        prom_url + "/api/v1/read", "POST", snappy_block(request),
        {"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
         "X-Prometheus-Remote-Read-Version": "0.1.0"}, timeout=60)
    assert status == 200, body[:500]
    out: dict[tuple, list[tuple[int, int]]] = {}
    for number, _, result in pb_fields(snappy_uncompress(body)):
        assert number == 1  # ReadResponse.results
        for number, _, series in pb_fields(result):
            assert number == 1  # QueryResult.timeseries
            labels, samples = [], []
            for number, _, field in pb_fields(series):
                if number == 1:
                    label = {n: v.decode() for n, _, v in pb_fields(field)}
                    labels.append((label.get(1, ""), label.get(2, "")))
                elif number == 2:
                    sample = {n: v for n, _, v in pb_fields(field)}
                    value_bits = struct.unpack("<Q", sample.get(1, bytes(8)))[0]
                    ts = sample.get(2, 0)
                    ts = ts - (1 << 64) if ts >= 1 << 63 else ts
                    samples.append((ts * 1_000_000, value_bits))
            out[tuple(sorted(labels))] = samples
    return out


def test_prometheus_remote_write_matches_prometheus_storage(cardinalsin_bin, tmp_path):
    cs = start_server(cardinalsin_bin, tmp_path, ["--flush-interval", "5s"])
    prometheus = ScrapingPrometheus(tmp_path, cs.url)
    prom_url, prom, node = prometheus.url, prometheus.prom, prometheus.node
    try:
        started = time.time()
        time.sleep(SCRAPE_WINDOW_S)

        # End node-exporter: Prometheus' next failed scrape writes a staleness marker for each of
        # its series (Prometheus 2.42 writes none when a scrape job is removed by a reload). Then
        # stop all scraping with a reload, so the data stops changing, and let the queue drain.
        node.stop()
        time.sleep(3)
        prometheus.stop_scraping()
        time.sleep(1)
        m = prometheus.wait_remote_write_drained(deadline_s=20)
        assert m.get("prometheus_remote_storage_samples_failed_total", -1) == 0, m
        assert m["prometheus_remote_storage_samples_retried_total"] == 0, m
        # Metadata travels in requests without series (every 5 s): accepted too.
        assert m["prometheus_remote_storage_metadata_total"] > 0, m
        assert m["prometheus_remote_storage_metadata_failed_total"] == 0, m
        assert m["prometheus_remote_storage_metadata_retried_total"] == 0, m
        samples_sent = m["prometheus_remote_storage_samples_total"]

        end = time.time()
        status, body, _ = http_get(
            prom_url + f'/api/v1/query?query=%7B__name__%3D~%22.%2B%22%7D%5B10m%5D&time={end:.3f}', timeout=60)
        assert status == 200, body[:500]
        result = json.loads(body)["data"]["result"]
        raw = remote_read_all(prom_url, int(started * 1000) - 60_000, int(end * 1000) + 1000)
        assert prom.stop() == 0, prom.log()
    finally:
        prometheus.stop()
        cs_exit = cs.stop()
    assert cs_exit == 0, cs.log()[-4000:]

    expected: dict[tuple, list[tuple[int, float]]] = {}
    for series in result:
        key = tuple(sorted(series["metric"].items()))
        expected[key] = [(round(float(t) * 1000) * 1_000_000, go_float(v)) for t, v in series["values"]]
    stored = rows_as_series(committed_rows(cardinalsin_bin, cs.data_dir, "default"))

    compared_series = len(expected)
    compared_samples = sum(len(v) for v in expected.values())
    stale_markers = 0
    stale_by_series: dict[tuple, list[int]] = {}
    nan_samples = 0
    problems = []
    for key, samples in stored.items():
        non_stale = []
        for t, v in samples:
            if bits(v) == STALE_NAN_BITS:
                stale_markers += 1
                stale_by_series.setdefault(key, []).append(t)
            else:
                non_stale.append((t, v))
        want = expected.get(key)
        if want is None:
            # Only a series whose every sample is a staleness marker may be unknown to the API.
            if non_stale:
                problems.append(f"series {key} in CardinalSin but not in Prometheus ({len(non_stale)} samples)")
            continue
        if [t for t, _ in non_stale] != [t for t, _ in want]:
            problems.append(f"series {key}: timestamps differ: {len(non_stale)} stored vs {len(want)} in Prometheus")
            continue
        for (t, got), (_, exp) in zip(non_stale, want):
            if math.isnan(exp):
                nan_samples += 1
                # The API prints every NaN as "NaN", so only NaN-ness is comparable here.
                if not math.isnan(got):
                    problems.append(f"series {key} at {t}: stored {got!r}, Prometheus NaN")
            elif bits(got) != bits(exp):
                problems.append(f"series {key} at {t}: stored {got!r} ({bits(got):#x}), "
                                f"Prometheus {exp!r} ({bits(exp):#x})")
    for key in expected.keys() - stored.keys():
        problems.append(f"series {key} in Prometheus ({len(expected[key])} samples) but not in CardinalSin")
    assert not problems, f"{len(problems)} differences, first 20:\n" + "\n".join(problems[:20])

    # Bit for bit, staleness markers and NaN payloads included: Prometheus' raw samples through
    # remote read equal CardinalSin's rows.
    stored_bits = {k: [(t, bits(v)) for t, v in samples] for k, samples in stored.items()}
    raw_differences = [k for k in raw.keys() | stored_bits.keys() if raw.get(k) != stored_bits.get(k)]
    assert not raw_differences, (f"{len(raw_differences)} series differ from Prometheus' remote read, e.g. "
                                 f"{raw_differences[0]}: {raw.get(raw_differences[0])} vs "
                                 f"{stored_bits.get(raw_differences[0])}")
    raw_stale = sum(1 for samples in raw.values() for _, b in samples if b == STALE_NAN_BITS)
    raw_nan_bits = {b for samples in raw.values() for _, b in samples
                    if math.isnan(struct.unpack("<d", struct.pack("<Q", b))[0])}
    assert raw_stale == stale_markers

    total_rows = sum(len(v) for v in stored.values())
    print(f"\nPrometheus vs CardinalSin: {compared_series} series, {compared_samples} samples identical "
          f"({nan_samples} NaN); {stale_markers} staleness markers in CardinalSin; "
          f"{total_rows} rows stored; Prometheus reports {samples_sent:.0f} samples sent; remote read: "
          f"{len(raw)} series, {sum(len(v) for v in raw.values())} samples bit-identical "
          f"(NaN bit patterns {sorted(hex(b) for b in raw_nan_bits)})")
    # Sanity: the run really scraped node-exporter and Prometheus itself, about once a second.
    assert compared_series > 300
    assert compared_samples > compared_series * (SCRAPE_WINDOW_S // 2)
    jobs = {dict(k).get("job") for k in expected}
    assert jobs == {"node", "prometheus"}
    # Ending node-exporter ended each of its series with a staleness marker after its last real
    # sample; the series Prometheus synthesizes per scrape (up, scrape_*) go on (up = 0).
    synthetic = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                 "scrape_samples_post_metric_relabeling", "scrape_series_added"}
    node_series = [k for k in expected if dict(k)["job"] == "node" and dict(k)["__name__"] not in synthetic]
    assert len(node_series) > 200
    for key in node_series:
        assert key in stale_by_series, f"no staleness marker for {key}"
        assert max(stale_by_series[key]) > expected[key][-1][0], key
    up_node = (("__name__", "up"), ("instance", f"{LOOPBACK}:{prometheus.node_port}"), ("job", "node"))
    assert 1.0 in [v for _, v in expected[up_node]] and expected[up_node][-1][1] == 0.0
    # Every sample Prometheus sent arrived, once.
    assert total_rows == samples_sent
