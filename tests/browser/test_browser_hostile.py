"""In a real browser: 镇街详情 with the ?town= probe of issue 14, and pages whose town and school
names are attacks. The browser must request nothing outside the app's host, the DOM must hold
no link (HTML or SVG) or image pointing outside, and the hostile text must show literally."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

import pytest

pytest.importorskip("playwright")
from edubalance.devtools.server import running_server
from tests.support.browser_support import DESKTOP, BrowserSession, is_local, launch_browser  # noqa: E402
from tests.support.hostile import SCHOOL_NAMES, TOWN_NAMES, TOWN_PROBE, build_hostile_db  # noqa: E402

SHOTS = Path(os.environ.get("EDUBALANCE_SHOT_DIR", Path(__file__).resolve().parents[1] / "screenshots"))

# Every URL the DOM points at: links (HTML and SVG, as Plotly draws them), images, frames,
# scripts, stylesheets, and url(...) in inline styles.
DOM_URLS = """() => {
    const urls = [];
    for (const el of document.querySelectorAll('*')) {
        for (const attr of ['href', 'src', 'xlink:href', 'srcset', 'action', 'formaction', 'data']) {
            const v = el.getAttribute(attr);
            if (v) urls.push(el.tagName.toLowerCase() + ' ' + attr + ' ' + v);
        }
        const style = el.getAttribute('style') || '';
        for (const m of style.matchAll(/url\\(([^)]*)\\)/g)) urls.push(el.tagName.toLowerCase() + ' style ' + m[1]);
    }
    return urls;
}"""


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    work = tmp_path_factory.mktemp("hostile_browser")
    db = build_hostile_db(work / "hostile.duckdb")
    with running_server(db, work / "server.log", env={"EDUBALANCE_CACHE_DIR": str(work / "cache")}) as (_p, url):
        yield url


@pytest.fixture(scope="module")
def session(server_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_browser(p)
        try:
            yield BrowserSession.open(browser, server_url)
        finally:
            browser.close()


def outside_urls(session: BrowserSession) -> list[str]:
    found = []
    for entry in session.page.evaluate(DOM_URLS):
        tag, attr, value = entry.split(" ", 2)
        url = value.strip().strip("'\"")
        if url.startswith(("#", "/", "data:", "blob:")) or "://" not in url and not url.startswith("//"):
            continue  # relative to the app, or inline
        if not is_local(url if "://" in url else "http:" + url):
            found.append(entry)
    return found


def visit(session: BrowserSession, path: str, shot: str | None = None) -> str:
    session.reset()
    session.page.set_viewport_size(DESKTOP)
    session.page.goto(session.base_url + path, wait_until="domcontentloaded")
    session.settle()
    session.page.wait_for_timeout(800)  # images and fonts a hostile name might have asked for
    if shot:
        SHOTS.mkdir(parents=True, exist_ok=True)
        session.page.screenshot(path=str(SHOTS / shot))
    assert not session.external_requests, f"{path} 请求了外部地址：{session.external_requests}"
    assert not outside_urls(session), f"{path} 的页面中有指向外部的链接或图片：{outside_urls(session)}"
    assert not session.page_errors, session.page_errors
    # The invisible word joiners that break autolinks are not part of what a reader sees.
    return session.page.locator('[data-testid="stMain"]').inner_text().replace("\u2060", "")


def test_town_probe_in_the_url_is_plain_text(session):
    text = visit(session, "/town?town=" + quote(TOWN_PROBE), shot="hostile-town-probe-1440.png")
    assert f"没有区划代码为 {TOWN_PROBE} 的镇街" in text
    assert session.page.locator('[data-testid="stMain"] a', has_text="点此重新登录").count() == 0


@pytest.mark.parametrize("code", list(TOWN_NAMES))
def test_hostile_town_names_show_literally(session, code):
    text = visit(session, f"/town?town={code}&year=2025", shot=f"hostile-town-{code}-1440.png")
    assert f"镇街详情：{TOWN_NAMES[code]}" in text
    assert (
        session.page.locator("h1").first.inner_text().replace("\u2060", "").strip() == f"镇街详情：{TOWN_NAMES[code]}"
    )


@pytest.mark.parametrize("path", ["/", "/targets", "/export?present=1&slide=3"])  # /balance: below
def test_pages_with_hostile_names_request_nothing_outside(session, path):
    text = visit(session, path)
    assert "Traceback" not in text


def test_school_names_in_a_figure_are_text_not_links(session):
    visit(session, "/balance?year=2025")
    # The 资源配置 matrix has the school names as tick labels: drawn as text, no <a> in the SVG.
    ticks = session.page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot .ytick text, .js-plotly-plot .xtick text')]"
        ".map(t => t.textContent)"
    )
    assert SCHOOL_NAMES[0] in ticks or any(SCHOOL_NAMES[0] in t for t in ticks), ticks
    assert session.page.locator(".js-plotly-plot a").count() == 0
