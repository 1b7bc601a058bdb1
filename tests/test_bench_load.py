"""Smoke test of bench/load.py: the websocket protocol still works with the installed Streamlit.

Starts the trivial baseline app (bench/trivial_app) with two sessions; asserts on outcomes
(every run finished, no exception, memory read), never on times.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest


def _in_thread(fn, *args):
    """Call ``fn`` in a fresh thread: asyncio.run() refuses to start where an event loop already
    runs, and the browser tests' Playwright (sync API) keeps one running in the main thread."""
    import threading

    box = {}

    def target():
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # re-raised in the test's thread
            box["error"] = exc

    worker = threading.Thread(target=target)
    worker.start()
    worker.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _arun(coro):
    import asyncio

    return _in_thread(asyncio.run, coro)

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.timeout(120)


def _load():
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_load"] = mod
    spec.loader.exec_module(mod)
    return mod


load = _load()


def test_discovers_pages_like_streamlit():
    pages = load.discover_pages(ROOT / "bench" / "trivial_app" / "app.py")
    assert [p.file for p in pages] == ["app.py"] + [f"pages/{i}_Page_{i}.py" for i in range(1, 9)]
    assert [p.url_path for p in pages] == [""] + [f"Page_{i}" for i in range(1, 9)]
    assert load.select_pages(pages, "home,3_") == [0, 3]
    with pytest.raises(SystemExit):
        load.select_pages(pages, "nope")


def test_trivial_app_pages_match_the_real_app():
    real = load.discover_pages(ROOT / "app.py") if (ROOT / "app.py").exists() else []
    trivial = load.discover_pages(ROOT / "bench" / "trivial_app" / "app.py")
    if len(real) < 2:
        pytest.skip("the app's pages have not landed yet")
    assert len(trivial) >= len(real), "bench/trivial_app needs as many pages as the app"


def test_percentile():
    assert load.pct([], 50) is None
    assert load.pct([3.0], 95) == 3.0
    assert load.pct([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert load.pct(list(map(float, range(101))), 95) == pytest.approx(95.0)


def test_memory_reader_reads_this_process():
    import os
    mem = load.read_memory_mb(os.getpid())
    assert mem["VmRSS"] > 1 and mem["VmHWM"] >= mem["VmRSS"] * 0.5


def test_two_sessions_on_the_trivial_app(tmp_path):
    out = tmp_path / "load.json"
    code = _in_thread(load.main, ["--only-baseline", "-n", "2", "--pages", "home,1_", "--run-timeout", "60",
                      "--total-timeout", "100", "--json", str(out)])
    import json
    res = json.loads(out.read_text())
    s = res["apps"]["trivial"]["summary"]
    assert code == 0, s["failures"]
    assert s["runs"] == s["expected_runs"] == 4 and s["failed_runs"] == 0 and s["exceptions"] == []
    assert s["p95_ms"] > 0 and s["per_page"]["pages/1_Page_1.py"]["kb_per_run"] > 0
    mem = res["apps"]["trivial"]["memory_mb"]
    assert mem["end_VmHWM"] >= mem["idle_VmRSS"] > 10
    # The lecturer's second visit of a page reuses cached ForwardMsgs only if they are big enough;
    # here they are not, so no ref_hash is expected, and none may be left unresolved.
    assert not [f for f in s["failures"] if "ref_hash" in f]


def test_url_benchmarks_a_running_server(tmp_path):
    """--url: nothing is started; the hall goes to the given server (here the trivial app, started
    by the test), pages discovered from --app; memory read from --state's pids."""
    import json

    server = load.Server(load.TRIVIAL, "trivial", tmp_path, [])
    try:
        server.wait_ready(60)
        state = tmp_path / "state.json"
        state.write_text(json.dumps({"url": f"http://127.0.0.1:{server.port}",
                                     "replicas": [{"port": server.port, "pid": server.proc.pid}]}))
        out = tmp_path / "load.json"
        code = _in_thread(load.main, ["--url", f"http://127.0.0.1:{server.port}/", "--state", str(state),
                                      "--app", str(load.TRIVIAL), "-n", "2", "--pages", "home,1_",
                                      "--total-timeout", "100", "--json", str(out)])
    finally:
        server.stop()
    res = json.loads(out.read_text())
    s = res["apps"]["url"]["summary"]
    assert code == 0, s["failures"]
    assert s["runs"] == s["expected_runs"] == 4 and s["failed_runs"] == 0 and s["exceptions"] == []
    assert res["apps"]["url"]["memory_mb"]["end_VmRSS"] > 10


def test_remote_target_and_its_arguments():
    assert load.Remote("https://hall.example.org/rnnviz/", "x").url == "wss://hall.example.org/rnnviz/_stcore/stream"
    assert load.Remote("http://127.0.0.1:8080", "x").memory() == {}   # no pids: no memory figures
    for bad in (["--url", "127.0.0.1:8080"], ["--replicas", "1"], ["--url", "http://a", "--replicas", "2"]):
        with pytest.raises(SystemExit):
            load.parse_args(bad)


class _FakeWS:
    """Replays serialized ForwardMsgs, as the server would send them."""

    def __init__(self, msgs):
        self._msgs = [m.SerializeToString() for m in msgs]
        self.sent = []

    async def send(self, data):
        from streamlit.proto.BackMsg_pb2 import BackMsg
        back = BackMsg()
        back.ParseFromString(data)
        self.sent.append(back)

    async def recv(self):
        if not self._msgs:
            import asyncio
            await asyncio.sleep(3600)  # a server that never finishes: the run timeout must end it
        return self._msgs.pop(0)


def _exception_msg(text, *, cacheable):
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    m = ForwardMsg()
    m.delta.new_element.exception.type = "ValueError"
    m.delta.new_element.exception.message = text
    m.hash = "h-" + text
    m.metadata.cacheable = cacheable
    return m


def _finished(status=None):
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    m = ForwardMsg()
    m.script_finished = ForwardMsg.FINISHED_SUCCESSFULLY if status is None else status
    return m


def _ref(h):
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    m = ForwardMsg()
    m.ref_hash = h
    return m


def test_ref_hash_messages_are_resolved_from_the_session_cache():
    import asyncio
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    page = load.Page("pages/1_X.py", "X")
    sess = load.Session("ws://unused", "t", 0, [page], "a=1", run_timeout=2.0)
    first = _FakeWS([_exception_msg("boom", cacheable=True), _finished()])
    run1 = _arun(sess.visit(first, page))
    assert run1.failure is None and run1.exceptions == ["ValueError: boom"] and run1.ms > 0
    assert first.sent[0].rerun_script.page_name == "X" and first.sent[0].rerun_script.query_string == "a=1"
    # The second visit announces the cached hash; the server answers with a reference to it.
    second = _FakeWS([_finished(ForwardMsg.FINISHED_EARLY_FOR_RERUN), _ref("h-boom"), _finished()])
    run2 = _arun(sess.visit(second, page))
    assert list(second.sent[0].rerun_script.cached_message_hashes) == ["h-boom"]
    assert run2.failure is None and run2.cache_refs == 1 and run2.exceptions == ["ValueError: boom"]


def test_unknown_ref_hash_and_silence_are_failures_not_hangs():
    import asyncio
    page = load.Page("app.py", "")
    sess = load.Session("ws://unused", "t", 0, [page], "", run_timeout=0.5)
    run = _arun(sess.visit(_FakeWS([_ref("nope"), _finished()]), page))
    assert run.ms is None and "ref_hash" in run.failure
    run = _arun(sess.visit(_FakeWS([]), page))
    assert run.ms is None and run.failure.startswith("timeout")
