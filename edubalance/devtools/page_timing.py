"""Page timings for the benchmark: every registered page under Streamlit's AppTest (warm
medians), and the real server's peak memory after loading every viewer page in headless Chromium
(or, without Chromium, every page under AppTest in a child process).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from edubalance.devtools.server import CHROMIUM, CHROMIUM_ARGS, peak_rss_mib, running_server, wait_rendered
from edubalance.store.paths import ROOT
from edubalance.ui.navigation import PAGES


def registered_pages() -> list:
    return list(PAGES)


def time_pages(db: Path, repeats: int = 3) -> dict:
    """Every registered page rendered with AppTest: one warm-up run, then the median of `repeats`."""
    previous = os.environ.get("EDUBALANCE_DB")
    os.environ["EDUBALANCE_DB"] = str(db)
    warm, errors = {}, {}
    try:
        for spec in registered_pages():
            at = AppTest.from_file(str(ROOT / spec.path), default_timeout=120)
            at.run()
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                at.run()
                times.append(time.perf_counter() - t0)
            warm[spec.url_path] = statistics.median(times)
            if at.exception:
                errors[spec.url_path] = [e.message for e in at.exception][:3]
    finally:
        if previous is None:
            os.environ.pop("EDUBALANCE_DB", None)
        else:
            os.environ["EDUBALANCE_DB"] = previous
    return {"page_warm_median_s": warm, "page_warm_max_s": max(warm.values()), "page_exceptions": errors}


def server_memory(db: Path, page_timeout_s: float = 300.0) -> dict:
    """Peak memory of the real server after loading every viewer page once in headless Chromium."""
    try:  # why here: Playwright is a dev-only dependency; without it the AppTest fallback runs
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not Path(CHROMIUM).exists():
        return _apptest_child_memory(db)
    loads = {}
    with tempfile.TemporaryDirectory() as tmp, running_server(db, Path(tmp) / "server.log") as (proc, url):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1440, "height": 1000})
                for spec in registered_pages():
                    if spec.admin_only:
                        continue
                    t0 = time.perf_counter()
                    page.goto(f"{url}/{spec.url_path}", wait_until="domcontentloaded")
                    wait_rendered(page, page_timeout_s * 1000)
                    loads[spec.url_path] = time.perf_counter() - t0
            finally:
                browser.close()
        peak = peak_rss_mib(proc.pid)
    return {
        "server_peak_rss_mib": peak,
        "server_peak_rss_method": "streamlit server, every viewer page loaded once in Chromium; VmHWM of the server",
        "server_page_load_s": loads,
    }


def _apptest_child_memory(db: Path) -> dict:
    code = (
        "import json, os, resource, sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        "from edubalance.ui.navigation import PAGES\n"
        "from edubalance.store.paths import ROOT\n"
        "for spec in PAGES:\n"
        "    AppTest.from_file(str(ROOT / spec.path), default_timeout=600).run()\n"
        "print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n"
    )
    env = dict(os.environ, EDUBALANCE_DB=str(db))
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    kib = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "server_peak_rss_mib": kib / 1024,
        "server_peak_rss_method": "every page rendered with AppTest in a child process; its ru_maxrss",
    }
