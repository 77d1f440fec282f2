"""地图: the towns coloured by an indicator, its gap to the city value or a target's status,
with the schools as points (coloured by the 优质均衡 6-of-7 result, sized by enrolment).
A click on a town (or a row of the table) opens 镇街详情."""

import streamlit as st

from edubalance.charts import town_maps
from edubalance.model.format import school_year_label
from edubalance.model.safe_text import md
from edubalance.ui import data, filters, tables, widgets
from edubalance.ui.scope import require_county

require_county()  # several counties: a county page needs one; otherwise nothing
year = filters.year_filter()
stage = filters.stage_filter()
st.title("地图")
widgets.banner(year)

towns = data.query("town_list")
ranking = data.query("town_ranking", year=year, stage=stage)
targets = data.query("town_targets", year=year)

MODES = {"value": "指标值", "gap": "与全市差距", "target": "目标达成"}
c1, c2 = st.columns([2, 3])
with c1:
    mode = filters.url_choice("着色", list(MODES), "color", key="map_color", format_func=MODES.get, radio=True)

indicators = ranking.drop_duplicates("indicator")[["indicator", "indicator_name", "unit", "direction"]]
names = dict(zip(indicators["indicator"], indicators["indicator_name"]))
target_names = dict(zip(targets["target_id"], targets["target_id"] + " " + targets["target_name"]))
with c2:
    if mode == "target":
        target = filters.url_choice(
            "目标（每个镇）", list(target_names), "target", key="map_target", format_func=target_names.get
        )
        indicator = filters.url_choice("悬停显示的学校指标", list(names), "ind", key="map_ind", format_func=names.get)
    else:
        target = None
        indicator = filters.url_choice("指标", list(names), "ind", key="map_ind", format_func=names.get)

if mode == "target" and target is None:
    st.info("目标登记表中没有按镇计的数量目标，请选择其他着色方式。")
    st.stop()
if indicator is None:
    st.info(f"{stage}学段在本学年没有可上图的学校指标，请换一个学段。")
    st.stop()
info = indicators.set_index("indicator").loc[indicator]
rows = ranking[ranking["indicator"] == indicator]
points = data.query("school_points", year=year, stage=stage, indicator=indicator)
geojson, schematic, problem = town_maps.zones_geojson_or_problem(towns)

if geojson is None:
    st.warning(f"无法绘制镇街地图：{md(problem)}。下表仍列出各镇街数据。")
else:
    no_zone = towns.loc[~towns["town_code"].isin(town_maps.zone_codes(towns)), "town_name"].tolist()
    if mode == "target":
        status = targets[targets["target_id"] == target]
        fig = data.figure(
            town_maps.status_map_for,
            towns,
            status,
            points,
            target_label=target,
            point_value_label=info["indicator_name"],
            point_unit=info["unit"],
        )
    else:
        fig = data.figure(
            town_maps.indicator_map_for,
            towns,
            rows,
            points,
            mode=mode,
            indicator_name=info["indicator_name"],
            unit=info["unit"],
            direction=info["direction"],
        )
    event = widgets.chart(fig, key="map_fig", on_select="rerun", selection_mode="points")
    picked = widgets.selected_town(event)
    if picked:
        st.switch_page("views/town.py", query_params={"town": picked, "year": str(year), "stage": stage})
    st.caption(f"{stage} · {school_year_label(year)}。点击镇街（或学校）打开镇街详情。" + town_maps.points_legend())

if mode == "target":
    st.subheader(f"{md(target_names[target])}：各镇街情况")
    status = targets[targets["target_id"] == target]
    pick = widgets.table(
        status[["town_name", "status", "count", "goal", "unit", "town_kind", "required", "town_code"]],
        f"目标{target}_镇街_{year}",
        key="map_tbl_t",
        on_select="rerun",
        height=tables.table_height(len(status)),
    )
    table_codes = status["town_code"].tolist()
else:
    label = "与全市差距" if mode == "gap" else "指标值"
    st.subheader(f"{md(info['indicator_name'])}（{md(info['unit'])}）：各镇街{label}")
    cols = ["town_name", "town_value", "city_value", "gap", "ratio_to_city", "standard", "meets_standard"]
    cols += ["rank", "ranked", "students", "town_kind", "town_code"]
    ordered = rows.sort_values(["rank", "town_code"], na_position="last")
    formats = tables.number_formats(info["unit"])
    pick = widgets.table(
        ordered[cols],
        f"{names[indicator]}_{stage}_{year}",
        key="map_tbl",
        on_select="rerun",
        column_config={k: st.column_config.NumberColumn(format=v) for k, v in formats.items()},
        height=tables.table_height(len(ordered)),
    )
    table_codes = ordered["town_code"].tolist()
note = "选中表格中的一行即打开该镇街的详情。"
if geojson is not None and no_zone:
    note += f"{'、'.join(map(md, no_zone))}无驻地坐标，未划示意范围，但仍列于表中，其学校仍绘于图上。"
st.caption(note)
code = widgets.selected_row(pick, table_codes)
if code:
    st.switch_page("views/town.py", query_params={"town": code, "year": str(year), "stage": stage})

jump = st.selectbox(
    "查看镇街详情",
    towns["town_code"].tolist(),
    index=None,
    format_func=dict(zip(towns["town_code"], towns["town_name"])).get,
    placeholder="选择镇街……",
    key="map_jump",
)
if jump:
    st.switch_page("views/town.py", query_params={"town": jump, "year": str(year), "stage": stage})
