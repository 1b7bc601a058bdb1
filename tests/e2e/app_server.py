"""Start and stop a real ``streamlit run app.py`` of this checkout for the browser tests.

Also says whether a browser is available (Debian's Chromium and the ``playwright`` package).
Not a test module; tests/e2e/conftest.py and the tests import it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.local_cluster import healthy

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: Seconds for a server to come up, and for a page to finish its script and draw its charts.
START_TIMEOUT = 60
PAGE_TIMEOUT = 60


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (Debian: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -r requirements-dev.txt)"
    return None


def skip_or_fail_without_browser() -> None:
    reason = missing_browser()
    if reason is None:
        return
    if in_ci():
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


def _tail(log: Path, lines: int) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {log})"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A ``streamlit run app.py`` of this checkout, on its own port, logging to a file."""

    port: int
    process: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        return _tail(self.log, lines)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # its own process group (start_new_session)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start_server(name: str, port: int | None = None) -> Server:
    """Start the app (on ``port``, else a free one); returns once the port accepts connections
    (no HTTP request is made)."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = port or free_port()
    log = ARTIFACTS / f"e2e-server-{name}.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            env={**os.environ, "RNNVIZ_TRAIN_AHEAD": "1"})   # as deployed (tests/app switch it off)
    server = Server(port, process, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}:\n{server.log_tail()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"streamlit did not open port {port} within {START_TIMEOUT} s:\n{server.log_tail()}")


def wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if healthy(server.port):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{server.url}/_stcore/health did not answer within {START_TIMEOUT} s:\n"
                       f"{server.log_tail()}")


# --------------------------------------------------------------------------- replicas behind nginx

NGINX = "/usr/sbin/nginx"
LOCAL_CLUSTER = ROOT / "deploy" / "local_cluster.py"


def skip_or_fail_without_nginx() -> None:
    """The cluster tests need Debian's nginx (.ci/run installs it); CI must not pass by skipping."""
    if Path(NGINX).exists():
        return
    reason = f"{NGINX} is missing (Debian: apt-get install nginx)"
    if in_ci():
        pytest.fail(f"cluster tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"cluster tests skipped: {reason}")


@dataclass
class Cluster:
    """``python deploy/local_cluster.py``: replicas of this checkout behind nginx, and its state file."""

    process: subprocess.Popen
    state_file: Path
    log: Path

    def state(self) -> dict:
        return json.loads(self.state_file.read_text())

    @property
    def url(self) -> str:
        return self.state()["url"]

    def replica(self, name: str) -> dict:
        return next(r for r in self.state()["replicas"] if r["name"] == name)

    def log_tail(self, lines: int = 40) -> str:
        return _tail(self.log, lines)

    def wait_replaced(self, name: str, old_pid: int, timeout: float = START_TIMEOUT) -> dict:
        """The replica ``name`` once the runner has restarted it (a new pid) and it answers its health check."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            replica = self.replica(name)
            if replica["pid"] != old_pid and healthy(replica["port"]):
                return replica
            time.sleep(0.2)
        raise RuntimeError(f"{name} was not restarted within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)   # the runner stops nginx and the replicas
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start_cluster(name: str, replicas: int) -> Cluster:
    """Start the local runner; returns once it has written its state file (every replica healthy)."""
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / f"cluster-{name}.log"
    state_file = ARTIFACTS / f"cluster-{name}.json"
    state_file.unlink(missing_ok=True)
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, str(LOCAL_CLUSTER), "--replicas", str(replicas), "--port", "0",
             "--state", str(state_file)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, env={**os.environ, "RNNVIZ_TRAIN_AHEAD": "1"})
    cluster = Cluster(process, state_file, log)
    deadline = time.monotonic() + 2 * START_TIMEOUT
    while not state_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            cluster.stop()
            raise RuntimeError(f"deploy/local_cluster.py did not come up:\n{cluster.log_tail()}")
        time.sleep(0.2)
    return cluster
