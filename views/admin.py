"""数据管理 (admin only): the import template; upload with every problem shown before anything
changes; import with progress; history and one-click restore; data-quality findings; the
status of the plan's qualitative tasks. Every change goes through the importer (validated,
atomic, logged with who and when)."""

import streamlit as st

from edubalance import auth, importer, preview, preview_ui, quality, restore, template, ui
from edubalance.db import signature
from edubalance.schema import SHEETS_BY_KEY, TASK_STATUSES

st.title("数据管理")
# The navigation hides this page from viewers, but a page must not rely on being hidden.
if not st.session_state.get("is_admin") or not auth.is_configured():
    st.error("数据管理仅限管理员使用，请先在“管理员登录”页面登录。", icon=":material/lock:")
    st.stop()

ui.banner()
admin = st.session_state.get("admin_name") or "管理员"
db = ui.database()
st.caption(f"操作人：{admin}（记入导入日志）")

flash = st.session_state.pop("admin_flash", None)
if flash:
    st.success(flash, icon=":material/check_circle:")
report = st.session_state.pop("import_report", None)
if report:
    preview_ui.show_report(report)


@st.cache_resource(show_spinner="正在读取上传的文件……", max_entries=4)
def _read(names: tuple, blobs: tuple) -> importer.Upload:
    return importer.read_upload(list(zip(names, blobs)))


@st.cache_resource(show_spinner="正在校验……", max_entries=8)
def _check(_upload: importer.Upload, sha: str, replace: bool, db_signature: tuple):
    problems = importer.check_upload(_upload, db, replace)
    return problems.frame(), len(problems.errors), len(problems.warnings)


@st.cache_resource(show_spinner="正在预览导入后的变化……", max_entries=4)
def _preview(_upload: importer.Upload, sha: str, replace: bool, db_signature: tuple):
    return preview.preview_tables(_upload.tables, db, replace)


@st.cache_data(show_spinner="正在检查数据质量……", max_entries=4)
def _findings(db_signature: tuple):
    return quality.findings(db)


@st.cache_data(show_spinner=False, max_entries=4)
def _backups(listing: tuple):
    return restore.list_backups(db)


def _changed(message: str) -> None:
    """After this session swapped a new database in: drop stale connections, start afresh."""
    ui.forget_connections()
    st.session_state.pop("restore_choice", None)  # the newest version is preselected again
    st.session_state["admin_flash"] = message
    st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1
    st.rerun()


tab_import, tab_history, tab_quality, tab_tasks = st.tabs(["导入数据", "导入历史与恢复", "数据质量", "任务进展"])

with tab_import:
    st.subheader("1. 下载空白模板")
    st.download_button(
        "下载导入模板（.xlsx）",
        template.template_bytes(),
        file_name=template.TEMPLATE_FILE_NAME,
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
        key="template",
    )
    st.caption(
        "模板含“填表说明”（每列的口径、单位、类型、是否必填、允许取值和示例，每张表的示例行，"
        "以及哪些问题拒绝导入、哪些只列为疑点的校验规则）、下拉选项；编码列已设为文本格式，保留全部位数。"
    )

    st.subheader("2. 上传并检查")
    replace = st.checkbox(
        "替换已有学年",
        key="replace_years",
        help="不勾选时，文件中的学年若已在数据库中，整个文件会被拒绝；勾选后，这些学年的数据被文件中的数据整体替换。",
    )
    files = st.file_uploader(
        "上传工作簿（.xlsx），或每张表一个 .csv（文件名即表名，如“学校年度.csv”）",
        type=["xlsx", "xlsm", "csv"],
        accept_multiple_files=True,
        key=f"upload_{st.session_state.get('upload_round', 0)}",
        help=f"单次上传合计不超过 {importer.MAX_UPLOAD_MB} MB。上传后先全部校验，数据库在确认导入前不会改动。",
    )
    if files:
        upload = _read(tuple(f.name for f in files), tuple(f.getvalue() for f in files))
        problems, n_errors, n_warnings = _check(upload, upload.sha, replace, signature(db))
        c = st.columns(3)
        c[0].metric("读取的表", len(upload.rows), border=True)
        c[1].metric("错误", n_errors, border=True)
        c[2].metric("警告", n_warnings, border=True)
        if upload.rows:
            st.caption("读取到：" + "，".join(f"{k} {v} 行" for k, v in upload.rows.items()))
        if n_errors:
            st.error(
                f"发现 {n_errors} 个错误，整个文件不会导入，数据库未作任何改动。请按下表修改后重新上传。",
                icon=":material/block:",
            )
        if len(problems):
            st.markdown("**问题清单**（行号为 Excel 中的行号）")
            ui.table(problems, "导入问题清单", key="upload_problems")
        if not n_errors:
            st.success(
                "校验通过，可以导入。"
                + (f"（有 {n_warnings} 个疑点（警告），会随数据导入，请先看一眼。）" if n_warnings else "")
            )
            st.subheader("3. 预览导入后的变化")
            # The confirm button reruns the page, which previews afresh; the import must be
            # checked against the database the admin was shown, i.e. the previous run's.
            shown = st.session_state.get("previewed")
            pv = _preview(upload, upload.sha, replace, signature(db))
            st.session_state["previewed"] = (upload.sha, replace, pv.db_sha)
            preview_ui.show_preview(pv)
            if st.button("确认导入", type="primary", key="do_import", icon=":material/upload:"):
                with st.status("正在导入……", expanded=True) as status:
                    bar = st.progress(0.0)
                    result = importer.import_tables(
                        upload.tables,
                        db,
                        replace_years=replace,
                        user=admin,
                        file_name=upload.file_name,
                        sha=upload.sha,
                        progress=lambda fraction, text: bar.progress(fraction, text=text),
                        # refuse if the database changed since the preview the admin saw
                        expect_sha=shown[2] if shown and shown[:2] == (upload.sha, replace) else "（未预览）",
                    )
                    if result.ok:
                        status.update(label="导入完成", state="complete")
                    else:
                        status.update(label="导入被拒绝，数据库未改动", state="error")
                if result.ok:
                    rows = "，".join(f"{SHEETS_BY_KEY[k].zh} {v} 行" for k, v in result.rows.items())
                    found = result.problems.frame()
                    st.session_state["import_report"] = {
                        "file": upload.file_name,
                        "rows": rows,
                        "warnings": found[found["级别"] == "警告"].reset_index(drop=True),
                    }
                    _changed(f"已导入 {upload.file_name}：{rows}。此前的数据库已保存到历史版本中。")
                else:
                    st.error("未导入，数据库未改动：")
                    ui.table(result.problems.frame(), "导入问题清单", key="import_problems")

with tab_history:
    st.subheader("导入历史")
    history = ui.query("import_history")
    ui.table(
        history[
            [
                "imported_at",
                "action",
                "user_name",
                "file_name",
                "rows_json",
                "replaced_years",
                "warnings",
                "note",
                "sha256",
            ]
        ],
        "导入历史",
        key="history",
    )
    st.caption("操作：import 导入 · build 构建 · restore 恢复 · task_update 任务进展更新。")

    st.subheader("恢复历史版本")
    versions = _backups(restore.listing_key(db))
    if versions.empty:
        st.info("还没有历史版本：每次导入或恢复前，当前数据库都会自动保存到 history/ 文件夹。")
    else:
        ui.table(
            versions[["saved_at", "last_action", "last_file", "last_user", "last_at", "years", "size_mb", "file_name"]],
            "历史版本",
            key="versions",
        )
        paths = {
            f"{r.saved_at:%Y-%m-%d %H:%M:%S} 前的版本 · 最后操作：{r.last_action or '-'} {r.last_file or ''}"
            f"（{r.last_user or '-'}）· 学年 {r.years or '-'}": r.path
            for r in versions.itertuples()
        }
        label = st.selectbox("选择要恢复的版本", list(paths), key="restore_choice")
        st.caption("恢复前，当前数据库会先保存为一个新的历史版本，因此恢复本身也可以撤销；恢复操作记入导入历史。")
        if st.button("恢复到所选版本", key="do_restore", icon=":material/history:"):
            with st.spinner("正在恢复……"):
                result = restore.restore_backup(db, paths[label], user=admin)
            if result.ok:
                _changed(f"已恢复为 {label.split(' · ')[0]}。")
            else:
                st.error("；".join(p.reason for p in result.problems.errors))

with tab_quality:
    st.subheader("数据质量检查")
    st.caption(
        "以下为提示（警告），不阻止导入：可选列的空值、学校在校生数或专任教师数与上一学年相比变化过大"
        "（阈值见“方法说明”中的标准登记表 quality_jump_students / quality_jump_teachers）、"
        "未填停办年份却不再上报的学校、与班额段或总数不符的数字、依报送口径才成立的数字（口径疑点）、县界之外的坐标。"
    )
    findings = _findings(signature(db))
    counts = quality.summary(findings)
    for col, (category, n) in zip(st.columns(len(counts)), counts.items()):
        col.metric(category, n, border=True)
    if findings.empty:
        st.success("未发现数据质量问题。")
    else:
        ui.table(findings, "数据质量检查", key="quality")

with tab_tasks:
    st.subheader("定性任务进展")
    tasks = ui.query("task_progress_latest")
    ui.table(tasks, "定性任务进展", key="tasks")
    st.markdown("**更新一项任务的状态**（记入导入历史：操作人与时间）")
    ids = {f"{t} · {w[:48]}{'…' if len(w) > 48 else ''}": t for t, w in zip(tasks["target_id"], tasks["wording"])}
    current = tasks.set_index("target_id")
    choice = st.selectbox("任务", list(ids), key="task_choice")
    target = ids.get(choice)
    if target is not None:
        now = current.loc[target]
        now_status = now["status"] if isinstance(now["status"], str) else None
        with st.form(f"task_form_{target}", clear_on_submit=False):
            status = st.selectbox(
                "状态",
                TASK_STATUSES,
                index=TASK_STATUSES.index(now_status) if now_status in TASK_STATUSES else 0,
            )
            note = st.text_area("说明", value="" if not isinstance(now["note"], str) else now["note"], max_chars=500)
            owner = st.text_input("责任单位", value="" if not isinstance(now["owner"], str) else now["owner"])
            saved = st.form_submit_button("保存", type="primary")
        if saved:
            result = importer.update_task(
                db, target, status, user=admin, note=note.strip(), owner=owner.strip(), previous=now_status
            )
            if result.ok:
                _changed(f"已更新任务 {target}：{now_status or '（无记录）'} → {status}。")
            else:
                st.error("未保存：" + "；".join(p.reason for p in result.problems.errors))
