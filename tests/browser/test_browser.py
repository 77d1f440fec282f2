"""Browser tests: the real server on the demo data, every registered page in headless Chromium.

One server, one browser, one tab for the whole module. Each viewer page is reached by clicking
its sidebar link at 1440×1000 and then loaded by its URL at 390×844 (phone width, where the
sidebar is folded away); at both widths the page must show no exception box, log no console
error, request nothing from any host but localhost, and draw every chart and map it shows.
Screenshots of every page at both widths land in tests/screenshots/ (git-ignored) for a human
to look at (tofu, overlaps, readability). The pages come from edubalance/navigation.py, so a
page registered there is tested without touching this file.
"""

from __future__ import annotations

import os

import pytest

from edubalance.devtools.server import running_server
from tests.support.browser_support import (  # noqa: E402
    ADMIN_PAGES,
    DESKTOP,
    PHONE,
    VIEWER_PAGES,
    BrowserSession,
    launch_browser,
)


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    from edubalance.ingest.build import build_database

    work = tmp_path_factory.mktemp("browser")
    db = work / "demo.duckdb"
    result = build_database(db)
    assert result.ok, [p.line() for p in result.problems.errors[:10]]
    log = work / "server.log"
    try:
        with running_server(db, log) as (_proc, url):
            yield url
    finally:
        if os.environ.get("EDUBALANCE_SHOW_SERVER_LOG"):
            print(log.read_text(errors="replace")[-5000:])


@pytest.fixture(scope="module")
def session(server_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_browser(p)
        try:
            s = BrowserSession.open(browser, server_url)
            s.open_home()
            yield s
        finally:
            browser.close()


def _assert_clean(session: BrowserSession, spec, width: int) -> None:
    problems = session.check(spec)
    session.screenshot(spec, width)
    assert not problems, f"{spec.title}（/{spec.url_path}，{width}px）：\n  " + "\n  ".join(problems)


def test_every_viewer_page_is_in_the_navigation(session):
    linked = session.nav_paths()
    default = VIEWER_PAGES[0].url_path
    missing = [
        p.url_path for p in VIEWER_PAGES if p.url_path not in linked and not (p.url_path == default and "" in linked)
    ]
    assert not missing, f"侧栏导航缺少页面：{missing}（导航链接：{linked}）"


@pytest.mark.parametrize("spec", ADMIN_PAGES, ids=[p.url_path for p in ADMIN_PAGES])
def test_admin_pages_are_hidden_from_viewers(session, spec):
    assert spec.url_path not in session.nav_paths(), f"{spec.title} 只对管理员显示，却出现在访客的导航中"
    assert not session.page.locator('[data-testid="stSidebarNav"] a', has_text=spec.title).count()


@pytest.mark.parametrize("spec", VIEWER_PAGES, ids=[p.url_path for p in VIEWER_PAGES])
def test_page_through_the_navigation_at_desktop_width(session, spec):
    session.page.set_viewport_size(DESKTOP)
    session.reset()
    session.click_nav(spec)
    _assert_clean(session, spec, DESKTOP["width"])


@pytest.mark.parametrize("spec", VIEWER_PAGES, ids=[p.url_path for p in VIEWER_PAGES])
def test_page_by_url_at_phone_width(session, spec):
    session.reset()
    session.goto(spec, PHONE)
    _assert_clean(session, spec, PHONE["width"])
