"""What each workbook column means (口径), its unit and an example value, for the template's
填表说明 sheet and docs/DATA.md.

Kept apart from schema.py so that the schema stays a list of columns; a column may also
carry its own text (Column.definition / unit / example), which wins over this table, and a
column found in neither still appears in the template with its type and allowed values.
The examples of one sheet form one consistent row (it would import as it is).
"""

from __future__ import annotations

from edubalance.model.schema import Column, Sheet

_COUNTY_DOC = (
    "该行所属县（市、区）的6位县级区划代码（即镇街区划代码的前6位，如开平市 440783）；"
    "工作簿只含一个县时可留空，含多个县时必填"
)

# (sheet key, column key) -> (口径, unit, example)
DOCS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("towns", "town_code"): ("国家统计局统计用区划代码（12位），前6位为县级代码", "", "440783001000"),
    ("towns", "town_name"): ("街道、镇或新区（管委会）的名称", "", "三埠街道"),
    ("towns", "town_kind"): ("街道、镇或新区；决定镇街在图表中的分组", "", "街道"),
    ("towns", "seat_lon"): ("镇街政府驻地经度（WGS-84，十进制度）", "度", "112.6862"),
    ("towns", "seat_lat"): ("镇街政府驻地纬度（WGS-84，十进制度）", "度", "22.3728"),
    ("schools", "school_id"): ("教育部学校（机构）标识码，10位；前2位为学校类别", "", "2144830101"),
    ("schools", "school_name"): ("学校全称（与教育事业统计一致）", "", "三埠街道中心小学"),
    ("schools", "town_code"): ("学校所在镇街的区划代码，须在“镇街”表中", "", "440783001000"),
    ("schools", "school_type"): ("教育事业统计的办学类型", "", "小学"),
    ("schools", "ownership"): ("举办者：公办或民办", "", "公办"),
    ("schools", "inclusive"): ("是否为普惠性幼儿园（仅幼儿园填写）", "", ""),
    ("schools", "ur_code"): ("国家统计局城乡分类代码：111/112 城区，121—123 镇区，210/220 乡村", "", "111"),
    ("schools", "is_central"): ("是否为镇（街）中心小学或中心幼儿园", "", "是"),
    ("schools", "is_boarding"): ("是否为寄宿制学校", "", "否"),
    ("schools", "is_standardized"): ("是否已通过规范化学校（幼儿园）认定", "", "是"),
    ("schools", "parent_school_id"): ("教学点所属完全学校的标识码（教学点必填）", "", ""),
    ("schools", "group_name"): ("所属教育集团名称（无则留空）", "", "开平市第一教育集团"),
    ("schools", "lon"): ("学校位置经度（WGS-84，十进制度）", "度", "112.6901"),
    ("schools", "lat"): ("学校位置纬度（WGS-84，十进制度）", "度", "22.3755"),
    ("schools", "opened_year"): ("建校（开办）年份", "年", "1952"),
    ("schools", "closed_year"): ("停办或撤并的年份（仍在办学则留空）", "年", ""),
    ("schools", "zero_pupil_decision"): (
        "学生数为零的乡村学校是否继续办学的研判结论（T1）；其他学校留空",
        "",
        "",
    ),
    ("schools", "decision_year"): ("作出研判的学年（起始年）；填了研判年份就须填研判结论", "年", ""),
    ("schools", "decision_note"): ("研判依据或后续安排", "", ""),
    ("school_years", "year"): ("学年起始年：2025 表示 2025—2026学年（秋季统计时点）", "年", "2025"),
    ("school_years", "school_id"): ("学校标识码，须在“学校”表中", "", "2144830101"),
    ("school_years", "stage"): ("学段；一贯制学校每个学段一行", "", "小学"),
    ("school_years", "students"): ("统计时点该学段在校生（在园幼儿）数，含随班就读学生", "人", "1150"),
    ("school_years", "classes"): ("该学段教学班数", "个", "26"),
    ("school_years", "band_le25"): ("班额25人及以下的班级数", "个", "0"),
    ("school_years", "band_26_30"): ("班额26—30人的班级数", "个", "0"),
    ("school_years", "band_31_35"): ("班额31—35人的班级数", "个", "0"),
    ("school_years", "band_36_40"): ("班额36—40人的班级数", "个", "0"),
    ("school_years", "band_41_45"): ("班额41—45人的班级数", "个", "26"),
    ("school_years", "band_46_50"): ("班额46—50人的班级数", "个", "0"),
    ("school_years", "band_51_55"): ("班额51—55人的班级数", "个", "0"),
    ("school_years", "band_56_65"): ("班额56—65人的班级数", "个", "0"),
    ("school_years", "band_ge66"): ("班额66人及以上的班级数", "个", "0"),
    ("school_years", "teachers"): ("在编在岗的专任教师数（按本校名册）", "人", "70"),
    ("school_years", "teachers_above_degree"): ("专任教师中学历高于国家规定学历者", "人", "62"),
    ("school_years", "backbone_teachers"): ("专任教师中县级及以上骨干教师（含名师、学科带头人）", "人", "8"),
    ("school_years", "pe_art_teachers"): ("体育、音乐、美术学科专任教师", "人", "9"),
    ("school_years", "certified_teachers"): ("持有相应教师资格证的专任教师", "人", "70"),
    ("school_years", "teaching_area_m2"): ("教学及辅助用房建筑面积", "平方米", "6500"),
    ("school_years", "sports_area_m2"): ("体育运动场（馆）面积", "平方米", "9000"),
    ("school_years", "equipment_yuan"): ("教学仪器设备资产值", "元", "3600000"),
    ("school_years", "multimedia_rooms"): ("网络多媒体教室间数", "间", "26"),
    ("school_years", "music_rooms"): ("音乐专用教室间数", "间", "2"),
    ("school_years", "art_rooms"): ("美术专用教室间数", "间", "2"),
    ("school_years", "boarders"): ("在校生中的寄宿生", "人", "0"),
    ("school_years", "left_behind"): ("在校生中的农村留守儿童", "人", "35"),
    ("school_years", "disabled_inclusive"): ("在校生中随班就读的残疾学生", "人", "3"),
    ("school_years", "exchanged_teachers"): (
        "本学年交流轮岗的教师；派出学校口径时含已交流出去、不在本校名册上的教师",
        "人",
        "5",
    ),
    ("school_years", "exchanged_backbone"): ("交流轮岗教师中的县级及以上骨干教师", "人", "1"),
    ("school_years", "exchange_eligible"): ("符合交流轮岗条件（如在同校任教满6年）的教师", "人", "20"),
    ("principals", "year"): ("学年起始年", "年", "2025"),
    ("principals", "school_id"): ("学校标识码，须在“学校”表中", "", "2144830101"),
    ("principals", "birth_year"): ("正职校（园）长出生年份", "年", "1975"),
    ("principals", "post_start_year"): ("任现职（本校正职）的起始年份", "年", "2020"),
    ("principals", "principal_name"): ("正职校（园）长姓名；任职超过10年的监测名单（T9）显示姓名", "", "关志强"),
    ("principals", "note"): ("同一岗位连续任职超过10年的，说明原因或交流安排（T9）", "", ""),
    ("city_facts", "year"): ("学年起始年", "年", "2025"),
    ("city_facts", "key"): ("指标登记表中的市级指标代码", "", "edu_spending_10k"),
    ("city_facts", "value"): ("该指标的数值（单位见指标登记表）", "见指标", "118640"),
    ("city_facts", "note"): ("数据来源或口径说明", "", "一般公共预算教育支出"),
    ("city_facts", "county"): (_COUNTY_DOC, "", ""),
    ("designations", "kind"): ("认定或结对的类型（认定类型登记表）", "", "省级乡村温馨校园"),
    ("designations", "school_id"): ("被认定的学校，或结对中的帮扶方", "", "2144830101"),
    ("designations", "partner_school_id"): ("结对中的受援方学校（结对类型必填）", "", ""),
    ("designations", "town_code"): ("以镇街为对象的认定填写区划代码", "", ""),
    ("designations", "since_year"): ("认定或结对开始的学年", "年", "2023"),
    ("task_progress", "target_id"): ("目标登记表中的任务编号（Q…为定性任务）", "", "Q1"),
    ("task_progress", "updated_on"): ("本条进展的日期", "", "2025-06-30"),
    ("task_progress", "status"): ("任务状态", "", "推进中"),
    ("task_progress", "note"): ("进展说明", "", "已召开专题会议部署"),
    ("task_progress", "owner"): ("负责推进该任务的单位（可填多个，用顿号分隔）", "", "市教育局"),
    ("task_progress", "town_code"): ("某镇（街）自己的进展填该镇街的区划代码；留空表示全市进展", "", ""),
    ("task_progress", "county"): (_COUNTY_DOC, "", ""),
    ("researchers", "year"): ("学年起始年", "年", "2025"),
    ("researchers", "researcher_id"): ("本县自定的教研员编号，同一人各学年一致", "", "JY001"),
    ("researchers", "researcher_name"): ("教研员姓名", "", "梁文"),
    ("researchers", "hire_year"): ("任教研员的起始学年（起始年）", "年", "2019"),
    ("researchers", "rural_visits"): ("当学年到乡村学校指导的次数（T12：5年30次，即每年6次）", "次", "7"),
    ("researchers", "stay_months"): (
        "当学年到乡村学校蹲点的月数，0—12（T24：新入职教研员3年内累计不少于12个月）",
        "月",
        "0",
    ),
    ("researchers", "county"): (_COUNTY_DOC, "", ""),
}

KIND_EXAMPLE = {"int": "0", "num": "0", "bool": "否", "year": "2025", "date": "2025-06-30"}


def describe(sheet: Sheet, col: Column) -> tuple[str, str, str]:
    """(口径, unit, example) of a column: its own fields first, then DOCS, then a fallback
    from its type, so that a column added elsewhere still has a usable line."""
    definition, unit, example = DOCS.get((sheet.key, col.key), ("", "", ""))
    definition = getattr(col, "definition", "") or definition or col.note or col.zh
    unit = getattr(col, "unit", "") or unit
    example = getattr(col, "example", "") or example
    if not example and col.required:
        example = col.enum[0] if col.enum else KIND_EXAMPLE.get(col.kind, "")
    return definition, unit, example
