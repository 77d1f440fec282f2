"""AppTest runs of 差距分析 (views/analysis.py) and the 差距来源 section of 义务教育优质均衡."""

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from edubalance.metrics import analytics
from edubalance.store import db as dbmod

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo_env(demo_db, monkeypatch):
    monkeypatch.setenv("EDUBALANCE_DB", str(demo_db))
    return demo_db


def _best_warm(at, runs=3):
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        at.run()
        best = min(best, time.perf_counter() - start)
        assert not at.exception, at.exception
    return best


VIEWS = ["差距在哪里", "谁在拉大差异系数", "情景模拟", "趋势预测", "小规模学校筛查"]


@pytest.mark.parametrize("view", VIEWS)
def test_analysis_page_renders_and_is_fast_when_warm(demo_env, view):
    at = AppTest.from_file(str(ROOT / "views/analysis.py"), default_timeout=120)
    at.query_params["view"] = view  # the open tab lives in the URL; only that tab runs
    at.run()
    assert not at.exception, at.exception
    assert any("演示数据" in w.value for w in at.warning)
    if view == "差距在哪里":
        assert "泰尔指数 T =" in " ".join(m.value for m in at.markdown)
    if view == "小规模学校筛查":
        assert any("不是撤并决定" in w.value for w in at.warning)
    warm = _best_warm(at)
    assert warm < 1.0, f"views/analysis.py ({view}) took {warm:.2f}s warm"


def test_analysis_filters_come_from_the_url(demo_env):
    at = AppTest.from_file(str(ROOT / "views/analysis.py"), default_timeout=120)
    at.query_params.update({"year": "2024", "stage": "初中", "indicator": "backbone_per100", "grouping": "urban_rural"})
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="flt_year").value == 2024
    assert at.selectbox(key="flt_stage").value == "初中"
    assert at.selectbox(key="an_indicator").value == "backbone_per100"
    assert at.selectbox(key="an_grouping").value == "urban_rural"


def test_what_if_scenario_shows_new_cvs_and_cost(demo_env):
    at = AppTest.from_file(str(ROOT / "views/analysis.py"), default_timeout=120)
    at.query_params["view"] = "情景模拟"
    at.run()
    inputs = dbmod.run("balance_inputs", {"year": 2026}, db=demo_env)
    keys = analytics.segment_options(inputs, "小学")["key"].head(3).tolist()  # failing schools first
    at.multiselect(key="an_wi_schools").set_value(keys).run()
    assert not at.exception, at.exception
    labels = [m.label for m in at.metric]
    assert "差异系数达标指标" in labels and "新达标学校（段）" in labels
    assert any(b.label.startswith("下载情景") for b in at.get("download_button"))
    at.radio(key="an_wi_mode").set_value("add").run()
    assert not at.exception, at.exception


def test_balance_page_has_the_gap_section_and_stays_fast(demo_env):
    at = AppTest.from_file(str(ROOT / "views/balance.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    heads = [h.value for h in at.subheader]
    assert "差距来源：镇街之间还是镇街内部？" in heads
    assert "拉大差异系数最多的10所学校（段）" in heads
    warm = _best_warm(at)
    assert warm < 1.0, f"views/balance.py took {warm:.2f}s warm"
