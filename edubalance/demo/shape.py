"""The shape of the demo's story: its seed and years, the towns that lag, the enrolment it is
anchored on, and the name pools. Plain constants; the other demo modules read them.
"""

from __future__ import annotations

from edubalance.store.paths import DATA_DIR

DEMO_SEED = 20230701
YEARS = (2022, 2023, 2024, 2025, 2026)
FIRST, LAST = YEARS[0], YEARS[-1]

TOWNS_CSV = DATA_DIR / "demo" / "towns.csv"
TARGETS_CSV = DATA_DIR / "plans" / "440783" / "targets.csv"  # Kaiping's plan registry

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
