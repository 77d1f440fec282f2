"""县域对比: the counties of a city (or the province) side by side on the common targets only —
the national standards every county is held to (G1–G7), never one county's own plan items.
A map on the real county boundaries, then one view at a time (?view=): a ranking, the 7 差异系数
per county against the caps, the common targets' verdicts, or the 城乡 gaps. One view at a time
because each chart has a row per county (122 for the province) and drawing all of them made the
page's first load miss its 3 s bar. A county scope shows its city, that county outlined; a click
on the map picks a county."""

import streamlit as st

from edubalance.charts import counties as charts_counties
from edubalance.metrics import counties as county_metrics
from edubalance.model.safe_text import md
from edubalance.ui import data, filters, scope, widgets

chosen = scope.select()
year = filters.year_filter()
st.title("县域对比")

units = scope.counties()
if len(units) < 2:
    st.info("数据库中只有一个县（市、区），没有可对比的县。导入其他县的数据后，这里并列比较各县。")
    st.stop()

area = scope.area_prefix()  # the city, or '' = the province
shown = scope.in_scope(units)
names = shown[["county", "county_name"]]
where = scope.city_label(area, units) if area else "全省"
st.caption(
    f"范围：{md(where)}，{len(shown)} 个县（市、区）"
    + (f"；当前县（市、区）：{md(scope.county_label(chosen.county, units))}（地图上黑框）" if chosen.county else "")
    + "。只比较各县共同适用的国家标准（共同目标 G1—G7），各县自己方案的目标见该县的“目标进度”。"
)

cv = data.query("county_balance_cv", year=year, scope=area)
targets = data.query("county_targets", year=year, scope=area)
cv_n = county_metrics.cv_counts(cv).merge(names, on="county", how="right")
g_n = county_metrics.target_counts(targets).merge(names, on="county", how="right")

# --- 1. map ------------------------------------------------------------------------------------
st.subheader("县域地图")
METRICS = {"cv": "差异系数达标项数", "g": "共同目标达标项数", "gap": "城乡差距"}
c1, c2, c3 = st.columns([3, 1.2, 3])  # one row on a wide screen, stacked on a phone
metric = filters.url_choice(
    "着色", list(METRICS), "metric", key="cty_metric", format_func=METRICS.get, radio=True, where=c1
)
stage = filters.url_choice("学段（城乡差距）", list(filters.COMPULSORY), "stage", key="cty_stage", radio=True, where=c2)
gaps = data.query("county_urban_rural", year=year, stage=stage, scope=area)
indicators = gaps.drop_duplicates("indicator")
ind_names = dict(zip(indicators["indicator"], indicators.get("indicator_name", indicators["indicator"])))
indicator = filters.url_choice(
    "城乡差距指标", list(ind_names), "ind", key="cty_ind", format_func=ind_names.get, where=c3
)
gap = (
    gaps[gaps["indicator"] == indicator]
    .drop(columns=["county_name"], errors="ignore")
    .rename(columns={"urban_value": "urban", "rural_value": "rural"})
    .merge(names, on="county")
)

if metric == "cv":
    frame, col, label, fmt, unit = (
        cv_n,
        "within",
        f"差异系数不超过限值的项数（共 {county_metrics.CV_ITEMS} 项）",
        ",.0f",
        "项",
    )
elif metric == "g":
    frame, col, label, fmt, unit = g_n, "met", "共同目标达标项数", ",.0f", "项"
else:
    frame, col, label, fmt, unit = gap, "gap", f"{ind_names.get(indicator, '')}城乡差距（城区−乡村）", ",.2f", ""
province = str(units["county"].iloc[0])[:2]
fig = data.figure(
    charts_counties.area_map,
    frame[["county", "county_name", col]],
    area or province,
    col,
    label,
    unit=unit,
    value_format=fmt,
    highlight=chosen.county or None,
    height=420,
)
event = widgets.chart(fig, key="cty_map", on_select="rerun", selection_mode="points")
picked = widgets.selected_town(event)  # a county polygon's location is its adcode
if picked and picked in set(shown["county"]) and picked != chosen.county:
    scope.remember(scope.Scope(picked[:4], picked))
    st.rerun()
st.caption("点击地图上的县（市、区）即选中它；灰色为本库暂无数据的县。")
if chosen.county:
    scope.page_link(
        "views/overview.py",
        f"打开{scope.county_label(chosen.county, units)}的总览",
        ":material/dashboard:",
        query_params={"county": chosen.county, "year": year},
    )

VIEWS = {"rank": "排名", "cv": "差异系数", "targets": "共同目标（G1—G7）", "gap": "城乡差距"}
view = filters.url_choice("查看", list(VIEWS), "view", key="cty_view", format_func=VIEWS.get, radio=True)

# --- 2. CV heat table ----------------------------------------------------------------------------
if view == "cv":
    st.subheader("义务教育校际差异系数（7项 × 小学、初中）")
    st.caption("每格为该县该学段该项指标的校际差异系数；限值小学 0.50、初中 0.45（办法2017）。")
    cv_named = cv.drop(columns=["county_name"], errors="ignore").merge(names, on="county")
    left, right = st.columns(2)  # side by side on a wide screen, one under the other on a phone
    for column, stage_name in zip((left, right), filters.COMPULSORY):
        with column:
            widgets.chart(
                data.figure(charts_counties.cv_heat_table, cv_named, stages=(stage_name,)), key=f"cty_cv_{stage_name}"
            )

# --- 3. common targets --------------------------------------------------------------------------
if view == "targets":
    st.subheader("共同目标（G1—G7）达成情况")
    st.caption(
        "共同目标为各县共同适用的国家标准（差异系数限值、学校“7项中至少6项”达标、班额与校额上限、学前教育普及普惠），"
        "期限为“持续”：取该学年及以前最近一个有数值的学年对照目标值判定。"
    )
    verdicts = county_metrics.verdict_counts(targets).merge(names, on="county")
    widgets.chart(data.figure(charts_counties.verdict_bars, verdicts), key="cty_verdicts")
    with st.expander("表格：各县共同目标明细"):
        detail = targets.drop(columns=["county_name"], errors="ignore").merge(names, on="county")
        keep = ["county", "county_name", "target_id", "wording", "comparator", "goal", "unit", "value_year", "value"]
        widgets.table(
            detail[[c for c in keep + ["units_met", "units", "verdict"] if c in detail]].rename(
                columns={
                    "county": "县级区划代码",
                    "county_name": "县（市、区）",
                    "units_met": "达标单位数",
                    "units": "有数据单位数",
                    "verdict": "结论",
                }
            ),
            f"县域共同目标_{year}",
            key="cty_targets_t",
        )

# --- 4. 城乡 gaps -------------------------------------------------------------------------------
if view == "gap":
    st.subheader(f"城乡差距：{md(stage)} {md(ind_names.get(indicator, ''))}")
    st.caption("城区与乡村学校的按学生加权值之差（城区−乡村）；没有城区或乡村学校的县无差距。")
    widgets.chart(data.figure(charts_counties.gap_bars, gap), key="cty_gap")

# --- 5. ranking ---------------------------------------------------------------------------------
if view == "rank":
    ranking = data.query("county_ranking", year=year, scope=area)
    st.subheader("排名")
    st.caption(
        "先比共同目标达标项数（多者在前），再比差异系数不超过限值的项数（多者在前），再比最差一项差异系数÷限值（小者在前）。"
    )
    RANKING_COLUMNS = {
        "rank": "排名",
        "county": "县级区划代码",
        "county_name": "县（市、区）",
        "targets_met": "共同目标达标项数",
        "targets_with_data": "有数据的共同目标",
        "targets": "共同目标项数",
        "cv_year": "差异系数学年",
        "cvs_within_cap": "差异系数不超过限值的项数",
        "cvs": "差异系数项数",
        "worst_cv_ratio": "最差差异系数÷限值",
        "worst_stage": "最差项学段",
        "worst_indicator_name": "最差项指标",
    }
    widgets.table(
        ranking[[c for c in RANKING_COLUMNS if c in ranking]].rename(columns=RANKING_COLUMNS),
        f"县域排名_{year}",
        key="cty_rank",
    )
