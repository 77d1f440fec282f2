"""Which checks reject a workbook (错误) and which only flag it (疑点, severity 警告).

A workbook is refused only for data that cannot be right under any counting rule: wrong
types, negatives, unknown codes, duplicates, missing keys, and a part larger than a whole
that contains it by definition in the same row. Relations that depend on how a county
counts (its 报送口径) are 疑点: the rows are imported, and the finding is listed with sheet,
row and column in the import report and on the data-quality page.

RULES is the table printed in docs/DATA.md and in the template's 填表说明 sheet; the
validator takes the severity of every part-of-whole pair from PART_OF_WHOLE_RULES.
"""

from __future__ import annotations

from dataclasses import dataclass

from edubalance.ingest.problems import ERROR, WARNING
from edubalance.model.schema import PART_OF_WHOLE, SCHOOL_YEARS

FORMULA_PREFIXES = ("=", "+", "-", "@")  # a cell starting so is run as a formula by a spreadsheet


@dataclass(frozen=True)
class Rule:
    sheet: str
    rule: str
    severity: str  # ERROR (错误: the file is refused) or WARNING (疑点: imported and listed)
    why: str


# (part, whole) -> (severity, why). A pair another change adds to schema.PART_OF_WHOLE
# without a line here is a 疑点 (see part_of_whole_rule): never refuse on an unexamined rule.
PART_OF_WHOLE_RULES: dict[tuple[str, str], tuple[str, str]] = {
    ("teachers_above_degree", "teachers"): (ERROR, "统计口径即“专任教师中学历高于规定学历者”，是专任教师的一部分"),
    ("backbone_teachers", "teachers"): (ERROR, "按在编在岗名册统计的专任教师中的县级以上骨干教师，是专任教师的一部分"),
    ("pe_art_teachers", "teachers"): (ERROR, "体育、艺术学科的专任教师，是专任教师的一部分"),
    ("certified_teachers", "teachers"): (ERROR, "持有教师资格证的专任教师，是专任教师的一部分"),
    ("exchanged_teachers", "teachers"): (
        WARNING,
        "派出学校计数时，交流出去的教师可能已不在本校专任教师名册上，交流人数可以大于在册专任教师数",
    ),
    ("exchange_eligible", "teachers"): (
        WARNING,
        "“符合交流条件”常按人事关系统计（含校长、中层和已交流出去的教师），不一定是在册专任教师的一部分",
    ),
    ("exchanged_backbone", "exchanged_teachers"): (ERROR, "交流轮岗的骨干教师本身就是交流轮岗教师，是其一部分"),
    ("exchanged_backbone", "backbone_teachers"): (
        WARNING,
        "骨干教师交流出去后，本校名册上的骨干教师数可以为0而交流轮岗骨干教师数为1（派出学校口径）",
    ),
    ("boarders", "students"): (ERROR, "寄宿生是本校在校生的一部分"),
    ("left_behind", "students"): (ERROR, "留守儿童按本校在校生统计，是在校生的一部分"),
    ("disabled_inclusive", "students"): (ERROR, "随班就读的残疾学生计入本校在校生，是在校生的一部分"),
}


def part_of_whole_rule(part: str, whole: str) -> tuple[str, str]:
    return PART_OF_WHOLE_RULES.get((part, whole), (WARNING, "尚未归类的包含关系，按疑点处理"))


def _zh(key: str) -> str:
    try:
        return SCHOOL_YEARS.column(key).zh
    except KeyError:
        return key


def _part_rules() -> list[Rule]:
    out = []
    for part, whole in PART_OF_WHOLE:
        severity, why = part_of_whole_rule(part, whole)
        out.append(Rule("学校年度", f"{_zh(part)} ≤ {_zh(whole)}（同一行）", severity, why))
    return out


_GENERAL = (
    Rule("全部", "必填表、必填列存在，必填项不为空", ERROR, "缺少键或必需的数量时，数据无法落到学校、学年和学段上"),
    Rule("全部", "数字列为数字、整数列为整数、不为负数", ERROR, "人数、班数、面积不可能是文字、小数人数或负数"),
    Rule("全部", "年份在 1900—2100 之间；日期为 YYYY-MM-DD", ERROR, "超出范围的年份和无法解析的日期是录入错误"),
    Rule("全部", "选项列取值在允许的取值中；是/否列可识别", ERROR, "未知的类型或代码无法归入任何统计类别"),
    Rule("全部", "单元格不是 Excel 公式错误值（#DIV/0!、#N/A 等）", ERROR, "公式出错的单元格没有数值"),
    Rule("全部", "同一张表在文件中只出现一次；列名不重复", ERROR, "无法判断以哪一份为准"),
    Rule("全部", "主键不重复（表的唯一键）", ERROR, "同一对象出现两次，无法判断以哪一行为准"),
    Rule("全部", "编码为规定位数的数字、没有变成科学计数法", ERROR, "位数丢失的编码无法可靠还原"),
    Rule(
        "全部",
        "文件中某县的学年在库中该县已有时须选择“替换已有学年”（只替换该县的这些学年）",
        ERROR,
        "防止无意覆盖已导入的学年；其他县的数据不受影响",
    ),
    Rule(
        "市级年度、任务进展、教研员",
        "工作簿（或库）含多个县（市、区）时填写“县级区划代码”",
        ERROR,
        "一个数据库可存放多个县；无法判断该行属于哪个县",
    ),
    Rule(
        "市级年度、任务进展、教研员",
        "县级区划代码在工作簿或库中有镇街；与该行区划代码所属的县一致",
        ERROR,
        "没有镇街的县无法关联到学校和镇街",
    ),
    Rule("学校", "学校不改属另一个县（市、区）", ERROR, "学校标识码全国唯一，改县会把该校历年数据带出原县"),
    Rule("学校、认定与结对", "引用的区划代码、学校标识码存在", ERROR, "找不到的编码无法关联到镇街或学校"),
    Rule("学校", "教学点填写所属学校；所属学校存在、不是自己、不是教学点", ERROR, "教学点须挂靠一所完整学校"),
    Rule("学校", "停办年份不早于建校年份", ERROR, "时间顺序不可能颠倒"),
    Rule("镇街、学校", "经纬度在中国范围内，且同时填写或同时留空", ERROR, "超出中国范围多为经纬度填反"),
    Rule("学校年度", "学段与办学类型相符（如幼儿园只有学前）", ERROR, "学校类型决定了可能有的学段"),
    Rule("学校年度", "各班额段班级数之和等于班级数", ERROR, "班额段是班级数的完整划分"),
    Rule("学校年度", "在校生数>0 时班级数>0；在校生数=0 时班级数=0", ERROR, "有学生就有班，无学生不设班"),
    Rule("校园长", "任现职年份不晚于学年", ERROR, "不可能在未来的年份开始任职"),
    Rule("市级年度、任务进展、认定与结对", "指标代码、任务编号、认定类型在登记表中", ERROR, "未登记的代码无处计算"),
    Rule("学校", "学校标识码第3—4位省级代码与本县一致", WARNING, "跨省办学或编码录错都有可能，交由人工核对"),
    Rule("镇街、学校", "9位乡镇代码补足为12位", WARNING, "补齐方式唯一，但告知填表人"),
    Rule("镇街", "新县的县级区划代码在县界数据（天地图）中", WARNING, "数据可导入，但县域地图无法画出该县"),
    Rule("认定与结对", "结对双方属于同一个县（市、区）", WARNING, "跨县结对可能成立，但各县页面只统计本县学校"),
    Rule("学校", "“普惠性”只填幼儿园", WARNING, "其他学校填写的值不参与计算"),
    Rule("校园长", "按出生年份计算的年龄在 18—80 岁之间", WARNING, "极少见但并非不可能，可能是出生年份录错"),
    Rule("镇街、学校", "名称不以 = + - @ 开头", WARNING, "以这些字符开头的文字在表格软件中会被当作公式执行"),
    Rule("全部", "未知的列名、无法识别的工作表", WARNING, "不导入，但告知填表人以免遗漏数据"),
    Rule("镇街、学校", "坐标在本县县界之内", WARNING, "县界为示意边界，飞地与界线附近的学校可能在外"),
    Rule(
        "学校年度",
        "学校在校生数、专任教师数与上一学年相比变化不超过阈值",
        WARNING,
        "撤并、新建、学区调整都可能带来大变化",
    ),
    Rule("学校", "上一学年有数据而本学年没有的学校填写了停办年份", WARNING, "可能是漏报，也可能是撤并未登记"),
    Rule("学校年度", "在校生数与各班额段推算的人数范围相符", WARNING, "班额段是区间，只能给出大致范围"),
)


def rules() -> list[Rule]:
    """The full rule table: general errors, every PART_OF_WHOLE pair, then the 疑点."""
    general = list(_GENERAL)
    errors = [r for r in general if r.severity == ERROR]
    warnings = [r for r in general if r.severity == WARNING]
    parts = _part_rules()
    return errors + [r for r in parts if r.severity == ERROR] + [r for r in parts if r.severity == WARNING] + warnings


def severity_zh(severity: str) -> str:
    return "错误（拒绝导入）" if severity == ERROR else "疑点（导入并列出）"


def markdown_table() -> str:
    """The rule table for docs/DATA.md."""
    lines = ["| 表 | 规则 | 级别 | 理由 |", "|---|---|---|---|"]
    for r in rules():
        lines.append(f"| {r.sheet} | {r.rule} | {severity_zh(r.severity)} | {r.why} |")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m edubalance.ingest.rules: the table for docs/DATA.md
    print(markdown_table())
