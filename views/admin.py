"""数据管理 (admin only): the import template; upload with every problem shown before anything
changes; import with progress; history and one-click restore; data-quality findings; the
status of the plan's qualitative tasks. Every change goes through the importer (validated,
atomic, logged with who and when)."""

import streamlit as st

from edubalance.access import accounts, permissions, session
from edubalance.ingest import importer, preview, quality, restore, template
from edubalance.ingest import upload as uploads
from edubalance.model.safe_text import md
from edubalance.model.schema import SHEETS_BY_KEY, TASK_STATUSES
from edubalance.store import history as versions_store
from edubalance.store.db import signature
from edubalance.ui import data, scope, widgets
from edubalance.ui import preview as preview_ui

try:  # the plan registry upload (方案目标登记表), 管理员 only
    from edubalance.ui.plan_upload import render_plan_upload
except ImportError:  # not in this build
    render_plan_upload = None

st.title("数据管理")
# The navigation hides this page from viewers, but a page must not rely on being hidden.
account = session.data_account()
if account is None:
    st.error("数据管理仅限管理员和数据管理员使用，请先在“登录”页面登录。", icon=":material/lock:")
    st.stop()

widgets.banner()
admin = account.name
db = data.database()
store = session.store()
st.caption(
    f"操作人：{md(admin)}（{account.role_zh}"
    + (f"，限县级区划代码 {account.county}" if account.county else "")
    + "；每次操作记入导入日志和审计日志）"
)


def _county_refusal(counties, *, upload: bool = False) -> str | None:
    """The editor's county binding (an upload must be exactly their county); refusals are audited."""
    reason = permissions.import_refusal(account, counties) if upload else permissions.county_refusal(account, counties)
    if reason:
        accounts.audit(store, admin, "access_refused", reason, address=session.client_address())
    return reason


flash = st.session_state.pop("admin_flash", None)
if flash:
    st.success(md(flash), icon=":material/check_circle:")
report = st.session_state.pop("import_report", None)
if report:
    preview_ui.show_report(report)


@st.cache_resource(show_spinner="正在读取上传的文件……", max_entries=4)
def _read(names: tuple, blobs: tuple) -> uploads.Upload:
    return uploads.read_upload(list(zip(names, blobs)))


@st.cache_resource(show_spinner="正在校验……", max_entries=8)
def _check(_upload: uploads.Upload, sha: str, replace: bool, db_signature: tuple):
    problems = uploads.check_upload(_upload, db, replace)
    return problems.frame(), len(problems.errors), len(problems.warnings)


@st.cache_resource(show_spinner="正在预览导入后的变化……", max_entries=4)
def _preview(_upload: uploads.Upload, sha: str, replace: bool, db_signature: tuple):
    return preview.preview_tables(_upload.tables, db, replace)


@st.cache_data(show_spinner="正在检查数据质量……", max_entries=4)
def _findings(db_signature: tuple):
    return quality.findings(db)


@st.cache_data(show_spinner=False, max_entries=4)
def _backups(listing: tuple):
    # Keyed on name, size and mtime of every history file: the sha256 of each is computed once.
    return restore.list_backups(db)


@st.cache_data(show_spinner=False, max_entries=4)
def _school_counties(db_signature: tuple) -> dict[str, str]:
    """School id → county of the database's schools (the county of an upload's 学校年度 rows)."""
    return dict(importer.read_existing(db).school_county)


def _upload_refusal(upload: uploads.Upload) -> str | None:
    """A bound editor's upload must be exactly their county's; the refusal is audited once per file."""
    if account.county is None:
        return None
    counties = permissions.upload_counties(upload.tables, _school_counties(signature(db)))
    reason = permissions.import_refusal(account, counties)
    if reason and st.session_state.get("refused_upload") != upload.sha:
        st.session_state["refused_upload"] = upload.sha
        accounts.audit(store, admin, "access_refused", reason, address=session.client_address())
    return reason


def _changed(message: str) -> None:
    """After this session swapped a new database in: drop stale connections, start afresh."""
    data.forget_connections()
    st.session_state.pop("restore_choice", None)  # the newest version is preselected again
    st.session_state["admin_flash"] = message
    st.session_state["upload_round"] = st.session_state.get("upload_round", 0) + 1
    st.rerun()


plans = account.is_admin and render_plan_upload is not None
tab_names = (
    ["导入数据", "导入历史与恢复", "数据质量", "任务进展"]
    + (["方案目标"] if plans else [])
    + (["账号与审计"] if account.is_admin else [])
)
tab_import, tab_history, tab_quality, tab_tasks, *more_tabs = st.tabs(tab_names)
tab_plans = more_tabs[:1] if plans else []
tab_audit = more_tabs[1:] if plans else more_tabs

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
        help=f"单次上传合计不超过 {uploads.MAX_UPLOAD_MB} MB。上传后先全部校验，数据库在确认导入前不会改动。",
    )
    upload = _read(tuple(f.name for f in files), tuple(f.getvalue() for f in files)) if files else None
    refused = _upload_refusal(upload) if upload is not None else None
    if refused:  # a bound editor's upload of another county: said at once, nothing checked or previewed
        st.error(refused, icon=":material/block:")
    if files and not refused:
        problems, n_errors, n_warnings = _check(upload, upload.sha, replace, signature(db))
        c = st.columns(3)
        c[0].metric("读取的表", len(upload.rows), border=True)
        c[1].metric("错误", n_errors, border=True)
        c[2].metric("警告", n_warnings, border=True)
        if upload.rows:
            st.caption("读取到：" + "，".join(f"{md(k)} {v} 行" for k, v in upload.rows.items()))
        if n_errors:
            st.error(
                f"发现 {n_errors} 个错误，整个文件不会导入，数据库未作任何改动。请按下表修改后重新上传。",
                icon=":material/block:",
            )
        if len(problems):
            st.markdown("**问题清单**（行号为 Excel 中的行号）")
            widgets.table(problems, "导入问题清单", key="upload_problems")
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
            clicked = st.button("确认导入", type="primary", key="do_import", icon=":material/upload:")
            refusal = None
            if clicked:
                counties = permissions.upload_counties(upload.tables, _school_counties(signature(db)))
                refusal = _county_refusal(counties, upload=True)
            if refusal:
                st.error(refusal, icon=":material/block:")
            if clicked and not refusal:
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
                        # the importer checks the binding again on every row's county
                        allowed_counties={account.county} if account.county else None,
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
                    widgets.table(result.problems.frame(), "导入问题清单", key="import_problems")

with tab_history:
    st.subheader("导入历史")
    history = data.query("import_history")
    widgets.table(
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
    used = versions_store.disk_used(db)
    st.caption(
        f"history/ 共 {len(versions)} 个版本，占用 {used / 1024 / 1024:.1f} MB；保留最近 {versions_store.keep_count()} 个"
        + ("及每学年（9 月 1 日起算）最后一个" if versions_store.keep_yearly() else "")
        + "，其余在下一次写入时删除。"
    )
    if versions.empty:
        st.info("还没有历史版本：每次导入或恢复前，当前数据库都会自动保存到 history/ 文件夹。")
    else:
        shown = versions.rename(
            columns={
                "made_at": "生成时间",
                "made_by": "生成人",
                "made_action": "生成操作",
                "years": "库中学年",
                "size_mb": "大小（MB）",
                "status": "校验",
                "version": "版本文件",
            }
        )
        widgets.table(
            shown[["生成时间", "生成人", "生成操作", "库中学年", "大小（MB）", "校验", "版本文件"]],
            "历史版本",
            key="versions",
        )
        usable = versions[versions["status"] == versions_store.VERIFIED]
        refused = len(versions) - len(usable)
        if refused:
            st.warning(
                f"{refused} 个文件没有本系统写入时的校验记录（未校验）或已被改动，不能在页面上恢复。"
                "确需恢复未校验的旧文件时，由服务器管理员在命令行运行 "
                "`python -m edubalance restore 版本文件 --allow-unverified`（记入审计日志）。",
                icon=":material/gpp_maybe:",
            )
        paths = {
            f"{r.made_at} 的版本 · {r.made_action}（{r.made_by}）· 学年 {r.years} · {r.version}": r.path
            for r in usable.itertuples()
        }
        restore_refusal = permissions.role_refusal(account, "restore")
        if paths and restore_refusal:
            st.info(restore_refusal, icon=":material/lock:")
        elif paths:
            label = st.selectbox("选择要恢复的版本（仅已校验的版本）", list(paths), key="restore_choice")
            st.caption(
                "恢复前核对 sha256 与数据结构，只取数据表，派生表和视图按本系统的 SQL 重建；当前数据库先保存为新的历史版本，"
                "因此恢复本身也可以撤销。恢复操作记入导入历史和审计日志。"
            )
            if st.button("恢复到所选版本", key="do_restore", icon=":material/history:"):
                refusal = permissions.role_refusal(account, "restore")
                if refusal:
                    accounts.audit(store, admin, "access_refused", refusal, address=session.client_address())
                    st.error(refusal, icon=":material/block:")
                else:
                    with st.spinner("正在校验并恢复……"):
                        result = restore.restore_backup(db, paths[label], user=admin, county=account.county)
                    if result.ok:
                        _changed(f"已恢复为 {label.split(' · ')[0]}。")
                    else:
                        st.error(md("；".join(p.reason for p in result.problems.errors)))

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
        widgets.table(findings, "数据质量检查", key="quality")


def _task_county() -> str:
    """Whose tasks: a bound editor's own county; else the page's county, or a choice."""
    units = scope.counties()
    if account.county:
        if account.county not in set(units["county"]):
            st.info(f"本账号限县级区划代码 {account.county}，数据库中还没有该县的数据。")
            return ""
        st.caption(f"本账号限 {md(scope.county_label(account.county, units))}（{account.county}）的任务进展。")
        return account.county
    if len(units) <= 1:
        return scope.county()
    codes = units["county"].tolist()
    now = scope.county()
    return (
        st.selectbox(
            "县（市、区）",
            codes,
            index=codes.index(now) if now in codes else None,
            placeholder="请选择县（市、区）",
            format_func=lambda c: scope.county_label(c, units),
            key="task_county",
        )
        or ""
    )


def _tasks(task_county: str) -> None:
    """The county's qualitative tasks and the one-row update form (fixed to that county)."""
    tasks = data.query("task_progress_latest", county=task_county)
    if tasks.empty:
        st.info("该县（市、区）的方案目标登记表中没有定性任务（没有自己方案的县只有共同目标 G1—G7，都是计量目标）。")
        return
    widgets.table(tasks, "定性任务进展", key="tasks")
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
        refusal = _county_refusal(task_county) if saved else None
        if refusal:
            st.error(refusal, icon=":material/block:")
        elif saved:
            result = importer.update_task(
                db,
                target,
                status,
                user=admin,
                note=note.strip(),
                owner=owner.strip(),
                previous=now_status,
                county=task_county,
                allowed_counties={account.county} if account.county else None,
            )
            if result.ok:
                _changed(f"已更新任务 {target}：{now_status or '（无记录）'} → {status}。")
            else:
                st.error("未保存：" + md("；".join(p.reason for p in result.problems.errors)))


with tab_tasks:
    st.subheader("定性任务进展")
    task_county = _task_county()
    if task_county:
        _tasks(task_county)
    elif not account.county:
        st.info("各县的任务不同：请先选择一个县（市、区）。")

for tab in tab_plans:  # 管理员 only
    with tab:
        render_plan_upload(account)

for tab in tab_audit:  # 管理员 only
    with tab:
        st.subheader("账号")
        st.caption(
            "账号用命令行管理：`python -m edubalance user add 账号 --role admin|editor|viewer [--county 县级代码]`、"
            "`user list`、`user disable 账号`、`user set-password 账号`、`user unlock 账号`。"
        )
        people = accounts.list_accounts(store)
        widgets.table(
            people.assign(
                county=people["county"].fillna("不限"),
                enabled=people["enabled"].map({True: "启用", False: "停用"}),
                locked=people["locked"].map({True: "已锁定", False: ""}),
            ).rename(
                columns={
                    "name": "账号",
                    "role_zh": "角色",
                    "county": "限定县",
                    "enabled": "状态",
                    "recent_attempts": "窗口内尝试",
                    "locked": "锁定",
                    "changed_at": "最后修改",
                }
            )[["账号", "角色", "限定县", "状态", "窗口内尝试", "锁定", "最后修改"]],
            "账号",
            key="accounts",
        )
        st.subheader("审计日志")
        st.caption("只增不改（数据库触发器拒绝修改和删除），保存在账号库中，不随导入或恢复改变。最新 500 条：")
        log = accounts.audit_log(store, limit=500)
        widgets.table(
            log.assign(address=log["address"].fillna("-")).rename(
                columns={
                    "at": "时间",
                    "account": "账号",
                    "channel": "途径",
                    "action_zh": "操作",
                    "detail": "内容",
                    "address": "客户端地址",
                }
            )[["时间", "账号", "途径", "操作", "内容", "客户端地址"]],
            "审计日志",
            key="audit",
        )
