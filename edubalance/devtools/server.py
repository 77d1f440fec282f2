"""The real server for the benchmark and the browser tests: ``streamlit run app.py`` on a free
port in its own process group (``running_server``), the Chromium the tests drive, and
``wait_rendered``, which waits until a Streamlit script run has finished in a Playwright page.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from edubalance.store.paths import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: Path, port: int, log: Path | None = None, env: dict | None = None) -> subprocess.Popen:
    """`streamlit run app.py` on `port`, headless, on database `db`; stdout/stderr to `log`;
    `env` adds to the environment (e.g. an admin password hash for tests)."""
    env = dict(os.environ, **(env or {}), EDUBALANCE_DB=str(db), PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    cmd += ["--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed by the caller's process end
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    url = f"http://127.0.0.1:{port}/_stcore/health"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode} before it was healthy")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"streamlit not healthy on port {port} after {timeout:.0f} s")


def stop_server(proc: subprocess.Popen) -> None:
    """Stop the server process group we started (and only it)."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, 15)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 9)
        proc.wait(timeout=5)


@contextlib.contextmanager
def running_server(
    db: Path, log: Path | None = None, timeout: float = 120.0, env: dict | None = None, port: int | None = None
) -> Iterator[tuple[subprocess.Popen, str]]:
    port = port or free_port()
    proc = start_server(db, port, log, env)
    try:
        wait_healthy(port, proc, timeout)
        yield proc, f"http://127.0.0.1:{port}"
    finally:
        stop_server(proc)


def peak_rss_mib(pid: int) -> float:
    """VmHWM (peak resident set) of a live process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmHWM not found")


APP_IDLE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return !!app
        && app.getAttribute('data-test-connection-state') === 'CONNECTED'
        && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]');
}"""


# Every plotly chart on screen has its svg and at least one trace drawn (plotly draws after the
# script run has ended).
CHARTS_DRAWN = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .filter(el => el.offsetParent !== null)
    .every(el => el.querySelector('.js-plotly-plot .main-svg')
        && el.querySelector('.trace, .slice, .hm, path.choroplethlocation, .indicatorlayer > *, .table'))"""
APP_DRAWN = f"() => ({APP_IDLE})() && ({CHARTS_DRAWN})()"


def wait_rendered(page, timeout_ms: float = 120_000, *, ready: str = APP_IDLE) -> float:
    """Wait until the Streamlit script run has finished: the app is connected, its script state
    is ``notRunning``, no element is stale or still a loading skeleton, on two looks 300 ms apart (a rerun can start a
    moment after a click). ``ready=APP_DRAWN`` also waits for every chart to be drawn.

    Returns the ``time.perf_counter()`` at which the page was first seen ready in the final calm
    streak: the load time without the 300 ms looks that confirm it."""
    deadline = time.monotonic() + timeout_ms / 1000
    calm = 0
    since = time.perf_counter()
    while calm < 2:
        remaining = max(deadline - time.monotonic(), 0.1) * 1000
        page.wait_for_function(ready, timeout=remaining, polling=50)
        if calm == 0:
            since = time.perf_counter()
        page.wait_for_timeout(300)
        calm = calm + 1 if page.evaluate(ready) else 0
    return since
