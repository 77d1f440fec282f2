"""Every viewer page with a database whose town and school names are attacks, and 镇街详情 with
the ?town= probe of issue 14: whatever Streamlit renders as Markdown or HTML, and whatever
Plotly draws, carries the names escaped, and the names are shown literally."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.support.hostile import EVIL, SCHOOL_NAMES, TOWN_NAMES, TOWN_PROBE, build_hostile_db  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
YEAR = "2025"
WJ = "\u2060"
HOSTILE = [*TOWN_NAMES.values(), *SCHOOL_NAMES, TOWN_PROBE]
# Elements whose text Streamlit renders as Markdown (and HTML where the page allows it).
MARKDOWN_ELEMENTS = ("markdown", "caption", "title", "header", "subheader", "info", "warning", "error", "success")


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory) -> Path:
    return build_hostile_db(tmp_path_factory.mktemp("hostile") / "hostile.duckdb")


@pytest.fixture
def env(hostile_db, monkeypatch, tmp_path):
    monkeypatch.setenv("EDUBALANCE_DB", str(hostile_db))
    monkeypatch.setenv("EDUBALANCE_CACHE_DIR", str(tmp_path / "cache"))
    return hostile_db


def shown(src: str) -> str:
    """The text Markdown shows for ``src`` (escapes resolved, character references decoded,
    word joiners dropped): good enough to find a name made inert by edubalance.model.safe_text."""
    text = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", src)
    text = re.sub(r"&#(\d+);", lambda m: chr(int(m.group(1))), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").replace(WJ, "")


def markdown_sources(at: AppTest) -> list[tuple[str, str]]:
    """(kind, source) of every piece of text the page hands to Streamlit's Markdown renderer."""
    out = []
    for kind in MARKDOWN_ELEMENTS:
        out += [(kind, str(e.value)) for e in getattr(at, kind)]
    out += [("metric label", m.label) for m in at.metric] + [("metric value", str(m.value)) for m in at.metric]
    out += [("expander", e.label) for e in at.expander] + [("tab", t.label) for t in at.tabs]
    out += [("radio option", o) for r in at.radio for o in r.options]
    out += [("button", b.label) for b in at.button]
    for t in at.table:  # st.table renders Markdown in every cell
        df = t.value
        out += [("table header", str(c)) for c in df.columns]
        out += [("table cell", v) for v in df.to_numpy().ravel() if isinstance(v, str)]
    return out


def figure_strings(at: AppTest) -> list[str]:
    found = []

    def walk(v):
        if isinstance(v, str):
            found.append(v)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    for chart in at.get("plotly_chart"):
        walk(json.loads(chart.proto.spec))
    return found


def assert_inert(at: AppTest) -> list[str]:
    """No Markdown source or figure string carries a hostile name unescaped; returns what the
    page shows (for the positive checks)."""
    assert not at.exception, [e.message for e in at.exception]
    sources = markdown_sources(at)
    for kind, src in sources:
        # md() escapes the dot and html_text() encodes it: a bare host name means raw text.
        assert EVIL not in src, f"{kind} 中有未转义的数据文本：{src[:300]}"
        for name in HOSTILE:
            assert name not in src, f"{kind} 原样含有 {name!r}：{src[:300]}"
    for s in figure_strings(at):
        assert "<img" not in s and "<a " not in s and "<i>" not in s, f"图表文本含标签：{s[:300]}"
        assert "&amp;lt;" not in s, f"图表文本被转义两次：{s[:300]}"
    return [shown(src) for _, src in sources]


def run(page: str, **params) -> AppTest:
    at = AppTest.from_file(str(ROOT / page), default_timeout=120)
    at.query_params["year"] = YEAR
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    return at


def test_town_detail_shows_the_url_probe_as_text(env):
    at = run("views/town.py", town=TOWN_PROBE)
    texts = assert_inert(at)
    warning = shown(at.warning[0].value)
    assert warning.startswith(f"没有区划代码为 {TOWN_PROBE} 的镇街")
    assert f"已显示{TOWN_NAMES['440783001000']}" in warning
    assert any(TOWN_PROBE in t for t in texts)


@pytest.mark.parametrize("code", list(TOWN_NAMES))
def test_town_detail_shows_hostile_town_names_literally(env, code):
    at = run("views/town.py", town=code)
    assert_inert(at)
    assert shown(at.title[0].value) == f"镇街详情：{TOWN_NAMES[code]}"
    # The town's schools are in the figure and table data, escaped for Plotly where drawn.
    strings = figure_strings(at)
    assert not any(name in s for s in strings for name in SCHOOL_NAMES if "<" in name)


def test_overview_lists_hostile_towns_literally(env):
    at = run("views/overview.py")
    texts = assert_inert(at)
    boarding = [t for t in texts if t.startswith("**尚无公办寄宿制学校**")][0]
    assert TOWN_NAMES["440783101000"] in boarding and TOWN_NAMES["440783102000"] in boarding


@pytest.mark.parametrize(
    "page",
    [
        "views/map.py",
        "views/compare.py",
        "views/balance.py",
        "views/analysis.py",
        "views/preschool.py",
        "views/teachers.py",
        "views/targets.py",
    ],
)
def test_page_renders_hostile_names_inert(env, page):
    at = run(page)
    assert_inert(at)


@pytest.mark.parametrize("view", ["谁在拉大差异系数", "情景模拟", "趋势预测", "小规模学校筛查"])
def test_analysis_tabs_render_hostile_names_inert(env, view):
    at = run("views/analysis.py", view=view)  # only the open tab runs
    assert_inert(at)


def test_figures_carry_school_names_escaped(env):
    at = run("views/balance.py")
    strings = figure_strings(at)
    escaped = '&lt;a href="http://evil.example/s1"&gt;点我&lt;/a&gt;'
    assert any(escaped in s for s in strings), "学校名称应以转义形式出现在图表中"


def test_export_page_and_presentation_mode_are_inert(env):
    at = run("views/export.py")
    texts = assert_inert(at)
    assert texts  # the page rendered its sections
    at = run("views/export.py", present="1", slide="1")
    assert_inert(at)
    total = int(re.search(r"第 1/(\d+) 页", shown(at.caption[0].value)).group(1))
    seen_names = False
    for slide in range(2, total + 1):
        at = run("views/export.py", present="1", slide=str(slide))
        texts = assert_inert(at)
        seen_names |= any(name in t for t in texts for name in TOWN_NAMES.values())
    assert seen_names, "演示模式中应能看到（转义后的）镇街名称"
