"""Sampling the school-year rows of the demo: classes and their sizes, teachers, space, equipment
and the other counts of each school segment and year, and the teacher exchange.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from edubalance.demo.plan import expected_size, is_open
from edubalance.demo.shape import (
    EXCHANGE_ELIGIBLE_SHARE,
    EXCHANGE_RATE,
    EXCHANGED_BACKBONE_SHARE,
    FIRST,
    LAST,
    SPACE_STANDARDS,
    YEARS,
)
from edubalance.model import schema

# Class-size band lower edges (the upper edge of band i is edge i+1 − 1), from schema.
_BAND_EDGES = np.array([lo for _, _, lo, _ in schema.CLASS_BANDS[1:]])
_BAND_KEYS = [k for k, *_ in schema.CLASS_BANDS]


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


def school_year_rows(schools: list[dict], rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for s in schools:
        for g in s["segs"]:
            stage = g["stage"]
            pr = _school_profile(s, stage, rng)
            (avg0, avg1), sd, min_classes = _class_params(s, stage)
            offset = rng.uniform(-1.5, 1.5) if stage in ("小学", "初中", "高中") else rng.uniform(-1, 1)
            years = [y for y in YEARS if is_open(s, y)]
            base = expected_size(g, years[0])
            if g["ramp"]:
                base = g["size"]
            if g["path"]:
                base = g["path"][FIRST] * 1.6
            mm_prev = special_prev = 0
            for y in years:
                t = y - FIRST
                exp = expected_size(g, y)
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
