"""镇街详情 (?town=CODE): one town's profile, its count targets with the plan's verdict, every
other town-scoped target judged for it, its own part of the plan's tasks (town_tasks), its
gaps to the city value and the standards, and its schools with their 优质均衡 resource result."""

import streamlit as st

from edubalance.charts import town_maps
from edubalance.charts import towns as charts_towns
from edubalance.metrics import progress
from edubalance.model.safe_text import md
from edubalance.ui import data, filters, tables, target_cards, widgets
from edubalance.ui.scope import require_county

require_county()  # several counties: a county page needs one; otherwise nothing
year = filters.year_filter()
stage = filters.stage_filter()

towns = data.query("town_list")
names = dict(zip(towns["town_code"], towns["town_name"]))
asked = st.query_params.get("town")
code = filters.url_choice("镇街", list(names), "town", key="town_pick", format_func=names.get, where=st.sidebar)
if code is None:
    st.warning("数据库中还没有镇街，请先在“数据管理”中导入。")
    st.stop()
town = towns.set_index("town_code").loc[code]

st.title(f"镇街详情：{md(town['town_name'])}")
widgets.banner(year)
if asked and asked != code:
    st.warning(f"没有区划代码为 {md(asked)} 的镇街，已显示{md(town['town_name'])}。可在左侧栏选择镇街。")
st.caption(f"区划代码 {md(code)} · {md(town['town_kind'])} · [在地图上查看](map?year={year}&stage={stage})")

profiles = data.query("town_profile", year=year)
profile_rows = profiles[profiles["town_code"] == code]
profile = profile_rows.iloc[0]
# A wrapping row: six across on a desktop, two per line on a phone.
row = st.container(horizontal=True)
kw = {"border": True, "width": 150}
row.metric("学校（所）", f"{profile['schools']:,}", help="本学年有在校生统计记录的学校（含幼儿园、教学点）", **kw)
row.metric("其中幼儿园（所）", f"{profile['kindergartens']:,}", **kw)
row.metric("在校生（人）", f"{profile['students']:,}", help="各学段合计（含在园幼儿）", **kw)
row.metric("专任教师（人）", f"{profile['teachers']:,}", **kw)
row.metric("寄宿生（人）", "—" if profile.isna()["boarders"] else f"{int(profile['boarders']):,}", **kw)
row.metric("班级（个）", f"{profile['classes']:,}", **kw)

st.subheader("目标达成")
targets = data.query("town_targets", year=year)
mine = targets[targets["town_code"] == code]
# The plan's verdict for this town's own unit of each town-scoped target (未按期达标, 逾期N年…).
judged = progress.town_rows(data.query("targets_status", year=year), code)
verdicts = {r["target_id"]: r for r in judged.to_dict("records")}
BADGE = {"已达标": ":green-badge[已达标]", "未达标": ":red-badge[未达标]", "不要求": ":gray-badge[不要求]"}
for t in mine.itertuples():
    st.markdown(
        f"{BADGE.get(t.status, md(t.status))} **{md(t.target_id)} {md(t.target_name)}**：现有 {t.count} {md(t.unit)}"
        + ("" if t.required else f"（{md(t.town_kind)}不在本项要求范围内）")
        + target_cards.town_verdict_html(verdicts.get(t.target_id), year)
        + f"  \n<small>{md(t.wording)}（期限：{md(t.deadline)}年）</small>",
        unsafe_allow_html=True,
    )
others = [r for tid, r in verdicts.items() if tid not in set(mine["target_id"])]
if others:
    st.markdown(
        "".join(target_cards.town_target_html(r, year) for r in others),
        unsafe_allow_html=True,
    )
if mine.empty and not others:
    st.info("目标登记表中没有按镇街考核的目标。")

st.subheader("本镇街的任务")
tasks = data.query("town_tasks", year=year, town=code)
if tasks.empty:
    st.info("任务进展表中没有本镇街的任务记录。")
else:
    st.caption(
        "方案附件各项任务均列“各镇（街）”为责任单位：这里是本镇街自己的进展记录（按“任务进展”表中的区划代码），"
        "过期未完成（含无记录）为逾期。"
    )
    st.markdown(target_cards.task_rows_html(tasks), unsafe_allow_html=True)
    with st.expander("表格：本镇街任务"):
        widgets.table(tasks, f"{town['town_name']}_任务_{year}", key="town_tasks_t")

left, right = st.columns(2)
with left:
    st.markdown("**学校构成（按办学类型、举办者）**")
    types = data.query("town_school_types", year=year)
    mine_types = types[types["town_code"] == code]
    if mine_types.empty:
        st.info("本学年没有学校。")
    else:
        widgets.chart(data.figure(charts_towns.school_type_bars, mine_types), key="town_types")
with right:
    st.markdown("**在校生（按学段）**")
    if profile["students"] > 0:
        widgets.chart(data.figure(charts_towns.stage_pupils_bars, profile), key="town_pupils")
    else:
        st.info("本学年没有在校生。")
with st.expander("表格：概况"):
    widgets.table(profile_rows, f"{town['town_name']}_概况_{year}", key="town_prof_t")

st.subheader(f"与全市及标准的差距（{stage}）")
ranking = data.query("town_ranking", year=year, stage=stage)
rows = ranking[(ranking["town_code"] == code) & ranking["town_value"].notna()]
if rows.empty:
    st.info(f"{md(town['town_name'])}本学年没有{stage}学段的数据。可在左侧栏换一个学段。")
else:
    st.caption(
        "条形为本镇街值相对全市值的差距（镇街 ÷ 全市 − 1）：绿色表示好于全市，红色表示差于全市"
        "（按指标方向判断）。全市值按在校生加权（ΣR/ΣP）。悬停可看标准和名次。"
    )
    widgets.chart(data.figure(charts_towns.town_gap_bars, rows), key="town_gaps")
    cols = ["indicator_name", "town_value", "city_value", "gap", "ratio_to_city", "standard", "meets_standard"]
    cols += ["rank", "ranked", "unit"]
    formats = tables.number_formats(None, ("town_value", "city_value", "gap", "ratio_to_city", "standard"))
    widgets.table(
        rows[cols],
        f"{town['town_name']}_{stage}_差距_{year}",
        key="town_gap_t",
        column_config={k: st.column_config.NumberColumn(format="%.3f") for k in formats},
        height=tables.table_height(len(rows)),
    )

st.subheader("学校及资源配置达标情况")
schools = data.query("town_schools", year=year, town=code)
points = data.query("school_points", year=year, stage=stage, indicator="")
geojson, schematic, problem = town_maps.zones_geojson_or_problem(towns)
own = points[points["town_code"] == code]
if code in town_maps.zone_codes(towns):
    widgets.chart(data.figure(town_maps.town_focus_map_for, towns, code, own), key="town_map")
    st.caption(f"{stage}学校。" + town_maps.points_legend())
elif geojson is None:
    st.caption(f"未绘制地图：{md(problem)}")
else:
    st.caption(f"{md(town['town_name'])}没有驻地坐标，未划示意范围；其学校见下表，并绘于“地图”页。")
if schools.empty:
    st.info("本学年没有学校统计记录。")
else:
    st.caption(f"资源配置达标：{town_maps.compliance_rule()}（仅小学、初中参评）。")
    cols = ["school_name", "stage", "school_type", "ownership", "area", "students", "passes_6_of_7", "met_count"]
    cols += ["below_standard", "classes", "teachers", "boarders", "is_boarding", "is_central", "is_standardized"]
    widgets.table(
        schools[cols + ["school_id"]],
        f"{town['town_name']}_学校_{year}",
        key="town_schools_t",
        height=tables.table_height(min(len(schools), 20)),
    )
