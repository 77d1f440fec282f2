"""The plan-deadline story of the demo (T1, T2, T7, T9, T21, T24, T25, Q1, Q29, towns' own task
rows), drawn from a random stream of its own so the numbers of the other sheets do not move.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from edubalance.demo.plan import SchoolPlan, segment
from edubalance.demo.shape import BOARDING_OPENS, LAST, LATE_WALKING, NO_DISTRICT_MANAGEMENT, TYPE_PREFIX, YEARS

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


def boarding_school_opens(schools: list[dict], towns: list[dict], rng: np.random.Generator) -> dict:
    """BOARDING_OPENS: a public boarding primary school at the town seat, open from that year."""
    name, year = BOARDING_OPENS
    town = next(t for t in towns if t["name"] == name)
    plan = SchoolPlan(towns, rng)
    prefix = TYPE_PREFIX["小学"]
    taken = [int(s["sid"][-2:]) for s in schools if s["sid"][:2] == prefix and s["town"]["no"] == town["no"]]
    plan.continue_ids("小学", town, max(taken, default=0))
    s = plan.add(
        town,
        "小学",
        f"{name}寄宿制小学",
        "121",
        boarding=True,
        standardized=True,
        opened=year,
        segs=[segment("小学", 260, 1.0, fixed=True)],
    )
    schools.append(s)
    return s


def principal_names_and_notes(rows: list[dict], rng: np.random.Generator) -> None:
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


def zero_pupil_decisions(schools: list[dict], sy: pd.DataFrame) -> None:
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


def plan_fact_rows() -> list[dict]:
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
# city_fact_rows, and the 蹲点 months of the new researchers in their first three years.
VISITS_MEAN = dict(zip(YEARS, (4.4, 5.3, 6.1, 6.6, 7.0)))
NEW_RESEARCHER_STAYS = {2022: ((4, 4, 4), (3, 4, 3)), 2023: ((6, 6, 2), (4, 4, 4)), 2024: ((5, 4, 4), (4, 4, 2))}


def researcher_rows(rng: np.random.Generator) -> list[dict]:
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


def plan_designation_rows(schools: list[dict], towns: list[dict]) -> list[dict]:
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


def plan_task_rows(tasks: list[dict], towns: list[dict]) -> list[dict]:
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
