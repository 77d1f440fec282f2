"""总览 of a city or the province (several counties, none chosen): headline counts and the
counties that need attention on the common targets (G1–G7) and the 差异系数 caps, worst first,
each linking to that county's own 总览. The county comparison itself is 县域对比."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from edubalance.metrics import counties as county_metrics
from edubalance.model.format import school_year_label
from edubalance.model.safe_text import md
from edubalance.ui import data, scope, widgets

SHOWN = 10  # counties listed with a link; the rest in a table


def _reasons(row) -> str:
    parts = []
    if row.not_met:
        parts.append(f"共同目标未达标 {row.not_met} 项（{row.missed}）")
    if row.over:
        worst = f"，最差一项为限值的 {row.worst_ratio:.2f} 倍" if pd.notna(row.worst_ratio) else ""
        parts.append(f"差异系数超过限值 {row.over} 项{worst}")
    return "；".join(parts)


def render(year: int) -> None:
    units = scope.counties()
    area = scope.area_prefix()
    shown = scope.in_scope(units)
    where = scope.city_label(area, units) if area else "全省"
    st.title(f"总览：{md(where)}")
    st.caption(
        f"数据学年：**{school_year_label(year)}** · {len(shown)} 个县（市、区）。"
        "按各县共同适用的国家标准比较（共同目标 G1—G7、义务教育校际差异系数限值）；"
        "各县自己方案的目标在选定该县后查看。"
    )
    cv = data.query("county_balance_cv", year=year, scope=area)
    targets = data.query("county_targets", year=year, scope=area)
    names = shown[["county", "county_name"]]
    cv_n = county_metrics.cv_counts(cv)
    all_within = int((cv_n["within"] >= county_metrics.CV_ITEMS).sum())
    compulsory = cv.dropna(subset=["students"]).groupby(["county", "stage"])["students"].max()

    c = st.columns(4)
    c[0].metric("县（市、区）", f"{len(shown)}", border=True)
    c[1].metric("学校", f"{int(pd.to_numeric(shown['schools'], errors='coerce').sum()):,}", border=True)
    c[2].metric(
        "义务教育在校生",
        f"{int(compulsory.sum()):,}",
        help="计入校际差异系数的小学、初中在校生（不含特殊教育学校和规模过小的教学点）",
        border=True,
    )
    c[3].metric(
        "差异系数全部达标的县",
        f"{all_within}/{len(shown)}",
        help=f"小学、初中共 {county_metrics.CV_ITEMS} 项校际差异系数都不超过限值（小学 0.50、初中 0.45）",
        border=True,
    )

    lag = county_metrics.lagging(cv, targets, names)
    st.subheader(f"需要关注的县（市、区）（{len(lag)}个）")
    if lag.empty:
        st.success("各县共同目标均已达标，差异系数均不超过限值。")
    else:
        st.caption("有共同目标未达标、或有差异系数超过限值的县，问题多的在前；点击县名进入该县的总览。")
        for row in lag.head(SHOWN).itertuples():
            name = scope.county_label(row.county, units)
            left, right = st.columns([1, 3], vertical_alignment="center")
            with left:
                scope.page_link(
                    "views/overview.py",
                    md(name),
                    ":material/location_on:",
                    query_params={"county": row.county, "year": str(year)},
                )
            right.markdown(md(_reasons(row)))
        if len(lag) > SHOWN:
            with st.expander(f"另有 {len(lag) - SHOWN} 个县（市、区）"):
                rest = lag.iloc[SHOWN:].assign(reasons=[_reasons(r) for r in lag.iloc[SHOWN:].itertuples()])
                st.dataframe(
                    rest[["county", "county_name", "reasons"]].rename(
                        columns={"county": "县级区划代码", "county_name": "县（市、区）", "reasons": "问题"}
                    ),
                    hide_index=True,
                    width="stretch",
                )
    scope.page_link(scope.COUNTIES_PAGE, "县域对比：各县并列比较", ":material/stacked_bar_chart:")
    with st.expander("表格：各县共同目标与差异系数达标项数"):
        table = (
            names.merge(county_metrics.target_counts(targets), on="county", how="left")
            .merge(cv_n, on="county", how="left")
            .rename(
                columns={
                    "county": "县级区划代码",
                    "county_name": "县（市、区）",
                    "met": "共同目标达标",
                    "not_met": "共同目标未达标",
                    "no_data": "共同目标数据不足",
                    "targets": "共同目标项数",
                    "within": "差异系数不超过限值",
                    "over": "差异系数超过限值",
                    "measured": "差异系数有值",
                    "worst_ratio": "最差差异系数÷限值",
                }
            )
        )
        widgets.table(table, f"县域概况_{year}", key="ov_counties")
