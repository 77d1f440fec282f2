"""学前教育: 普及普惠 against the national thresholds, the public central kindergarten of each
镇, teacher-to-child ratio, class sizes and the kindergarten pairing network."""

import streamlit as st

from edubalance.charts import targets as ct
from edubalance.model.format import is_missing, school_year_label
from edubalance.model.safe_text import md
from edubalance.ui import data, filters, widgets
from edubalance.ui.scope import require_county

require_county()  # several counties: a county page needs one; otherwise nothing


def pct(v) -> str:
    return "—" if is_missing(v) else f"{v:.1%}"


year = filters.year_filter()
st.title("学前教育")
widgets.banner(year)

summary = data.query("preschool_summary", year=year)
towns = data.query("preschool_towns", year=year)
bands = data.query("preschool_classes", year=year)
pairs = data.query("kindergarten_pairs", year=year)

now = summary[summary["year"] == year]
if now.empty:
    st.info("本学年没有学前教育数据。")
    st.stop()
s = now.iloc[0]

c = st.columns(4)
c[0].metric(
    "学前三年毛入园率",
    pct(s["gross_enrolment"]),
    help=f"在园幼儿 {int(s['children']):,} 人 ÷ 3—5岁常住人口（市级年度 pop_age3_5）；标准 ≥ {pct(s['standard_gross_enrolment'])}",
    border=True,
)
c[1].metric(
    "普惠性幼儿园覆盖率",
    pct(s["inclusive_coverage"]),
    help=f"（公办园 + 普惠性民办园在园幼儿）÷ 全部在园幼儿；标准 ≥ {pct(s['standard_inclusive'])}",
    border=True,
)
c[2].metric(
    "公办园在园幼儿占比",
    pct(s["public_share"]),
    help=f"公办园在园幼儿 ÷ 全部在园幼儿；标准 ≥ {pct(s['standard_public'])}",
    border=True,
)
ratio = "—" if is_missing(s["children_per_teacher"]) else f"1 : {s['children_per_teacher']:.1f}"
c[3].metric(
    "专任教师与幼儿比",
    ratio,
    help=f"每名专任教师对应在园幼儿数，标准不超过 {s['standard_children_per_teacher']:.0f}"
    f"（即不低于 1:{s['standard_children_per_teacher']:.0f}）",
    border=True,
)

st.subheader("普及普惠（学前办法2020）")
widgets.chart_grid(
    [
        (
            "bullet",
            data.figure(
                ct.bullet_bars,
                [
                    ("毛入园率", s["gross_enrolment"], s["standard_gross_enrolment"]),
                    ("普惠覆盖率", s["inclusive_coverage"], s["standard_inclusive"]),
                    ("公办占比", s["public_share"], s["standard_public"]),
                ],
                title=f"{school_year_label(year)}（黑色刻度为标准）",
            ),
        ),
        (
            "trend",
            data.figure(
                ct.trend_lines,
                summary,
                {"gross_enrolment": "毛入园率", "inclusive_coverage": "普惠覆盖率", "public_share": "公办占比"},
                {
                    "gross_enrolment": "standard_gross_enrolment",
                    "inclusive_coverage": "standard_inclusive",
                    "public_share": "standard_public",
                },
                title="历年变化",
            ),
        ),
    ],
    key="ps",
)
with st.expander("表格：历年普及普惠指标"):
    widgets.table(summary, "学前普及普惠_历年", key="ps_sum_t")

st.subheader("各镇公办中心幼儿园")
st.caption("方案：到2025年每个乡镇建有1所以上规范化公办中心幼儿园；民办或未规范化的中心园不计。街道、新区不作要求。")
zhen = towns[towns["required"]]
lacking = zhen[~zhen["has_standard_central"]]["town_name"].tolist()
if lacking:
    st.warning(f"{len(lacking)}/{len(zhen)} 个镇尚无规范化公办中心幼儿园：" + "、".join(map(md, lacking)))
else:
    st.success(f"{len(zhen)} 个镇均有规范化公办中心幼儿园。")
widgets.table(
    towns[
        [
            "town_name",
            "town_kind",
            "required",
            "central_kindergartens",
            "has_standard_central",
            "kindergartens",
            "children",
        ]
    ],
    f"镇街中心幼儿园_{year}",
    key="ps_central_t",
)

st.subheader("各镇街学前资源")
widgets.chart_grid(
    [
        (
            "pub_towns",
            data.figure(
                ct.share_bars,
                towns,
                "town_name",
                "public_share",
                float(s["standard_public"]),
                goal_label="标准",
                title="公办园在园幼儿占比",
            ),
        ),
        (
            "ratio_towns",
            data.figure(
                ct.share_bars,
                towns,
                "town_name",
                "children_per_teacher",
                float(s["standard_children_per_teacher"]),
                higher_is_better=False,
                percent=False,
                goal_label="上限",
                title="每名专任教师对应幼儿数",
            ),
        ),
    ],
    key="ps",
)
with st.expander("表格：各镇街学前资源"):
    widgets.table(towns.drop(columns=["central_kindergartens"]), f"镇街学前资源_{year}", key="ps_towns_t")

st.subheader("班额")
mean = "—" if is_missing(s["mean_class_size"]) else f"{s['mean_class_size']:.1f}"
st.markdown(f"全市幼儿园平均班额 **{mean}** 人（{int(s['classes']):,} 个班）。")
if bands["classes"].sum() > 0:
    widgets.chart(data.figure(ct.band_bars, bands, title="各班额段班级数"), key="ps_bands")
with st.expander("表格：班额分布"):
    widgets.table(bands.drop(columns=["band"]), f"幼儿园班额分布_{year}", key="ps_bands_t")

st.subheader("幼儿园结对帮扶")
if pairs.empty:
    st.info("本学年没有认定的城区优质公办幼儿园。")
else:
    units = pairs.drop_duplicates("school_id")
    goal = units["goal"].iloc[0]
    short = units[~units["met"].fillna(False)]["school_name"].tolist()
    st.markdown(
        f"城区优质公办幼儿园 **{len(units)}** 所，每所应与 {goal:.0f} 所以上城区外幼儿园结对；"
        + (f"尚未达到：{'、'.join(map(md, short))}。" if short else "均已达到。")
    )
    widgets.chart(
        data.figure(ct.pairs_network, pairs, title="结对网络（括号内为城区外结对园数）"),
        key="ps_pairs",
    )
    widgets.table(
        pairs[
            [
                "school_name",
                "town_name",
                "partner_name",
                "partner_town",
                "partner_area",
                "since_year",
                "rural_partners",
                "met",
            ]
        ],
        f"幼儿园结对_{year}",
        key="ps_pairs_t",
    )
