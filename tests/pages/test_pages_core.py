"""AppTest runs of the foundation pages (总览, 义务教育优质均衡, 方法说明) on the demo data."""

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
CORE_PAGES = ["views/overview.py", "views/balance.py", "views/methods.py"]


@pytest.fixture
def demo_env(demo_db, monkeypatch):
    monkeypatch.setenv("EDUBALANCE_DB", str(demo_db))
    return demo_db


@pytest.mark.parametrize("page", CORE_PAGES)
def test_page_renders_without_exception_and_fast_when_warm(page, demo_env):
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    start = time.perf_counter()
    at.run()
    warm = time.perf_counter() - start
    assert not at.exception
    assert warm < 1.0, f"{page} took {warm:.2f}s warm"


def test_overview_shows_demo_banner_and_missing_towns(demo_env):
    at = AppTest.from_file(str(ROOT / "views/overview.py"), default_timeout=60)
    at.run()
    assert any("演示数据" in w.value for w in at.warning)
    labels = [m.label for m in at.metric]
    assert "缺公办寄宿制学校的镇" in labels
    text = " ".join(m.value for m in at.markdown)
    assert "尚无公办寄宿制学校" in text


def test_year_comes_from_the_url(demo_env):
    at = AppTest.from_file(str(ROOT / "views/balance.py"), default_timeout=60)
    at.query_params["year"] = "2023"
    at.run()
    assert not at.exception
    assert at.selectbox(key="flt_year").value == 2023


def test_app_entry_builds_navigation(demo_env):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    # app.py turns a page's exception into a Chinese message with an error id (page_guard).
    assert not [e.value for e in at.error if "错误编号" in e.value]
