"""The import preview and the import report on the 数据管理 page (rendering only; the
numbers come from edubalance.ingest.preview and the importer)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from edubalance.ingest.preview import TOWN_MOVE, Preview
from edubalance.ingest.problems import COUNTY_HEADER, county_label
from edubalance.model.safe_text import md
from edubalance.ui import widgets

ADDED = {"school_id": "学校标识码", "school_name": "学校名称", "town_code": "区划代码"}
CLOSED = {"school_id": "学校标识码", "school_name": "学校名称", "reason": "依据"}
RENAMED = {"school_id": "学校标识码", "old_name": "库中名称", "new_name": "文件中名称"}
MOVES = {
    "year": "学年",
    "town_name": "镇街",
    "measure": "项目",
    "previous": "上一学年",
    "current": "本学年",
    "change": "变化",
}
CV = {
    "year": "学年",
    "stage": "学段",
    "indicator_name": "指标",
    "cv": "差异系数（导入前 → 导入后）",
    "verdict": "是否达标",
}
VERDICTS = {"target_id": "目标", "scope_name": "范围", "which": "判断", "before": "导入前", "after": "导入后"}


def _arrow(a, b) -> str:
    return f"{a} → {b}" if a != b else str(b)


def _cv_view(df: pd.DataFrame) -> pd.DataFrame:
    """One line per indicator: the coefficient and the verdict as 'before → after'."""
    out = df.copy()
    fmt = (
        [("—" if pd.isna(v) else f"{v:.4f}") for v in out["cv_before"]],
        [("—" if pd.isna(v) else f"{v:.4f}") for v in out["cv_after"]],
    )
    out["cv"] = [_arrow(a, b) for a, b in zip(*fmt)]
    out["verdict"] = [_arrow(a or "（无）", b or "（无）") for a, b in zip(out["before"], out["after"])]
    return out


def _plain(df: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    out = df[[c for c in names if c in df.columns]].rename(columns=names)
    if "county" in df.columns and df["county"].nunique() > 1:  # a workbook of several counties
        out.insert(0, COUNTY_HEADER, [county_label(c) for c in df["county"]])
    if "变化" in out.columns:
        out["变化"] = [("新出现或消失" if pd.isna(v) else f"{v:+.0%}") for v in out["变化"]]
    return out


def _section(title: str, df: pd.DataFrame, names: dict[str, str], empty: str) -> None:
    st.markdown(f"**{title}**（{len(df)}）")
    if df.empty:
        st.caption(empty)
    else:
        st.dataframe(_plain(df, names), hide_index=True, width="stretch", height=min(38 + 35 * len(df), 320))


def show_preview(pv: Preview) -> None:
    """What the import would change, in the order an admin weighs it."""
    years = [f"{sheet} 新增 {'、'.join(map(str, ys))} 学年" for sheet, ys in pv.years_added.items()]
    years += [f"{sheet} 替换 {'、'.join(map(str, ys))} 学年" for sheet, ys in pv.years_replaced.items()]
    c = st.columns(5)
    c[0].metric("新增学校", len(pv.schools_added), border=True)
    c[1].metric("停办或不再上报", len(pv.schools_closed), border=True)
    c[2].metric("改名", len(pv.schools_renamed), border=True)
    c[3].metric("差异系数变化", len(pv.cv_changes), border=True)
    c[4].metric("目标判断变化", len(pv.verdict_changes), border=True)
    st.markdown("**学年**：" + ("；".join(years) if years else "文件中没有分学年的数据（只更新名录或登记信息）"))
    left, right = st.columns(2)
    with left:
        _section("新增学校", pv.schools_added, ADDED, "没有新增学校。")
        _section("停办或不再上报的学校", pv.schools_closed, CLOSED, "没有学校停办或缺报。")
        _section("改名的学校", pv.schools_renamed, RENAMED, "没有学校改名。")
    with right:
        _section(
            f"与上一学年相比变化超过 {TOWN_MOVE:.0%} 的镇街",
            pv.town_moves,
            MOVES,
            f"各镇街的在校生数、专任教师数、教学及辅助用房面积与上一学年相比变化均不超过 {TOWN_MOVE:.0%}。",
        )
        _section("将改变的目标判断", pv.verdict_changes, VERDICTS, "目标判断（2025年、2027年）不变。")
    cv = _cv_view(pv.cv_changes) if len(pv.cv_changes) else pv.cv_changes
    _section("将改变的校际差异系数", cv, CV, "差异系数不变。")
    st.caption(f"预览在数据库副本上计算（用时 {pv.seconds:.1f} 秒），数据库尚未改动。")


def show_report(report: dict) -> None:
    """The last import's report: rows written and every 疑点 with sheet, row and column."""
    st.markdown(f"**导入报告**：{md(report['file'])} · {report['rows']}")
    warnings = report["warnings"]
    if warnings.empty:
        st.caption("没有疑点。")
        return
    st.warning(
        f"已导入，但有 {len(warnings)} 个疑点（警告）：这些数据依报送口径可能成立，已导入；请核对下列单元格。",
        icon=":material/help:",
    )
    widgets.table(warnings, "导入疑点", key="import_report")
