"""方法说明: every indicator, threshold and target, read from the registries."""

import streamlit as st

from edubalance.model import registry
from edubalance.ui import data, widgets
from edubalance.ui.scope import require_county

require_county()  # several counties: a county page needs one; otherwise nothing
st.title("方法说明")
widgets.banner()

point_min = registry.standard("cv_exclude_teaching_point_below", "教学点")
min_met = registry.standard("school_pass_min_met", "小学")
floor = registry.standard("school_pass_floor_ratio", "小学")
st.markdown(
    f"""
**数据来源与口径**
- 学校数据来自每年秋季教育事业统计（学年以起始年表示，如 2025 表示 2025—2026学年），经“数据管理”导入；
  全部计算在数据库中按 `queries/` 目录的命名查询完成，页面只负责展示。
- **校际差异系数**（办法2017，按在校生加权）：X̄ = k·ΣR/ΣP，S = √(Σ(Pᵢ/P)(Xᵢ−X̄)²)，CV = S/X̄。
  这不是教科书中的不加权变异系数。九年一贯制、完全中学的小学段和初中段分别计算；特殊教育学校、
  不足{point_min:.0f}人的教学点、当年无在校生的学校（段）不计入。
- **镇街、城乡的指标值**一律为按学生加权的比值（ΣR/ΣP），不是学校比值的简单平均；镇街值包含该镇街该学段的全部学校（段）。
- **学校达标**：7项指标至少{min_met:.0f}项达到标准，其余不低于标准的{floor:.0%}。
- **城乡**：按学校所在地城乡分类代码，111/112 为城区，121/122/123 为镇区，210/220 为乡村。
- **状态标记**：[C] 已在原文中确认；[C2] 经二手来源确认；[R] 凭记忆、未确认（可在登记表中修改）；[D] 本看板的设计约定。
"""
)

ind = registry.indicators()
st.subheader("指标登记表")
widgets.table(
    ind[["key", "name_zh", "unit", "group_zh", "stages", "formula_zh", "direction", "source", "status"]].rename(
        columns={
            "key": "代码",
            "name_zh": "指标",
            "group_zh": "类别",
            "stages": "学段",
            "formula_zh": "计算方法",
            "direction": "方向",
            "source": "来源",
            "status": "状态",
        }
    ),
    "指标登记表",
    key="m_ind",
)
st.subheader("标准与阈值")
names = dict(zip(ind["key"], ind["name_zh"]))
std = registry.standards().copy()
std.insert(1, "指标", std["indicator_key"].map(names).fillna(""))
widgets.table(
    std.rename(
        columns={
            "indicator_key": "代码",
            "scope": "适用范围",
            "comparator": "比较",
            "value": "标准值",
            "note": "说明",
            "source": "来源",
            "status": "状态",
        }
    ),
    "标准与阈值",
    key="m_std",
)
st.subheader("方案目标与任务")
tg = data.query("county_plan")
source = tg["source"].iloc[0] if len(tg) else "common"
st.caption(
    f"方案来源：{registry.PLAN_SOURCES[source]}。"
    + (
        "本县没有登记方案，只按国家标准的通用目标 G1—G7 判定（不借用其他县的方案条目）；县域对比对所有县都只用这 7 项。"
        if source == "common"
        else "县域对比只用通用目标 G1—G7（国家标准），本县方案的目标在本县页面判定。"
    )
)
widgets.table(
    tg.drop(columns=["plan_set", "source"]).rename(
        columns={
            "target_id": "编号",
            "group_zh": "工程",
            "plan_clause": "条款",
            "wording": "内容",
            "indicator_key": "指标",
            "scope": "范围",
            "comparator": "比较",
            "goal": "目标值",
            "unit": "单位",
            "deadline": "期限",
            "baseline_year": "基期",
            "kind": "类型",
            "owner": "责任单位",
        }
    ),
    "方案目标",
    key="m_tg",
)
