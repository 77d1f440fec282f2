"""A database of two counties in a real browser: the Kaiping demo plus 恩平 (440785, the
shared fixture tests/support/two_counties.py), on the real server in headless Chromium.

县域对比 at province scope and one county's page (地图 with ``?county=440785``) are loaded at
1440 and 390 px. Each must show no exception box, log no console error, request nothing from
any host but localhost, and draw its map (plotly's path.choroplethlocation with geometry):
the comparison map at least both counties, the county map 恩平's two towns. Screenshots land in
tests/screenshots/ (git-ignored) as ``counties-two-counties-<width>.png`` and
``map-enping-<width>.png`` for a human to look at.
"""

from __future__ import annotations

import os

import pytest

from edubalance.devtools.server import running_server
from edubalance.ui.navigation import PAGES
from tests.support.browser_support import (
    DESKTOP,
    PHONE,
    BrowserSession,
    launch_browser,
)
from tests.support.two_counties import ENPING, two_county_db  # noqa: F401 - the module's fixture

BY_PATH = {p.url_path: p for p in PAGES}
if "counties" not in BY_PATH:
    pytest.skip("县域对比 (views/counties.py) is not registered yet", allow_module_level=True)
COUNTIES, MAP = BY_PATH["counties"], BY_PATH["map"]
ENPING_TOWNS = 2


@pytest.fixture(scope="module")
def server_url(two_county_db, tmp_path_factory):  # noqa: F811 - the imported fixture
    work = tmp_path_factory.mktemp("browser_counties")
    log = work / "server.log"
    env = {"EDUBALANCE_CACHE_DIR": str(work / "cache")}
    try:
        with running_server(two_county_db, log, env=env) as (_proc, url):
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
            yield BrowserSession.open(browser, server_url)
        finally:
            browser.close()


def _main_text(session: BrowserSession) -> str:
    return session.page.locator('[data-testid="stMain"]').inner_text()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "390"])
def test_county_comparison_at_province_scope(session, viewport):
    session.reset()
    # the 差异系数 view: its heat tables name every county in SVG text (the ranking is a
    # canvas-drawn table, with no text in the page)
    session.goto(COUNTIES, viewport, "view=cv")
    problems = session.check(COUNTIES)
    areas = session.map_areas()
    text = _main_text(session)
    session.screenshot(COUNTIES, viewport["width"], "two-counties")
    assert not problems, f"县域对比（{viewport['width']}px）：\n  " + "\n  ".join(problems)
    assert areas >= 2, f"县域对比的地图只画出 {areas} 个县级区域"
    assert "开平" in text and "恩平" in text, "县域对比没有同时列出开平和恩平"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440", "390"])
def test_one_county_page_of_the_two_county_database(session, viewport):
    session.reset()
    session.goto(MAP, viewport, f"county={ENPING}")
    problems = session.check(MAP)
    areas = session.map_areas()
    text = _main_text(session)
    session.screenshot(MAP, viewport["width"], "enping")
    assert not problems, f"地图 ?county={ENPING}（{viewport['width']}px）：\n  " + "\n  ".join(problems)
    assert areas >= ENPING_TOWNS, f"恩平的地图只画出 {areas} 个镇街区域"
    # 恩平's two towns, none of 开平's: the county came from the URL, no selector prompt
    assert "恩城街道" in text and "横陂镇" in text, "地图页没有显示恩平的镇街"
    assert "三埠街道" not in text and "请选择县" not in text
    assert f"county={ENPING}" in session.page.url  # the scope stays in the URL
