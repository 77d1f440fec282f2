"""差距分析: where the gap lies (Theil decomposition), which schools drive the county CV, what
would close it (what-if), where each town is heading if nothing changes, and the small-school
screening list for the layout plan."""

import streamlit as st

from edubalance.charts import analytics as cha
from edubalance.metrics import analytics
from edubalance.metrics.summaries import SCHOOL_SEGMENT_COLUMNS
from edubalance.model.safe_text import md
from edubalance.ui import data, filters, widgets
from edubalance.ui.scope import require_county

require_county()  # several counties: a county page needs one; otherwise nothing
year = filters.year_filter()
stage = filters.stage_filter(options=filters.COMPULSORY)
cv = data.query("balance_cv", year=year)
cv_stage = cv[cv["stage"] == stage]
names = dict(zip(cv_stage["indicator"], cv_stage["indicator_name"]))
units = dict(zip(cv_stage["indicator"], cv_stage["unit"]))
indicator = filters.url_choice(
    "指标", list(names), "indicator", key="an_indicator", format_func=names.get, where=st.sidebar
)
grouping = filters.url_choice(
    "分组", list(cha.GROUPING_ZH), "grouping", key="an_grouping", format_func=cha.GROUPING_ZH.get, where=st.sidebar
)

st.title("差距分析")
widgets.banner(year)
st.caption(
    f"{stage} · {md(names.get(indicator, ''))} · 范围同差异系数（九年一贯制分学段，不足50人的教学点不计），"
    "权重为在校生数。左侧可切换学年、学段、指标与分组。"
)

# Only the open tab runs (lazy tabs); the open tab is in the URL (?view=) so a view can be shared.
tab_theil, tab_drivers, tab_whatif, tab_proj, tab_small = st.tabs(
    ["差距在哪里", "谁在拉大差异系数", "情景模拟", "趋势预测", "小规模学校筛查"], key="view", bind="query-params"
)


def _open(tab) -> bool:
    return tab.open is not False


# --- 1. Theil decomposition ------------------------------------------------------------------
with tab_theil:
    if _open(tab_theil):
        trend = data.query("theil_trend", stage=stage, grouping=grouping)
        now = trend[(trend["year"] == year) & trend["indicator"].isin(list(names))]
        row = now[now["indicator"] == indicator]
        st.markdown(analytics.theil_reading(row.iloc[0] if len(row) else None, grouping))
        st.subheader(f"泰尔指数分解：{cha.GROUPING_ZH[grouping]}之间 vs 内部")
        widgets.chart(data.figure(cha.theil_by_indicator, now, grouping), key="an_theil_ind")
        with st.expander("表格：本学年各指标泰尔指数"):
            widgets.table(now.drop(columns=["indicator"]), f"泰尔指数_{stage}_{year}", key="an_theil_ind_t")

        left, right = st.columns(2)
        with left:
            st.subheader("历年变化")
            widgets.chart(data.figure(cha.theil_over_years, trend, indicator, grouping), key="an_theil_years")
        with right:
            st.subheader("各组均值")
            groups = data.query("theil_groups", year=year, stage=stage, indicator=indicator, grouping=grouping)
            standard = groups["standard"].iloc[0] if len(groups) else None
            widgets.chart(
                data.figure(cha.group_means, groups, units.get(indicator, ""), standard), key="an_theil_groups"
            )
        with st.expander("表格：历年泰尔指数（全部指标）"):
            widgets.table(trend.drop(columns=["indicator"]), f"泰尔指数_历年_{stage}", key="an_theil_years_t")
        with st.expander("表格：各组分解项"):
            widgets.table(groups, f"泰尔指数分组_{stage}_{year}", key="an_theil_groups_t")
        st.caption(
            "泰尔指数 T = Σ(w_i/W)(x_i/μ)ln(x_i/μ)，w 为在校生数；组间 = Σ S_g·ln(μ_g/μ)，组内 = Σ S_g·T_g，"
            "二者之和恰为 T（见 docs/METHODS.md，泰尔指数）。数值为 0 的学校贡献为 0。"
        )

# --- 2. CV drivers -----------------------------------------------------------------------------
with tab_drivers:
    if _open(tab_drivers):
        contrib = data.query("cv_contributions", year=year, stage=stage, indicator=indicator, town="")
        st.subheader(f"{md(names.get(indicator, ''))}：各校对全市差异系数的贡献")
        if len(contrib):
            first = contrib.iloc[0]
            st.markdown(
                f"全市差异系数 **{first['cv']:.3f}**（限值 {first['threshold']:.2f}）。贡献 = 该校的 "
                "(P_i/P)(X_i−X̄)² 占加权方差 S² 的比例；“去掉后”为不计该校时重算的差异系数。"
            )
        widgets.chart(data.figure(cha.cv_drivers, contrib, 15), key="an_drivers")
        cols = [
            "rank",
            "school_name",
            "town_name",
            "area",
            "students",
            "value",
            "mean",
            "standard",
            "side",
            "contribution_share",
            "cv",
            "cv_without",
            "cv_change",
            "passes_without",
            "contribution",
            "school_id",
            "school_type",
            "indicator_name",
            "unit",
            "year",
            "stage",
        ]
        widgets.table(contrib[cols], f"差异系数贡献_{stage}_{year}", key="an_drivers_t", height=360)

# --- 3. What-if -------------------------------------------------------------------------------
with tab_whatif:
    if _open(tab_whatif):
        inputs = data.query("balance_inputs", year=year)
        opts = data.computed(analytics.segment_options, inputs, stage)
        st.subheader("如果这些学校补齐短板：")
        st.caption("只计入差异系数范围内的学校（段）；未达标学校排在前面。计算不改动数据库。")
        labels = dict(zip(opts["key"], opts["label"] + opts["passes"].map({True: "", False: " · 未达标"})))
        picked = st.multiselect("学校（段）", list(labels), format_func=labels.get, key="an_wi_schools")
        c1, c2 = st.columns([3, 2])
        chosen = c1.multiselect("指标", list(names), default=[indicator], format_func=names.get, key="an_wi_indicators")
        mode = c2.radio(
            "方式", list(analytics.MODES), format_func=analytics.MODES.get, horizontal=True, key="an_wi_mode"
        )
        amounts = {}
        if mode == "add" and chosen:
            measures = inputs.drop_duplicates("indicator").set_index("indicator")["measure"]
            cols = st.columns(min(len(chosen), 4))
            for i, key in enumerate(chosen):
                info = analytics.measure_info(measures[key])
                amounts[key] = cols[i % len(cols)].number_input(
                    f"{md(info['measure_name'])}（{md(info['cost_unit'])}/校）",
                    min_value=0.0,
                    value=1.0,
                    step=1.0,
                    key=f"an_wi_amt_{key}",
                )

        if not picked or not chosen:
            st.info("选择学校（段）和指标后，显示新的全市差异系数、新达标学校和所需投入。")
        else:
            result, xlsx = data.computed(
                analytics.scenario_result, inputs, tuple(picked), tuple(chosen), mode, tuple(sorted(amounts.items()))
            )
            n_before = int(result.cv["passed_before"].sum())
            n_after = int(result.cv["passed_after"].sum())
            m = st.columns(3)
            m[0].metric(
                "差异系数达标指标",
                f"{n_after}/{len(result.cv)}",
                delta=(n_after - n_before) or None,
                help=f"现状 {n_before}/{len(result.cv)}",
                border=True,
            )
            m[1].metric("新达标学校（段）", f"{len(result.newly_passing)} 所", border=True)
            m[2].metric("涉及学校（段）", f"{len(picked)} 所", border=True)
            widgets.chart(data.figure(cha.what_if_cv, result.cv), key="an_wi_cv")
            st.markdown("**所需投入**（按指标自身计量单位；同一名教师可能同时计入多类教师指标，教师数为上限）")
            widgets.table(result.cost, f"情景投入_{year}", key="an_wi_cost")
            st.markdown("**新达到“6项达标、其余不低于85%”的学校（段）**")
            if result.newly_passing.empty:
                st.caption("没有学校因本情景新达标。")
            else:
                widgets.table(result.newly_passing, f"情景新达标学校_{year}", key="an_wi_new")
            with st.expander("表格：差异系数现状与情景"):
                widgets.table(result.cv.drop(columns=["indicator"]), f"情景差异系数_{year}", key="an_wi_cv_t")
            with st.expander("表格：所选学校指标明细"):
                widgets.table(result.detail, f"情景学校明细_{year}", key="an_wi_detail")
            st.download_button(
                "下载情景（Excel，含设定、差异系数、新达标学校、投入、明细）",
                xlsx,
                file_name=f"情景模拟_{stage}_{year}.xlsx",
                mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                key="an_wi_xlsx",
            )

# --- 4. Projection ----------------------------------------------------------------------------
with tab_proj:
    if _open(tab_proj):
        proj = data.query("town_projection", stage=stage, indicator=indicator, town="")
        summary = data.computed(analytics.projection_summary, proj)
        st.subheader(f"{md(names.get(indicator, ''))}：如果保持现有趋势")
        st.caption(
            "各镇街按在校生加权的指标值（ΣR/ΣP），对已有学年做线性拟合（至少3个学年），外推到2025、2027学年；"
            "不是预测模型，只说明“照此趋势”会到哪里。"
        )
        towns = sorted(proj.loc[proj["scope"] == "town", "town_name"].unique().tolist())
        shown = st.multiselect(
            "镇街（默认：2027年趋势离标准最远的3个）",
            towns,
            default=data.computed(analytics.lagging_towns, proj),
            key="an_proj_towns",
        )
        widgets.chart(data.figure(cha.projection, proj, shown), key="an_proj")
        widgets.table(summary, f"趋势外推_{stage}_{indicator}", key="an_proj_t", height=360)
        with st.expander("表格：历年实际值与趋势值（图中镇街及全市）"):
            series = proj[proj["town_name"].isin(["全市", *shown])]
            cols = ["town_name", "year", "observed", "trend", "is_projection", "standard", "indicator_name", "unit"]
            widgets.table(series[cols], f"趋势序列_{stage}_{indicator}", key="an_proj_series_t")

# --- 5. Small schools -------------------------------------------------------------------------
with tab_small:
    if _open(tab_small):
        st.warning("**布局规划参考筛查清单，不是撤并决定。** 是否撤并须结合就近入学、交通、安全和群众意愿等论证。")
        small = data.query("small_schools", year=year)
        screened = data.computed(analytics.nearest_central, small, data.query("school_list", year=year))
        zero = screened[screened["flag"] == "学生数为零"]
        m = st.columns(3)
        m[0].metric("学生数为零的学校（段）", f"{len(zero)} 所", border=True)
        m[1].metric("小规模学校（段）", f"{len(screened) - len(zero)} 所", border=True)
        m[2].metric("其中乡村", f"{int((screened['area'] == '乡村').sum())} 所", border=True)
        st.caption(
            "筛查口径：在校生为零的学校（段）；教学点及城乡分类代码为2xx（乡村）的小学段在校生不足登记表中的"
            "小规模标准（small_school_max_students）。距离为到最近的同学段中心校（中心校园=是）的直线距离，仅供参考。"
        )
        widgets.chart(data.figure(cha.small_schools_scatter, screened), key="an_small")
        cols = [
            *SCHOOL_SEGMENT_COLUMNS,
            "flag",
            "enrolment_series",
            "trend_per_year",
            "parent_school_name",
            "nearest_central_name",
            "nearest_central_town",
            "distance_km",
            "school_id",
        ]
        widgets.table(screened[cols], f"小规模学校筛查清单_{year}", key="an_small_t", height=360)

        st.subheader("模拟：并入最近的中心校")
        inputs_all = data.query("balance_inputs", year=year)
        mergeable = data.computed(analytics.merge_candidates, screened, inputs_all)
        if mergeable.empty:
            st.info("没有可模拟的学校（需要有同学段中心校及坐标）。")
        else:
            cand_labels = dict(zip(mergeable["key"], mergeable["label"]))
            cand = st.selectbox("学校（段）", list(cand_labels), format_func=cand_labels.get, key="an_merge_cand")
            movable = data.computed(analytics.movable_measures, inputs_all)
            moved = st.multiselect(
                "随学生迁移的资源（其余如校舍面积留在原址，不再计入）",
                movable["measure"].tolist(),
                default=data.computed(analytics.measure_info_keys, inputs_all),
                format_func=dict(zip(movable["measure"], movable["measure_name"])).get,
                key="an_merge_moved",
            )
            pick = mergeable[mergeable["key"] == cand].iloc[0]
            effect = data.computed(
                analytics.merge_effect,
                inputs_all,
                (pick["school_id"], pick["stage"]),
                pick["nearest_central_id"],
                moved,
            )
            widgets.chart(data.figure(cha.merge_effect, effect, pick["town_name"]), key="an_merge")
            widgets.table(
                effect.drop(columns=["indicator", "short_name"], errors="ignore"),
                f"并入模拟_{pick['school_id']}_{year}",
                key="an_merge_t",
            )
