"""Browser test of the admin-only pages: log in through 登录 as the bootstrap admin on a server
that has an admin password hash, then open each admin page from the sidebar (where it appears only after the
login) and hold it to the same checks as the viewer pages, at desktop and phone width.

The phone-width picture is taken by narrowing the same tab: the login lives in the browser
session, and loading the page by its URL would start a new, logged-out session.
"""

from __future__ import annotations

import pytest

from edubalance.access import auth
from edubalance.devtools.server import running_server
from edubalance.ui.navigation import PAGES
from tests.support.browser_support import ADMIN_PAGES, DESKTOP, PHONE, BrowserSession, launch_browser  # noqa: E402

PASSWORD = "浏览器测试-pw-2026"
LOGIN = next(p for p in PAGES if p.url_path == "login")


@pytest.fixture(scope="module")
def admin_session(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    from edubalance.ingest.build import build_database

    work = tmp_path_factory.mktemp("browser_admin")
    db = work / "demo.duckdb"
    assert build_database(db).ok
    env = {auth.HASH_ENV: auth.make_hash(PASSWORD, rounds=4)}
    with running_server(db, work / "server.log", env=env) as (_proc, url), sync_playwright() as p:
        browser = launch_browser(p)
        try:
            s = BrowserSession.open(browser, url)
            s.open_home()
            s.click_nav(LOGIN)
            s.page.get_by_label("账号").fill(auth.BOOTSTRAP_NAME)
            s.page.get_by_label("密码", exact=True).fill(PASSWORD)
            s.page.get_by_role("button", name="登录").click()
            s.page.get_by_text("已登录：admin（管理员）").wait_for(timeout=60_000)
            s.settle()
            yield s
        finally:
            browser.close()


@pytest.mark.parametrize("spec", ADMIN_PAGES, ids=[p.url_path for p in ADMIN_PAGES])
def test_admin_page_after_login_at_both_widths(admin_session, spec):
    s = admin_session
    assert spec.url_path in s.nav_paths(), f"登录后侧栏仍没有“{spec.title}”"
    s.page.set_viewport_size(DESKTOP)
    s.reset()
    s.click_nav(spec)
    s.page.get_by_role("heading", name=spec.title).first.wait_for(timeout=60_000)
    problems = s.check(spec)
    s.screenshot(spec, DESKTOP["width"])
    s.page.set_viewport_size(PHONE)
    s.settle()
    problems += [f"（{PHONE['width']}px）{p}" for p in s.check(spec)]
    s.screenshot(spec, PHONE["width"])
    s.page.set_viewport_size(DESKTOP)
    assert not problems, f"{spec.title}（/{spec.url_path}）：\n  " + "\n  ".join(problems)
