"""Issue 12 on the pages (AppTest, demo data): 总览 names the targets that missed their
deadline or move the wrong way, with owners and the towns that miss them; 目标进度 shows the
status legend, [D] deadline notes, measure notes, the education-group scorecard, the
disabled-children enrolment rate and T9's list; 镇街详情 shows the town's own tasks and the
plan's verdict for its unit; the deck's target slide speaks the same words."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pptx import Presentation
from streamlit.testing.v1 import AppTest

from edubalance.metrics import progress
from edubalance.report import deck as ep
from edubalance.store import db as dbmod
from tests.support.apptest import render_page

YEAR = 2026
JINJI = "440783112000"  # 金鸡镇: no public boarding school by the 2025 deadline


def page(path: str, monkeypatch, db: Path, **params) -> AppTest:
    monkeypatch.setenv("EDUBALANCE_DB", str(db))
    return render_page(path, **params)


def text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


@pytest.fixture(scope="module")
def status(demo_db):
    return dbmod.run("targets_status", {"year": YEAR}, db=demo_db)


def test_overview_first_screen_names_late_targets_owners_and_towns(monkeypatch, demo_db, status):
    at = page("views/overview.py", monkeypatch, demo_db, year=str(YEAR))
    assert at.subheader[0].value.startswith("需要关注的目标")
    body = text(at)
    # T2: 2025 deadline, towns without a public boarding school in the 2026 data
    t2 = status[status["target_id"] == "T2"]
    late = [r for r in t2.to_dict("records") if r["status_2025"] == progress.LATE]
    still = [r["scope_name"] for r in late if not progress.meets_now(r)]
    assert still, "the demo story has towns still missing T2's 2025 deadline"
    assert "未按期达标" in body and ">T2<" in body
    assert f"（{len(still)}/{len(t2)}）：" + "、".join(still) in body  # named, not counted
    assert "逾期1年" in body  # 2026 − 2025
    assert t2["owner"].iloc[0] in body
    # 需补齐的镇 covers every town-scoped target (not only boarding schools and kindergartens)
    town_scoped = status.loc[status["scope"].isin(progress.TOWN_SCOPES), "target_id"].unique()
    for tid in town_scoped:
        assert f"（{tid}，" in body, tid


def test_targets_page_legend_notes_groups_and_indicators(monkeypatch, demo_db, status):
    at = page("views/targets.py", monkeypatch, demo_db, year=str(YEAR))
    body = text(at)
    for word in progress.STATUS_ORDER:  # the legend names all ten words
        assert word in body, word
    assert "方案未明示（按规划期末2027年评估）" in body and ">[D]</span>" in body
    t11 = status.loc[status["target_id"] == "T11", "measure_note"].iloc[0]
    assert "口径：" in body and t11[:8] in body  # T11: only one half measured
    assert "教育集团成员校与牵头校对比（Q11、Q12）" in body
    groups = [df.value for df in at.dataframe if "牵头校" in df.value.columns]
    assert groups and "开平市第四中学" in set(groups[0]["牵头校"]) and "赤坎镇中学" in set(groups[0]["成员校"])
    assert "定性任务的口径：" in "".join(c.value for c in at.caption)
    assert "适龄残疾儿童少年入学率" in body
    assert any("T9 监测名单" in m.value for m in at.markdown)
    assert "2025 未按期达标" in body


def test_town_page_shows_own_tasks_and_verdict(monkeypatch, demo_db):
    at = page("views/town.py", monkeypatch, demo_db, year=str(YEAR), town=JINJI)
    assert any(s.value == "本镇街的任务" for s in at.subheader)
    body = text(at)
    tasks = dbmod.run("town_tasks", {"year": YEAR, "town": JINJI}, db=demo_db)
    assert len(tasks) and all(f">{t}<" in body for t in tasks["target_id"])
    assert "方案结论：" in body and "未按期达标" in body and "逾期1年" in body


def test_deck_target_slide_uses_the_new_words(demo_db, status):
    res = ep.build_deck(YEAR, demo_db, with_map=False)
    prs = Presentation(io.BytesIO(res.data))
    slide = next(
        s for s in prs.slides if any("目标进度" in (sh.text_frame.text if sh.has_text_frame else "") for sh in s.shapes)
    )
    words = []
    for sh in slide.shapes:
        if sh.has_text_frame:
            words.append(sh.text_frame.text)
        if sh.has_table:
            words += [c.text for row in sh.table.rows for c in row.cells]
        if sh.has_chart:
            words += list(sh.chart.plots[0].categories)
    deck_text = "\n".join(words)
    assert "未按期达标" in deck_text and "逾期1年" in deck_text
    assert "状态说明：" in deck_text and progress.STATUS_MEANING[progress.LATE] in deck_text
