"""Page timings for the benchmark: every registered page under Streamlit's AppTest (warm
medians), and on the real server in headless Chromium every viewer page's first load and the
server's peak memory after them (or, without Chromium, every page under AppTest in a child
process, memory only).
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

from edubalance.devtools.server import (
    APP_DRAWN,
    CHROMIUM,
    CHROMIUM_ARGS,
    peak_rss_mib,
    running_server,
    wait_rendered,
)
from edubalance.store.paths import ROOT
from edubalance.ui.navigation import PAGES


def registered_pages(*, several_counties: bool = False) -> list:
    """The registered pages; 县域对比 (``multi_county``) only for a database of several counties."""
    return [p for p in PAGES if several_counties or not getattr(p, "multi_county", False)]


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


COMPARISON_PAGE = "counties"  # 县域对比: loaded at province scope, every other page for one county
WARMUP_PAGE = "login"  # the lightest page: the server's first session, before the timed loads


def page_urls(base_url: str, county: str | None = None) -> dict[str, str]:
    """{label: URL} of every viewer page: with ``?county=`` when a county is given (a database of
    several counties), except 县域对比, which is then loaded at province scope (all counties).
    The default page is served at the root (/<its url_path> is "page not found")."""
    urls = {}
    for spec in registered_pages(several_counties=bool(county)):
        if spec.admin_only:
            continue
        path = "/" if spec is PAGES[0] else f"/{spec.url_path}"
        if county and spec.url_path != COMPARISON_PAGE:
            urls[f"{spec.url_path}?county={county}"] = f"{base_url}{path}?county={county}"
        else:
            urls[spec.url_path] = f"{base_url}{path}"
    return urls


def server_memory(db: Path, county: str | None = None, page_timeout_s: float = 300.0, port: int | None = None) -> dict:
    """Every viewer page's first load on the real server in headless Chromium (until the script
    run has finished and every chart is drawn), after one warm-up session on the login page
    (``server_warmup_s``: the server process's own start-up); then every page once more with
    the server's caches warm (``server_page_reload_s``: what is left is the browser's own
    loading and drawing); then the server's peak memory."""
    try:  # why here: Playwright is a dev-only dependency; without it the AppTest fallback runs
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not Path(CHROMIUM).exists():
        return _apptest_child_memory(db)
    loads, reloads = {}, {}
    with tempfile.TemporaryDirectory() as tmp, running_server(db, Path(tmp) / "server.log", port=port) as (proc, url):
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1440, "height": 1000})
                # The server's first session pays its one-off start (imports, the database's
                # first open): load the login page once, untimed as a page, reported apart.
                t0 = time.perf_counter()
                page.goto(f"{url}/{WARMUP_PAGE}", wait_until="domcontentloaded")
                warmup = wait_rendered(page, page_timeout_s * 1000, ready=APP_DRAWN) - t0
                urls = page_urls(url, county)
                for timed in (loads, reloads):  # first loads, then each page once more (caches warm)
                    for key, address in urls.items():
                        t0 = time.perf_counter()
                        page.goto(address, wait_until="domcontentloaded")
                        timed[key] = wait_rendered(page, page_timeout_s * 1000, ready=APP_DRAWN) - t0
            finally:
                browser.close()
        peak = peak_rss_mib(proc.pid)
    return {
        "server_peak_rss_mib": peak,
        "server_peak_rss_method": "streamlit server, every viewer page loaded once in Chromium; VmHWM of the server",
        "server_page_load_s": loads,
        "server_page_reload_s": reloads,
        "server_warmup_s": warmup,
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
