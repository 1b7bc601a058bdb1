"""Server memory after a viewer visits every page in a real browser and downloads the exports.

Starts ``streamlit run app.py`` (the helpers of tests/e2e/app_server.py), opens every page in
headless Chromium (Debian's, through Playwright), and reads the server's VmRSS / VmHWM from
/proc/<pid>/status: idle, after each page, and after clicking each page's first PNG, SVG and CSV
download (vl-convert's renderer is loaded on the first image export, so that is where memory
jumps). Also prints how long each download took from click to file.

    .venv/bin/python bench/memory.py            # every page, one PNG/SVG/CSV per page
    .venv/bin/python bench/memory.py --no-exports

Target: well under 690 MB (the smallest Streamlit Community Cloud tier).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "e2e")]

from app_server import CHROMIUM, CHROMIUM_ARGS, start_server, wait_healthy  # noqa: E402
from test_pages_in_browser import VIEWPORT, load, url_path  # noqa: E402

from rnnviz.ui.registry import HOME, available_pages  # noqa: E402

LIMIT_MB = 690


def memory_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of the server process and its children (streamlit runs in one process)."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-exports", action="store_true", help="only visit the pages")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    server = start_server("memory")
    rows: list[dict] = []
    try:
        wait_healthy(server)
        pid = server.process.pid
        rows.append({"step": "idle (server started)", **memory_mb(pid)})
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
            page = context.new_page()
            for info in (HOME, *available_pages()):
                seconds = load(page, f"{server.url}/{url_path(info.path)}")
                rows.append({"step": f"visit {info.title}", "seconds": seconds, **memory_mb(pid)})
                if args.no_exports:
                    continue
                for label in ("PNG", "SVG", "CSV"):
                    button = page.locator('[data-testid="stDownloadButton"]').filter(has_text=label).first
                    if not button.count():
                        continue
                    start = time.perf_counter()
                    with page.expect_download(timeout=120_000) as dl:
                        button.click()
                    size = Path(dl.value.path()).stat().st_size
                    rows.append({"step": f"  {label} of {dl.value.suggested_filename}", "bytes": size,
                                 "seconds": time.perf_counter() - start, **memory_mb(pid)})
            browser.close()
        time.sleep(1)
        rows.append({"step": "end", **memory_mb(pid)})
    finally:
        server.stop()

    print(f"{'step':<52}{'time':>9}{'file':>10}{'VmRSS':>9}{'VmHWM':>9}")
    for r in rows:
        t = f"{r['seconds'] * 1000:.0f} ms" if "seconds" in r else ""
        size = f"{r['bytes'] / 1024:.0f} KB" if "bytes" in r else ""
        print(f"{r['step']:<52}{t:>9}{size:>10}{r['VmRSS']:>6.0f} MB{r['VmHWM']:>6.0f} MB")
    peak = max(r["VmHWM"] for r in rows)
    verdict = "well under" if peak < 0.6 * LIMIT_MB else ("under" if peak < LIMIT_MB else "OVER")
    print(f"\nserver peak resident memory (VmHWM): {peak:.0f} MB — {verdict} the {LIMIT_MB} MB of the "
          "smallest Community Cloud tier")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0 if peak < LIMIT_MB else 1


if __name__ == "__main__":
    raise SystemExit(main())
