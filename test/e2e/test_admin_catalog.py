"""`cardinalsin admin catalog show|verify` on catalogs written object by object with `admin store
put --create-only`, exactly as writers lay them out (docs/format/catalog.md), on the local default
store and on a real S3 server (Ceph RGW) when the harness is up."""

import json
import os

import pytest

HOUR_NS = 3_600_000_000_000
T0 = 1_764_000_000_000_000_000  # 2025-11-24T16:00:00Z


def log_key(tenant, seq):
    return f"{tenant}/_catalog/log/{seq:020d}.json"


def chunk(tenant, name, level=0, start=T0, size=3):
    return {
        "path": f"{tenant}/data/2025/11/24/16/{name}.parquet",
        "level": level,
        "min_time_ns": start,
        "max_time_ns": start + HOUR_NS - 1,
        "row_count": 100,
        "series_count": 4,
        "size_bytes": size,
        "min_metric": "cpu_seconds_total",
        "max_metric": "up",
        "labels": {"job": {"min": "api", "max": "web"}, "instance": {"min": "h1", "max": "h4"}},
        "created_at_ns": start + HOUR_NS,
    }


class Catalog:
    """Writes log entries and chunk objects through `admin store put`."""

    def __init__(self, run, env, tenant):
        self.run, self.env, self.tenant, self.seq = run, env, tenant, 0

    def commit(self, *actions, writer="e2e"):
        self.seq += 1
        entry = {"version": 1, "seq": self.seq, "writer": writer,
                 "committed_at_ns": T0 + self.seq, "actions": list(actions)}
        self.put(log_key(self.tenant, self.seq), json.dumps(entry).encode(), create_only=True)

    def put(self, key, body, create_only=False):
        args = ["admin", "store", "put", key, "-"] + (["--create-only"] if create_only else [])
        self.run(*args, input=body, env=self.env, check=0)

    def show(self, *extra):
        return self.run("admin", "catalog", "show", "--tenant", self.tenant, *extra, env=self.env)

    def show_json(self):
        proc = self.show("--json")
        assert proc.returncode == 0, proc.stderr.decode()
        return json.loads(proc.stdout)

    def verify(self, *extra):
        return self.run("admin", "catalog", "verify", *extra, env=self.env)


def exercise_show_and_verify(run, env, tenant):
    cat = Catalog(run, env, tenant)
    empty = cat.show_json()
    assert (empty["seq"], empty["chunks"], empty["watermarks"], empty["removed"]) == (0, [], {}, [])

    a, b, c = chunk(tenant, "a"), chunk(tenant, "b", start=T0 + HOUR_NS), chunk(tenant, "c", level=1)
    cat.commit({"add": a}, {"add": b}, {"watermark": {"writer": "ingester-1", "wal_seq": 41}})
    cat.commit({"add": c}, {"remove": {"path": a["path"], "removed_at_ns": T0 + 2}},
               {"watermark": {"writer": "ingester-1", "wal_seq": 99}})

    state = cat.show_json()
    assert state["seq"] == 2
    assert [ch["path"] for ch in state["chunks"]] == sorted([b["path"], c["path"]])
    assert next(ch for ch in state["chunks"] if ch["path"] == b["path"]) == b
    assert state["watermarks"] == {"ingester-1": 99}
    assert state["removed"] == [{"path": a["path"], "removed_at_ns": T0 + 2}]

    human = cat.show()
    assert human.returncode == 0, human.stderr.decode()
    text = human.stdout.decode()
    assert "seq:        2" in text and "chunks:     2 (L0: 1, L1: 1)" in text, text
    assert "rows:       200" in text and "ingester-1 = 99" in text, text
    assert b["path"] in text and c["path"] in text and a["path"] not in text.split("PATH")[1], text

    # Live chunks have no objects yet.
    bad = cat.verify("--tenant", tenant)
    assert bad.returncode == 1, bad.stdout.decode()
    out = bad.stdout.decode()
    assert f"missing (live, no object): {b['path']}" in out and c["path"] in out, out

    for ch in (a, b, c):
        cat.put(ch["path"], b"PAR")
    good = cat.verify("--tenant", tenant)
    assert good.returncode == 0, good.stdout.decode()
    assert f"awaiting gc (removed, object present): {a['path']}" in good.stdout.decode()

    stray = f"{tenant}/data/2025/11/24/16/stray.parquet"
    cat.put(stray, b"PAR")
    orphan = cat.verify("--tenant", tenant)
    assert orphan.returncode == 1
    assert f"orphan (object, not in catalog): {stray}" in orphan.stdout.decode()
    run("admin", "store", "rm", stray, env=env, check=0)
    return cat


def test_show_and_verify_on_local_store(run):
    exercise_show_and_verify(run, {}, "default")
    # Without --tenant, show uses --tenant-id and verify checks every tenant with a catalog.
    assert json.loads(run("admin", "catalog", "show", "--json", check=0).stdout)["seq"] == 2
    other = Catalog(run, {}, "team-b")
    other.commit({"add": chunk("team-b", "x")})
    both = run("admin", "catalog", "verify")
    assert both.returncode == 1  # team-b's chunk has no object
    out = both.stdout.decode()
    assert "tenant default: seq 2, 2 live chunks, 1 awaiting gc: OK" in out, out
    assert "tenant team-b: seq 1, 1 live chunks, 0 awaiting gc: PROBLEMS" in out, out
    other.put(chunk("team-b", "x")["path"], b"PAR")
    run("admin", "catalog", "verify", check=0)


def test_verify_with_no_catalogs(run):
    proc = run("admin", "catalog", "verify", check=0)
    assert "no catalogs" in proc.stdout.decode()


def test_corrupt_and_future_entries_are_reported(run):
    cat = Catalog(run, {}, "default")
    cat.commit({"add": chunk("default", "a")})
    cat.put(log_key("default", 2), b'{"version":1,"seq":2,"writer":"w"')
    proc = cat.show()
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert "DATA_LOSS" in err and log_key("default", 2) in err, err
    assert cat.verify("--tenant", "default").returncode == 1

    entry = {"version": 1, "seq": 2, "writer": "w", "committed_at_ns": 1,
             "actions": [{"teleport": {}}]}
    cat.put(log_key("default", 2), json.dumps(entry).encode())
    err = cat.show().stderr.decode()
    assert 'unknown action kind "teleport" in commit seq 2' in err, err

    cat.put(log_key("default", 2), json.dumps({"version": 9, "seq": 2}).encode())
    err = cat.show().stderr.decode()
    assert "format version 9" in err, err


def test_bad_tenant_is_rejected(run):
    proc = run("admin", "catalog", "show", "--tenant", "../etc")
    assert proc.returncode == 1
    assert "tenant id" in proc.stderr.decode()


def s3_env_or_skip():
    needed = ["CS_TEST_S3_ENDPOINT", "CS_TEST_S3_BUCKET", "CS_TEST_S3_ACCESS_KEY_ID",
              "CS_TEST_S3_SECRET_ACCESS_KEY"]
    if not all(os.environ.get(k) for k in needed):
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the S3 tests: CS_TEST_S3_* not set (is the RGW harness up?)")
        pytest.skip("no S3 server (run under scripts/test.sh, which starts Ceph RGW)")
    return {
        "CLOUD_PROVIDER": "aws",
        "S3_ENDPOINT": os.environ["CS_TEST_S3_ENDPOINT"],
        "STORAGE_CONTAINER": os.environ["CS_TEST_S3_BUCKET"],
        "S3_REGION": os.environ.get("CS_TEST_S3_REGION", "us-east-1"),
        "AWS_ACCESS_KEY_ID": os.environ["CS_TEST_S3_ACCESS_KEY_ID"],
        "AWS_SECRET_ACCESS_KEY": os.environ["CS_TEST_S3_SECRET_ACCESS_KEY"],
        "S3_IF_MATCH_ETAG": os.environ.get("CS_TEST_S3_ETAG_QUOTING", "quoted"),
    }


def test_show_and_verify_on_s3(run):
    env = s3_env_or_skip()
    tenant = f"e2e-catalog-{os.getpid()}"
    cat = exercise_show_and_verify(run, env, tenant)
    # A second writer racing for seq 2 loses the put-if-absent.
    key = log_key(tenant, cat.seq)
    again = run("admin", "store", "put", key, "-", "--create-only", input=b"{}", env=env)
    assert again.returncode == 1
    listing = run("admin", "store", "ls", "-r", f"{tenant}/", env=env, check=0).stdout.decode()
    for line in listing.splitlines():
        run("admin", "store", "rm", line.split()[-1], env=env, check=0)
