"""数据管理 → 方案目标登记表 (管理员 only): each county's plan source, and the upload of a county's
own registry (CSV/xlsx with the targets.csv header), checked before anything changes.

views/admin.py calls render_plan_upload(account); the checks and the write live in
edubalance/ingest/plans.py.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from edubalance.ingest import plans
from edubalance.model import registry
from edubalance.model.safe_text import md
from edubalance.ui import data, widgets

SOURCE_ZH = registry.PLAN_SOURCES


def _county_label(row) -> str:
    name = row["county_name"] if isinstance(row["county_name"], str) and row["county_name"] else "（名称未知）"
    return f"{row['county']} {name}"


def render_plan_upload(account) -> None:
    st.subheader("方案目标登记表")
    if account is None or not account.is_admin:
        st.info("上传县（市、区）的方案目标登记表仅限管理员。", icon=":material/lock:")
        return
    st.caption(
        "每个县（市、区）按本县方案的目标判定；没有本县方案的县只按通用目标 G1—G7（国家标准："
        "优质均衡差异系数上限与“6项达标”规则、班额与校额、学前普及普惠 85%/80%/50%）判定。"
        "上传的登记表表头与 targets.csv 相同（可加“县级区划代码”列），只替换所选县的方案，其他县不变。"
    )
    counties = data.query("county_list", scope="")
    if counties.empty:
        st.info("数据库中还没有县（市、区）的数据；导入数据后再上传方案。")
        return
    labels = {r["county"]: _county_label(r) for _, r in counties.iterrows()}
    county = st.selectbox("县（市、区）", list(labels), format_func=labels.get, key="plan_county")
    plan = data.query("county_plan", county=county)
    source = plan["source"].iloc[0] if len(plan) else "common"
    st.caption(f"当前方案来源：{SOURCE_ZH[source]}，共 {len(plan)} 项目标与任务。")
    st.download_button(
        "下载登记表样例（通用目标 G1—G7，表头同 targets.csv）",
        registry.common_targets().to_csv(index=False).encode("utf-8-sig"),
        file_name="方案目标登记表_样例.csv",
        mime="text/csv",
        key="plan_sample",
    )
    with st.form("plan_upload", clear_on_submit=False):
        upload = st.file_uploader("方案目标登记表（CSV 或 Excel）", type=["csv", "xlsx", "xls"], key="plan_file")
        submitted = st.form_submit_button("校验并替换该县方案", type="primary")
    if not submitted:
        return
    if upload is None:
        st.warning("请先选择文件。")
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("plan" + Path(upload.name).suffix.lower())
        path.write_bytes(upload.getvalue())
        result = plans.import_plan(path, data.database(), county=county, user=account.name, file_name=upload.name)
    if not result.ok:
        st.error(f"未上传：发现 {len(result.problems.errors)} 个错误，数据库未改动。", icon=":material/error:")
        widgets.table(result.problems.frame(), "方案目标登记表_问题", key="plan_problems")
        return
    data.forget_connections()
    st.success(md(f"已替换 {result.county} 的方案：{result.rows} 项目标与任务。"), icon=":material/check_circle:")
    if result.problems.warnings:
        widgets.table(result.problems.frame(), "方案目标登记表_疑点", key="plan_warnings")
