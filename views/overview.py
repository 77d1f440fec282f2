"""总览: where the county stands this school year. First the plan's targets that missed their
deadline (未按期达标, 逾期) or move the wrong way (偏离), each with its owners and the towns or
schools that miss it; then the headline figures.

For a city or the province (several counties, none chosen): the counties that need attention
on the common targets and the 差异系数 caps, worst first, each linking to its own 总览."""

import streamlit as st
from streamlit.errors import StreamlitAPIException

from edubalance.charts import base as charts
from edubalance.charts import targets as charts_targets
from edubalance.metrics import progress, summaries
from edubalance.model import registry
from edubalance.model.labels import labelled
from edubalance.ui import area_overview, data, filters, scope, target_cards, widgets

if not scope.select().county and scope.is_multi():  # a city or the province: its counties
    area_overview.render(filters.year_filter())
    st.stop()
year = filters.year_filter()
st.title("总览")
widgets.banner(year)

# First screen: what is off the plan, by name (details on 目标进度).
status = data.query("targets_status", year=year)
targets = data.query_then(progress.rollup, "targets_status", year=year)
missing_units = data.query_then(progress.missing_units, "targets_status", year=year)
flagged = progress.attention(targets, missing_units)
st.subheader(f"需要关注的目标（{len(flagged)}项）")
if flagged:
    st.caption(
        "未按期达标、逾期：已到方案期限仍未达到（最终结论）；偏离：向相反方向变化（预判）。"
        "列出未达标的镇街或学校和责任单位；责任单位带 [D] 的为方案附件未列明、按正文理解。"
    )
    shown, rest = flagged[:6], flagged[6:]
    st.markdown(target_cards.attention_html(shown, year), unsafe_allow_html=True)
    if rest:
        with st.expander(f"另有 {len(rest)} 项"):
            st.markdown(target_cards.attention_html(rest, year), unsafe_allow_html=True)
else:
    st.success("没有未按期达标、逾期或偏离的目标与任务。")

cv = data.query("balance_cv", year=year)
comp = data.query("school_compliance", year=year)
cls = data.query("class_size_summary", year=year)
big = data.query("oversized_schools", year=year)
cov = data.query("town_coverage", year=year)

schools = summaries.school_pass_table(comp)
zhen = int(cov["required"].sum())
no_boarding = summaries.towns_missing(cov, "has_boarding")
no_kg = summaries.towns_missing(cov, "has_central_kg")

c = st.columns(3) + st.columns(3)
p_ok, p_n = summaries.cv_passed(cv, "小学")
j_ok, j_n = summaries.cv_passed(cv, "初中")
caps = cv.groupby("stage")["threshold"].first()
c[0].metric(
    "小学差异系数达标",
    f"{p_ok}/{p_n}",
    help=f"每项指标校际差异系数 ≤ {caps.get('小学', float('nan')):.2f}（办法2017）",
    border=True,
)
c[1].metric(
    "初中差异系数达标",
    f"{j_ok}/{j_n}",
    help=f"每项指标校际差异系数 ≤ {caps.get('初中', float('nan')):.2f}（办法2017）",
    border=True,
)
c[2].metric(
    "资源配置达标学校（段）",
    f"{int(schools['passes_6_of_7'].sum())}/{len(schools)}",
    help="每校（段）7项指标中至少6项达标、其余不低于标准的85%",
    border=True,
)
big_min = registry.standard("big_class_min", "小学")
super_min = registry.standard("super_big_class_min", "小学")
c[3].metric(
    f"大班额（≥{big_min:.0f}人）",
    f"{int(cls['big_classes'].sum())} 个班",
    help=f"其中超大班额（≥{super_min:.0f}人）{int(cls['super_big_classes'].sum())} 个",
    border=True,
)
c[4].metric(
    "缺公办寄宿制学校的镇", f"{len(no_boarding)}/{zhen}", help="方案：2025年每个乡镇（不含街道）至少一所", border=True
)
c[5].metric("缺规范化公办中心园的镇", f"{len(no_kg)}/{zhen}", help="方案：2025年每个乡镇1所以上", border=True)

# Headline of the plan's targets for 2025 and 2027 (targets_status; details on 目标进度).
head, link = st.columns([5, 1], vertical_alignment="center")
head.markdown(
    "**方案目标与任务进度**（项数）" + target_cards.status_counts_html(progress.status_counts(targets)),
    unsafe_allow_html=True,
)
with link:
    try:
        st.page_link("views/targets.py", label="目标进度", icon=":material/flag:", query_params={"year": year})
    except StreamlitAPIException:  # this page run on its own (tests): no navigation to link into
        st.markdown(f"[目标进度](targets?year={year})")

left, right = st.columns([3, 2])
with left:
    st.subheader("义务教育校际差异系数")
    widgets.chart(data.figure(charts.cv_bars, cv), key="ov_cv")
with right:
    st.subheader("需补齐的镇")
    short = progress.town_shortfalls(status)
    if short.empty:
        st.info("目标登记表中没有按镇街考核的目标。")
    keys = dict(zip(status["target_id"], status["indicator_key"]))
    for line in target_cards.town_shortfall_lines(short, keys):
        st.markdown(line)
    st.subheader("班额与校额")
    st.markdown(
        "超标准班额（" + "、".join(f"{r.stage}>{r.standard:.0f}人" for r in cls.itertuples()) + "）："
        f"**{int(cls['over_standard_classes'].sum())}** 个班；"
        f"大校额学校：**{len(big)}** 所。"
    )
    if len(big):
        st.dataframe(labelled(big[["school_name", "town_name", "students", "cap"]]), hide_index=True)

with st.expander("表格：班额情况（按学段）"):
    widgets.table(
        cls,
        f"班额情况_{year}",
        key="ov_cls",
    )
with st.expander("表格：各镇街寄宿制学校与中心幼儿园"):
    widgets.table(
        cov,
        f"镇街配置_{year}",
        key="ov_cov",
    )

with st.expander("特殊群体（寄宿生、留守儿童、随班就读）"):
    special = data.query("special_groups", year=year)
    st.caption("小学、初中、高中学段；占比的分母只计填报了该项的学校（段）。")
    widgets.chart(data.figure(charts_targets.special_groups_bars, special), key="ov_special")
    widgets.table(special, f"特殊群体_{year}", key="ov_special_t")
