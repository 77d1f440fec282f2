"""镇街对比: chosen towns side by side on chosen indicators — bars against the city value and
the standard, a ranking table, 城区/镇区/乡村 parity and small multiples over the years."""

import streamlit as st

from edubalance.charts import towns as charts_towns
from edubalance.model.format import school_year_label
from edubalance.ui import data, filters, tables, widgets
from edubalance.ui.scope import require_county

require_county()  # several counties: a county page needs one; otherwise nothing
year = filters.year_filter()
stage = filters.stage_filter()
st.title("镇街对比")
widgets.banner(year)

towns = data.query("town_list")
ranking = data.query("town_ranking", year=year, stage=stage)
indicators = ranking.drop_duplicates("indicator")
if indicators.empty:
    st.info(f"{stage}学段在本学年没有可比较的学校指标，请换一个学段。")
    st.stop()
ind_names = dict(zip(indicators["indicator"], indicators["indicator_name"]))
town_names = dict(zip(towns["town_code"], towns["town_name"]))

default_inds = tables.default_indicators(ranking)
chosen_inds = filters.url_multichoice(
    "指标", list(ind_names), "inds", key="cmp_inds", default=default_inds, format_func=ind_names.get
)
chosen_towns = filters.url_multichoice(
    "镇街",
    list(town_names),
    "towns",
    key="cmp_towns",
    default=data.figure(tables.default_towns, ranking, default_inds),
    format_func=town_names.get,
)
st.caption("指标和镇街的选择保存在网址中，可直接分享。默认选中平均名次最靠前和最靠后的各3个镇街。")
if not chosen_inds or not chosen_towns:
    st.info("请至少选择一个指标和一个镇街。")
    st.stop()

view = data.figure(
    charts_towns.compare_view,
    ranking,
    data.query("urban_rural", year=year, stage=stage),
    data.query("town_indicator_trend", stage=stage),
    tuple(chosen_inds),
    tuple(chosen_towns),
)

st.subheader(f"镇街值与全市值、标准（{stage}，{school_year_label(year)}）")
st.caption(
    "条形为镇街值（按在校生加权 ΣR/ΣP），绿色达到标准、红色未达标准、蓝色为无标准的描述性指标；"
    "黑色虚线为全市值，红色点线为标准。"
)
if not view["bars"]:
    st.info("所选镇街在所选指标上没有数据。")
widgets.chart_grid(view["bars"], key="cmp_bar")
with st.expander("表格：所选镇街与指标"):
    keep = ["town_code", "town_name", "indicator_name", "unit", "town_value", "city_value", "gap"]
    keep += ["ratio_to_city", "standard", "meets_standard", "rank", "ranked"]
    widgets.table(view["selected"][keep], f"镇街对比_{stage}_{year}", key="cmp_bar_t")

st.subheader("排名")
st.caption("各指标在全部镇街中的名次（1 = 最好，按指标方向）；平均名次为所选指标名次的平均。选中一行打开镇街详情。")
table = data.computed(tables.ranking_table, ranking, chosen_inds)
pick = widgets.table(
    table, f"镇街排名_{stage}_{year}", key="cmp_rank", on_select="rerun", height=tables.table_height(len(table))
)
picked_code = widgets.selected_row(pick, table["town_code"].tolist())
if picked_code:
    st.switch_page("views/town.py", query_params={"town": picked_code, "year": str(year), "stage": stage})

st.subheader("城区、镇区、乡村均等情况")
if view["parity"] is None:
    st.info("所选指标没有城乡分类数据。")
else:
    st.caption(
        "对城区均等指数 = 镇区（或乡村）值 ÷ 城区值；1 为持平。越高越好的指标低于1表示落后于城区，"
        "越低越好的指标（如班额、生师比）高于1表示落后。"
    )
    widgets.chart(view["parity"], key="cmp_parity")
    with st.expander("表格：城乡分类指标值"):
        widgets.table(view["parity_rows"].drop(columns=["indicator"]), f"城乡均等_{stage}_{year}", key="cmp_parity_t")

st.subheader("历年变化")
st.caption("每个小图一个指标：彩色实线为所选镇街，黑色虚线为全市，红色点线为标准。")
widgets.chart_grid(view["trends"], key="cmp_trend")
with st.expander("表格：历年镇街值"):
    widgets.table(view["trend_rows"].drop(columns=["indicator"]), f"镇街历年_{stage}", key="cmp_trend_t")
