"""数据管理 and 登录: hidden and refused for viewers, lockout, password setup, template,
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
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from edubalance.access import accounts, auth, permissions
from edubalance.ingest.importer import import_file
from edubalance.ingest.reading import read_source
from edubalance.ingest.template import template_bytes
from edubalance.model.schema import SHEETS
from edubalance.store.history import sha256_of
from tests.support import two_counties
from tests.support.two_counties import ENPING, KAIPING, enping_frames
from tests.support.workbooks import oracle_frames, write_xlsx

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
two_county_db = two_counties.two_county_db  # the module-scoped fixture (demo + 恩平)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def no_secrets(tmp_path, monkeypatch):
    monkeypatch.delenv(auth.HASH_ENV, raising=False)
    monkeypatch.delenv("EDUBALANCE_REQUIRE_LOGIN", raising=False)
    monkeypatch.setenv(auth.SECRETS_ENV, str(tmp_path / "secrets.toml"))
    monkeypatch.setenv(accounts.ACCOUNTS_ENV, str(tmp_path / "accounts.sqlite"))
    yield tmp_path / "secrets.toml"


@pytest.fixture
def with_password(no_secrets, monkeypatch):
    """The bootstrap admin (`admin`, hash from the environment)."""
    monkeypatch.setenv(auth.HASH_ENV, bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode())


@pytest.fixture
def admin_db(oracle_db, monkeypatch):
    monkeypatch.setenv("EDUBALANCE_DB", str(oracle_db))
    return oracle_db


def _app(path: str) -> AppTest:
    return AppTest.from_file(str(ROOT / path), default_timeout=120)


def _pages(at: AppTest) -> set[str]:
    return {Path(p["script_path"]).name for p in at._registered_pages.values()}


def _store() -> Path:
    return accounts.store_path()


def _account(name: str, role: str, county: str | None = None, password: str = PASSWORD) -> accounts.Account:
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode()
    return accounts.add(_store(), name, role, hashed, county=county, by="测试")


def _signed_in(at: AppTest, name: str, role: str) -> AppTest:
    """A session logged in as NAME (the account must exist: every rerun checks the store)."""
    at.session_state["account"] = name
    at.session_state["role"] = role
    at.session_state["last_seen"] = time.time()
    return at


# ---- hidden and refused ---------------------------------------------------------------------


def test_admin_page_is_in_the_navigation_of_data_roles_only(demo_db, no_secrets, monkeypatch):
    monkeypatch.setenv("EDUBALANCE_DB", str(demo_db))
    _account("编辑甲", "editor")
    _account("只读乙", "viewer")
    at = _app("app.py")
    at.run()
    assert not at.exception
    assert "login.py" in _pages(at) and "admin.py" not in _pages(at)
    for name, role, sees in (("编辑甲", "editor", True), ("只读乙", "viewer", False)):
        at = _signed_in(_app("app.py"), name, role)
        at.run()
        assert not at.exception
        assert ("admin.py" in _pages(at)) is sees, name
    # A session flag alone (no such account in the store) opens nothing.
    at = _signed_in(_app("app.py"), "无此人", "admin")
    at.run()
    assert "admin.py" not in _pages(at) and "account" not in at.session_state


def test_require_login_shows_only_the_login_page(demo_db, no_secrets, monkeypatch):
    monkeypatch.setenv("EDUBALANCE_DB", str(demo_db))
    monkeypatch.setenv("EDUBALANCE_REQUIRE_LOGIN", "1")
    _account("只读乙", "viewer")
    at = _app("app.py")
    at.run()
    assert not at.exception
    assert _pages(at) == {"login.py"}
    at = _signed_in(_app("app.py"), "只读乙", "viewer")
    at.run()
    assert not at.exception
    assert "overview.py" in _pages(at) and "admin.py" not in _pages(at)


def test_admin_page_refuses_a_viewer_when_run_directly(admin_db, with_password):
    _account("只读乙", "viewer")
    for at in (_app("views/admin.py"), _signed_in(_app("views/admin.py"), "只读乙", "viewer")):
        at.run()
        assert not at.exception
        assert any("仅限管理员" in e.value for e in at.error)
        assert not at.file_uploader and not at.tabs and not at.get("download_button")


def test_admin_page_refuses_a_session_whose_account_is_gone_or_disabled(admin_db, no_secrets):
    at = _signed_in(_app("views/admin.py"), "admin", "admin")  # no bootstrap hash: no such account
    at.run()
    assert any("仅限管理员" in e.value for e in at.error) and not at.file_uploader
    _account("编辑甲", "editor")
    at = _signed_in(_app("views/admin.py"), "编辑甲", "editor")
    at.run()
    assert at.file_uploader and "账号与审计" not in [t.label for t in at.tabs]
    accounts.set_enabled(_store(), "编辑甲", False, by="测试")
    at.run()  # the next rerun of the same session
    assert any("仅限管理员" in e.value for e in at.error) and not at.file_uploader
    assert "account" not in at.session_state
    log = accounts.audit_log(_store())
    assert log.iloc[0]["action"] == "session_ended" and log.iloc[0]["account"] == "编辑甲"


def test_an_idle_session_ends(admin_db, no_secrets, monkeypatch):
    monkeypatch.setenv("EDUBALANCE_SESSION_IDLE_HOURS", "1")
    _account("编辑甲", "editor")
    at = _signed_in(_app("views/admin.py"), "编辑甲", "editor")
    at.run()
    assert at.file_uploader
    at.session_state["last_seen"] = time.time() - 3601
    at.run()
    assert not at.file_uploader and "account" not in at.session_state


# ---- login ----------------------------------------------------------------------------------


def test_login_page_without_any_account_says_how_to_create_one(admin_db, no_secrets):
    at = _app("views/login.py")
    at.run()
    assert not at.exception
    text = " ".join(i.value for i in at.info)
    assert "没有默认账号" in text and "python -m edubalance user add" in text and auth.HASH_ENV in text
    assert not at.text_input  # no form to try passwords on


def _attempt(at: AppTest, password: str, name: str = "admin") -> AppTest:
    at.text_input[0].input(name)
    at.text_input[1].input(password)
    at.button[0].click()
    return at.run()


def test_bootstrap_admin_and_named_accounts_log_in_with_their_role(admin_db, with_password):
    at = _app("views/login.py")
    at.run()
    _attempt(at, PASSWORD)
    assert not at.exception
    assert at.session_state["account"] == "admin" and at.session_state["role"] == "admin"
    assert any("已登录：admin（管理员）" in s.value for s in at.success)
    _account("编辑甲", "editor", county="440783", password="编辑的密码-123")
    at = _app("views/login.py")
    at.run()
    _attempt(at, "编辑的密码-123", name="编辑甲")
    assert at.session_state["role"] == "editor" and at.session_state["county"] == "440783"
    assert any("数据管理员，限县级区划代码 440783" in s.value for s in at.success)
    log = accounts.audit_log(_store())
    logins = log[log["action"] == "login_ok"]
    assert list(logins["account"]) == ["编辑甲", "admin"]


def test_an_account_name_is_required(admin_db, with_password):
    at = _app("views/login.py")
    at.run()
    _attempt(at, PASSWORD, name="  ")
    assert "account" not in at.session_state
    assert any("请填写账号" in e.value for e in at.error)


def test_five_failures_lock_the_account_even_across_a_reload(admin_db, with_password):
    at = _app("views/login.py")
    at.run()
    for i in range(accounts.MAX_PER_ACCOUNT):
        _attempt(at, f"wrong {i}")
    assert any("锁定" in e.value for e in at.error)
    # A reload is a new session: the right password is still refused, without being checked.
    again = _app("views/login.py")
    again.run()
    _attempt(again, PASSWORD)
    assert "account" not in again.session_state
    assert any("锁定" in e.value for e in again.error)
    log = accounts.audit_log(_store())
    assert list(log["action"]).count("login_failed") == 5 and log.iloc[0]["action"] == "login_locked"
    # Another account is not locked by it.
    _account("编辑甲", "editor")
    other = _app("views/login.py")
    other.run()
    _attempt(other, PASSWORD, name="编辑甲")
    assert other.session_state["account"] == "编辑甲"


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
    if accounts.get(_store(), "测试员") is None:
        _account("测试员", "admin")
    return _signed_in(at, "测试员", "admin")


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

    # The oracle county has no plan of its own: only the common targets, no qualitative task.
    assert any("没有定性任务" in i.value for i in at.info)
    assert not [s for s in at.selectbox if s.key == "task_choice"]


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
    from edubalance.ingest.importer import import_file
    from edubalance.ingest.restore import backups, list_backups, restore_backup

    write_xlsx(oracle_frames(year=2026), tmp_path / "year2026.xlsx")
    assert import_file(tmp_path / "year2026.xlsx", oracle_db, user="甲").ok
    [before_import] = backups(oracle_db)
    listed = list_backups(oracle_db)
    assert listed.iloc[0]["years"] == "2025" and listed.iloc[0]["made_action"] == "import"
    assert listed.iloc[0]["status"] == "已校验" and listed.iloc[0]["made_by"] == "命令行"

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
    from edubalance.ingest.restore import restore_backup

    stranger = tmp_path / "history" / "other.duckdb"
    stranger.parent.mkdir(exist_ok=True)
    shutil.copy(oracle_db, stranger)
    before = sha256_of(oracle_db)
    for path in (stranger, tmp_path / "nowhere.duckdb", Path("/etc/passwd")):
        result = restore_backup(oracle_db, path, user="乙")
        assert not result.ok and "history/" in result.problems.errors[0].reason
    assert sha256_of(oracle_db) == before


def test_admin_sees_accounts_and_the_audit_log(admin_db, with_password):
    _account("编辑甲", "editor", county="440783")
    auth.authenticate(_store(), "编辑甲", "wrong password")
    at = _admin(_app("views/admin.py"))
    at.run()
    assert not at.exception
    assert [t.label for t in at.tabs][-2:] == ["方案目标", "账号与审计"]  # plan upload: 管理员 only
    people = next(d.value for d in at.dataframe if "角色" in d.value.columns)
    assert set(zip(people["账号"], people["角色"], people["限定县"])) == {
        ("编辑甲", "数据管理员", "440783"),
        ("测试员", "管理员", "不限"),
    }
    audit = next(d.value for d in at.dataframe if "途径" in d.value.columns)
    assert ("编辑甲", "登录失败", "密码错误") in set(zip(audit["账号"], audit["操作"], audit["内容"]))
    assert any("占用" in c.value and "MB" in c.value for c in at.caption)  # history disk use


def test_a_county_bound_editor_cannot_import_another_county(admin_db, no_secrets, tmp_path):
    _account("编辑乙", "editor", county="999999")
    at = _signed_in(_app("views/admin.py"), "编辑乙", "editor")
    at.run()
    before = sha256_of(admin_db)
    write_xlsx(oracle_frames(year=2026), tmp_path / "year2026.xlsx")
    _upload(at, "year2026.xlsx", (tmp_path / "year2026.xlsx").read_bytes())
    assert not at.exception
    assert not [b for b in at.button if b.key == "do_import"]
    assert any("仅限县级区划代码 999999" in e.value for e in at.error)
    assert sha256_of(admin_db) == before
    log = accounts.audit_log(_store())
    assert log.iloc[0]["action"] == "access_refused" and log.iloc[0]["account"] == "编辑乙"


def test_only_an_admin_may_restore_a_database_version(admin_db, no_secrets, tmp_path):
    """A version holds every county's data: a 数据管理员 (bound or not) sees why, not the button."""
    write_xlsx(oracle_frames(year=2026), tmp_path / "year2026.xlsx")
    assert import_file(tmp_path / "year2026.xlsx", admin_db, user="测试").ok  # leaves a version in history/
    _account("编辑甲", "editor")
    at = _signed_in(_app("views/admin.py"), "编辑甲", "editor")
    at.run()
    assert not at.exception
    assert any("仅管理员可以操作" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "do_restore"]
    assert not [s for s in at.selectbox if s.key == "restore_choice"]
    assert "方案目标" not in [t.label for t in at.tabs] and "账号与审计" not in [t.label for t in at.tabs]
    assert permissions.role_refusal(accounts.Account("管", "admin", None, "x"), "restore") is None


# ---- county-bound editors in a database of several counties ---------------------------------


def _enping_2027(**county) -> dict:
    """恩平's 2027 workbook; ``county`` fills the 县级区划代码 of its 市级年度 rows."""
    frames = enping_frames(years=(2027,))
    facts = frames["市级年度"].copy()
    facts["县级区划代码"] = county.get("county", "")
    frames["市级年度"] = facts
    return frames


@pytest.fixture
def two_db(two_county_db, tmp_path, monkeypatch):
    db = tmp_path / "two.duckdb"
    shutil.copy(two_county_db, db)
    monkeypatch.setenv("EDUBALANCE_DB", str(db))
    return db


def test_an_editor_bound_to_kaiping_cannot_import_enping_or_a_mixed_workbook(two_db, no_secrets, tmp_path):
    _account("开平编辑", "editor", county=KAIPING)
    kaiping_fact = pd.DataFrame([{"年份": "2027", "指标": "pop_age3_5", "数值": "900"}])
    mixed = _enping_2027(county=ENPING)
    mixed["市级年度"] = pd.concat([mixed["市级年度"], kaiping_fact.assign(县级区划代码=KAIPING)], ignore_index=True)
    only_years = {"学校年度": _enping_2027()["学校年度"]}  # no towns: the schools' county comes from the database
    before = sha256_of(two_db)
    refused = 0
    for name, frames in (("enping.xlsx", _enping_2027()), ("mixed.xlsx", mixed), ("years.xlsx", only_years)):
        at = _signed_in(_app("views/admin.py"), "开平编辑", "editor")
        at.run()
        write_xlsx(frames, tmp_path / name)
        _upload(at, name, (tmp_path / name).read_bytes())
        assert not at.exception
        assert not [b for b in at.button if b.key == "do_import"], name  # refused before any check
        refusals = [e.value for e in at.error if "仅限县级区划代码 440783" in e.value]
        assert refusals and "440785" in refusals[0], name
        assert sha256_of(two_db) == before, name
        at.run()  # a rerun shows the refusal again but audits it once
        log = accounts.audit_log(_store())
        assert (log.iloc[0]["action"], log.iloc[0]["account"]) == ("access_refused", "开平编辑")
        assert "440785" in log.iloc[0]["detail"]
        assert (log["action"] == "access_refused").sum() == refused + 1, name
        refused += 1
    assert permissions.upload_counties(read_source(tmp_path / "mixed.xlsx")) == {KAIPING, ENPING}


def test_an_editor_bound_to_enping_imports_enping_and_sees_only_its_tasks(two_db, no_secrets, tmp_path):
    _account("恩平编辑", "editor", county=ENPING)
    at = _signed_in(_app("views/admin.py"), "恩平编辑", "editor")
    at.run()
    assert not at.exception
    assert any("恩平市（440785）的任务进展" in c.value for c in at.caption)
    assert not [s for s in at.selectbox if s.key == "task_county"]  # no choice of county
    write_xlsx(_enping_2027(), tmp_path / "enping.xlsx")
    _upload(at, "enping.xlsx", (tmp_path / "enping.xlsx").read_bytes())
    at.button(key="do_import").click()
    at.run()
    assert not at.exception
    assert any("已导入 enping.xlsx" in s.value.replace("\\", "") for s in at.success)
    con = duckdb.connect(str(two_db), read_only=True)
    years = con.execute(
        "SELECT substr(s.town_code, 1, 6), max(y.year) FROM school_years y JOIN schools s USING (school_id) GROUP BY 1"
    ).fetchall()
    con.close()
    assert dict(years) == {KAIPING: 2026, ENPING: 2027}


def test_an_unbound_admin_chooses_whose_tasks(two_db, with_password):
    at = _admin(_app("views/admin.py"))
    at.run()
    assert not at.exception
    pick = at.selectbox(key="task_county")
    assert pick.value is None and set(pick.options) == {"开平市", "恩平市"}
    pick.set_value(KAIPING).run()
    assert not at.exception
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
    action, user, file_name, note = _log(two_db)[-1]
    assert (action, user) == ("task_update", "测试员") and "Q3" in note and "已完成" in note
    con = duckdb.connect(str(two_db), read_only=True)
    status = con.execute(
        "SELECT county, target_id, status FROM task_progress WHERE note = '已完成校园文化建设验收'"
    ).fetchall()
    con.close()
    assert status == [(KAIPING, "Q3", "已完成")]  # written for the county chosen
