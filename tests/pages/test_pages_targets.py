"""AppTest runs of 目标进度, 教师队伍 and 学前教育 (and the 总览 additions): no exception, the
URL filters work, a warm render stays under 1 s on the demo data, and sparse data (the tiny
oracle county) does not break them."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.support.apptest import render_page

PAGES = ("views/targets.py", "views/teachers.py", "views/preschool.py", "views/overview.py")


def run(page: str, monkeypatch, db: Path, **params) -> tuple[AppTest, float]:
    monkeypatch.setenv("EDUBALANCE_DB", str(db))
    at = render_page(page, **params)
    start = time.perf_counter()
    at.run()
    warm = time.perf_counter() - start
    assert not at.exception, [e.message for e in at.exception]
    return at, warm


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_fast_on_demo_data(page, monkeypatch, demo_db):
    at, warm = run(page, monkeypatch, demo_db, year="2026")
    assert warm < 1.0, f"{page}: warm render {warm:.2f} s"
    assert any("演示数据" in w.value for w in at.warning)


@pytest.mark.parametrize("page", PAGES)
def test_page_survives_sparse_data(page, monkeypatch, oracle_db):
    run(page, monkeypatch, oracle_db)


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_targets_page_groups_and_owner_filter(monkeypatch, demo_db):
    at, _ = run("views/targets.py", monkeypatch, demo_db, year="2026")
    text = _markdown(at)
    for group in (
        "教育资源扩增工程",
        "高中教育质量提升工程",
        "义务教育优质均衡工程",
        "学前教育普及普惠工程",
        "新强师工程",
    ):
        assert any(group in h.value for h in at.subheader), group
    assert "T2" in text and "Q28" in text and "2025 " in text
    assert at.sidebar.selectbox(key="flt_owner").value == "全部责任单位"

    # a responsible unit sees only the targets it is named on, and the URL says so
    at, _ = run("views/targets.py", monkeypatch, demo_db, year="2026", owner="市委编办")
    assert at.query_params["owner"] == ["市委编办"] or at.query_params["owner"] == "市委编办"
    text = _markdown(at)
    assert "T20" in text and "T17" in text  # 高中 targets name 市委编办
    assert ">T2<" not in text and ">T8<" not in text


def test_targets_page_unit_detail_from_url(monkeypatch, demo_db):
    at, _ = run("views/targets.py", monkeypatch, demo_db, year="2026", target="T3")
    assert at.selectbox(key="tg_target").value == "T3"
    assert any("个单位已达标" in m.value for m in at.markdown)


def test_teachers_page_stage_from_url(monkeypatch, demo_db):
    at, _ = run("views/teachers.py", monkeypatch, demo_db, year="2025", stage="初中")
    assert at.sidebar.selectbox(key="flt_stage").value == "初中"
    labels = [m.label for m in at.metric]
    assert "交流比例（方案口径）" in labels and "交流比例（国家口径）" in labels


def test_preschool_page_names_zhen_without_central_kindergarten(monkeypatch, demo_db):
    at, _ = run("views/preschool.py", monkeypatch, demo_db, year="2026")
    assert any("尚无规范化公办中心幼儿园" in w.value for w in at.warning)
    labels = [m.label for m in at.metric]
    assert {"学前三年毛入园率", "普惠性幼儿园覆盖率", "公办园在园幼儿占比"} <= set(labels)


def test_overview_has_target_headline_and_special_groups(monkeypatch, demo_db):
    at, _ = run("views/overview.py", monkeypatch, demo_db, year="2026")
    assert any("方案目标与任务进度" in m.value for m in at.markdown)
    assert any("特殊群体" in e.label for e in at.expander)
