"""The demo's other sheets: principals, city facts, designations and task progress."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from edubalance.demo.plan import is_open
from edubalance.demo.shape import FIRST, NO_DISTRICT_MANAGEMENT, RURAL_YOUNG_PRINCIPALS, TARGETS_CSV, UNREPORTED, YEARS


# ---------------------------------------------------------------------------------------------
# Principals
def principal_rows(schools: list[dict], rng: np.random.Generator) -> list[dict]:
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
            if not is_open(s, y):
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
        rural = [s for s in heads if is_open(s, y) and s["area"] == "乡村"]
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
            if is_open(s, y):
                birth, start = current[s["sid"]]
                rows.append({"year": y, "school_id": s["sid"], "birth_year": birth, "post_start_year": start})
    rows.sort(key=lambda r: (r["year"], r["school_id"]))
    return rows


# ---------------------------------------------------------------------------------------------
# City facts, designations, task progress
def city_fact_rows(sy: pd.DataFrame) -> list[dict]:
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


def designation_rows(schools: list[dict], towns: list[dict], rng: np.random.Generator) -> list[dict]:
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


def task_rows(rng: np.random.Generator, targets_csv: Path = TARGETS_CSV) -> list[dict]:
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
