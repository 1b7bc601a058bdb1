"""N replicas of rnnviz behind Debian's nginx on this machine, without Docker.

    python deploy/local_cluster.py --replicas 3 --port 8080 --state cluster.json

starts ``streamlit run app.py`` N times on free ports of 127.0.0.1 and nginx (/usr/sbin/nginx, an
unprivileged instance with its own prefix, pid file, logs and temp folders under a temp folder,
``daemon off``) on --port in front of them, with the nginx.conf rendered from
deploy/nginx.conf.template (the same template compose.yaml's deploy/nginx.conf is rendered from).
Once every replica answers /_stcore/health it writes --state as JSON::

    {"url": "http://127.0.0.1:8080", "nginx_pid": 123,
     "replicas": [{"name": "r1", "port": 40001, "pid": 124, "restarts": 0}, ...], ...}

A replica that dies is started again on its old port within a few seconds (the state file is
rewritten with its new pid, as Kubernetes would restart a pod); SIGTERM or Ctrl-C stops everything
and removes the state file. ``--render-compose`` prints the nginx.conf of compose.yaml instead.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TEMPLATE = HERE / "nginx.conf.template"
NGINX = "/usr/sbin/nginx"
HOST = "127.0.0.1"
COOKIE = "rnnviz_replica"
#: compose.yaml's replicas: service names and fixed addresses on its own network (nginx's map needs
#: the address a replica answers from; compose.yaml pins them).
COMPOSE_REPLICAS = (("r1", "172.28.0.11:8501"), ("r2", "172.28.0.12:8501"), ("r3", "172.28.0.13:8501"))
#: Seconds between checks of the replicas (a dead one is restarted at the next check).
POLL = 0.5
START_TIMEOUT = 90.0
#: A replica that dies within this many seconds of its start is crash-looping: restarts back off.
CRASH_LOOP_S = 10.0
MAX_REPLICAS = 16


# --------------------------------------------------------------------------- nginx.conf


def render_nginx_conf(replicas: list[tuple[str, str]], *, listen: str, pid: str, error_log: str,
                      access_log: str, mime_types: str = "/etc/nginx/mime.types", temp_dir: str | None = None,
                      user: str | None = None) -> str:
    """deploy/nginx.conf.template filled in for ``replicas`` (name, "host:port") pairs."""
    if not replicas:
        raise ValueError("at least one replica")
    upstreams = []
    for name, addr in replicas:
        lines = [f"    upstream rnnviz_{name} {{", f"        server {addr} max_fails=1 fail_timeout=5s;"]
        lines += [f"        server {other} backup;" for _n, other in replicas if other != addr]
        upstreams.append("\n".join(lines + ["    }"]))
    temp = ""
    if temp_dir:
        temp = "\n".join(f"    {kind}_temp_path {temp_dir}/{kind};"
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    fill = {
        "user": f"user {user};" if user else "",
        "pid": pid,
        "error_log": error_log,
        "access_log": access_log,
        "mime_types": mime_types,
        "temp_paths": temp,
        "listen": listen,
        "replica_upstreams": "\n".join(upstreams),
        "any_servers": "\n".join(f"        server {addr};" for _n, addr in replicas),
        "cookie_to_upstream": "\n".join(f"        {name} rnnviz_{name};" for name, _a in replicas),
        "addr_to_name": "\n".join(f'        "~(^|[ ,]){_regex(addr)}$" {name};' for name, addr in replicas),
    }
    text = TEMPLATE.read_text()
    for key, value in fill.items():
        text = text.replace("{{" + key + "}}", value)
    if "{{" in text:
        raise ValueError(f"unfilled placeholder in {TEMPLATE}")
    return text


def _regex(addr: str) -> str:
    return addr.replace(".", r"\.")


def render_compose_conf() -> str:
    """The nginx.conf that compose.yaml mounts into the nginx container (deploy/nginx.conf)."""
    return render_nginx_conf(list(COMPOSE_REPLICAS), listen="8080", pid="/tmp/nginx.pid",
                             error_log="/dev/stderr", access_log="/dev/stdout",
                             temp_dir="/tmp")


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        socket.create_connection((HOST, port), timeout=1).close()
        return True
    except OSError:
        return False


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the process group (start_new_session), SIGKILL after 10 s."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


@dataclass
class Replica:
    name: str
    port: int
    log: Path
    process: subprocess.Popen | None = None
    restarts: int = 0
    started: float = 0.0       # time.monotonic() of the last start
    died: float = 0.0          # time.monotonic() when its death was noticed
    crash_loop: int = 0        # deaths in a row within CRASH_LOOP_S of their start
    pid_reported: int = 0      # the dead process already reported

    def due(self, now: float) -> bool:
        """Whether a dead replica may be started again at ``now``: at once after a replica that ran a
        while, after a growing pause (1, 2, 4 … 30 s) when it keeps dying right after starting."""
        return self.crash_loop == 0 or now - self.died >= min(30.0, 2.0 ** (self.crash_loop - 1))

    def start(self, app: Path, env: dict[str, str], extra: list[str]) -> None:
        self.started = time.monotonic()
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", app.name, "--server.headless", "true",
                 "--server.address", HOST, "--server.port", str(self.port),
                 "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false", *extra],
                cwd=app.parent, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=env, start_new_session=True)

    def as_state(self) -> dict:
        return {"name": self.name, "port": self.port, "pid": self.process.pid if self.process else None,
                "restarts": self.restarts, "log": str(self.log)}


class Cluster:
    """The replicas and nginx; ``run`` keeps them up until ``stop``."""

    def __init__(self, replicas: int, port: int, state: Path, *, app: Path, nginx: str, work: Path,
                 extra: list[str]):
        self.app, self.nginx_bin, self.work, self.state, self.extra = app, nginx, work, state, extra
        self.port = port or free_port()
        self.replicas = [Replica(f"r{i + 1}", free_port(), work / f"r{i + 1}.log") for i in range(replicas)]
        self.nginx: subprocess.Popen | None = None
        # One cookie secret for every replica: a session that moves keeps valid signed cookies.
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1",
                    "STREAMLIT_SERVER_COOKIE_SECRET": os.environ.get("STREAMLIT_SERVER_COOKIE_SECRET")
                    or secrets.token_hex(32)}
        self.stopping = False

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def write_conf(self) -> Path:
        conf = self.work / "nginx.conf"
        conf.write_text(render_nginx_conf(
            [(r.name, f"{HOST}:{r.port}") for r in self.replicas], listen=f"{HOST}:{self.port}",
            pid=str(self.work / "nginx.pid"), error_log=str(self.work / "nginx-error.log"),
            access_log=str(self.work / "nginx-access.log"), temp_dir=str(self.work / "temp"),
            # As root nginx would hand its workers to "nobody", who cannot use this private folder.
            user="root" if os.geteuid() == 0 else None))
        (self.work / "temp").mkdir(exist_ok=True)
        return conf

    def start_nginx(self) -> None:
        conf = self.write_conf()
        result = subprocess.run([self.nginx_bin, "-t", "-q", "-p", str(self.work), "-c", str(conf),
                                 "-e", str(self.work / "nginx-error.log")], capture_output=True, text=True)
        if result.returncode:
            raise RuntimeError(f"nginx -t rejected {conf}:\n{result.stderr}")
        with open(self.work / "nginx.out", "ab") as out:
            self.nginx = subprocess.Popen(
                [self.nginx_bin, "-p", str(self.work), "-c", str(conf), "-e", str(self.work / "nginx-error.log"),
                 "-g", "daemon off;"], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)

    def write_state(self) -> None:
        state = {"url": self.url, "nginx_pid": self.nginx.pid if self.nginx else None,
                 "replicas": [r.as_state() for r in self.replicas], "cookie": COOKIE,
                 "work_dir": str(self.work), "access_log": str(self.work / "nginx-access.log")}
        tmp = self.state.with_name(self.state.name + ".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        os.replace(tmp, self.state)   # readers never see half a file

    def start(self) -> None:
        for replica in self.replicas:
            replica.start(self.app, self.env, self.extra)
        self.start_nginx()
        deadline = time.monotonic() + START_TIMEOUT
        waiting = list(self.replicas)
        while waiting and not self.stopping:
            if time.monotonic() > deadline:
                raise RuntimeError(f"replicas {[r.name for r in waiting]} not healthy within {START_TIMEOUT:.0f} s; "
                                   f"logs in {self.work}")
            for replica in list(waiting):
                if replica.process.poll() is not None:
                    raise RuntimeError(f"{replica.name} exited with {replica.process.returncode}; see {replica.log}")
                if healthy(replica.port):
                    waiting.remove(replica)
            if self.nginx.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.nginx.returncode}; see {self.work}/nginx-error.log")
            time.sleep(0.2)
        while not port_open(self.port):
            if self.nginx.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx is not listening on {self.port}; see {self.work}/nginx-error.log")
            time.sleep(0.1)
        self.write_state()

    def watch_once(self) -> bool:
        """Restart whatever died; True if something was restarted."""
        changed = False
        for replica in self.replicas:
            if replica.process.poll() is not None and not self.stopping:
                if replica.pid_reported != replica.process.pid:   # first seen dead: is it crash-looping?
                    replica.pid_reported, replica.died = replica.process.pid, time.monotonic()
                    lived = replica.died - replica.started
                    replica.crash_loop = replica.crash_loop + 1 if lived < CRASH_LOOP_S else 0
                    print(f"[local_cluster] {replica.name} (port {replica.port}, pid {replica.process.pid}) exited "
                          f"with {replica.process.returncode} after {lived:.0f} s; restarting it",
                          file=sys.stderr, flush=True)
                if not replica.due(time.monotonic()):
                    continue
                replica.restarts += 1
                replica.start(self.app, self.env, self.extra)
                changed = True
        if self.nginx.poll() is not None and not self.stopping:
            print(f"[local_cluster] nginx exited with {self.nginx.returncode}; restarting it", file=sys.stderr,
                  flush=True)
            self.start_nginx()
            changed = True
        if changed:
            self.write_state()
        return changed

    def run(self) -> None:
        while not self.stopping:
            self.watch_once()
            time.sleep(POLL)

    def stop(self) -> None:
        self.stopping = True
        if self.nginx is not None:
            _stop(self.nginx)
        for replica in self.replicas:
            if replica.process is not None:
                _stop(replica.process)
        self.state.unlink(missing_ok=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--replicas", type=int, default=2, help=f"app processes (1..{MAX_REPLICAS}, default 2)")
    p.add_argument("--port", type=int, default=8080, help="nginx's port on 127.0.0.1 (0: a free one)")
    p.add_argument("--state", type=Path, default=Path(tempfile.gettempdir()) / "rnnviz-cluster.json",
                   help="the JSON state file (default: rnnviz-cluster.json in the temp folder)")
    p.add_argument("--app", type=Path, default=ROOT / "app.py", help="the app's main script")
    p.add_argument("--nginx", default=NGINX, help="the nginx binary (default /usr/sbin/nginx)")
    p.add_argument("--work-dir", type=Path, default=None,
                   help="nginx's prefix, logs and the replicas' logs (default: a new temp folder)")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="a Streamlit option for every replica, e.g. logger.level=debug (repeatable)")
    p.add_argument("--render-compose", action="store_true", help="print compose.yaml's nginx.conf and exit")
    args = p.parse_args(argv)
    if not 1 <= args.replicas <= MAX_REPLICAS:
        p.error(f"--replicas must be between 1 and {MAX_REPLICAS}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render_compose:
        sys.stdout.write(render_compose_conf())
        return 0
    if not Path(args.nginx).exists():
        print(f"error: {args.nginx} is missing (Debian: apt-get install nginx)", file=sys.stderr)
        return 2
    own_work = args.work_dir is None
    work = Path(tempfile.mkdtemp(prefix="rnnviz-cluster-")) if own_work else args.work_dir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    extra = []
    for opt in args.option:
        key, _, value = opt.partition("=")
        extra += [f"--{key.strip()}", value.strip()]
    cluster = Cluster(args.replicas, args.port, args.state.resolve(), app=args.app.resolve(), nginx=args.nginx,
                      work=work, extra=extra)

    def on_signal(signum, _frame):
        cluster.stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        cluster.start()
        print(f"[local_cluster] {cluster.url} → " + ", ".join(f"{r.name}:{r.port}" for r in cluster.replicas)
              + f" (state {cluster.state}, logs {work})", file=sys.stderr, flush=True)
        cluster.run()
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        cluster.stop()
        if own_work and not os.environ.get("RNNVIZ_KEEP_CLUSTER_LOGS"):
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
