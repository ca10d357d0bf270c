"""Running Debian's Prometheus and node-exporter beside CardinalSin in end-to-end tests."""

import re
import subprocess
import time
from pathlib import Path

from ingest_util import LOOPBACK, free_ports, http_get, http_request

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




class ScrapingPrometheus:
    """node-exporter, and a Prometheus that scrapes it and itself every second and remote-writes
    every sample to `cs_url`. Stop with stop()."""

    def __init__(self, tmp_path: Path, cs_url: str):
        self.cs_url = cs_url
        self.node_port, self.prom_port = free_ports(2)
        prom_dir = tmp_path / "prometheus"
        prom_dir.mkdir()
        self.config = prom_dir / "prometheus.yml"
        self.config.write_text(prometheus_config(self.node_port, self.prom_port, cs_url, scrape=True))
        self.url = f"http://{LOOPBACK}:{self.prom_port}"
        self.node = Proc([NODE_EXPORTER, f"--web.listen-address={LOOPBACK}:{self.node_port}"],
                         tmp_path / "node.log")
        self.prom = Proc([PROMETHEUS, f"--config.file={self.config}",
                          f"--storage.tsdb.path={prom_dir / 'data'}",
                          f"--web.listen-address={LOOPBACK}:{self.prom_port}", "--web.enable-lifecycle",
                          "--storage.remote.flush-deadline=1s"], tmp_path / "prometheus.log")
        try:
            wait_http_ok(f"http://{LOOPBACK}:{self.node_port}/metrics", self.node)
            wait_http_ok(self.url + "/-/ready", self.prom)
        except BaseException:
            self.stop()
            raise

    def stop_scraping(self):
        """Reloads Prometheus without scrape jobs, so its data stops changing."""
        self.config.write_text(prometheus_config(self.node_port, self.prom_port, self.cs_url, scrape=False))
        assert http_request(self.url + "/-/reload", "POST")[0] == 200

    def wait_remote_write_drained(self, deadline_s: float = 30) -> dict[str, float]:
        """Waits until the remote-write queue has sent everything; returns Prometheus' metrics."""
        deadline = time.monotonic() + deadline_s
        while True:
            m = scrape_metrics(self.url)
            if (m.get("prometheus_remote_storage_samples_pending", -1) == 0
                    and m.get("prometheus_remote_storage_queue_highest_sent_timestamp_seconds", 0)
                    >= m.get("prometheus_remote_storage_highest_timestamp_in_seconds", 1)):
                return m
            assert time.monotonic() < deadline, f"Prometheus' remote-write queue did not drain: {m}"
            time.sleep(0.5)

    def stop(self):
        self.prom.stop()
        self.node.stop()
