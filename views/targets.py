"""目标进度: every target and task of the plan, grouped as the annex groups them, with its
status for 2025 and 2027 (expected-path method, DESIGN.md §6), trend, remaining path and
责任单位; filterable by 责任单位 through the URL (?owner=)."""

import streamlit as st

from edubalance import charts_targets as ct
from edubalance import progress, ui
from edubalance.safe_text import md

ALL = "全部责任单位"

year = ui.year_filter()
status = ui.query("targets_status", year=year)
summary = ui.query_then(progress.rollup, "targets_status", year=year)
missing = ui.query_then(progress.missing_units, "targets_status", year=year)

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
ui.banner(year)
theta = progress.on_track_ratio()
shown = progress.for_owner(summary, None if owner == ALL else owner)
st.caption(
    ("全部目标与任务" if owner == ALL else f"责任单位“{md(owner)}”参与的目标与任务")
    + f"：共 {len(shown)} 项（其中定量目标 {int((shown['kind'] != 'qualitative').sum())} 项）。"
    "状态按期望路径法判定：实际年均进展 ÷ 按期达标所需年均进展 = R，"
    f"R ≥ {theta:g} 为按期可达，0—{theta:g} 为需加速，< 0 为偏离；少于2个学年数据为数据不足；"
    "2025年按目标自身期限评估，2027年按规划期末评估。定性任务取“任务进展”最新记录，过期未完成为逾期。"
)

counts = progress.status_counts(shown)
left, right = st.columns([2, 3])
with left:
    st.markdown(ct.status_counts_html(counts), unsafe_allow_html=True)
with right:
    ui.chart(ui.figure(ct.status_counts_bar, counts), key="tg_counts")
with st.expander("表格：各状态项数"):
    ui.table(
        counts.reset_index(names="status").rename(columns={"2025": "2025年（项）", "2027": "2027年（项）"}),
        f"目标状态统计_{year}",
        key="tg_counts_t",
    )

for group in progress.group_order(shown["group_zh"]):
    rows = shown[shown["group_zh"] == group]
    st.subheader(f"{md(group)}（{len(rows)}项）")
    cards = "".join(ct.target_card(r, missing.get(r["target_id"], ())) for _, r in rows.iterrows())
    st.markdown(cards, unsafe_allow_html=True)

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
    not_met = units[units["status_2025"] != progress.MET]
    n_all, n_miss = len(units), len(not_met)
    st.markdown(f"**{n_all - n_miss}/{n_all}** 个单位已达标，**{n_miss}** 个尚未达标。")
    plotted = units if n_all <= 40 else not_met
    if n_all > 40:
        st.caption("单位较多，图中只显示尚未达标的单位；全部单位见下表。")
    if len(plotted):
        ui.chart(
            ui.figure(
                ct.unit_status_bars,
                plotted[["scope_code", "scope_name", "value", "goal", "unit", "status_2025"]],
                2025,
                title="各单位现值（颜色为2025年状态）",
            ),
            key="tg_units",
        )
    ui.table(
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
    ui.table(
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
