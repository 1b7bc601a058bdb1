"""A lecture hall on one link: N concurrent Streamlit sessions, no browser.

Starts ``streamlit run app.py`` and the trivial baseline app (bench/trivial_app/) on free
ports of 127.0.0.1, then for each app opens N websocket sessions at once that speak
Streamlit's own protocol (the BackMsg / ForwardMsg protobufs shipped with streamlit):

* connect to ``/_stcore/stream`` (subprotocol ``streamlit``),
* send a ``rerun_script`` BackMsg whose ClientState names the page (``page_name`` is the
  page's URL path, as when a student opens a deep link; empty for the main page) and lists
  the hashes of the ForwardMsgs this session already holds (``cached_message_hashes``),
* read ForwardMsgs until ``script_finished``; ``ref_hash`` messages are resolved from the
  session's own message cache exactly as the frontend does, so nothing hangs on them.

Every session visits every page (app.py + pages/*.py, discovered and ordered the way
Streamlit does). Per run it records the wall time from sending ``rerun_script`` to
``script_finished``, the bytes received, exception elements and ``st.error`` alerts.
The server's resident memory is read from /proc/<pid>/status (VmRSS, VmHWM).

Before the hall arrives, one "lecturer" session visits every page once in turn (the warm-up,
also a per-page profile: cold time, warm time, memory growth). Use --no-warmup to measure a
hall arriving on a cold server.

Replicas behind nginx (README, "Serving a big hall"):

* ``--url URL`` benchmarks an already running server or load balancer (nothing is started; its
  memory is read only if ``--state`` names deploy/local_cluster.py's state file);
* ``--replicas N`` measures, in one run, the same hall through nginx in front of 1 replica and then
  in front of N replicas (deploy/local_cluster.py, one after the other on the same machine), and
  reports the ratio of their medians and p95s. Each WebSocket session is a new browser: nginx
  sends it to the least busy replica.

Bounded: at most --sessions sessions, a timeout per run and for the whole benchmark; only
127.0.0.1; servers are stopped at the end. Prints a summary; --json writes the figures.

    .venv/bin/python bench/load.py                  # 50 sessions, every page, both apps
    .venv/bin/python bench/load.py -n 10 --pages Scalar,Spectral
    .venv/bin/python bench/load.py -n 50 --replicas 2          # 1 vs 2 replicas behind nginx
    .venv/bin/python bench/load.py --url http://127.0.0.1:8080  # a running server or balancer
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.source_util import page_icon_and_name, page_sort_key
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
TRIVIAL = Path(__file__).resolve().parent / "trivial_app" / "app.py"
HOST = "127.0.0.1"
TARGET_RATIO = 1.5
MEMORY_LIMIT_MB = 690  # smallest Community Cloud tier
MAX_SESSIONS = 500

FINISHED_OK = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}


# --------------------------------------------------------------------------- pages


@dataclass(frozen=True)
class Page:
    file: str        # relative to the app's folder, e.g. "pages/1_Scalar.py"
    url_path: str    # what the browser's URL carries ("" for the main page)


def discover_pages(main_script: Path) -> list[Page]:
    """app.py, then pages/*.py in Streamlit's order (see streamlit's _mpa_v1)."""
    pages = [Page(main_script.name, "")]
    folder = main_script.parent / "pages"
    if folder.is_dir():
        files = sorted(
            (p for p in folder.glob("*.py") if not p.name.startswith(".") and p.name != "__init__.py"),
            key=page_sort_key,
        )
        for f in files:
            _icon, name = page_icon_and_name(f)
            pages.append(Page(f"pages/{f.name}", name))
    return pages


def select_pages(pages: list[Page], spec: str | None) -> list[int]:
    """Indexes of the pages whose file name contains one of the comma-separated substrings."""
    if not spec or spec == "all":
        return list(range(len(pages)))
    wanted = [s.strip().lower() for s in spec.split(",") if s.strip()]
    chosen = [i for i, p in enumerate(pages)
              if any(w in p.file.lower() or (w in ("home", "main") and i == 0) for w in wanted)]
    if not chosen:
        raise SystemExit(f"--pages {spec!r} matches none of: {', '.join(p.file for p in pages)}")
    return chosen


# --------------------------------------------------------------------------- server


#: Options load.py sets itself on every server.
_OWN_OPTIONS = {"server.port", "server.address", "server.headless", "server.fileWatcherType", "server.runOnSave",
                "server.baseUrlPath"}


def shared_options(main_script: Path) -> list[str]:
    """The app's [runner] and [server] settings (its .streamlit/config.toml) as CLI flags for the baseline.

    They change how every run is executed (e.g. runner.postScriptGC, runner.fastReruns), so the trivial
    app must run with the same ones for the ratio to compare like with like.
    """
    import tomllib
    path = main_script.parent / ".streamlit" / "config.toml"
    try:
        conf = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return []
    flags = []
    for section in ("runner", "server"):
        for key, value in (conf.get(section) or {}).items():
            name = f"{section}.{key}"
            if name in _OWN_OPTIONS or isinstance(value, (list, dict)):
                continue
            flags += [f"--{name}", str(value).lower() if isinstance(value, bool) else str(value)]
    return flags


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def read_memory_mb(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak) of a process, in MB, from /proc."""
    out: dict[str, float] = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return out
    for key in ("VmRSS", "VmHWM"):
        m = re.search(rf"^{key}:\s+(\d+)\s+kB", text, re.M)
        if m:
            out[key] = int(m.group(1)) / 1024.0
    return out


def wait_health(http_url: str, timeout: float, died, message: str) -> None:
    """Until ``http_url``/_stcore/health answers 200; RuntimeError(``died()``) as soon as that says
    something, RuntimeError(``message``) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reason = died()
        if reason:
            raise RuntimeError(reason)
        try:
            with urllib.request.urlopen(f"{http_url}/_stcore/health", timeout=5) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(message)


class Server:
    """``streamlit run`` in a child process on a free 127.0.0.1 port; stopped by ``stop``."""

    def __init__(self, script: Path, label: str, log_dir: Path, extra: list[str]):
        self.script = script
        self.label = label
        self.port = free_port()
        self.log_path = log_dir / f"{label}.log"
        cmd = [
            sys.executable, "-m", "streamlit", "run", script.name,
            "--server.headless", "true",
            "--server.address", HOST,
            "--server.port", str(self.port),
            "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
            "--server.runOnSave", "false",
            *extra,
        ]
        self._log = open(self.log_path, "wb")
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(cmd, cwd=script.parent, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env, start_new_session=True)

    @property
    def url(self) -> str:
        return f"ws://{HOST}:{self.port}/_stcore/stream"

    def wait_ready(self, timeout: float) -> None:
        def died() -> str | None:
            if self.proc.poll() is None:
                return None
            return f"{self.label}: server exited with {self.proc.returncode}; see {self.log_path}"

        wait_health(f"http://{HOST}:{self.port}", timeout, died,
                    f"{self.label}: server not healthy after {timeout:.0f} s; see {self.log_path}")

    def memory(self) -> dict[str, float]:
        return read_memory_mb(self.proc.pid)

    def metrics(self) -> dict[str, dict[str, float]]:
        """Streamlit's own /_stcore/metrics: bytes held per cache and in session state, by name."""
        try:
            with urllib.request.urlopen(f"http://{HOST}:{self.port}/_stcore/metrics", timeout=30) as r:
                text = r.read().decode("utf-8", "replace")
        except (urllib.error.URLError, OSError) as exc:
            return {"error": {str(exc): 0.0}}
        out: dict[str, dict[str, float]] = {}
        for line in text.splitlines():
            m = re.match(r"^(\w+)\{(.*)\}\s+([0-9.eE+-]+)$", line)
            if not m:
                continue
            family, labels, value = m.group(1), dict(re.findall(r'(\w+)="([^"]*)"', m.group(2))), float(m.group(3))
            name = labels.get("cache") or labels.get("name") or labels.get("type") or ",".join(labels.values())
            fam = out.setdefault(family, {})
            fam[name] = fam.get(name, 0.0) + value
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()

    def log_problems(self) -> list[str]:
        """Lines of the server log that report tracebacks or errors."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []
        out = []
        for ln in lines:
            ln = ln.strip()
            # The exception line that ends a traceback ("OverflowError: ..."), and logged warnings/errors.
            if re.match(r"^[\w.]*(Error|Exception|Warning)\b.*:", ln) or re.search(r"\b(WARNING|ERROR)\b", ln):
                out.append(ln)
        return out


class Remote:
    """An already running server or load balancer at ``http_url``; memory summed over ``pids`` if known."""

    def __init__(self, http_url: str, label: str, pids: list[int] | None = None):
        self.http_url, self.label, self.pids = http_url.rstrip("/"), label, list(pids or [])

    @property
    def url(self) -> str:
        return re.sub(r"^http", "ws", self.http_url) + "/_stcore/stream"

    def memory(self) -> dict[str, float]:
        mems = [read_memory_mb(pid) for pid in self.pids]
        rss = [m["VmRSS"] for m in mems if "VmRSS" in m]
        if not rss:
            return {}
        return {"VmRSS": sum(rss), "VmHWM": sum(m.get("VmHWM", 0.0) for m in mems),
                "VmRSS_per_replica_max": max(rss)}

    def wait_ready(self, timeout: float) -> None:
        wait_health(self.http_url, timeout, lambda: None,
                    f"{self.http_url}/_stcore/health did not answer within {timeout:.0f} s")


def pids_from_state(path: Path | None) -> list[int]:
    """The replicas' pids from deploy/local_cluster.py's state file (none without one)."""
    if path is None:
        return []
    return [r["pid"] for r in json.loads(path.read_text())["replicas"]]


@contextlib.contextmanager
def local_cluster(replicas: int, log_dir: Path, options: list[str], timeout: float):
    """``deploy/local_cluster.py --replicas N`` for the duration of the block; yields its state."""
    state = log_dir / f"cluster-{replicas}.json"
    flags = [f"--option={opt}" for opt in options]
    with open(log_dir / f"cluster-{replicas}.log", "wb") as out:
        proc = subprocess.Popen([sys.executable, str(ROOT / "deploy" / "local_cluster.py"), "--replicas", str(replicas),
                                 "--port", "0", "--state", str(state), *flags],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        while not state.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"local_cluster.py with {replicas} replicas did not start; see {out.name}")
            time.sleep(0.2)
        yield json.loads(state.read_text())
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


# --------------------------------------------------------------------------- one session


@dataclass
class Run:
    app: str
    page: str
    session: int
    ms: float | None = None      # None: the run failed
    bytes: int = 0
    messages: int = 0
    cache_refs: int = 0          # ForwardMsgs replaced by ref_hash
    exceptions: list[str] = field(default_factory=list)
    errors_shown: list[str] = field(default_factory=list)   # st.error alerts
    failure: str | None = None


class Session:
    """One browser tab, minus the browser."""

    def __init__(self, url: str, app: str, sid: int, pages: list[Page], query: str, run_timeout: float):
        self.url, self.app, self.sid, self.pages = url, app, sid, pages
        self.query, self.run_timeout = query, run_timeout
        self.cache: dict[str, ForwardMsg] = {}  # the frontend's ForwardMsg cache, by hash
        self.app_pages: dict[str, str] = {}     # page_script_hash -> url_pathname (from Navigation)

    async def visit_all(self, order: list[int]) -> list[Run]:
        runs: list[Run] = []
        try:
            async with connect(self.url, subprotocols=["streamlit"], max_size=None, open_timeout=30,
                               close_timeout=5, ping_interval=None) as ws:
                for i in order:
                    run = await self.visit(ws, self.pages[i])
                    runs.append(run)
                    if run.failure and run.failure.startswith(("connection", "protocol", "timeout")):
                        break  # the stream may be out of step now: this session ends (runs < expected)
        except Exception as exc:  # noqa: BLE001 - any failure of the session is a finding
            runs.append(Run(self.app, "(connect)", self.sid, failure=f"connection: {type(exc).__name__}: {exc}"))
        return runs

    async def visit(self, ws, page: Page) -> Run:
        run = Run(self.app, page.file, self.sid)
        back = BackMsg()
        cs = back.rerun_script
        cs.query_string = self.query
        cs.page_name = page.url_path
        cs.cached_message_hashes.extend(self.cache.keys())
        t0 = time.perf_counter()
        try:
            await ws.send(back.SerializeToString())
            await asyncio.wait_for(self._read_until_finished(ws, page, run), self.run_timeout)
            if run.failure is None:
                run.ms = (time.perf_counter() - t0) * 1000.0
        except TimeoutError:
            run.failure = f"timeout: no script_finished within {self.run_timeout:.0f} s"
        except Exception as exc:  # noqa: BLE001
            run.failure = f"connection: {type(exc).__name__}: {exc}"
        return run

    async def _read_until_finished(self, ws, page: Page, run: Run) -> None:
        current_hash = None
        while True:
            data = await ws.recv()
            if isinstance(data, str):
                run.failure = "protocol: text frame from server"
                return
            run.bytes += len(data)
            run.messages += 1
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "ref_hash":
                run.cache_refs += 1
                cached = self.cache.get(msg.ref_hash)
                if cached is None:
                    run.failure = f"protocol: ref_hash {msg.ref_hash} not in this session's cache"
                    return
                resolved = ForwardMsg()
                resolved.CopyFrom(cached)
                resolved.metadata.CopyFrom(msg.metadata)
                msg, kind = resolved, resolved.WhichOneof("type")
            elif msg.metadata.cacheable and msg.hash:
                self.cache[msg.hash] = msg
            if kind == "navigation":
                for p in msg.navigation.app_pages:
                    self.app_pages[p.page_script_hash] = p.url_pathname
                current_hash = msg.navigation.page_script_hash
            elif kind == "page_not_found":
                run.failure = f"page not found: {msg.page_not_found.page_name!r}"
            elif kind == "delta":
                self._inspect_delta(msg, run)
            elif kind == "session_event":
                ev = msg.session_event
                if ev.HasField("script_compilation_exception"):
                    exc = ev.script_compilation_exception
                    run.exceptions.append(f"compile {exc.type}: {exc.message}"[:300])
            elif kind == "script_finished":
                status = msg.script_finished
                if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # st.rerun or a newer request: the next run follows
                if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    run.failure = run.failure or "script failed to compile"
                elif status not in FINISHED_OK:
                    run.failure = run.failure or f"script_finished status {status}"
                if run.failure is None and current_hash is not None and self.app_pages:
                    ran = self.app_pages.get(current_hash)
                    if ran is not None and ran != page.url_path:
                        run.failure = f"ran page {ran!r} instead of {page.url_path!r}"
                return

    @staticmethod
    def _inspect_delta(msg: ForwardMsg, run: Run) -> None:
        delta = msg.delta
        if delta.WhichOneof("type") != "new_element":
            return
        el = delta.new_element
        which = el.WhichOneof("type")
        if which == "exception":
            e = el.exception
            run.exceptions.append(f"{e.type or '(type redacted)'}: {e.message}".strip()[:300])
        elif which == "alert" and el.alert.format == el.alert.ERROR:
            run.errors_shown.append(el.alert.body[:300])


# --------------------------------------------------------------------------- phases


def pct(values: list[float], q: float) -> float | None:
    """Percentile by linear interpolation (numpy's default), without numpy."""
    if not values:
        return None
    xs = sorted(values)
    k = (len(xs) - 1) * q / 100.0
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


async def sample_memory(server: Server, stop: asyncio.Event, peak: dict[str, float]) -> None:
    while not stop.is_set():
        rss = server.memory().get("VmRSS")
        if rss is not None:
            peak["VmRSS_max_sampled"] = max(peak.get("VmRSS_max_sampled", 0.0), rss)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.25)


async def warmup(server: Server, label: str, pages: list[Page], idx: list[int], query: str,
                 run_timeout: float) -> list[dict]:
    """One lecturer session: every page cold, then every page again warm; memory after each."""
    sess = Session(server.url, label, -1, pages, query, run_timeout)
    profile = []
    cold = await sess.visit_all(idx)
    warm = await sess.visit_all(idx)
    for i, c in zip(idx, cold):
        w = next((r for r in warm if r.page == pages[i].file), None)
        profile.append({"page": pages[i].file, "cold_ms": c.ms, "warm_ms": w.ms if w else None,
                        "bytes": c.bytes, "failure": c.failure or (w.failure if w else None),
                        "exceptions": c.exceptions + (w.exceptions if w else []),
                        "errors_shown": c.errors_shown})
    return profile


async def hall(server: Server, label: str, pages: list[Page], idx: list[int], n: int, query: str,
               run_timeout: float, order: str, ramp: float, seed: int) -> tuple[list[Run], float, dict]:
    rng = random.Random(seed)
    stop = asyncio.Event()
    peak: dict[str, float] = {}
    sampler = asyncio.create_task(sample_memory(server, stop, peak))

    async def one(sid: int) -> list[Run]:
        if ramp > 0:
            await asyncio.sleep(ramp * sid / max(n - 1, 1))
        seq = list(idx)
        if order == "shuffle":
            rng.shuffle(seq)
        return await Session(server.url, label, sid, pages, query, run_timeout).visit_all(seq)

    t0 = time.perf_counter()
    results = await asyncio.gather(*(one(s) for s in range(n)))
    wall = time.perf_counter() - t0
    stop.set()
    await sampler
    return [r for rs in results for r in rs], wall, peak


# --------------------------------------------------------------------------- summary


def summarize(label: str, runs: list[Run], pages: list[Page], idx: list[int], n: int) -> dict:
    ok = [r.ms for r in runs if r.ms is not None]
    failed_sessions = sorted({r.session for r in runs if r.failure})
    per_page = {}
    for i in idx:
        f = pages[i].file
        rs = [r for r in runs if r.page == f]
        ms = [r.ms for r in rs if r.ms is not None]
        per_page[f] = {
            "runs": len(rs), "failed": sum(1 for r in rs if r.failure),
            "p50_ms": pct(ms, 50), "p95_ms": pct(ms, 95), "max_ms": max(ms) if ms else None,
            "kb_per_run": (statistics.mean(r.bytes for r in rs) / 1024.0) if rs else None,
        }
    return {
        "app": label, "sessions": n, "runs": len(runs), "expected_runs": n * len(idx),
        "completed_runs": len(ok), "failed_runs": sum(1 for r in runs if r.failure),
        "failed_sessions": len(failed_sessions),
        "p50_ms": pct(ok, 50), "p95_ms": pct(ok, 95), "max_ms": max(ok) if ok else None,
        "failures": sorted({f"{r.page}: {r.failure}" for r in runs if r.failure})[:20],
        "exceptions": sorted({f"{r.page}: {e}" for r in runs for e in r.exceptions})[:20],
        "errors_shown": sorted({f"{r.page}: {e}" for r in runs for e in r.errors_shown})[:20],
        "cache_refs": sum(r.cache_refs for r in runs),
        "per_page": per_page,
    }


def per_session(mem: dict, n: int) -> float | None:
    peak, warm = mem.get("VmRSS_max_sampled"), mem.get("after_warmup_VmRSS")
    return (peak - warm) / n if peak and warm and n else None


def fmt(x: float | None, spec: str = ".0f") -> str:
    return "-" if x is None else format(x, spec)


def print_report(results: dict) -> None:
    apps = results["apps"]
    print()
    print(f"== Load benchmark: {results['sessions']} concurrent sessions × {results['pages_per_session']} pages, "
          f"order={results['order']}, warm-up={'on' if results['warmup'] else 'off'}, "
          f"rounds={results['rounds']}, wall {results['wall_s']:.0f} s"
          + (f", options {' '.join(results['options'])}" if results.get("options") else "") + " ==")
    for label, flags in results.get("server_flags", {}).items():
        if flags:
            print(f"{label} server flags: {' '.join(flags)}")
    print(f"{'app':<9} {'runs':>6} {'failed':>6} {'sess✗':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
          f"{'hall s':>7} {'RSS idle':>9} {'warm':>6} {'end':>6} {'peak':>6} {'HWM':>6} {'/sess':>6}")
    for label, a in apps.items():
        s, mem = a["summary"], a["memory_mb"]
        print(f"{label:<9} {str(s['runs']) + ('' if s['runs'] == s['expected_runs'] else '/' + str(s['expected_runs'])):>6} {s['failed_runs']:>6} {s['failed_sessions']:>6} {fmt(s['p50_ms']):>8} "
              f"{fmt(s['p95_ms']):>8} {fmt(s['max_ms']):>8} {fmt(a['hall_wall_s'], '.1f'):>7} "
              f"{fmt(mem.get('idle_VmRSS')):>9} {fmt(mem.get('after_warmup_VmRSS')):>6} {fmt(mem.get('end_VmRSS')):>6} "
              f"{fmt(mem.get('VmRSS_max_sampled')):>6} {fmt(mem.get('end_VmHWM')):>6} "
              f"{fmt(per_session(mem, results['sessions'] * results['rounds']), '.2f'):>6}")
    print("(memory in MB: server RSS idle, after the warm-up, at the end, peak sampled during the hall, VmHWM; "
          "/sess = (peak - after warm-up) / sessions)")
    if "ratio_p95" in results:
        r = results["ratio_p95"]
        verdict = "OK" if r is not None and r <= TARGET_RATIO else "OVER TARGET"
        print(f"\np95 ratio rnnviz / trivial = {fmt(r, '.2f')}  (target ≤ {TARGET_RATIO}: {verdict});  "
              f"p50 ratio = {fmt(results.get('ratio_p50'), '.2f')}")
    if "replica_ratio_p95" in results:
        print(f"\n{results['replicas']} replicas / 1 replica, both behind nginx: "
              f"p50 ratio = {fmt(results['replica_ratio_p50'], '.2f')}, "
              f"p95 ratio = {fmt(results['replica_ratio_p95'], '.2f')} (below 1: the hall is served faster; "
              f"{os.cpu_count()} CPU cores here, the load generator and nginx on them too)")
    for label, a in apps.items():
        top = a["memory_mb"].get("end_VmRSS_per_replica_max")
        if top is not None:
            print(f"{label}: largest replica's RSS at the end {top:.0f} MB")
    for label, a in apps.items():
        s = a["summary"]
        print(f"\n-- {label}: per page (hall p50/p95; lecturer's first visit cold/warm) --")
        prof = {p["page"]: p for p in a.get("profile", [])}
        print(f"{'page':<44} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'cold ms':>8} {'warm ms':>8} "
              f"{'KB/run':>7} {'failed':>6}")
        for page, pp in s["per_page"].items():
            pr = prof.get(page, {})
            print(f"{page:<44} {fmt(pp['p50_ms']):>8} {fmt(pp['p95_ms']):>8} {fmt(pp['max_ms']):>8} "
                  f"{fmt(pr.get('cold_ms')):>8} {fmt(pr.get('warm_ms')):>8} {fmt(pp['kb_per_run'], '.1f'):>7} "
                  f"{pp['failed']:>6}")
        for title, key in (("failures", "failures"), ("exceptions in ForwardMsgs", "exceptions"),
                           ("st.error messages shown", "errors_shown")):
            items = s[key] + [f"(warm-up) {p['page']}: {x}" for p in a.get("profile", [])
                              for x in (p.get(key) or []) if key != "failures"]
            if key == "failures":
                items += [f"(warm-up) {p['page']}: {p['failure']}" for p in a.get("profile", []) if p.get("failure")]
            print(f"{title}: {'none' if not items else ''}")
            for x in sorted(set(items))[:15]:
                print(f"   {x}")
        print(f"ForwardMsgs answered from the session's own cache (ref_hash): {s['cache_refs']}")
        met = a.get("streamlit_metrics", {})
        caches = met.get("cache_memory_bytes", {})
        if caches:
            total = sum(caches.values()) / 2**20
            top = sorted(caches.items(), key=lambda kv: -kv[1])[:6]
            print(f"cache memory (Streamlit's /_stcore/metrics): {total:.1f} MB in {len(caches)} caches; largest: "
                  + ", ".join(f"{name.split('.')[-1]} {b / 2**20:.2f} MB" for name, b in top))
        problems = a.get("server_log_problems", [])
        print(f"server log exceptions/warnings: {len(problems) or 'none'}")
        for ln, count in sorted(((ln, problems.count(ln)) for ln in set(problems)), key=lambda t: -t[1])[:8]:
            print(f"   {count:4d}× {ln[:200]}")
    if results.get("slow_pages"):
        print("\nPages over budget (hall p95 > 1.5× the trivial app's p95, or cold visit > 1 s, or > 2 MB/run):")
        for ln in results["slow_pages"]:
            print(f"   {ln}")
    mem = apps.get("rnnviz", {}).get("memory_mb", {})
    if mem.get("end_VmHWM") is not None:
        print(f"\nrnnviz server peak resident memory {mem['end_VmHWM']:.0f} MB "
              f"({'well under' if mem['end_VmHWM'] < 0.6 * MEMORY_LIMIT_MB else 'NOT well under'} "
              f"the {MEMORY_LIMIT_MB} MB of the smallest Community Cloud tier)")


def over_budget(results: dict) -> list[str]:
    apps = results["apps"]
    if "rnnviz" not in apps:
        return []
    base = apps.get("trivial", {}).get("summary", {}).get("p95_ms")
    out = []
    prof = {p["page"]: p for p in apps["rnnviz"].get("profile", [])}
    base_prof = apps.get("trivial", {}).get("profile", [])
    for k, (page, pp) in enumerate(apps["rnnviz"]["summary"]["per_page"].items()):
        why = []
        if base and pp["p95_ms"] and pp["p95_ms"] > TARGET_RATIO * base:
            why.append(f"hall p95 {pp['p95_ms']:.0f} ms = {pp['p95_ms'] / base:.1f}× trivial p95 {base:.0f} ms")
        cold = prof.get(page, {}).get("cold_ms")
        base_cold = base_prof[k].get("cold_ms") if k < len(base_prof) else None
        if cold and cold > 1000 and not (base_cold and cold < TARGET_RATIO * base_cold):
            why.append(f"cold visit {cold:.0f} ms" + (f" (trivial's page {k}: {base_cold:.0f} ms)" if base_cold else ""))
        warm = prof.get(page, {}).get("warm_ms")
        base_warm = base_prof[k].get("warm_ms") if k < len(base_prof) else None
        if warm and warm > 150 and not (base_warm and warm < TARGET_RATIO * base_warm):
            why.append(f"warm single run {warm:.0f} ms" + (f" (trivial's page {k}: {base_warm:.0f} ms)" if base_warm
                                                             else " (> 150 ms house budget)"))
        if pp["kb_per_run"] and pp["kb_per_run"] > 2048:
            why.append(f"{pp['kb_per_run'] / 1024:.1f} MB sent per run")
        if pp["failed"]:
            why.append(f"{pp['failed']} failed runs")
        if why:
            out.append(f"{page}: " + "; ".join(why))
    return out


# --------------------------------------------------------------------------- main


async def bench_app(server: Server | Remote, label: str, pages: list[Page], idx: list[int], args,
                    rounds_runs: list, info: dict, *, warm: bool, lecturers: int = 1) -> None:
    """Warm-up (``lecturers`` at once: one per replica behind a balancer), then the hall."""
    if warm:
        profiles = await asyncio.gather(*(warmup(server, label, pages, idx, args.query, args.run_timeout)
                                          for _ in range(lecturers)))
        info["profile"] = profiles[0]
        info["memory_mb"]["after_warmup_VmRSS"] = server.memory().get("VmRSS")
    runs, wall, peak = await hall(server, label, pages, idx, args.sessions, args.query, args.run_timeout,
                                  args.order, args.ramp, args.seed)
    rounds_runs.extend(runs)
    info["hall_wall_s"] = info.get("hall_wall_s", 0.0) + wall
    info["memory_mb"]["VmRSS_max_sampled"] = max(info["memory_mb"].get("VmRSS_max_sampled", 0.0),
                                                 peak.get("VmRSS_max_sampled", 0.0))


async def main_async(args, targets: list[tuple[str, Path]]) -> dict:
    log_dir = Path(tempfile.mkdtemp(prefix="rnnviz-load-"))
    servers: dict[str, Server] = {}
    started = time.perf_counter()
    results: dict = {"sessions": args.sessions, "order": args.order, "warmup": args.warmup, "options": args.option,
                     "rounds": args.rounds, "query": args.query, "apps": {}, "log_dir": str(log_dir)}
    try:
        all_pages = {label: discover_pages(script) for label, script in targets}
        idx_main = select_pages(all_pages[targets[0][0]], args.pages)
        results["pages_per_session"] = len(idx_main)
        chosen: dict[str, list[int]] = {}
        for label, _ in targets:
            n_pages = len(all_pages[label])
            if label == targets[0][0]:
                chosen[label] = idx_main
            else:  # the same positions in the baseline, else its first pages
                same = [i for i in idx_main if i < n_pages]
                chosen[label] = same if len(same) == len(idx_main) else list(range(min(len(idx_main), n_pages)))
        if len(targets) > 1:
            a, b = (len(all_pages[label]) for label, _ in targets)
            if a != b:
                print(f"note: {targets[0][0]} has {a} pages, {targets[1][0]} has {b}; "
                      f"bench/trivial_app should have as many pages as the app.", file=sys.stderr)
        for label, script in targets:
            extra = ["--server.maxCacheDataSize", args.max_cache_data_size] if args.max_cache_data_size else []
            if label != targets[0][0]:
                extra += shared_options(targets[0][1])
            for opt in args.option:
                key, _, value = opt.partition("=")
                extra += [f"--{key.strip()}", value.strip()]
            results.setdefault("server_flags", {})[label] = extra
            servers[label] = Server(script, label, log_dir, extra)
        for label, srv in servers.items():
            srv.wait_ready(args.start_timeout)
        for label, srv in servers.items():
            results["apps"][label] = {"pages": [all_pages[label][i].file for i in chosen[label]],
                                      "memory_mb": {"idle_VmRSS": srv.memory().get("VmRSS")}}
        runs: dict[str, list[Run]] = {label: [] for label in servers}
        for _round in range(args.rounds):
            # Baseline first in each round, then the app: alternating rounds average out drift.
            for label in reversed(list(servers)):
                print(f"[{time.perf_counter() - started:6.1f} s] round {_round + 1}: {label}: "
                      f"{args.sessions} sessions × {len(chosen[label])} pages …", file=sys.stderr, flush=True)
                info = results["apps"][label]
                await bench_app(servers[label], label, all_pages[label], chosen[label], args, runs[label], info,
                                warm=args.warmup and _round == 0)
        for label, srv in servers.items():
            info = results["apps"][label]
            info["streamlit_metrics"] = await asyncio.to_thread(srv.metrics)
            mem = srv.memory()
            info["memory_mb"]["end_VmRSS"] = mem.get("VmRSS")
            info["memory_mb"]["end_VmHWM"] = mem.get("VmHWM")
            info["summary"] = summarize(label, runs[label], all_pages[label], chosen[label],
                                        args.sessions * args.rounds)
    finally:
        for srv in servers.values():
            srv.stop()
        for label, srv in servers.items():
            if label in results["apps"]:
                results["apps"][label]["server_log_problems"] = srv.log_problems()
    results["wall_s"] = time.perf_counter() - started
    apps = results["apps"]
    if "rnnviz" in apps and "trivial" in apps:
        a, b = apps["rnnviz"]["summary"], apps["trivial"]["summary"]
        results["ratio_p95"] = a["p95_ms"] / b["p95_ms"] if a["p95_ms"] and b["p95_ms"] else None
        results["ratio_p50"] = a["p50_ms"] / b["p50_ms"] if a["p50_ms"] and b["p50_ms"] else None
    results["slow_pages"] = over_budget(results)
    return results


async def bench_remote(target: Remote, args, pages: list[Page], idx: list[int], lecturers: int) -> dict:
    """The hall against one already running target: its figures, as ``results["apps"][label]``."""
    await asyncio.to_thread(target.wait_ready, args.start_timeout)
    info: dict = {"pages": [pages[i].file for i in idx], "url": target.http_url, "replicas": len(target.pids) or None,
                  "memory_mb": {"idle_VmRSS": target.memory().get("VmRSS")}}
    runs: list[Run] = []
    for _round in range(args.rounds):
        print(f"round {_round + 1}: {target.label}: {args.sessions} sessions × {len(idx)} pages …",
              file=sys.stderr, flush=True)
        await bench_app(target, target.label, pages, idx, args, runs, info, warm=args.warmup and _round == 0,
                        lecturers=lecturers)
    mem = target.memory()
    info["memory_mb"].update(end_VmRSS=mem.get("VmRSS"), end_VmHWM=mem.get("VmHWM"),
                             end_VmRSS_per_replica_max=mem.get("VmRSS_per_replica_max"))
    info["summary"] = summarize(target.label, runs, pages, idx, args.sessions * args.rounds)
    return info


async def main_remote_async(args) -> dict:
    """--url (one running target) or --replicas N (nginx before 1 replica, then before N)."""
    log_dir = Path(tempfile.mkdtemp(prefix="rnnviz-load-"))
    started = time.perf_counter()
    pages = discover_pages(args.app.resolve())
    idx = select_pages(pages, args.pages)
    results: dict = {"sessions": args.sessions, "order": args.order, "warmup": args.warmup, "options": args.option,
                     "rounds": args.rounds, "query": args.query, "apps": {}, "log_dir": str(log_dir),
                     "pages_per_session": len(idx)}
    if args.url:
        target = Remote(args.url, "url", pids_from_state(args.state))
        results["apps"]["url"] = await bench_remote(target, args, pages, idx, max(1, len(target.pids)))
    else:
        for k in (1, args.replicas):
            label = f"{k} replica" + ("s" if k > 1 else "")
            with local_cluster(k, log_dir, args.option, args.start_timeout * 2) as state:
                target = Remote(state["url"], label, [r["pid"] for r in state["replicas"]])
                results["apps"][label] = await bench_remote(target, args, pages, idx, k)
        one, many = (results["apps"][label]["summary"] for label in results["apps"])
        for q in ("p50", "p95"):
            a, b = many[f"{q}_ms"], one[f"{q}_ms"]
            results[f"replica_ratio_{q}"] = a / b if a and b else None
        results["replicas"] = args.replicas
    results["wall_s"] = time.perf_counter() - started
    results["slow_pages"] = []
    return results


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", "--sessions", type=int, default=50, help="concurrent sessions per app (default 50)")
    p.add_argument("--pages", default="all",
                   help="comma-separated substrings of page file names (e.g. 'Scalar,Spectral'; 'home' = app.py)")
    p.add_argument("--app", type=Path, default=ROOT / "app.py", help="the app's main script (default app.py)")
    p.add_argument("--baseline", type=Path, default=TRIVIAL, help="baseline app (default bench/trivial_app/app.py)")
    p.add_argument("--no-baseline", action="store_true", help="skip the trivial app")
    p.add_argument("--only-baseline", action="store_true", help="run only the trivial app (to test the harness)")
    p.add_argument("--order", choices=("same", "shuffle"), default="same",
                   help="'same': every session follows the lecturer page by page; 'shuffle': random order")
    p.add_argument("--ramp", type=float, default=0.0, help="spread session starts over this many seconds")
    p.add_argument("--rounds", type=int, default=1, help="alternate baseline/app this many times")
    p.add_argument("--no-warmup", dest="warmup", action="store_false",
                   help="no lecturer visit before the hall (measure a cold server)")
    p.add_argument("--query", default="", help="query string sent with every run (e.g. 'T=500&n=64')")
    p.add_argument("--run-timeout", type=float, default=60.0, help="seconds allowed per page run")
    p.add_argument("--total-timeout", type=float, default=900.0, help="seconds allowed for everything")
    p.add_argument("--start-timeout", type=float, default=60.0, help="seconds allowed for a server to start")
    p.add_argument("--max-cache-data-size", default=None,
                   help="pass --server.maxCacheDataSize to both servers (e.g. '256mb')")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="a Streamlit option for both servers, e.g. runner.postScriptGC=false (repeatable)")
    p.add_argument("--url", default=None,
                   help="benchmark this already running server or load balancer (http://host:port) instead")
    p.add_argument("--state", type=Path, default=None,
                   help="with --url: deploy/local_cluster.py's state file, to read the replicas' memory")
    p.add_argument("--replicas", type=int, default=None, metavar="N",
                   help="the hall through nginx before 1 replica, then before N (deploy/local_cluster.py); "
                        "reports the ratio")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    args = p.parse_args(argv)
    if not 1 <= args.sessions <= MAX_SESSIONS:
        p.error(f"--sessions must be between 1 and {MAX_SESSIONS}")
    if not 1 <= args.rounds <= 10:
        p.error("--rounds must be between 1 and 10")
    if args.replicas is not None and not 2 <= args.replicas <= 16:
        p.error("--replicas must be between 2 and 16 (it is compared with 1)")
    if args.url and args.replicas:
        p.error("--url and --replicas exclude each other")
    if args.url and not re.match(r"^https?://", args.url):
        p.error("--url must start with http:// or https://")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.url or args.replicas:
        return finish(args, lambda: main_remote_async(args))
    targets: list[tuple[str, Path]] = []
    if not args.only_baseline:
        if not args.app.is_file():
            print(f"error: {args.app} does not exist", file=sys.stderr)
            return 2
        targets.append(("rnnviz", args.app.resolve()))
    if not args.no_baseline or args.only_baseline:
        targets.append(("trivial", args.baseline.resolve()))
    return finish(args, lambda: main_async(args, targets))


def finish(args, make_coro) -> int:
    """Run the benchmark within --total-timeout, print the report, write --json; 1 if anything failed."""
    try:
        results = asyncio.run(asyncio.wait_for(make_coro(), args.total_timeout))
    except TimeoutError:
        print(f"error: the benchmark did not finish within --total-timeout {args.total_timeout:.0f} s",
              file=sys.stderr)
        return 3
    print_report(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, default=str))
        print(f"\nfigures written to {args.json}")
    bad = any(a["summary"]["failed_runs"] or a["summary"]["exceptions"] for a in results["apps"].values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
