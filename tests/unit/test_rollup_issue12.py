"""The page roll-ups of issue 12 (pure, on hand-made targets_status rows): the first-screen
list of targets that missed their deadline or move the wrong way, with owners and the towns
that miss them; “逾期N年” / “N年补齐”; 需补齐的镇 over every town-scoped target."""

from __future__ import annotations

import pandas as pd

from edubalance.charts import targets as charts_targets
from edubalance.metrics import progress
from edubalance.ui import target_cards


def unit(target_id, scope, code, name, s25, s27, **kw):
    row = {
        "target_id": target_id,
        "group_zh": "教育资源扩增工程",
        "wording": f"{target_id} 的原文",
        "indicator_key": kw.pop("key", target_id.lower()),
        "kind": kw.pop("kind", "coverage"),
        "scope": scope,
        "scope_code": code,
        "scope_name": name,
        "comparator": ">=",
        "goal": 1.0,
        "unit": "所",
        "deadline": kw.pop("deadline", "2025"),
        "owner": kw.pop("owner", "市教育局、各镇（街）"),
        "owner_note": kw.pop("owner_note", None),
        "value": kw.pop("value", 0.0),
        "value_year": 2026,
        "series_years": [2024, 2025, 2026],
        "series_values": [0.0, 0.0, kw.pop("last", 0.0)],
        "deadline_2025": 2025,
        "deadline_2027": 2027,
        "needed_2025": None,
        "needed_2027": None,
        "status_2025": s25,
        "status_2027": s27,
        "task_status": kw.pop("task_status", None),
        "met_year": kw.pop("met_year", None),
        "overdue_since": kw.pop("overdue_since", None),
        "final_2025": True,
        "final_2027": False,
    }
    row.update(kw)
    return row


def status_frame() -> pd.DataFrame:
    L, M, A, OFF = progress.LATE, progress.MET, progress.ACCELERATE, progress.OFF_TRACK
    rows = [
        # T2: 乙镇 and 丙镇 missed the 2025 deadline; 丁镇 met it late, in 2026.
        unit("T2", "zhen", "101", "乙镇", L, A, overdue_since=2025),
        unit("T2", "zhen", "102", "丙镇", L, A, overdue_since=2025),
        unit("T2", "zhen", "103", "丁镇", L, M, overdue_since=2025, met_year=2026, value=1.0, last=1.0),
        unit("T2", "zhen", "104", "戊镇", M, M, met_year=2023, value=1.0, last=1.0),
        # T7: a town target everyone meets.
        unit("T7", "zhen", "101", "乙镇", M, M, met_year=2024, value=1.0, last=1.0),
        unit("T7", "zhen", "102", "丙镇", M, M, met_year=2024, value=1.0, last=1.0),
        # T11: one city unit moving the wrong way (a projection, not final).
        unit("T11", "city", "990101", "全市", OFF, OFF, deadline="持续", owner="市财政局", owner_note="[D] 附件未列"),
        # Q5: a task past its deadline.
        unit(
            "Q5", "city", "990101", "全市", progress.OVERDUE, progress.OVERDUE, kind="qualitative", task_status="推进中"
        ),
        # T4: on track: not listed.
        unit("T4", "city", "990101", "全市", progress.ON_TRACK, progress.ON_TRACK),
    ]
    return pd.DataFrame(rows)


def test_catch_up_note():
    assert progress.catch_up_note(2026, 2025, 2026) == "2026年补齐"
    assert progress.catch_up_note(None, 2025, 2026) == "逾期1年"
    assert progress.catch_up_note(None, 2025, 2027) == "逾期2年"
    assert progress.catch_up_note(None, 2025, 2025) == "2025年到期未达标"
    assert progress.catch_up_note(2023, None, 2026) == ""  # met on time: nothing to say


def test_rollup_keeps_final_verdict_and_dates():
    roll = progress.rollup(status_frame()).set_index("target_id")
    t2 = roll.loc["T2"]
    assert t2["status_2025"] == progress.LATE  # worst of the towns, final
    assert t2["missing_2025"] == 3 and t2["units"] == 4  # three towns have a word other than 已达标
    assert t2["met_now"] == 2  # …but 丁镇 caught up in 2026: two towns meet the goal now
    assert t2["overdue_since"] == 2025 and pd.isna(t2["met_year"])  # two towns still miss it
    assert bool(t2["final_2025"]) and not bool(t2["final_2027"])
    assert roll.loc["T7", "met_year"] == 2024
    assert t2["caught_up"] == ["丁镇（2026年补齐）"] and roll.loc["T7", "caught_up"] == []


def test_attention_lists_late_overdue_and_off_track_with_owner_and_towns():
    st = status_frame()
    items = progress.attention(progress.rollup(st), progress.missing_units(st))
    assert [a["target_id"] for a in items] == ["T2", "Q5", "T11"]  # final misses first
    t2 = items[0]
    assert t2["status"] == progress.LATE and t2["owner"] == "市教育局、各镇（街）"
    assert t2["missing"] == ["乙镇", "丙镇"]  # 丁镇 met it in 2026, late
    html = target_cards.attention_html(items, 2026)
    assert "未按期达标" in html and "未达标（2/4）：乙镇、丙镇" in html and "逾期1年" in html
    assert "市财政局" in html and "[D]" in html and "偏离" in html and "逾期" in html
    assert "任务进展：推进中" in html


def test_town_shortfalls_cover_every_town_scoped_target():
    short = progress.town_shortfalls(status_frame()).set_index("target_id")
    assert list(short.index) == ["T2", "T7"]  # city targets are not town shortfalls
    assert short.loc["T2", "towns"] == ["乙镇", "丙镇"]
    assert short.loc["T7", "towns"] == []
    lines = target_cards.town_shortfall_lines(short.reset_index(), {"T2": "public_boarding_school"})
    assert lines[0] == "**尚无公办寄宿制学校**（T2，期限2025）：乙镇、丙镇"
    assert lines[1].endswith("：无")


def test_hostile_names_are_escaped():
    st = status_frame()
    st.loc[0, "scope_name"] = "<script>x</script>*镇*"
    items = progress.attention(progress.rollup(st), progress.missing_units(st))
    assert "<script>" not in target_cards.attention_html(items, 2026)
    lines = target_cards.town_shortfall_lines(progress.town_shortfalls(st))
    assert "<script>" not in lines[0] and "\\*镇\\*" in lines[0]


def test_every_word_has_a_colour_and_a_meaning():
    for w in progress.STATUS_ORDER:
        assert w in target_cards.STATUS_COLORS and w in charts_targets.STATUS_FILL
        assert w in progress.STATUS_MEANING
    # the final verdicts are solid red chips, distinct from 偏离 and 需加速
    late = target_cards.STATUS_COLORS[progress.LATE]
    assert late != target_cards.STATUS_COLORS[progress.OFF_TRACK]
    assert late != target_cards.STATUS_COLORS[progress.ACCELERATE]
    assert target_cards.STATUS_COLORS[progress.NOT_STARTED] != target_cards.STATUS_COLORS[progress.NO_DATA]
    legend = target_cards.status_legend_html()
    assert all(w in legend for w in progress.STATUS_ORDER)


def test_card_shows_deadline_note_measure_note_and_catch_up():
    st = status_frame()
    st["deadline_note"] = "方案未明示（按规划期末2027年评估）[D]"
    st["measure_note"] = "只测量了“两个不低于或高于”中的一半"
    st["plan_clause"] = "附件1·第1条"
    roll = progress.rollup(st).set_index("target_id")
    card = target_cards.target_card(
        roll.loc["T2"].rename("T2").to_frame().T.reset_index(names="target_id").iloc[0], ["乙镇"], 2026
    )
    assert "方案未明示（按规划期末2027年评估）" in card and ">[D]</span>" in card
    assert "只测量了“两个不低于或高于”中的一半" in card and "附件1·第1条" in card
    assert "逾期1年" in card and "2027预判" in card and "2025 未按期达标" in card
    assert "逾期后补齐：丁镇（2026年补齐）" in card


def test_catch_up_note_standing_requirement_is_not_late():
    # 持续 / 每学年 targets have no due date: the 2025 column judges the 2025 figure, so an
    # unmet one is “2025年起未达标”, never “逾期N年”; a dated target still reads 逾期N年.
    assert progress.catch_up_note(None, 2025, 2026, "持续") == "2025年起未达标"
    assert progress.catch_up_note(None, 2025, 2026, "每学年") == "2025年起未达标"
    assert progress.catch_up_note(2026, 2025, 2026, "持续") == "2026年补齐"
    assert progress.catch_up_note(None, 2025, 2026, "2025") == "逾期1年"
