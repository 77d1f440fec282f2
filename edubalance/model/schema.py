"""The import workbook: sheets, columns, types and enumerations (documented for clerks in docs/DATA.md).

This module is the single description of the workbook. The importer validates against it,
the template and the demo recipe are written from it, and the database tables take their
column names (the English keys) from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TOWN_KINDS = ("街道", "镇", "新区")
SCHOOL_TYPES = (
    "幼儿园",
    "小学",
    "教学点",
    "初级中学",
    "九年一贯制学校",
    "完全中学",
    "高级中学",
    "十二年一贯制学校",
    "特殊教育学校",
)
OWNERSHIP = ("公办", "民办")
UR_CODES = ("111", "112", "121", "122", "123", "210", "220")
STAGES = ("学前", "小学", "初中", "高中", "特教")
TASK_STATUSES = ("未启动", "推进中", "已完成", "滞后")
# T1: the decision on a rural school with no pupils (是否继续办学研判).
ZERO_PUPIL_DECISIONS = ("继续办学", "暂停招生", "撤并")

# Which stage segments a school of each type may report. 附设幼儿班 in primary schools and
# 教学点 are common in rural counties, so 学前 is allowed there.
STAGES_BY_TYPE = {
    "幼儿园": ("学前",),
    "小学": ("小学", "学前"),
    "教学点": ("小学", "学前"),
    "初级中学": ("初中",),
    "九年一贯制学校": ("小学", "初中", "学前"),
    "完全中学": ("初中", "高中"),
    "高级中学": ("高中",),
    "十二年一贯制学校": ("小学", "初中", "高中", "学前"),
    "特殊教育学校": ("特教",),
}

# Class-size bands: (key, header, lower bound, upper bound or None).
CLASS_BANDS = (
    ("band_le25", "25人及以下", 0, 25),
    ("band_26_30", "26-30人", 26, 30),
    ("band_31_35", "31-35人", 31, 35),
    ("band_36_40", "36-40人", 36, 40),
    ("band_41_45", "41-45人", 41, 45),
    ("band_46_50", "46-50人", 46, 50),
    ("band_51_55", "51-55人", 51, 55),
    ("band_56_65", "56-65人", 56, 65),
    ("band_ge66", "66人及以上", 66, None),
)


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    kind: str  # code12 code10 code6 text enum int num bool year date
    required: bool = False
    enum: tuple[str, ...] = ()
    note: str = ""
    # For the template's 填表说明 (column_docs.DOCS supplies them where left empty).
    unit: str = ""
    example: str = ""
    definition: str = ""

    @property
    def sql_type(self) -> str:
        return {
            "int": "BIGINT",
            "year": "INTEGER",
            "num": "DOUBLE",
            "bool": "BOOLEAN",
            "date": "DATE",
        }.get(self.kind, "VARCHAR")


@dataclass(frozen=True)
class Sheet:
    key: str  # table name in the database
    zh: str  # sheet name in the workbook
    columns: tuple[Column, ...]
    unique: tuple[str, ...] = ()  # the natural key
    yearly: bool = False  # rows belong to a school year (replaced per year)
    description: str = ""
    extra_unique: tuple[tuple[str, ...], ...] = field(default_factory=tuple)

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]


TOWNS = Sheet(
    "towns",
    "镇街",
    (
        Column("town_code", "区划代码", "code12", True, note="12位统计用区划代码"),
        Column("town_name", "镇街名称", "text", True),
        Column("town_kind", "类型", "enum", True, TOWN_KINDS),
        Column("seat_lon", "驻地经度", "num", note="WGS-84"),
        Column("seat_lat", "驻地纬度", "num", note="WGS-84"),
    ),
    unique=("town_code",),
    extra_unique=(("town_name",),),
    description="县内每个街道、镇（及新区/管委会）一行。",
)

SCHOOLS = Sheet(
    "schools",
    "学校",
    (
        Column("school_id", "学校标识码", "code10", True, note="10位学校（机构）标识码"),
        Column("school_name", "学校名称", "text", True),
        Column("town_code", "区划代码", "code12", True, note="须在“镇街”表中"),
        Column("school_type", "办学类型", "enum", True, SCHOOL_TYPES),
        Column("ownership", "举办者", "enum", True, OWNERSHIP),
        Column("inclusive", "普惠性", "bool", note="幼儿园填写"),
        Column("ur_code", "城乡分类代码", "enum", True, UR_CODES),
        Column("is_central", "中心校园", "bool"),
        Column("is_boarding", "寄宿制", "bool"),
        Column("is_standardized", "规范化", "bool"),
        Column("parent_school_id", "所属学校标识码", "code10", note="教学点必填"),
        Column("group_name", "教育集团", "text"),
        Column("lon", "经度", "num", note="WGS-84"),
        Column("lat", "纬度", "num", note="WGS-84"),
        Column("opened_year", "建校年份", "year"),
        Column("closed_year", "停办年份", "year"),
        Column(
            "zero_pupil_decision",
            "办学研判结论",
            "enum",
            enum=ZERO_PUPIL_DECISIONS,
            note="可选。学生数为零的乡村学校填写是否继续办学的研判结论（方案附件1第1条，T1）；其他学校留空",
        ),
        Column(
            "decision_year",
            "研判年份",
            "year",
            note="可选。作出上述研判的学年（起始年）；该学年及以后的学生数为零年份视为已研判",
        ),
        Column("decision_note", "研判说明", "text", note="可选。研判依据或后续安排"),
    ),
    unique=("school_id",),
    description="每所学校（含教学点、幼儿园）一行。",
)

_YEAR = Column("year", "学年", "year", True, note="起始年：2025 表示 2025—2026学年")
# The county of a row that no town or school names (市级年度, 任务进展, 教研员). Always last in
# its sheet; stored filled: a blank cell takes the workbook's (or the database's) only county.
COUNTY = Column("county", "县级区划代码", "code6", note="可选；工作簿含多个县（市、区）时必填（6位县级区划代码）")
_SCHOOL = Column("school_id", "学校标识码", "code10", True, note="须在“学校”表中")

SCHOOL_YEARS = Sheet(
    "school_years",
    "学校年度",
    (
        _YEAR,
        _SCHOOL,
        Column("stage", "学段", "enum", True, STAGES),
        Column("students", "在校生数", "int", True),
        Column("classes", "班级数", "int", True),
        *(Column(k, zh, "int") for k, zh, _, _ in CLASS_BANDS),
        Column("teachers", "专任教师数", "int", True),
        Column("teachers_above_degree", "高于规定学历教师数", "int"),
        Column("backbone_teachers", "县级以上骨干教师数", "int"),
        Column("pe_art_teachers", "体育艺术专任教师数", "int"),
        Column("certified_teachers", "持证专任教师数", "int"),
        Column("teaching_area_m2", "教学及辅助用房面积", "num", note="平方米"),
        Column("sports_area_m2", "体育运动场馆面积", "num", note="平方米"),
        Column("equipment_yuan", "教学仪器设备值", "num", note="元"),
        Column("multimedia_rooms", "网络多媒体教室数", "int"),
        Column("music_rooms", "音乐专用教室数", "int"),
        Column("art_rooms", "美术专用教室数", "int"),
        Column("boarders", "寄宿生数", "int"),
        Column("left_behind", "留守儿童数", "int"),
        Column("disabled_inclusive", "随班就读残疾学生数", "int"),
        Column("exchanged_teachers", "交流轮岗教师数", "int"),
        Column("exchanged_backbone", "交流轮岗骨干教师数", "int"),
        Column("exchange_eligible", "符合交流条件教师数", "int"),
    ),
    unique=("year", "school_id", "stage"),
    yearly=True,
    description="每所学校、每个学年、每个学段一行（九年一贯制学校分小学、初中两行）。",
)

PRINCIPALS = Sheet(
    "principals",
    "校园长",
    (
        _YEAR,
        _SCHOOL,
        Column("birth_year", "出生年份", "year", True),
        Column("post_start_year", "任现职年份", "year", True),
        Column("principal_name", "姓名", "text", note="可选。任职超过10年的校（园）长名单（T9）显示姓名"),
        Column(
            "note",
            "备注",
            "text",
            note="可选。同一岗位连续任职超过10年（学年 − 任现职年份 > 10）的，填写原因或交流安排（T9）",
        ),
    ),
    unique=("year", "school_id"),
    yearly=True,
    description="每所学校（园）正职校（园）长，每学年一行。",
)

CITY_FACTS = Sheet(
    "city_facts",
    "市级年度",
    (
        _YEAR,
        Column("key", "指标", "text", True, note="指标登记表中的市级指标代码"),
        Column("value", "数值", "num", True),
        Column("note", "备注", "text"),
        COUNTY,
    ),
    unique=("county", "year", "key"),
    yearly=True,
    description="全市层面的年度数据（教育经费、教研员下乡次数等）。",
)

DESIGNATIONS = Sheet(
    "designations",
    "认定与结对",
    (
        Column("kind", "类型", "enum", True, note="见认定类型登记表"),
        Column("school_id", "学校标识码", "code10"),
        Column("partner_school_id", "对象学校标识码", "code10"),
        Column("town_code", "区划代码", "code12"),
        Column("since_year", "起始学年", "year"),
    ),
    unique=("kind", "school_id", "partner_school_id", "town_code"),
    description="认定（温馨校园、示范培育、优质高中……）与结对帮扶关系。",
)

RESEARCHERS = Sheet(
    "researchers",
    "教研员",
    (
        _YEAR,
        Column("researcher_id", "教研员编号", "text", True, note="本县自定的编号，同一人各学年一致"),
        Column("researcher_name", "姓名", "text"),
        Column("hire_year", "入职年份", "year", True, note="任教研员的起始学年（起始年）"),
        Column("rural_visits", "到乡村学校指导次数", "int", True, note="当学年次数（T12：5年30次，即每年6次）"),
        Column(
            "stay_months",
            "蹲点月数",
            "num",
            note="当学年到乡村学校蹲点的月数（0—12；T24：新入职教研员3年内累计不少于12个月）",
        ),
        COUNTY,
    ),
    unique=("county", "year", "researcher_id"),
    yearly=True,
    description="可选。每名教研员、每个学年一行；有此表时按人统计T12的进度和T24的蹲点。",
)

TASK_PROGRESS = Sheet(
    "task_progress",
    "任务进展",
    (
        Column("target_id", "任务编号", "text", True, note="目标登记表中的编号"),
        Column("updated_on", "更新日期", "date", True),
        Column("status", "状态", "enum", True, TASK_STATUSES),
        Column("note", "说明", "text"),
        Column("owner", "责任单位", "text"),
        Column(
            "town_code",
            "区划代码",
            "code12",
            note="可选。某镇（街）自己的进展填该镇街的区划代码（须在“镇街”表中）；留空表示全市进展",
        ),
        COUNTY,
    ),
    unique=("county", "target_id", "town_code", "updated_on"),
    description="方案中定性任务的进展记录（全市或某一镇街）。",
)

SHEETS: tuple[Sheet, ...] = (
    TOWNS,
    SCHOOLS,
    SCHOOL_YEARS,
    PRINCIPALS,
    CITY_FACTS,
    DESIGNATIONS,
    TASK_PROGRESS,
    RESEARCHERS,
)
SHEETS_BY_ZH = {s.zh: s for s in SHEETS}
SHEETS_BY_KEY = {s.key: s for s in SHEETS}

# The sheets whose rows carry their county in the COUNTY column (the others derive it from a
# town or school code).
COUNTY_SHEETS = (CITY_FACTS.key, TASK_PROGRESS.key, RESEARCHERS.key)

# A part never exceeds its whole: (sheet key, part column, whole column).
PART_OF_WHOLE = (
    ("teachers_above_degree", "teachers"),
    ("backbone_teachers", "teachers"),
    ("pe_art_teachers", "teachers"),
    ("certified_teachers", "teachers"),
    ("exchanged_teachers", "teachers"),
    ("exchange_eligible", "teachers"),
    ("exchanged_backbone", "exchanged_teachers"),
    ("exchanged_backbone", "backbone_teachers"),
    ("boarders", "students"),
    ("left_behind", "students"),
    ("disabled_inclusive", "students"),
)


def sheet_for(name: str) -> Sheet | None:
    """Find a sheet by its Chinese name or English key (file stems for CSVs)."""
    name = name.strip()
    return SHEETS_BY_ZH.get(name) or SHEETS_BY_KEY.get(name)


# 城乡分类代码 -> the education-statistics bucket (docs/METHODS.md, 城乡分类).
UR_AREAS = {
    "111": "城区",
    "112": "城区",
    "121": "镇区",
    "122": "镇区",
    "123": "镇区",
    "210": "乡村",
    "220": "乡村",
}
AREAS = ("城区", "镇区", "乡村")
