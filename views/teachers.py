"""教师队伍: teacher exchange by the plan's and the national rule, rural principals under 45,
principals long in post, and where the well-qualified and backbone teachers are."""

import streamlit as st

from edubalance.charts import targets as ct
from edubalance.model.format import is_missing
from edubalance.ui import data, filters, widgets
from edubalance.ui.scope import require_county

require_county()  # several counties: a county page needs one; otherwise nothing


def pct(v) -> str:
    return "—" if is_missing(v) else f"{v:.1%}"


year = filters.year_filter()
stage = filters.stage_filter(options=("小学", "初中", "高中", "学前"), default="小学")
st.title("教师队伍")
widgets.banner(year)

policy = data.query("teacher_policy", year=year)
trend = data.query("teacher_trend", year=year)
heads = data.query("principals_summary", year=year)
dist = data.query("teacher_distribution", year=year, stage=stage)

city = policy[policy["scope"] == "全市"].iloc[0]
rural = heads[(heads["grouping"] == "城乡") & (heads["name"] == "乡村")]
whole = heads[heads["grouping"] == "全市"]

c = st.columns(4)
c[0].metric(
    "交流比例（方案口径）",
    pct(city["rate_all"]),
    help=f"交流轮岗教师 ÷ 全体专任教师，方案要求 ≥ {pct(city['standard_all'])}（每学年）",
    border=True,
)
c[1].metric(
    "交流比例（国家口径）",
    pct(city["rate_eligible"]),
    help=f"交流轮岗教师 ÷ 符合交流条件教师，国家要求 ≥ {pct(city['standard_eligible'])}（教师〔2014〕4号）",
    border=True,
)
if len(rural):
    r = rural.iloc[0]
    c[2].metric(
        "45岁以下乡村校（园）长",
        pct(r["under_age_share"]),
        help=f"城乡分类代码 2xx 的学校（园）正职校（园）长中年龄 < {r['age_limit']:.0f} 岁者占比；"
        f"方案：力争到2027年达到 {pct(r['goal_young'])} 以上",
        border=True,
    )
else:
    c[2].metric("45岁以下乡村校（园）长", "—", help="本学年没有乡村学校（园）的校（园）长数据", border=True)
if len(whole):
    w = whole.iloc[0]
    c[3].metric(
        "任现职超过10年的校（园）长",
        f"{int(w['over_tenure'])} 人",
        help=f"在同一岗位连续任职超过 {w['tenure_limit']:.0f} 年；占全部校（园）长 {pct(w['over_tenure_share'])}",
        border=True,
    )

st.subheader("交流轮岗：方案口径与国家口径")
st.caption(
    "方案口径：县域内每学年交流人数 ÷ 教师总数（小学、初中、高中）；国家口径（教师〔2014〕4号、优质均衡评估）："
    "交流人数 ÷ 符合交流条件教师数（义务教育学校），且交流教师中县级以上骨干教师所占比例另有要求。"
)
left, right = st.columns([2, 3])
with left:
    widgets.chart(data.figure(ct.exchange_compare, city, title="全市"), key="te_cmp")
with right:
    widgets.chart(data.figure(ct.town_rates, policy, title="各镇街"), key="te_towns")
widgets.chart(
    data.figure(
        ct.trend_lines,
        trend,
        {"rate_all": "方案口径", "rate_eligible": "国家口径", "exchanged_backbone_share": "骨干占交流教师"},
        {
            "rate_all": "standard_all",
            "rate_eligible": "standard_eligible",
            "exchanged_backbone_share": "standard_backbone",
        },
        title="历年交流比例",
    ),
    key="te_trend",
)
with st.expander("表格：各镇街交流轮岗"):
    widgets.table(policy, f"交流轮岗_{year}", key="te_policy_t")

st.subheader("乡村校（园）长年轻化")
left, right = st.columns(2)
with left:
    widgets.chart(
        data.figure(
            ct.trend_lines,
            trend,
            {"rural_young_share": "45岁以下乡村校（园）长"},
            {"rural_young_share": "standard_rural_young"},
            title="历年占比（目标为2027年）",
        ),
        key="te_young_trend",
    )
with right:
    areas = heads[heads["grouping"] == "城乡"]
    goal = float(areas["goal_young"].iloc[0]) if len(areas) else None
    widgets.chart(
        data.figure(
            ct.share_bars,
            areas,
            "name",
            "under_age_share",
            goal,
            goal_label="乡村目标",
            title="按城乡：45岁以下占比",
        ),
        key="te_young_area",
    )
towns = heads[heads["grouping"] == "镇街"]
widgets.chart(
    data.figure(ct.share_bars, towns, "name", "under_age_share", title="按镇街：45岁以下占比（全部学校）"),
    key="te_young_towns",
)
with st.expander("表格：校（园）长年龄与任职（按城乡、镇街）"):
    widgets.table(heads.drop(columns=["sort_key"]), f"校园长情况_{year}", key="te_heads_t")

st.subheader("任现职超过10年的校（园）长")
listing = data.query("principals_list", year=year)
long = listing[listing["over_tenure"]]
left, right = st.columns([2, 3])
with left:
    widgets.chart(
        data.figure(
            ct.trend_lines,
            trend,
            {"over_tenure_share": "任现职超过10年占比"},
            {"over_tenure_share": "standard_over_tenure"},
            title="历年占比",
        ),
        key="te_tenure_trend",
    )
with right:
    if long.empty:
        st.success("本学年没有在同一岗位连续任职超过10年的校（园）长。")
    else:
        widgets.table(
            long[["school_name", "school_type", "town_name", "area", "age", "tenure"]],
            f"任职超10年校园长_{year}",
            key="te_long_t",
        )

st.subheader(f"学历与骨干教师分布（{stage}）")
st.caption(
    "高于规定学历：小学为专科及以上，初中为本科及以上；骨干教师为县级及以上认定。每百名学生值按学生加权（ΣR/ΣP）。"
)
cols = {"above_degree_per100": "高学历教师/百生", "backbone_per100": "骨干教师/百生"}
if dist.empty:
    st.info(f"本学年没有{stage}学段的数据。")
else:
    std = {
        "above_degree_per100": dist["standard_degree_per100"].iloc[0],
        "backbone_per100": dist["standard_backbone_per100"].iloc[0],
    }
    std = {k: (None if is_missing(v) else float(v)) for k, v in std.items()}
    by_area = dist[dist["grouping"].isin(["全市", "城乡"])]
    by_town = dist[dist["grouping"] == "镇街"]
    widgets.chart(
        data.figure(ct.distribution_bars, by_area, cols, std, title="全市与城区、镇区、乡村"), key="te_dist_area"
    )
    widgets.chart(
        data.figure(ct.distribution_bars, by_town, cols, std, title="各镇街（红色为低于优质均衡标准）"),
        key="te_dist_town",
    )
    with st.expander("表格：学历与骨干教师分布"):
        widgets.table(dist.drop(columns=["sort_key"]), f"教师学历骨干分布_{stage}_{year}", key="te_dist_t")
