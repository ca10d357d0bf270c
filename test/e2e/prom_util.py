"""Running Debian's Prometheus and node-exporter beside CardinalSin in end-to-end tests."""

import re
import subprocess
import time
from pathlib import Path

from ingest_util import LOOPBACK, http_get

PROMETHEUS = "/usr/bin/prometheus"
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"


METRIC_LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)')


def scrape_metrics(url: str) -> dict[str, float]:
    """Prometheus' own /metrics summed per metric name (labels dropped)."""
    status, body, _ = http_get(url + "/metrics")
    assert status == 200
    out: dict[str, float] = {}
    for line in body.decode().splitlines():
        m = METRIC_LINE.match(line)
        if m:
            out[m.group(1)] = out.get(m.group(1), 0.0) + float(m.group(3))
    return out


class Proc:
    def __init__(self, args, log_path: Path):
        self.log_path = log_path
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self, deadline_s=20) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=deadline_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"pid {self.proc.pid} ignored SIGTERM for {deadline_s}s")
        return self.proc.returncode


def wait_http_ok(url: str, proc: Proc, deadline_s=30):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        assert proc.proc.poll() is None, f"{url}: process exited:\n{proc.log()}"
        try:
            if http_get(url, timeout=1)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} not ready within {deadline_s}s:\n{proc.log()}")


def prometheus_config(node_port: int, prom_port: int, cs_url: str, scrape: bool) -> str:
    jobs = f"""
scrape_configs:
  - job_name: node
    static_configs: [{{targets: ["{LOOPBACK}:{node_port}"]}}]
  - job_name: prometheus
    static_configs: [{{targets: ["{LOOPBACK}:{prom_port}"]}}]
""" if scrape else "\nscrape_configs: []\n"
    return f"""
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
remote_write:
  - url: {cs_url}/api/v1/write
    queue_config: {{batch_send_deadline: 1s, max_samples_per_send: 2000}}
    metadata_config: {{send_interval: 5s}}
{jobs}"""


