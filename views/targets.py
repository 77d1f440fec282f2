"""目标进度: every target and task of the plan, grouped as the annex groups them, with its
status for 2025 and 2027 (expected-path method, see docs/METHODS.md, 目标进度), trend,
remaining path and 责任单位; filterable by 责任单位 through the URL (?owner=)."""

import streamlit as st

from edubalance.charts import targets as ct
from edubalance.metrics import progress, summaries
from edubalance.model import registry
from edubalance.model.safe_text import md
from edubalance.ui import data, filters, target_cards, widgets
from edubalance.ui.scope import require_county

require_county()  # several counties: a county page needs one; otherwise nothing
ALL = "全部责任单位"

year = filters.year_filter()
status = data.query("targets_status", year=year)
summary = data.query_then(progress.rollup, "targets_status", year=year)
missing = data.query_then(progress.missing_units, "targets_status", year=year)

owners = [ALL] + progress.owners(summary["owner"])
current = st.query_params.get("owner", ALL)
owner = st.sidebar.selectbox(
    "责任单位", owners, index=owners.index(current) if current in owners else 0, key="flt_owner"
)
if owner == ALL:
    st.query_params.pop("owner", None)
else:
    st.query_params["owner"] = owner

st.title("目标进度")
widgets.banner(year)
plan = data.query("county_plan")
plan_source = plan["source"].iloc[0] if len(plan) else "common"
st.caption(
    f"方案来源：{registry.PLAN_SOURCES[plan_source]}"
    + ("——本县没有登记方案，只按国家标准的通用目标 G1—G7 判定。" if plan_source == "common" else "。")
)
theta = progress.on_track_ratio()
shown = progress.for_owner(summary, None if owner == ALL else owner)
st.caption(
    ("全部目标与任务" if owner == ALL else f"责任单位“{md(owner)}”参与的目标与任务")
    + f"：共 {len(shown)} 项（其中定量目标 {int((shown['kind'] != 'qualitative').sum())} 项）。"
    "状态按期望路径法判定：实际年均进展 ÷ 按期达标所需年均进展 = R，"
    f"R ≥ {theta:g} 为按期可达，0—{theta:g} 为需加速，< 0 为偏离；少于2个学年数据为数据不足；"
    "2025年按目标自身期限评估，2027年按规划期末评估；数据学年到达期限时结论为最终结论（已达标或未按期达标），"
    "此前为预判。定性任务取“任务进展”最新记录：已完成、推进中、需加速（滞后）、未启动，过期未完成（含无记录）为逾期。"
    "方案未明示之处为本看板的约定，标 [D]。"
)
st.markdown(target_cards.status_legend_html(), unsafe_allow_html=True)
task_note = progress.shared_task_note(shown)
if task_note:
    st.caption(f"定性任务的口径：{task_note}")

counts = progress.status_counts(shown)
left, right = st.columns([2, 3])
with left:
    st.markdown(target_cards.status_counts_html(counts), unsafe_allow_html=True)
with right:
    widgets.chart(data.figure(ct.status_counts_bar, counts), key="tg_counts")
with st.expander("表格：各状态项数"):
    widgets.table(
        counts.reset_index(names="status").rename(columns={"2025": "2025年（项）", "2027": "2027年（项）"}),
        f"目标状态统计_{year}",
        key="tg_counts_t",
    )


def principals_over_limit() -> None:
    """T9: the plan says 一般不超过10年, which allows exceptions, so the page lists every
    principal over the limit by name (with the note the workbook gives) instead of a verdict."""
    heads = data.query("principals_list", year=year)
    over = heads[heads["over_tenure"].fillna(False).astype(bool)]
    st.markdown(f"**T9 监测名单：同一岗位连续任职超过10年的校（园）长（{len(over)}人）**")
    st.caption(
        "方案为“一般不超过10年”，允许例外：名单列出每位超期校（园）长及备注说明；"
        "T9 的判定只数未填备注说明的人（看板约定 [D]）。"
    )
    if over.empty:
        st.caption("本学年没有。")
        return
    cols = ("principal_name", "school_name", "town_name", "school_type", "tenure", "age", "note")
    cols = [c for c in cols if c in over]
    widgets.table(over[cols].sort_values("tenure", ascending=False), f"T9_任职超10年校长_{year}", key="tg_t9")


def education_groups() -> None:
    """Q11, Q12 (集团化办学质量监测): each member against its core school, before and after it
    joined. Shown here, under the tasks it evidences, because that is where the groups are
    reviewed; a core outside the county is named without values."""
    card = data.query("group_scorecard", year=year)
    st.markdown("**教育集团成员校与牵头校对比（Q11、Q12）**")
    if card.empty:
        st.caption("学校表未填写“教育集团”。")
        return
    st.caption(
        "7项优质均衡资源配置指标：达标项数，以及成员校 ÷ 牵头校的中位数（1 = 与牵头校持平）；"
        "“加入前”取加入集团前最近一个学年（认定与结对表未填起始学年或加入前无数据时为空）。"
        "牵头校在县外的集团只列名称，无指标。"
    )
    members = summaries.group_members(card)
    widgets.table(summaries.group_members_display(members), f"教育集团对比_{year}", key="tg_groups")
    with st.expander("表格：教育集团分指标明细"):
        widgets.table(card, f"教育集团分指标_{year}", key="tg_groups_t")


def disabled_enrolment() -> None:
    """Q16's evidence: the plan gives no number, so an indicator with reference lines."""
    d = data.query("disabled_enrolment", year=year)
    st.markdown("**适龄残疾儿童少年入学率（Q16 相关指标，方案未给数值，不作为目标）**")
    if d["rate"].notna().sum() == 0:
        st.caption("市级年度表未填写适龄残疾儿童少年数和入学数。")
        return
    last = d.dropna(subset=["rate"]).iloc[-1]
    st.caption(
        f"{int(last['year'])}学年：{last['rate']:.1%}（入学 {int(last['enrolled'])} 人 ÷ 适龄 {int(last['school_age'])} 人）。"
        f"参考：优质均衡评估 ≥ {last['criterion']:.0%}；国家“十四五”特殊教育目标 2025年 ≥ {last['national_aim']:.0%}。"
    )
    widgets.chart(data.figure(ct.disabled_enrolment_lines, d), key="tg_disabled")


EXTRA = {"新强师工程": (principals_over_limit,), "义务教育优质均衡工程": (education_groups, disabled_enrolment)}

for group in progress.group_order(shown["group_zh"]):
    rows = shown[shown["group_zh"] == group]
    st.subheader(f"{md(group)}（{len(rows)}项）")
    cards = "".join(
        target_cards.target_card(r, missing.get(r["target_id"], ()), year, task_note) for _, r in rows.iterrows()
    )
    st.markdown(cards, unsafe_allow_html=True)
    if owner == ALL:
        for section in EXTRA.get(group, ()):
            section()

st.subheader("分单位明细")
multi = shown[shown["units"] > 1]
if multi.empty:
    st.info("所选范围内没有按镇街、学校等分单位考核的目标。")
else:
    options = multi["target_id"].tolist()
    pick = st.query_params.get("target")
    pick = pick if pick in options else options[0]
    labels = dict(zip(multi["target_id"], multi["wording"]))
    target = st.selectbox(
        "目标",
        options,
        index=options.index(pick),
        format_func=lambda t: f"{t}　{labels[t][:40]}",
        key="tg_target",
    )
    st.query_params["target"] = target
    units = status[status["target_id"] == target]
    not_met = units[[not progress.meets_now(r) for r in units.to_dict("records")]]
    n_all, n_miss = len(units), len(not_met)
    st.markdown(f"**{n_all - n_miss}/{n_all}** 个单位已达标，**{n_miss}** 个尚未达标。")
    plotted = units if n_all <= 40 else not_met
    if n_all > 40:
        st.caption("单位较多，图中只显示尚未达标的单位；全部单位见下表。")
    if len(plotted):
        widgets.chart(
            data.figure(
                ct.unit_status_bars,
                plotted[["scope_code", "scope_name", "value", "goal", "unit", "status_2025"]],
                2025,
                title="各单位现值（颜色为2025年状态）",
            ),
            key="tg_units",
        )
    widgets.table(
        units[
            [
                "scope_code",
                "scope_name",
                "value",
                "value_year",
                "goal",
                "baseline_value",
                "baseline_value_year",
                "status_2025",
                "status_2027",
                "ratio_2025",
                "ratio_2027",
            ]
        ],
        f"{target}_分单位_{year}",
        key="tg_units_t",
    )

with st.expander("表格：全部目标与任务"):
    widgets.table(
        shown[
            [
                "target_id",
                "group_zh",
                "wording",
                "units",
                "missing_2025",
                "status_2025",
                "status_2027",
                "deadline",
                "owner",
                "task_status",
                "task_note",
            ]
        ],
        f"目标进度_{year}",
        key="tg_all_t",
    )
