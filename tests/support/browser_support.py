"""Helpers for the browser tests: one real server, one headless Chromium, checks on a page.

The server is `streamlit run app.py` (started by `edubalance.devtools.server.running_server`, which the
benchmark uses too); the browser is the Debian `/usr/bin/chromium` driven by Playwright through
`executable_path`, so nothing is downloaded. Every request the page makes is routed through
`BrowserSession`: requests to any host but localhost are recorded and aborted (the product must
work offline, docs/ARCHITECTURE.md, 离线运行), console errors and uncaught page errors are recorded, and
`check()` looks at the drawn page for exception boxes and empty charts or maps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from edubalance.devtools.server import CHARTS_DRAWN, CHROMIUM, CHROMIUM_ARGS, wait_rendered
from edubalance.ui.navigation import PAGES, PageSpec

SCREENSHOT_DIR = Path(__file__).resolve().parents[1] / "screenshots"
DESKTOP = {"width": 1440, "height": 1000}
PHONE = {"width": 390, "height": 844}
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
RENDER_TIMEOUT_MS = 60_000
MAX_SCREENSHOT_HEIGHT = 16_000
CONTENT_HEIGHT = """() => Math.max(document.body.scrollHeight, ...[...document.querySelectorAll(
    '[data-testid="stMain"], [data-testid="stAppViewContainer"], [data-testid="stMainBlockContainer"]'
)].map(e => e.scrollHeight))"""


def _multi_county(spec: PageSpec) -> bool:
    return bool(getattr(spec, "multi_county", False))


# The single-county demo's pages (县域对比 is listed only with two counties or more).
VIEWER_PAGES: list[PageSpec] = [p for p in PAGES if not p.admin_only and not _multi_county(p)]
ADMIN_PAGES: list[PageSpec] = [p for p in PAGES if p.admin_only]
MULTI_COUNTY_PAGES: list[PageSpec] = [p for p in PAGES if _multi_county(p)]

# Per drawn plotly chart: how many marks it holds (paths with geometry, points, slices, map
# areas, heatmap images, text of table/indicator traces), whether it is a geo chart and how many
# choropleth areas it draws. Charts not on screen (a closed expander, another tab) are left out:
# plotly draws them only when they are shown.
CHART_PROBE = """() => [...document.querySelectorAll('.js-plotly-plot')]
    .filter(el => el.offsetParent !== null && el.getBoundingClientRect().width > 0)
    .map((el, i) => {
        const marks = [...el.querySelectorAll(
            '.trace path, .trace .point, .trace image, .slice path, path.choroplethlocation, ' +
            '.hm image, .trace text, .indicatorlayer text, .table .cell-text'
        )].filter(m => m.tagName !== 'path' || (m.getAttribute('d') || '').length > 4);
        const title = (el.querySelector('.gtitle') || {}).textContent || '';
        return {
            index: i,
            title: title,
            traces: el.querySelectorAll('.trace, .slice, .hm, .indicatorlayer > *').length,
            marks: marks.length,
            geo: el.querySelectorAll('.geolayer > *').length > 0,
            areas: el.querySelectorAll('path.choroplethlocation').length,
        };
    })"""

# Opening a page by its URL (/map) makes Streamlit's frontend look for the server's base path:
# it asks /map/_stcore/health and /map/_stcore/host-config first, gets 404 and falls back to /.
# Chromium logs those two 404s as console errors; they are the frontend's probing, not the app.
BASE_PATH_PROBE = re.compile(r"^Failed to load resource: .*404.* @ https?://[^/]+/[^?#]+/_stcore/(health|host-config)$")


def is_local(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in ("data", "blob", "about", "chrome-extension"):
        return True
    return (parsed.hostname or "") in LOCAL_HOSTS


@dataclass
class BrowserSession:
    """One page in one browser context; records what the app does wrong while it is shown."""

    page: object
    base_url: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, browser, base_url: str) -> BrowserSession:
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN", service_workers="block")
        page = context.new_page()
        session = cls(page, base_url)
        context.route("**/*", session._route)
        page.on("console", session._console)
        page.on("pageerror", lambda exc: session.page_errors.append(str(exc)))
        return session

    def _route(self, route) -> None:
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            self.external_requests.append(url)
            route.abort()

    def _console(self, msg) -> None:
        if msg.type == "error":
            where = msg.location.get("url", "") if isinstance(msg.location, dict) else ""
            text = f"{msg.text} @ {where}".strip()
            if not BASE_PATH_PROBE.match(text):
                self.console_errors.append(text)

    def reset(self) -> None:
        self.console_errors.clear()
        self.page_errors.clear()
        self.external_requests.clear()

    # navigation ------------------------------------------------------------------------------
    def nav_paths(self) -> list[str]:
        """The url_paths the sidebar navigation links to (the sidebar must be open)."""
        hrefs = self.page.eval_on_selector_all(
            '[data-testid="stSidebarNav"] a[href]', "els => els.map(e => e.getAttribute('href'))"
        )
        return [urlparse(h).path.rstrip("/").rsplit("/", 1)[-1] for h in hrefs]

    def open_home(self) -> None:
        self.page.set_viewport_size(DESKTOP)
        self.page.goto(self.base_url + "/", wait_until="domcontentloaded")
        wait_rendered(self.page, RENDER_TIMEOUT_MS)
        self.page.wait_for_selector('[data-testid="stSidebarNav"]', timeout=RENDER_TIMEOUT_MS)

    def click_nav(self, spec: PageSpec) -> None:
        """Go to a page by clicking its link in the sidebar, as a user would."""
        link = self.page.locator(f'[data-testid="stSidebarNav"] a[href$="/{spec.url_path}"]')
        if link.count() == 0:  # the default page may be linked as the bare root
            link = self.page.locator('[data-testid="stSidebarNav"] a', has_text=spec.title)
        link.first.click()
        if spec is not PAGES[0]:  # the default page keeps the bare root URL
            self.page.wait_for_url(f"**/{spec.url_path}*", timeout=RENDER_TIMEOUT_MS)
        self.settle()

    def url_of(self, spec: PageSpec, query: str = "") -> str:
        # st.navigation serves the default page at the root; /<its url_path> is "page not found".
        path = f"{self.base_url}/" if spec is PAGES[0] else f"{self.base_url}/{spec.url_path}"
        return path + (f"?{query}" if query else "")

    def goto(self, spec: PageSpec, viewport: dict, query: str = "") -> None:
        """Open a page by its URL (``query``: e.g. ``county=440785``) at a viewport size."""
        self.page.set_viewport_size(viewport)
        self.page.goto(self.url_of(spec, query), wait_until="domcontentloaded")
        self.settle()

    def settle(self) -> None:
        wait_rendered(self.page, RENDER_TIMEOUT_MS)
        try:  # plotly draws after the script run ends; give it time before check() looks
            self.page.wait_for_function(CHARTS_DRAWN, timeout=20_000, polling=200)
        except Exception:  # noqa: BLE001 - an undrawn chart is reported by check()
            pass
        self.page.wait_for_timeout(300)

    # checks ----------------------------------------------------------------------------------
    def check(self, spec: PageSpec) -> list[str]:
        """Everything wrong with the page as now shown (empty list: nothing)."""
        problems = []
        boxes = self.page.locator('[data-testid="stException"]')
        for i in range(boxes.count()):
            problems.append("Streamlit 异常框：" + boxes.nth(i).inner_text()[:400])
        problems += [f"浏览器控制台错误：{e}" for e in self.console_errors]
        problems += [f"页面脚本错误：{e}" for e in self.page_errors]
        problems += [f"访问了外部地址：{u}" for u in self.external_requests]
        charts = self.page.evaluate(CHART_PROBE)
        undrawn = self.page.evaluate(
            """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
                .filter(el => el.offsetParent !== null && !el.querySelector('.js-plotly-plot .main-svg')).length"""
        )
        if undrawn:
            problems.append(f"{undrawn} 个图表容器没有画出图表")
        for c in charts:
            name = c["title"] or f"第 {c['index'] + 1} 个图表"
            if c["marks"] == 0:
                problems.append(f"空图表：{name}（{c['traces']} 个 trace，没有画出任何图形）")
            if c["geo"] and c["areas"] == 0:
                problems.append(f"空地图：{name}（path.choroplethlocation 个数为 0）")
        if spec.url_path == "map" and not any(c["geo"] and c["areas"] > 0 for c in charts):
            problems.append("地图页没有画出任何镇街区域（path.choroplethlocation）")
        return problems

    def map_areas(self) -> int:
        """How many choropleth areas (path.choroplethlocation with geometry) the shown maps draw."""
        return self.page.evaluate(
            """() => [...document.querySelectorAll('path.choroplethlocation')]
                .filter(p => p.getBoundingClientRect().width > 0 && (p.getAttribute('d') || '').length > 4).length"""
        )

    def screenshot(self, spec: PageSpec, width: int, tag: str = "") -> Path:
        """The whole page: Streamlit scrolls inside its main block, not the document, so the
        viewport is stretched to the content's height for the picture and then restored.
        ``tag`` tells two shots of one page apart (e.g. the database they show)."""
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{spec.url_path}{'-' + tag if tag else ''}-{width}.png"
        before = self.page.viewport_size
        height = self.page.evaluate(CONTENT_HEIGHT)
        tall = min(max(int(height), before["height"]), MAX_SCREENSHOT_HEIGHT)
        if tall > before["height"]:
            self.page.set_viewport_size({"width": before["width"], "height": tall})
            self.page.wait_for_timeout(600)  # let plotly and the layout settle at the new size
        try:
            self.page.screenshot(path=str(path), full_page=True)
        finally:
            self.page.set_viewport_size(before)
        return path


def launch_browser(playwright):
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} 不存在：请先 apt-get install -y chromium（.ci/run 会安装）")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
