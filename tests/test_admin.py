"""数据管理 and 管理员登录: hidden and refused for viewers, lockout, password setup, template,
and the whole browser path (upload → problems → import → history → restore → task update)."""

import io
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import bcrypt
import duckdb
import openpyxl
import pytest
from streamlit.testing.v1 import AppTest
from workbooks import oracle_frames, write_xlsx

from edubalance import auth
from edubalance.importer import sha256_of
from edubalance.schema import SHEETS
from edubalance.template import template_bytes

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def no_secrets(tmp_path, monkeypatch):
    monkeypatch.delenv(auth.HASH_ENV, raising=False)
    monkeypatch.setenv(auth.SECRETS_ENV, str(tmp_path / "secrets.toml"))
    auth.reset_lockouts()
    yield tmp_path / "secrets.toml"
    auth.reset_lockouts()


@pytest.fixture
def with_password(no_secrets, monkeypatch):
    monkeypatch.setenv(auth.HASH_ENV, bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode())


@pytest.fixture
def admin_db(oracle_db, monkeypatch):
    monkeypatch.setenv("EDUBALANCE_DB", str(oracle_db))
    return oracle_db


def _app(path: str) -> AppTest:
    return AppTest.from_file(str(ROOT / path), default_timeout=120)


def _pages(at: AppTest) -> set[str]:
    return {Path(p["script_path"]).name for p in at._registered_pages.values()}


# ---- hidden and refused ---------------------------------------------------------------------


def test_admin_page_is_not_in_the_navigation_of_a_viewer(demo_db, with_password, monkeypatch):
    monkeypatch.setenv("EDUBALANCE_DB", str(demo_db))
    at = _app("app.py")
    at.run()
    assert not at.exception
    assert "login.py" in _pages(at) and "admin.py" not in _pages(at)
    at = _app("app.py")
    at.session_state["is_admin"] = True
    at.run()
    assert "admin.py" in _pages(at)


def test_admin_page_refuses_a_viewer_when_run_directly(admin_db, with_password):
    at = _app("views/admin.py")
    at.run()
    assert not at.exception
    assert any("仅限管理员" in e.value for e in at.error)
    assert not at.file_uploader and not at.tabs and not at.get("download_button")


def test_admin_page_refuses_even_a_session_flag_when_no_password_is_set(admin_db, no_secrets):
    at = _app("views/admin.py")
    at.session_state["is_admin"] = True
    at.run()
    assert any("仅限管理员" in e.value for e in at.error) and not at.file_uploader


# ---- login ----------------------------------------------------------------------------------


def test_login_page_without_a_password_says_how_to_set_one(admin_db, no_secrets):
    at = _app("views/login.py")
    at.run()
    assert not at.exception
    text = " ".join(i.value for i in at.info)
    assert "没有默认密码" in text and "python -m edubalance set-password" in text and auth.HASH_ENV in text
    assert not at.text_input  # no form to try passwords on


def _attempt(at: AppTest, password: str, name: str = "张三") -> AppTest:
    at.text_input[0].input(name)
    at.text_input[1].input(password)
    at.button[0].click()
    return at.run()


def test_correct_password_unlocks(admin_db, with_password):
    at = _app("views/login.py")
    at.run()
    _attempt(at, PASSWORD)
    assert not at.exception
    assert at.session_state["is_admin"] is True and at.session_state["admin_name"] == "张三"
    assert any("已以管理员身份登录" in s.value for s in at.success)


def test_a_name_is_required(admin_db, with_password):
    at = _app("views/login.py")
    at.run()
    _attempt(at, PASSWORD, name="  ")
    assert "is_admin" not in at.session_state or not at.session_state["is_admin"]
    assert any("请填写姓名" in e.value for e in at.error)


def test_five_failures_lock_the_form_even_across_a_reload(admin_db, with_password):
    at = _app("views/login.py")
    at.run()
    for i in range(auth.MAX_FAILURES):
        _attempt(at, f"wrong {i}")
    assert any("锁定" in e.value for e in at.error)
    assert at.button[0].disabled  # a browser cannot submit any more
    # A reload is a new session from the same client: still locked.
    again = _app("views/login.py")
    again.run()
    assert any("锁定" in e.value for e in again.error) and again.button[0].disabled
    assert "is_admin" not in again.session_state


def test_a_submission_that_arrives_while_locked_is_refused(admin_db, with_password):
    """The lock is checked again on submit, not only by disabling the button."""
    at = _app("views/login.py")
    at.run()
    assert not at.button[0].disabled
    for _ in range(auth.MAX_FAILURES):  # another session from the same client fails meanwhile
        auth.record_failure(["session:elsewhere", "client:local"])
    _attempt(at, PASSWORD)
    assert "is_admin" not in at.session_state or not at.session_state["is_admin"]
    assert any("锁定" in e.value for e in at.error)


def test_lock_expires_and_success_resets_the_count():
    auth.reset_lockouts()
    keys = ["session:a", "client:x"]
    t0 = 1000.0
    for i in range(auth.MAX_FAILURES - 1):
        assert auth.record_failure(keys, now=t0) == auth.MAX_FAILURES - 1 - i
    assert auth.record_failure(keys, now=t0) == 0
    assert auth.locked_for(keys, now=t0 + 1) > 0
    assert auth.locked_for(["session:other", "client:x"], now=t0 + 1) > 0  # a new session, same client
    assert auth.locked_for(keys, now=t0 + auth.LOCK_SECONDS + 1) == 0
    auth.record_failure(keys, now=t0 + auth.LOCK_SECONDS + 2)
    auth.record_success(keys)
    assert auth.record_failure(keys, now=t0 + auth.LOCK_SECONDS + 3) == auth.MAX_FAILURES - 1
    auth.reset_lockouts()


def test_malformed_or_absent_hashes_never_verify(monkeypatch, tmp_path):
    monkeypatch.setenv(auth.SECRETS_ENV, str(tmp_path / "none.toml"))
    monkeypatch.delenv(auth.HASH_ENV, raising=False)
    assert auth.password_hash() is None and not auth.verify("")
    monkeypatch.setenv(auth.HASH_ENV, "plaintext-password")
    assert auth.password_hash() is None and not auth.verify("plaintext-password")


# ---- set-password ---------------------------------------------------------------------------


def test_set_password_writes_only_a_hash_with_mode_600(tmp_path, monkeypatch):
    secrets = tmp_path / ".streamlit" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text('[connections.other]\nurl = "x"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != auth.HASH_ENV}
    cmd = [sys.executable, "-m", "edubalance", "set-password", "--secrets", str(secrets)]
    out = subprocess.run(cmd, cwd=ROOT, input="s3cret-passw0rd\n", capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    text = secrets.read_text(encoding="utf-8")
    hashed = text.split('"')[1]
    assert "s3cret-passw0rd" not in text + out.stdout + out.stderr
    assert hashed not in out.stdout + out.stderr
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert 'url = "x"' in text  # other settings kept
    monkeypatch.setenv(auth.SECRETS_ENV, str(secrets))
    monkeypatch.delenv(auth.HASH_ENV, raising=False)
    assert auth.verify("s3cret-passw0rd") and not auth.verify("s3cret-passw0rD")
    # Too short: refused, file unchanged.
    out = subprocess.run(cmd, cwd=ROOT, input="short\n", capture_output=True, text=True, env=env)
    assert out.returncode == 1 and "至少" in out.stderr
    assert secrets.read_text(encoding="utf-8") == text


# ---- template -------------------------------------------------------------------------------


def test_template_has_every_sheet_help_lists_and_text_codes():
    wb = openpyxl.load_workbook(io.BytesIO(template_bytes()))
    assert wb.sheetnames[0] == "填表说明" and wb["选项"].sheet_state == "hidden"
    for sheet in SHEETS:
        ws = wb[sheet.zh]
        assert [c.value for c in ws[1]] == [c.zh for c in sheet.columns]
        formats = {}  # column number -> number format (a <col> element may span several columns)
        for dim in ws.column_dimensions.values():
            for j in range(dim.min, dim.max + 1):
                formats[j] = dim.number_format
        for j, col in enumerate(sheet.columns, start=1):
            if col.kind in ("code12", "code10"):
                assert formats.get(j) == "@", (sheet.zh, col.zh)
    schools = wb["学校"]
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in schools.data_validations.dataValidation}
    assert lists["D2"].startswith("'选项'!")  # 办学类型
    help_rows = [[c.value for c in r] for r in wb["填表说明"].iter_rows()]
    row = next(r for r in help_rows if r[0] == "学校" and r[1] == "城乡分类代码")
    assert row[4] == "是" and "111" in row[5]
    assert any(r[0] == "市级年度" and r[1] == "指标" and "disabled_enrolled" in (r[5] or "") for r in help_rows)


# ---- the browser path -----------------------------------------------------------------------


def _admin(at: AppTest) -> AppTest:
    at.session_state["is_admin"] = True
    at.session_state["admin_name"] = "测试员"
    return at


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, data, XLSX))
    return at.run()


def _log(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT action, user_name, file_name, note FROM import_log ORDER BY id").fetchall()
    finally:
        con.close()


def test_upload_problems_import_history_restore_and_task(admin_db, with_password, tmp_path):
    at = _admin(_app("views/admin.py"))
    at.run()
    assert not at.exception
    before = sha256_of(admin_db)

    # A broken workbook: every problem as a table, nothing changed, no import button.
    frames = oracle_frames(year=2026)
    frames["学校年度"].loc[0, "在校生数"] = "-5"
    frames["学校"].loc[1, "办学类型"] = "大学"
    write_xlsx(frames, tmp_path / "bad.xlsx")
    _upload(at, "bad.xlsx", (tmp_path / "bad.xlsx").read_bytes())
    assert not at.exception
    assert any("整个文件不会导入" in e.value for e in at.error)
    table = at.dataframe[0].value
    assert list(table.columns) == ["级别", "表", "行", "列", "值", "原因"]
    assert {("学校年度", 2, "在校生数"), ("学校", 3, "办学类型")} <= {(r.表, r.行, r.列) for r in table.itertuples()}
    assert at.get("download_button")  # the problems as Excel / CSV
    assert not [b for b in at.button if b.key == "do_import"]
    assert sha256_of(admin_db) == before

    # A valid one: imported with the admin's name, shown in the history.
    write_xlsx(oracle_frames(year=2026), tmp_path / "year2026.xlsx")
    _upload(at, "year2026.xlsx", (tmp_path / "year2026.xlsx").read_bytes())
    assert any("校验通过" in s.value for s in at.success)
    at.button(key="do_import").click()
    at.run()
    assert not at.exception
    assert any("已导入 year2026.xlsx" in s.value.replace("\\", "") for s in at.success)  # Markdown-escaped
    assert _log(admin_db)[-1][:3] == ("import", "测试员", "year2026.xlsx")
    history = next(d.value for d in at.dataframe if "操作人" in d.value.columns)
    assert history.iloc[0]["文件"] == "year2026.xlsx"

    # The same year again needs 替换已有学年.
    _upload(at, "year2026.xlsx", (tmp_path / "year2026.xlsx").read_bytes())
    assert any("已有 2026 学年" in v for v in at.dataframe[0].value["原因"])
    at.checkbox(key="replace_years").check()
    at.run()
    assert [b for b in at.button if b.key == "do_import"]

    # Restore the version before the import: one click, logged as 'restore'.
    at.selectbox(key="restore_choice").select_index(0)
    at.button(key="do_restore").click()
    at.run()
    assert not at.exception
    log = _log(admin_db)
    assert log[-1][:2] == ("restore", "测试员")
    con = duckdb.connect(str(admin_db), read_only=True)
    assert [r[0] for r in con.execute("SELECT DISTINCT year FROM school_years").fetchall()] == [2025]
    con.close()

    # A qualitative task's status, through the importer, logged with who.
    task = at.selectbox(key="task_choice")
    task.set_value(next(o for o in task.options if o.startswith("Q3 · ")))
    at.run()
    form_status = [s for s in at.selectbox if s.label == "状态"][0]
    form_status.set_value("已完成")
    at.text_area[0].input("已完成校园文化建设验收")
    next(b for b in at.button if b.label == "保存").click()
    at.run()
    assert not at.exception
    action, user, file_name, note = _log(admin_db)[-1]
    assert (action, user) == ("task_update", "测试员") and "Q3" in note and "已完成" in note
    con = duckdb.connect(str(admin_db), read_only=True)
    status = con.execute("SELECT status, note FROM task_progress WHERE target_id = 'Q3'").fetchall()
    con.close()
    assert status == [("已完成", "已完成校园文化建设验收")]


def test_admin_page_renders_fast_when_warm(demo_db, with_password, monkeypatch, tmp_path):
    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, db)
    monkeypatch.setenv("EDUBALANCE_DB", str(db))
    at = _admin(_app("views/admin.py"))
    at.run()
    assert not at.exception
    start = time.perf_counter()
    at.run()
    assert not at.exception
    assert time.perf_counter() - start < 1.0


# ---- restore --------------------------------------------------------------------------------


def test_restore_is_an_atomic_logged_swap_that_can_itself_be_undone(oracle_db, tmp_path):
    from edubalance.importer import import_file
    from edubalance.restore import backups, list_backups, restore_backup

    write_xlsx(oracle_frames(year=2026), tmp_path / "year2026.xlsx")
    assert import_file(tmp_path / "year2026.xlsx", oracle_db, user="甲").ok
    [before_import] = backups(oracle_db)
    listed = list_backups(oracle_db)
    assert listed.iloc[0]["years"] == "2025" and listed.iloc[0]["last_action"] == "import"

    result = restore_backup(oracle_db, before_import, user="乙")
    assert result.ok and result.rows["school_years"] == 5
    con = duckdb.connect(str(oracle_db), read_only=True)
    years = [r[0] for r in con.execute("SELECT DISTINCT year FROM school_years").fetchall()]
    log = con.execute("SELECT action, user_name, file_name FROM import_log ORDER BY id").fetchall()
    con.close()
    assert years == [2025]
    # The undone import stays in the audit trail, followed by the restore.
    assert [entry[:2] for entry in log] == [("import", "命令行"), ("import", "甲"), ("restore", "乙")]
    assert log[-1][2] == before_import.name

    # The file the restore replaced is in history/ too: restoring it undoes the restore.
    newest = backups(oracle_db)[0]
    assert restore_backup(oracle_db, newest, user="乙").ok
    con = duckdb.connect(str(oracle_db), read_only=True)
    assert sorted(r[0] for r in con.execute("SELECT DISTINCT year FROM school_years").fetchall()) == [2025, 2026]
    con.close()


def test_restore_refuses_files_outside_history(oracle_db, tmp_path):
    from edubalance.restore import restore_backup

    stranger = tmp_path / "history" / "other.duckdb"
    stranger.parent.mkdir(exist_ok=True)
    shutil.copy(oracle_db, stranger)
    before = sha256_of(oracle_db)
    for path in (stranger, tmp_path / "nowhere.duckdb", Path("/etc/passwd")):
        result = restore_backup(oracle_db, path, user="乙")
        assert not result.ok and "history/" in result.problems.errors[0].reason
    assert sha256_of(oracle_db) == before
