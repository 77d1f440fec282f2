"""Chinese column headers (with units) for every query column shown or exported."""

from __future__ import annotations

import pandas as pd

from .schema import SHEETS

COLUMN_LABELS: dict[str, str] = {c.key: c.zh for s in SHEETS for c in s.columns}
COLUMN_LABELS.update(
    {
        "year": "学年",
        "stage": "学段",
        "indicator": "指标代码",
        "indicator_name": "指标",
        "unit": "单位",
        "mean": "全县均值（ΣR/ΣP）",
        "sd": "加权标准差",
        "cv": "差异系数",
        "threshold": "限值",
        "passed": "达标",
        "schools": "学校（段）数",
        "students": "在校生数（人）",
        "town_kind": "类型",
        "area": "城乡",
        "value": "值",
        "standard": "标准",
        "ratio_to_standard": "达到标准的比例",
        "met": "达标",
        "met_count": "达标项数",
        "min_ratio": "最低项达标比例",
        "passes_6_of_7": "资源配置达标（6/7规则）",
        "below_standard": "未达标指标",
        "town_value": "镇街值",
        "city_value": "全市值",
        "gap": "差距（镇街−全市）",
        "ratio_to_city": "镇街÷全市",
        "direction": "方向",
        "parity_to_urban": "对城区均等指数",
        "banded_classes": "填报班额段的班级数",
        "over_standard_classes": "超标准班额班数",
        "big_classes": "大班额班数（≥56人）",
        "super_big_classes": "超大班额班数（≥66人）",
        "over_standard_share": "超标准班额占比",
        "big_share": "大班额占比",
        "super_big_share": "超大班额占比",
        "cap": "规模上限（人）",
        "over_by": "超出（人）",
        "required": "须配置（镇）",
        "public_boarding_schools": "公办寄宿制学校数",
        "standard_central_kindergartens": "规范化公办中心幼儿园数",
        "has_boarding": "有公办寄宿制学校",
        "has_central_kg": "有规范化公办中心园",
        "in_cv": "纳入差异系数计算",
        "imported_at": "时间",
        "action": "操作",
        "user_name": "操作人",
        "file_name": "文件",
        "sha256": "SHA-256",
        "rows_json": "各表行数",
        "replaced_years": "替换的学年",
        "warnings": "警告数",
    }
)


def labelled(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with Chinese headers; unknown columns keep their names."""
    return df.rename(columns={c: COLUMN_LABELS.get(c, c) for c in df.columns})
