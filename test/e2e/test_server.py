"""`cardinalsin server` as a real process: liveness, readiness that checks the object store,
the contract's bodies and status codes, clean shutdown on SIGTERM."""

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


class Server:
    def __init__(self, binary, cwd, env=None, *extra):
        self.port = free_port()
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "S3_"))}
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [binary, "server", "--bind-address", "127.0.0.1", "--http-port", str(self.port),
             "--data-dir", str(cwd / "data"), *extra],
            cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_healthy(self, deadline_s=30):
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.proc.stderr.read().decode()}")
            try:
                if http_get(self.url + "/health", timeout=1)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("server not healthy in time")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture
def server_factory(cardinalsin_bin, tmp_path):
    servers = []

    def make(env=None, *extra):
        s = Server(cardinalsin_bin, tmp_path, env, *extra)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.stop()


def test_health_ready_and_unknown_routes(server_factory, tmp_path):
    s = server_factory()
    s.wait_healthy()
    status, body, headers = http_get(s.url + "/health")
    assert (status, body) == (200, b"OK")
    assert headers.get("Access-Control-Allow-Origin") == "*"
    assert http_get(s.url + "/ready")[:2] == (200, b"READY")
    status, body, _ = http_get(s.url + "/no/such/route")
    assert (status, body) == (404, b"")
    # The embedded default created its bucket folder under --data-dir.
    assert (tmp_path / "data" / "cardinalsin-data").is_dir()


def test_sigterm_stops_cleanly(server_factory):
    s = server_factory()
    s.wait_healthy()
    start = time.monotonic()
    assert s.stop() == 0
    assert time.monotonic() - start < 10


def test_ready_fails_when_object_store_unreachable(server_factory):
    dead = free_port()  # nothing listens here
    s = server_factory({"CLOUD_PROVIDER": "aws", "S3_ENDPOINT": f"http://127.0.0.1:{dead}",
                        "STORAGE_CONTAINER": "bucket", "AWS_ACCESS_KEY_ID": "k",
                        "AWS_SECRET_ACCESS_KEY": "s"})
    s.wait_healthy()
    status, body, _ = http_get(s.url + "/ready", timeout=60)
    assert status == 503
    assert body.decode().startswith("not ready: object store: ")
    assert http_get(s.url + "/health")[:2] == (200, b"OK")


def test_port_in_use_is_a_clear_startup_error(cardinalsin_bin, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [cardinalsin_bin, "server", "--bind-address", "127.0.0.1", "--http-port", str(port),
             "--data-dir", str(tmp_path / "data")],
            capture_output=True, timeout=30)
    assert proc.returncode == 1
    assert f"127.0.0.1:{port}" in proc.stderr.decode()


def test_second_server_on_a_data_dir_in_use_is_a_clear_startup_error(server_factory,
                                                                     cardinalsin_bin, tmp_path):
    first = server_factory({}, "--grpc-port", str(free_port()), "--otlp-http-port",
                           str(free_port()), "--flight-sql-port", str(free_port()))
    first.wait_healthy()
    proc = subprocess.run(
        [cardinalsin_bin, "server", "--bind-address", "127.0.0.1", "--http-port", str(free_port()),
         "--grpc-port", str(free_port()), "--otlp-http-port", str(free_port()),
         "--flight-sql-port", str(free_port()), "--data-dir", str(tmp_path / "data")],
        capture_output=True, timeout=30)
    # An error exit naming the lock, not a crash (a signal gives a negative returncode).
    assert proc.returncode == 1, proc.stderr.decode()
    assert "is in use" in proc.stderr.decode()
    assert http_get(first.url + "/health")[:2] == (200, b"OK")
