"""Two ingesters writing one tenant's catalog in one object store at the same time (the local
store shared through one --data-dir, or one Ceph RGW bucket), each with its own WAL and port.

Both flush every few hundred milliseconds, so their catalog commits race for the same sequence
numbers (put-if-absent; the loser refreshes and retries). After SIGTERM of both:
  * the log is gap-free: entries 1..seq, each decodable, seq == the state's seq;
  * every chunk either ingester committed is live exactly once (added by exactly one entry, of
    the writer that uploaded it), and nothing else is live;
  * both ingesters' watermarks are present, and each equals the WAL position its own WAL
    recorded as flushed at shutdown (so a restart would replay nothing and lose nothing);
  * every acknowledged sample is committed exactly once, with its value;
  * `admin catalog verify` is clean.
"""

import struct
import threading
import time
from collections import Counter

import pytest

from test_ingest_crash import (STORE_PARAMS, IngestServer, Writer, catalog_state, catalog_verify,
                               check_rows_against, expected_samples, log_entries, make_store, read_rows,
                               unique_tenant)

WRITE_SECONDS = 12


@pytest.mark.parametrize("store_kind", STORE_PARAMS)
def test_two_ingesters_share_one_catalog(cardinalsin_bin, tmp_path, store_kind):
    store = make_store(store_kind, tmp_path)
    tenant = unique_tenant("pair")
    servers = {}
    for name in ("ingester-a", "ingester-b"):
        servers[name] = IngestServer(cardinalsin_bin, tmp_path, store, tmp_path / f"wal-{name}", tenant,
                                     ["--ingester-id", name, "--flush-interval", "300ms",
                                      "--wal-sync-mode", "every_write"])
        servers[name].start()

    stop_new = threading.Event()
    started = time.monotonic()
    base_ms = int(time.time() * 1000) - 3_600_000
    # Two writers per ingester; writer names say which ingester they write to.
    writers = []
    for i, (name, server) in enumerate(sorted(servers.items()) * 2):
        writers.append(Writer(i, f"w{i}-{name[-1]}", lambda s=server: s.url, tenant, base_ms, stop_new,
                              started + 90, 1000 + i))
    for w in writers:
        w.start()
    time.sleep(WRITE_SECONDS)
    stop_new.set()
    for w in writers:
        w.join(timeout=100)
    for w in writers:
        assert not w.errors, (w.writer_name, w.errors)
        assert not w.is_alive()
    for name, server in servers.items():
        assert server.terminate() == 0, server.log_text()[-4000:]

    state = catalog_state(cardinalsin_bin, store, tenant)
    entries = log_entries(store, tenant)
    seqs = [e["seq"] for _, e in entries]
    assert seqs == list(range(1, state["seq"] + 1)), f"catalog log is not gap-free: {seqs}"
    for key, e in entries:
        assert key.endswith(f"{e['seq']:020d}.json"), (key, e["seq"])

    # Every chunk is added once, by the ingester that wrote it, and is live.
    live = {c["path"] for c in state["chunks"]}
    added_by = {}
    commits = Counter()
    for _, e in entries:
        assert e["writer"] in servers, e["writer"]
        commits[e["writer"]] += 1
        for action in e["actions"]:
            assert set(action) <= {"add", "watermark"}, action
            if "add" in action:
                path = action["add"]["path"]
                assert path not in added_by, f"{path} added twice: by {added_by[path]} and {e['writer']}"
                added_by[path] = e["writer"]
            else:
                # The watermark key is "{ingester id}@{WAL incarnation}".
                assert action["watermark"]["writer"].split("@")[0] == e["writer"], e
    assert set(added_by) == live
    assert set(commits) == set(servers), f"each ingester must have committed: {dict(commits)}"
    # How often the log switches writer: commits of the two really were interleaved.
    switches = sum(1 for (_, x), (_, y) in zip(entries, entries[1:]) if x["writer"] != y["writer"])
    assert switches >= 2, [e["writer"] for _, e in entries]

    # Watermarks: both present, each at the WAL position its ingester marked flushed.
    marks = {key.split("@")[0]: value for key, value in state["watermarks"].items()}
    assert len(marks) == len(state["watermarks"]) and set(marks) == set(servers), state["watermarks"]
    for name, server in servers.items():
        flushed = struct.unpack("<Q", (server.wal_dir / "flushed_seq").read_bytes()[:8])[0]
        assert marks[name] == flushed > 0, (name, marks[name], flushed)
        replayed, _ = server.replay_counts()
        assert replayed == 0

    rows = read_rows(store, sorted(live))
    assert sum(len(v) for v in rows.values()) == sum(c["row_count"] for c in state["chunks"])
    expected = expected_samples(writers)
    duplicates = check_rows_against(expected, rows, writers)
    failed = sum(r.failed_attempts for w in writers for r in w.batches)
    if failed == 0:
        assert duplicates == 0

    code, report, kinds = catalog_verify(cardinalsin_bin, store, tenant, tmp_path)
    assert code == 0 and not any(kinds.values()), report
    assert "OK" in report

    print(f"[{store_kind}] {time.monotonic() - started:.1f}s: {len(expected)} samples acked in "
          f"{sum(len(w.batches) for w in writers)} batches ({failed} failed attempts) by {len(writers)} writers; "
          f"{state['seq']} commits {dict(commits)} with {switches} writer switches, {len(live)} live chunks, watermarks {state['watermarks']}, "
          f"{duplicates} raw duplicates")
