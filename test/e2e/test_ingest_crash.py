"""Crash safety of the write path, end to end: remote-write clients keep writing while the
server is SIGKILLed at random points and restarted on the same WAL and object store; at the end
every acknowledged sample must be committed, and the catalog must be consistent.

Runs once on the local object store and once on Ceph RGW (when test/harness/rgw.sh's
CS_TEST_S3_* environment is present, as in scripts/test.sh).

What is asserted, and why:
  * every sample of every batch is committed (every batch is eventually acknowledged, because
    writers retry until they get a 2xx), with the right value;
  * a raw duplicate (the same series and timestamp in two committed rows) exists only for a
    batch that had a failed attempt: a request the server stored but whose acknowledgement was
    lost to a kill is retried by the client and stored again, legitimately (query-time dedup
    handles it). A batch acknowledged at its first attempt must be stored exactly once: the WAL
    watermark in the catalog stops replay from re-committing rows a chunk already holds;
  * `admin catalog verify` reports nothing but orphans, and every orphan is a chunk uploaded by
    a flush that was killed before its catalog commit: its rows are all in live chunks too
    (they were replayed from the WAL and committed again).

The helpers here (writer threads, S3 reads, catalog checks) are shared with
test_ingest_two_ingesters.py.
"""

import dataclasses
import hashlib
import hmac
import http.client
import io
import json
import os
import random
import re
import shutil
import subprocess
import threading
import time
import urllib.parse
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ingest_util import catalog_snapshot, encode_write_request_v1, post_remote_write, snappy_block, start_server

# --------------------------------------------------------------------------------------------
# Object store access from the test: the local store's files, or S3 with SigV4.


class LocalStore:
    kind = "local"

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.root = data_dir / "cardinalsin-data"

    def server_args(self):
        return ["--data-dir", str(self.data_dir)]

    def env(self):
        return {}

    def list(self, prefix: str):
        base = self.root / prefix
        if not base.exists():
            return []
        return sorted(str(p.relative_to(self.root)) for p in base.rglob("*") if p.is_file())

    def get(self, key: str) -> bytes:
        return (self.root / key).read_bytes()


class S3Store:
    kind = "rgw"

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir  # only for --data-dir (unused by the S3 store)
        self.endpoint = os.environ["CS_TEST_S3_ENDPOINT"].rstrip("/")
        self.bucket = os.environ["CS_TEST_S3_BUCKET"]
        self.region = os.environ.get("CS_TEST_S3_REGION") or "us-east-1"
        self.key_id = os.environ["CS_TEST_S3_ACCESS_KEY_ID"]
        self.secret = os.environ["CS_TEST_S3_SECRET_ACCESS_KEY"]
        self.etag_quoting = os.environ.get("CS_TEST_S3_ETAG_QUOTING") or "quoted"

    def server_args(self):
        return ["--data-dir", str(self.data_dir)]

    def env(self):
        return {
            "CLOUD_PROVIDER": "aws",
            "S3_ENDPOINT": self.endpoint,
            "STORAGE_CONTAINER": self.bucket,
            "S3_REGION": self.region,
            "AWS_ACCESS_KEY_ID": self.key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret,
            "S3_URL_STYLE": "path",
            "S3_IF_MATCH_ETAG": self.etag_quoting,
        }

    def _request(self, method: str, key: str, query: dict):
        u = urllib.parse.urlsplit(self.endpoint)
        path = "/" + self.bucket + ("/" + urllib.parse.quote(key, safe="/~") if key else "")
        canonical_query = "&".join(
            f"{urllib.parse.quote(k, safe='~')}={urllib.parse.quote(str(v), safe='~')}" for k, v in sorted(query.items()))
        now = time.gmtime()
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", now)
        day = amz_date[:8]
        payload_hash = hashlib.sha256(b"").hexdigest()
        headers = {"host": u.netloc, "x-amz-content-sha256": payload_hash, "x-amz-date": amz_date}
        signed = ";".join(sorted(headers))
        canonical = "\n".join([method, path, canonical_query,
                               "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)), signed, payload_hash])
        scope = f"{day}/{self.region}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        key_bytes = ("AWS4" + self.secret).encode()
        for part in (day, self.region, "s3", "aws4_request"):
            key_bytes = hmac.new(key_bytes, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key_bytes, to_sign.encode(), hashlib.sha256).hexdigest()
        headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={self.key_id}/{scope}, "
                                    f"SignedHeaders={signed}, Signature={signature}")
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        try:
            conn.request(method, path + ("?" + canonical_query if canonical_query else ""), headers=headers)
            resp = conn.getresponse()
            body = resp.read()
        finally:
            conn.close()
        assert resp.status == 200, (method, key, query, resp.status, body[:500])
        return body

    def list(self, prefix: str):
        keys, token = [], None
        while True:
            query = {"list-type": "2", "prefix": prefix}
            if token:
                query["continuation-token"] = token
            body = self._request("GET", "", query).decode()
            keys += re.findall(r"<Key>(.*?)</Key>", body)
            m = re.search(r"<NextContinuationToken>(.*?)</NextContinuationToken>", body)
            if "<IsTruncated>true</IsTruncated>" not in body or not m:
                return sorted(keys)
            token = m.group(1)

    def get(self, key: str) -> bytes:
        return self._request("GET", key, {})


def rgw_available() -> bool:
    return bool(os.environ.get("CS_TEST_S3_ENDPOINT"))


SKIP_NO_RGW = ("CS_TEST_S3_ENDPOINT is unset: Ceph RGW is not running (scripts/test.sh starts it with "
               "test/harness/rgw.sh before the e2e tests; run `eval \"$(RGW_FAST=1 test/harness/rgw.sh start DIR)\"`)")

STORE_PARAMS = [
    pytest.param("local", id="local"),
    pytest.param("rgw", id="rgw", marks=pytest.mark.skipif(not rgw_available(), reason=SKIP_NO_RGW)),
]


def make_store(kind: str, tmp_path: Path):
    return LocalStore(tmp_path / "data") if kind == "local" else S3Store(tmp_path / "data")


def unique_tenant(prefix: str) -> str:
    """A tenant of its own, so that runs sharing one RGW bucket do not see each other."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# --------------------------------------------------------------------------------------------
# The server process.


class IngestServer:
    """One `cardinalsin server` (ingest_util.start_server: fresh ports each start) that keeps its
    WAL dir, object store and default tenant across kills and restarts."""

    def __init__(self, binary: str, workdir: Path, store, wal_dir: Path, tenant: str, extra=()):
        self.binary, self.workdir, self.store, self.wal_dir = os.path.abspath(binary), workdir, store, wal_dir
        self.tenant, self.extra = tenant, list(extra)
        self.handle = None
        self.url = None  # None while down: writers wait
        self.logs = []

    def start(self):
        self.handle = start_server(self.binary, self.workdir,
                                   ["--wal-dir", str(self.wal_dir), "--tenant-id", self.tenant, *self.extra],
                                   env=self.store.env(), data_dir=self.store.data_dir)
        self.logs.append(self.handle.log_path)
        self.url = self.handle.url

    def kill(self):
        self.url = None
        self.handle.kill()

    def terminate(self, deadline_s: float = 90) -> int:
        self.url = None
        return self.handle.stop(deadline_s)

    def log_text(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.logs if p.exists())

    def replay_counts(self):
        """(records replayed, records skipped as already committed) over every start."""
        found = re.findall(r"WAL replay done: (\d+) records replayed, (\d+) already committed", self.log_text())
        return sum(int(a) for a, _ in found), sum(int(b) for _, b in found)


# --------------------------------------------------------------------------------------------
# Writers: deterministic batches, every sample identified by (writer, batch, s, timestamp).

SERIES_PER_BATCH = 4
SAMPLES_PER_SERIES = 25
METRIC = "crash_test"


def sample_value(writer: int, batch: int, s: int, j: int) -> float:
    return float(writer * 1_000_000_000 + batch * 10_000 + s * 100 + j)


def batch_series(writer_name: str, writer: int, batch: int, base_ms: int):
    out = []
    for s in range(SERIES_PER_BATCH):
        labels = {"__name__": METRIC, "batch": str(batch), "s": str(s), "writer": writer_name}  # sorted
        out.append((labels, [(base_ms + j * 10, sample_value(writer, batch, s, j))
                             for j in range(SAMPLES_PER_SERIES)]))
    return out


@dataclasses.dataclass
class BatchRecord:
    attempts: int = 0
    failed_attempts: int = 0  # no 2xx: refused, connection error, timeout (maybe stored anyway)
    acked: bool = False


class Writer(threading.Thread):
    """Sends batch 0, 1, 2, ... to whichever server url `target()` returns, retrying each batch
    until it gets a 2xx; stops starting new batches once `stop_new` is set, and gives up on the
    current one at `give_up` (monotonic)."""

    def __init__(self, index: int, name: str, target, tenant: str, base_ms: int, stop_new: threading.Event,
                 give_up: float, seed: int):
        super().__init__(daemon=True, name=f"writer-{name}")
        self.index, self.writer_name, self.target, self.tenant = index, name, target, tenant
        self.base_ms, self.stop_new, self.give_up = base_ms, stop_new, give_up
        self.rng = random.Random(seed)
        self.batches: list[BatchRecord] = []
        self.errors: list[str] = []  # responses that must never happen (400, ...)
        self.failure_kinds = Counter()

    def run(self):
        batch = 0
        while not self.stop_new.is_set() and not self.errors:
            record = BatchRecord()
            self.batches.append(record)
            body = snappy_block(encode_write_request_v1(
                batch_series(self.writer_name, self.index, batch, self.base_ms + batch * 1000)))
            while not record.acked:
                if time.monotonic() > self.give_up:
                    self.errors.append(f"batch {batch}: not acknowledged before the deadline")
                    return
                url = self.target()
                if url is None:
                    time.sleep(0.02)
                    continue
                record.attempts += 1
                try:
                    status, text, _ = post_remote_write(url, body, tenant=self.tenant, timeout=10)
                except (OSError, http.client.HTTPException) as e:
                    record.failed_attempts += 1
                    self.failure_kinds[type(e).__name__] += 1
                    time.sleep(self.rng.uniform(0.01, 0.1))
                    continue
                if 200 <= status < 300:
                    record.acked = True
                elif status in (429, 500, 503):
                    record.failed_attempts += 1
                    self.failure_kinds[f"HTTP {status}"] += 1
                    time.sleep(self.rng.uniform(0.05, 0.2))
                else:
                    self.errors.append(f"batch {batch}: HTTP {status}: {text[:300]!r}")
                    return
            batch += 1


def expected_samples(writers):
    """{(writer, batch, s, ts_ns): value} for every batch the writers created."""
    out = {}
    for w in writers:
        for batch, _ in enumerate(w.batches):
            for labels, samples in batch_series(w.writer_name, w.index, batch, w.base_ms + batch * 1000):
                for ts_ms, value in samples:
                    out[(labels["writer"], labels["batch"], labels["s"], ts_ms * 1_000_000)] = value
    return out


def checksum(samples) -> str:
    h = hashlib.sha256()
    for key in sorted(samples):
        h.update(repr((key, samples[key])).encode())
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# Reading the committed state.


def admin(binary: str, store, tenant: str, *args, cwd: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CS_TEST_", "AWS_", "S3_"))}
    env.update(store.env())
    return subprocess.run([os.path.abspath(binary), "admin", *store.server_args(), "--tenant-id", tenant, "catalog", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def catalog_state(binary, store, tenant):
    return catalog_snapshot(binary, store.data_dir, tenant, store.env())


def catalog_verify(binary, store, tenant, cwd):
    """(exit code, lines naming problems by kind): {'orphan': [...], 'missing': [...], ...}."""
    proc = admin(binary, store, tenant, "verify", "--tenant", tenant, cwd=cwd)
    kinds = defaultdict(list)
    for line in proc.stdout.splitlines()[1:]:
        line = line.strip()
        m = re.match(r"(orphan|missing|awaiting gc|problem)\b[^:]*: (.*)", line)
        kinds[m.group(1) if m else "unparsed"].append(m.group(2) if m else line)
    return proc.returncode, proc.stdout + proc.stderr, kinds


def log_entries(store, tenant):
    """Every catalog log entry, decoded, in key order."""
    keys = [k for k in store.list(f"{tenant}/_catalog/log/") if k.endswith(".json")]
    return [(k, json.loads(store.get(k))) for k in keys]


def read_rows(store, paths):
    """Raw rows of the given chunks: {(writer, batch, s, ts_ns): [value, ...]}."""
    rows = defaultdict(list)
    for path in paths:
        table = pq.read_table(io.BytesIO(store.get(path)),
                              columns=["timestamp", "metric_name", "value", "writer", "batch", "s"])
        cols = {name: table.column(name).to_pylist() for name in ("metric_name", "value", "writer", "batch", "s")}
        ts = table.column("timestamp").cast("int64").to_pylist()
        for i in range(table.num_rows):
            assert cols["metric_name"][i] == METRIC, (path, cols["metric_name"][i])
            rows[(cols["writer"][i], cols["batch"][i], cols["s"][i], ts[i])].append(cols["value"][i])
    return rows


def check_rows_against(expected, rows, writers):
    """Asserts every expected sample is committed with its value, nothing else is, and raw
    duplicates belong only to batches that had a failed attempt. Returns the duplicate count."""
    missing = [k for k in expected if k not in rows]
    assert not missing, f"{len(missing)} acknowledged samples are not committed, e.g. {missing[:5]}"
    extra = [k for k in rows if k not in expected]
    assert not extra, f"{len(extra)} committed samples were never written, e.g. {extra[:5]}"
    wrong = [(k, v) for k, vs in rows.items() for v in vs if v != expected[k]]
    assert not wrong, f"{len(wrong)} committed values differ from what was written, e.g. {wrong[:5]}"
    dedup = {k: vs[0] for k, vs in rows.items()}
    assert checksum(dedup) == checksum(expected)

    retried = {(w.writer_name, str(b)) for w in writers for b, rec in enumerate(w.batches) if rec.failed_attempts}
    dups = {k: len(vs) for k, vs in rows.items() if len(vs) > 1}
    bad = [k for k in dups if (k[0], k[1]) not in retried]
    assert not bad, (f"{len(bad)} samples of batches acknowledged at their first attempt are committed more than "
                     f"once (replay re-committed rows below the watermark?), e.g. {bad[:5]}")
    return sum(n - 1 for n in dups.values())


# --------------------------------------------------------------------------------------------
# The crash test.

KILLS_MIN, KILLS_MAX = 4, 6
# When a kill happens after its random delay: at once ("random"), or as soon as a new chunk
# object appears ("upload": aims at the window between upload and catalog commit, which leaves an
# orphan) or a new catalog log entry appears ("commit": aims at the window between the commit and
# the WAL truncation, where replay must skip what the watermark covers).
KILL_MODES = ("random", "upload", "commit")


def wait_for_new_object(store, tenant: str, mode: str, deadline_s: float):
    prefix = f"{tenant}/data/" if mode == "upload" else f"{tenant}/_catalog/log/"
    suffix = ".parquet" if mode == "upload" else ".json"
    count = lambda: sum(1 for k in store.list(prefix) if k.endswith(suffix))  # noqa: E731
    before = count()
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline and count() == before:
        time.sleep(0.0005)


@pytest.mark.parametrize("store_kind", STORE_PARAMS)
def test_acknowledged_writes_survive_sigkill(cardinalsin_bin, tmp_path, store_kind):
    seed = int(os.environ.get("CS_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    print(f"seed {seed} (set CS_CRASH_SEED to repeat)")
    store = make_store(store_kind, tmp_path)
    tenant = unique_tenant("crash")
    server = IngestServer(cardinalsin_bin, tmp_path, store, tmp_path / "wal", tenant,
                          ["--flush-interval", "300ms", "--wal-sync-mode", "every_write", "--log-level", "info"])
    server.start()

    stop_new = threading.Event()
    started = time.monotonic()
    base_ms = int(time.time() * 1000) - 3_600_000
    writers = [Writer(i, f"w{i}", lambda: server.url, tenant, base_ms, stop_new, started + 120, seed + i)
               for i in range(3)]
    for w in writers:
        w.start()

    kills = rng.randint(KILLS_MIN, KILLS_MAX)
    modes = Counter()
    plan = list(KILL_MODES) + [rng.choice(KILL_MODES) for _ in range(kills - len(KILL_MODES))]
    rng.shuffle(plan)
    try:
        for mode in plan:
            modes[mode] += 1
            time.sleep(rng.uniform(0.3, 2.0))
            if mode != "random":
                wait_for_new_object(store, tenant, mode, deadline_s=3)
            server.kill()
            time.sleep(rng.uniform(0.0, 0.3))  # writers see refused connections meanwhile
            server.start()
        time.sleep(rng.uniform(0.5, 1.5))
    finally:
        stop_new.set()
        for w in writers:
            w.join(timeout=150)
    for w in writers:
        assert not w.errors, (w.writer_name, w.errors)
        assert not w.is_alive()
    assert server.terminate() == 0, server.log_text()[-4000:]
    run_s = time.monotonic() - started

    expected = expected_samples(writers)
    state = catalog_state(cardinalsin_bin, store, tenant)
    live = [c["path"] for c in state["chunks"]]
    rows = read_rows(store, live)
    raw_rows = sum(len(v) for v in rows.values())
    assert raw_rows == sum(c["row_count"] for c in state["chunks"])
    duplicates = check_rows_against(expected, rows, writers)

    code, report, kinds = catalog_verify(cardinalsin_bin, store, tenant, tmp_path)
    others = {k: v for k, v in kinds.items() if k != "orphan" and v}
    assert not others, f"catalog verify found more than orphans:\n{report}"
    orphans = kinds.get("orphan", [])
    assert code == (1 if orphans else 0), report
    # An orphan is a flush killed between upload and commit: its rows were in the WAL, so they
    # were replayed and committed again.
    orphan_rows = read_rows(store, orphans)
    lost = [k for k in orphan_rows if k not in rows]
    assert not lost, f"orphaned chunks hold rows that no live chunk has: {lost[:5]}"

    # The catalog is a gap-free log, and every commit of this single ingester carries a watermark.
    entries = log_entries(store, tenant)
    assert [e["seq"] for _, e in entries] == list(range(1, state["seq"] + 1))
    added = [a["add"]["path"] for _, e in entries for a in e["actions"] if "add" in a]
    assert sorted(added) == sorted(live) and len(set(added)) == len(added)
    node_ids = {e["writer"] for _, e in entries}
    # Watermark keys are "{ingester id}@{WAL incarnation}"; restarts keep the WAL, so one key.
    assert len(node_ids) == 1 and len(state["watermarks"]) == 1
    assert {key.split("@")[0] for key in state["watermarks"]} == node_ids

    replayed, skipped = server.replay_counts()
    attempts = sum(r.attempts for w in writers for r in w.batches)
    failed = sum(r.failed_attempts for w in writers for r in w.batches)
    failures = sum((w.failure_kinds for w in writers), Counter())
    print(f"[{store_kind}] {run_s:.1f}s, {kills} kills {dict(modes)}, {len(expected)} samples acked in "
          f"{sum(len(w.batches) for w in writers)} batches ({attempts} requests, {failed} failed: {dict(failures)}); "
          f"{state['seq']} commits, {len(live)} live chunks, {raw_rows} raw rows, {duplicates} raw duplicates "
          f"(retries of stored-but-unacked batches), {len(orphans)} orphans ({sum(len(v) for v in orphan_rows.values())} "
          f"rows, all also live); WAL replay: {replayed} records replayed, {skipped} skipped as committed")
    # The run must have exercised what it is about: kills that lost unflushed buffers (replayed
    # from the WAL) and flushes committed between kills.
    assert replayed > 0, "no kill found buffered rows to replay"
    assert state["seq"] >= 3, "too few flushes happened during the run"


def test_replaced_wal_with_stable_ingester_id_keeps_acknowledged_writes(cardinalsin_bin, tmp_path):
    store = LocalStore(tmp_path / "data")
    tenant = unique_tenant("walloss")
    server = IngestServer(cardinalsin_bin, tmp_path, store, tmp_path / "wal", tenant,
                          ["--ingester-id", "ingester-stable", "--flush-interval", "300ms"])
    now = int(time.time() * 1000)

    def write(name: str, n: int):
        for i in range(n):
            status, body, _ = post_remote_write(server.url, snappy_block(encode_write_request_v1(
                [({"__name__": METRIC, "phase": name, "i": str(i)}, [(now, float(i))])])), tenant=tenant)
            assert status == 204, body

    server.start()
    write("before", 20)
    assert server.terminate() == 0
    old_marks = catalog_state(cardinalsin_bin, store, tenant)["watermarks"]
    assert list(old_marks.values()) == [20] and list(old_marks)[0].startswith("ingester-stable@")
    shutil.rmtree(tmp_path / "wal")  # the WAL volume is replaced; the ingester id is configured
    server.start()
    write("after", 5)
    time.sleep(1.5)  # several flush attempts
    server.kill()
    server.start()
    assert server.terminate() == 0
    state = catalog_state(cardinalsin_bin, store, tenant)
    rows = sum(c["row_count"] for c in state["chunks"])
    warnings = [line for line in server.log_text().splitlines() if " warn " in line or "replay done" in line]
    assert rows == 25, f"{rows} rows committed, want 25; server log:\n" + "\n".join(warnings[-6:])
    # The new WAL numbered from 1 again under its own incarnation: two watermarks side by side.
    assert sorted(state["watermarks"].values()) == [5, 20], state["watermarks"]
