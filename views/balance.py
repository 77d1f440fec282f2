"""义务教育优质均衡: the county CVs against their caps, over the years, and each school's
compliance with the 7 resource indicators (办法2017)."""

import pandas as pd
import streamlit as st

from edubalance.charts import analytics as charts_analytics
from edubalance.charts import base as charts
from edubalance.metrics import analytics, summaries
from edubalance.model import registry
from edubalance.ui import data, filters, widgets
from edubalance.ui.scope import require_county

require_county()  # several counties: a county page needs one; otherwise nothing
MATRIX_SCHOOLS = 80  # rows of the school × indicator heatmap that stay legible

year = filters.year_filter()
st.title("义务教育优质均衡")
widgets.banner(year)

cv = data.query("balance_cv", year=year)
comp = data.query("school_compliance", year=year)
cv_all = pd.concat([data.query("balance_cv", year=y) for y in data.available_years()], ignore_index=True)

st.subheader("校际差异系数（按在校生加权）")
point_min = registry.standard("cv_exclude_teaching_point_below", "教学点")
st.caption(
    "差异系数 = 加权标准差 ÷ 全县均值，权重为各校（段）在校生数；九年一贯制、完全中学分学段计算，"
    f"不足{point_min:.0f}人的教学点不计。"
)
widgets.chart(data.figure(charts.cv_bars, cv), key="bal_cv")
with st.expander("表格：本学年差异系数"):
    widgets.table(cv.drop(columns=["indicator"]), f"差异系数_{year}", key="bal_cv_t")

st.subheader("历年变化")
tabs = st.tabs(["小学", "初中"])
for tab, stage in zip(tabs, ["小学", "初中"]):
    with tab:
        widgets.chart(data.figure(charts.cv_trend, cv_all, stage), key=f"bal_trend_{stage}")
with st.expander("表格：历年差异系数"):
    widgets.table(cv_all.drop(columns=["indicator"]), "差异系数_历年", key="bal_trend_t")

st.subheader("学校资源配置达标情况")
schools = summaries.school_pass_table(comp)
c1, c2, c3 = st.columns(3)
stage = c1.radio("学段", ["小学", "初中"], horizontal=True, key="bal_stage")
towns = ["全部镇街"] + sorted(comp["town_name"].dropna().unique().tolist())
town = c2.selectbox("镇街", towns, key="bal_town")
only_failing = c3.toggle("只看未达标学校", value=True, key="bal_fail")
sel = comp[comp["stage"] == stage]
if town != "全部镇街":
    sel = sel[sel["town_name"] == town]
if only_failing:
    sel = sel[~sel["passes_6_of_7"]]
n_pass = int(schools.loc[schools["stage"] == stage, "passes_6_of_7"].sum())
n_all = int((schools["stage"] == stage).sum())
st.markdown(f"{stage}：**{n_pass}/{n_all}** 所学校（段）达到“至少6项达标、其余不低于85%”。")
if sel.empty:
    st.info("所选范围内没有需要显示的学校。")
else:
    n_sel = sel[["school_id", "stage"]].drop_duplicates().shape[0]
    if n_sel > MATRIX_SCHOOLS:
        st.caption(f"所选范围共 {n_sel:,} 所学校（段），图中显示差距最大的 {MATRIX_SCHOOLS} 所；选择镇街可看其余学校。")
        sel = summaries.weakest_schools(sel, MATRIX_SCHOOLS)
    widgets.chart(data.figure(charts.compliance_matrix, sel), key="bal_matrix")

st.subheader("未达标学校及短板指标")
widgets.table(summaries.failing_indicators(comp), f"未达标学校_{year}", key="bal_fail_t")
with st.expander("表格：全部学校×指标明细"):
    widgets.table(comp.drop(columns=["indicator"]), f"学校指标明细_{year}", key="bal_all_t")

# --- Where the gap lies and which schools drive it (差距分析; Theil T and CV drivers) ---------
st.subheader("差距来源：镇街之间还是镇街内部？")
g1, g2, g3 = st.columns([1, 1.3, 2])
gap_stage = g1.radio("学段", list(filters.COMPULSORY), horizontal=True, key="bal_gap_stage")
gap_cv = cv[cv["stage"] == gap_stage]
gap_names = dict(zip(gap_cv["indicator"], gap_cv["indicator_name"]))
grouping = filters.url_choice(
    "分组",
    list(charts_analytics.GROUPING_ZH),
    "grouping",
    key="bal_gap_grouping",
    format_func=charts_analytics.GROUPING_ZH.get,
    where=g2,
    radio=True,
)
gap_ind = filters.url_choice(
    "指标", list(gap_names), "indicator", key="bal_gap_indicator", format_func=gap_names.get, where=g3
)
theil = data.query("theil_trend", stage=gap_stage, grouping=grouping)
theil = theil[theil["indicator"].isin(list(gap_names))]
theil_now = theil[(theil["year"] == year) & (theil["indicator"] == gap_ind)]
st.markdown(analytics.theil_reading(theil_now.iloc[0] if len(theil_now) else None, grouping))
widgets.chart(data.figure(charts_analytics.theil_over_years, theil, gap_ind, grouping), key="bal_gap_theil")
with st.expander("表格：历年泰尔指数及组间占比（7项指标）"):
    widgets.table(theil.drop(columns=["indicator"]), f"泰尔指数_{gap_stage}_历年", key="bal_gap_theil_t")

st.subheader("拉大差异系数最多的10所学校（段）")
drivers = data.query("cv_contributions", year=year, stage=gap_stage, indicator=gap_ind, town="")
st.caption(
    "贡献 = 该校 (P_i/P)(X_i−X̄)² 占加权方差 S² 的比例；“去掉后”为不计该校重算的全市差异系数。"
    "情景模拟、趋势外推和小规模学校筛查见“差距分析”页。"
)
widgets.chart(data.figure(charts_analytics.cv_drivers, drivers, 10), key="bal_gap_drivers")
with st.expander("表格：全部学校（段）的贡献排名"):
    cols = ["rank", "school_name", "town_name", "area", "students", "value", "mean", "standard", "side"]
    cols += ["contribution_share", "cv", "cv_without", "cv_change", "passes_without", "school_id", "indicator_name"]
    widgets.table(drivers[cols], f"差异系数贡献_{gap_stage}_{year}", key="bal_gap_drivers_t")
