"""charts.counties: the 县域对比 figures built from county frames (DataFrame in, figure out)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from edubalance.charts.counties import county_map, cv_heat_table, gap_bars, verdict_bars
from edubalance.charts.map import NO_DATA_COLOR
from edubalance.charts.targets import STATUS_FILL
from edubalance.geo.counties import counties_geojson
from edubalance.metrics import progress
from edubalance.model.safe_text import escape_figure

HOSTILE = "<b>x</b>"
ESCAPED = "&lt;b&gt;x&lt;/b&gt;"


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("charts_cache")


@pytest.fixture(scope="module")
def jiangmen(cache):
    return counties_geojson("4407", cache_folder=cache)


@pytest.fixture(scope="module")
def guangdong(cache):
    return counties_geojson("44", cache_folder=cache)


def _traces(fig, name):
    return [t for t in fig.data if t.name == name]


def test_county_map_values_and_grey(jiangmen):
    frame = pd.DataFrame(
        {
            "county": ["440783", "440785", "440781", "440703", "449999"],
            "county_name": ["开平市", HOSTILE, "台山市", "蓬江区", "外县"],
            "v": [12, 9, None, 14, 3],
        }
    )
    fig = county_map(frame, jiangmen, "v", "达标项数", unit="项", value_format=".0f")
    (values,) = _traces(fig, "达标项数")
    assert list(values.locations) == ["440783", "440785", "440703"]
    assert list(values.z) == [12, 9, 14]
    assert values.featureidkey == "properties.adcode"
    # The hostile name is escaped in the hover text; the template shows name and value.
    assert list(values.customdata) == ["开平市", ESCAPED, "蓬江区"]
    assert values.hovertemplate == "%{customdata}<br>达标项数：%{z:.0f}项<extra></extra>"
    (grey,) = _traces(fig, "暂无数据")
    # 台山 has no value (None), 江海 新会 鹤山 no row: grey, named from the geojson.
    assert sorted(grey.locations) == ["440704", "440705", "440781", "440784"]
    assert grey.colorscale[0][1] == NO_DATA_COLOR == grey.colorscale[-1][1]
    assert "台山市" in grey.customdata
    # Seven features on a city map: names drawn, one per county.
    (labels,) = [t for t in fig.data if t.type == "scattergeo"]
    assert len(labels.text) == 7 and ESCAPED in labels.text
    notes = [a.text for a in fig.layout.annotations]
    assert "底图轮廓：天地图" in notes
    assert "1个县（市、区）的区划代码不在底图中，未绘制" in notes
    # Escaping again (as a page's chart() does) changes nothing.
    assert list(escape_figure(fig).data[1].customdata) == ["开平市", ESCAPED, "蓬江区"]


def test_county_map_is_offline(guangdong):
    frame = pd.DataFrame({"county": [f["properties"]["adcode"] for f in guangdong["features"]][:100]})
    frame["v"] = range(100)
    fig = county_map(frame, guangdong, "v", "数值", highlight="440783")
    text = fig.to_json()
    assert "http://" not in text and "https://" not in text and "mapbox" not in text
    assert fig.layout.geo.visible is False and fig.layout.geo.fitbounds == "locations"
    locations = [
        loc for t in fig.data if t.type == "choropleth" and t.name != "当前县（市、区）" for loc in t.locations
    ]
    assert sorted(locations) == sorted(f["properties"]["adcode"] for f in guangdong["features"])  # 124, once each
    (grey,) = _traces(fig, "暂无数据")
    assert {"441900", "442000"} <= set(grey.locations) and len(grey.locations) == 24
    (ring,) = _traces(fig, "当前县（市、区）")
    assert list(ring.locations) == ["440783"] and ring.marker.line.width > 1
    assert not [t for t in fig.data if t.type == "scattergeo"]  # 124 names would only collide


def test_county_map_names_from_the_geojson_and_label_escaped_once(jiangmen):
    frame = pd.DataFrame({"county": ["440783", "440785"], "v": [1.5, 2.5]})
    fig = county_map(frame, jiangmen, "v", "城区<乡村", show_labels=False)
    (values,) = [t for t in fig.data if t.name == "城区<乡村".replace("<", "&lt;")]
    assert list(values.customdata) == ["开平市", "恩平市"]
    assert values.hovertemplate == "%{customdata}<br>城区&lt;乡村：%{z:,.2f}<extra></extra>"
    assert values.colorbar.title.text == "城区&lt;乡村"
    assert not [t for t in fig.data if t.type == "scattergeo"]


def test_county_map_without_data(jiangmen):
    fig = county_map(pd.DataFrame({"county": [], "v": []}), jiangmen, "v", "数值")
    assert [t.name for t in fig.data if t.type == "choropleth"] == ["暂无数据"]
    assert len(fig.data[0].locations) == 7


def _cv_frame():
    rows = []
    for county, name in (("440783", "开平市"), ("440785", HOSTILE)):
        for stage, cv in (("小学", 0.25), ("初中", 0.50)):
            for ind in ("生均教学仪器设备值", "每百名学生拥有骨干教师数"):
                rows.append((county, name, stage, ind, cv if county == "440783" else cv / 5))
    return pd.DataFrame(rows, columns=["county", "county_name", "stage", "indicator_name", "cv"])


def test_cv_heat_table():
    fig = cv_heat_table(_cv_frame())
    primary, junior = fig.data
    assert (primary.name, junior.name) == ("小学", "初中")
    assert list(primary.y) == ["开平市", ESCAPED] and list(primary.x) == ["生均教学仪器设备值", "每百生骨干教师数"]
    # Colour is CV ÷ cap: 0.25/0.50 = 0.5 in 小学; 0.50/0.45 = 1.11 (over the cap) in 初中.
    assert primary.z[0][0] == pytest.approx(0.5)
    assert junior.z[0][0] == pytest.approx(0.50 / 0.45)
    assert junior.z[1][1] == pytest.approx(0.10 / 0.45)
    assert [list(r) for r in junior.text] == [["0.50", "0.50"], ["0.10", "0.10"]]
    assert junior.customdata[0][0] == pytest.approx(0.45)
    titles = [a.text for a in fig.layout.annotations]
    assert titles[:2] == ["小学（限值 0.50）", "初中（限值 0.45）"]


def test_cv_heat_table_uses_given_threshold_and_gaps():
    frame = _cv_frame()
    frame["threshold"] = frame["stage"].map({"小学": 0.40, "初中": 0.45})
    frame = frame.drop(index=[0])  # 开平 小学 仪器设备 missing: an empty cell, not an error
    fig = cv_heat_table(frame)
    assert [a.text for a in fig.layout.annotations][:2] == ["小学（限值 0.40）", "初中（限值 0.45）"]
    missing, primary, junior = fig.data
    # Columns in order of first appearance, the same in both stages.
    assert list(primary.x) == list(junior.x) == ["每百生骨干教师数", "生均教学仪器设备值"]
    assert math.isnan(primary.z[0][1]) and primary.text[0][1] == ""
    # The missing cell is drawn grey underneath, with a dash; only that cell.
    assert missing.name == "小学（无差异系数）" and missing.text[0][1] == "—" and missing.z[0][1] == 1
    assert sum(t == "—" for row in missing.text for t in row) == 1
    assert primary.z[0][0] == pytest.approx(0.25 / 0.40)
    assert primary.z[1][1] == pytest.approx(0.05 / 0.40)


def test_verdict_bars_long_and_wide_agree():
    long = pd.DataFrame(
        {
            "county": ["440783", "440783", "440783", "440785", "440785", "440783"],
            "county_name": ["开平市", "开平市", "开平市", HOSTILE, HOSTILE, "开平市"],
            "horizon": [2025, 2025, 2025, 2025, 2025, 2027],
            "status": [progress.LATE, progress.MET, progress.NO_DATA, progress.MET, progress.OFF_TRACK, progress.MET],
            "n": [2, 4, 1, 6, 1, 7],
        }
    )
    fig = verdict_bars(long, horizon=2025)
    # Legend and stack in STATUS_ORDER, colours as on 目标进度.
    assert [t.name for t in fig.data] == [progress.MET, progress.OFF_TRACK, progress.LATE, progress.NO_DATA]
    assert [t.marker.color for t in fig.data] == [STATUS_FILL[t.name] for t in fig.data]
    met = fig.data[0]
    assert list(met.y) == ["开平市", ESCAPED] and list(met.x) == [4, 6]
    assert list(fig.data[2].x) == [2, 0]

    wide = pd.DataFrame(
        {
            "county": ["440783", "440785"],
            "county_name": ["开平市", HOSTILE],
            progress.MET: [4, 6],
            progress.OFF_TRACK: [0, 1],
            progress.LATE: [2, 0],
            progress.NO_DATA: [1, 0],
        }
    )
    other = verdict_bars(wide)
    assert [(t.name, list(t.y), list(t.x)) for t in other.data] == [(t.name, list(t.y), list(t.x)) for t in fig.data]


def test_gap_bars_sorted_with_missing_last():
    frame = pd.DataFrame(
        {
            "county": ["440783", "440785", "440781", "440784"],
            "county_name": ["开平市", HOSTILE, "台山市", "开平市"],  # a name shared by two codes
            "urban": [3.0, 2.0, None, 1.0],
            "rural": [1.0, 2.5, 1.0, 1.0],
        }
    )
    frame["gap"] = frame["urban"] - frame["rural"]
    (bar,) = gap_bars(frame).data
    assert list(bar.y) == ["开平市（440783）", "开平市（440784）", ESCAPED, "台山市"]
    assert list(bar.x) == [2.0, 0.0, -0.5, 0.0]
    assert list(bar.text) == ["2.00", "0.00", "-0.50", "暂无数据"]
    assert [list(c) for c in bar.customdata][3] == ["—", "1.00", "暂无数据"]


def test_cv_heat_table_one_stage_for_phones():
    fig = cv_heat_table(_cv_frame(), stages=("初中",))
    (junior,) = fig.data
    assert junior.name == "初中" and [list(r) for r in junior.text] == [["0.50", "0.50"], ["0.10", "0.10"]]
    assert all(t.showscale is False for t in fig.data)  # no colour bar eating a phone's width
    assert "绿色：不超过限值　红色：超过限值" in [a.text for a in fig.layout.annotations]


def test_empty_frames_draw_without_error():
    # An empty database or a scope without counties: every builder still returns a figure.
    assert (
        len(cv_heat_table(pd.DataFrame(columns=["county", "county_name", "stage", "indicator_name", "cv"])).data) == 2
    )
    assert not verdict_bars(pd.DataFrame(columns=["county", "county_name", "status", "n"])).data
    assert not verdict_bars(pd.DataFrame(columns=["county", "county_name"])).data
    assert list(gap_bars(pd.DataFrame(columns=["county", "county_name", "gap"])).data[0].y) == []
    empty = county_map(pd.DataFrame(columns=["county", "v"]), {"type": "FeatureCollection", "features": []}, "v", "x")
    assert not empty.data and "暂无县级边界" in [a.text for a in empty.layout.annotations]


def test_verdict_bars_common_target_words():
    """county_targets says 已达标 / 未达标 / 数据不足: green, red, then grey last."""
    from edubalance.charts.base import BAD_COLOR, OK_COLOR

    long = pd.DataFrame(
        {
            "county": ["440783", "440783", "440785", "440785"],
            "status": ["数据不足", "未达标", "已达标", "未达标"],
            "n": [1, 2, 4, 3],
        }
    )
    fig = verdict_bars(long)
    assert [t.name for t in fig.data] == ["已达标", "未达标", "数据不足"]
    assert [t.marker.color for t in fig.data[:2]] == [OK_COLOR, BAD_COLOR]
    assert list(fig.data[1].x) == [2, 3]
