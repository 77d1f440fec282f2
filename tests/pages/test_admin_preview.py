"""数据管理: after a clean upload the page previews what the import would change; the admin
confirms; the import report lists every 疑点 with sheet, row and column; a database changed
by someone else between preview and confirm is not overwritten."""

import time
from pathlib import Path

import bcrypt
import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from edubalance.access import accounts, auth
from edubalance.ingest.importer import import_file
from edubalance.store.history import sha256_of
from tests.support.workbooks import oracle_frames, school_id, write_xlsx

ROOT = Path(__file__).resolve().parents[2]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def admin(oracle_db, tmp_path, monkeypatch):
    monkeypatch.setenv("EDUBALANCE_DB", str(oracle_db))
    monkeypatch.setenv(auth.SECRETS_ENV, str(tmp_path / "secrets.toml"))
    monkeypatch.delenv(auth.HASH_ENV, raising=False)
    monkeypatch.setenv(accounts.ACCOUNTS_ENV, str(tmp_path / "accounts.sqlite"))
    hashed = bcrypt.hashpw(b"pw-for-tests", bcrypt.gensalt(4)).decode()
    accounts.add(accounts.store_path(), "测试员", "admin", hashed, by="测试")
    at = AppTest.from_file(str(ROOT / "views/admin.py"), default_timeout=120)
    # Signed in as a stored account: every rerun checks the session against the store.
    at.session_state["account"] = "测试员"
    at.session_state["role"] = "admin"
    at.session_state["last_seen"] = time.time()
    at.run()
    assert not at.exception
    return at, oracle_db


def _resend(tmp_path) -> Path:
    """2026: school 1 renamed and its only backbone teacher exchanged out; school 5 gone;
    school 3 (甲街道) has twice the pupils."""
    frames = oracle_frames(year=2026)
    frames["学校"].loc[0, "学校名称"] = "小学1新校区"
    sy = frames["学校年度"]
    sy.loc[0, "县级以上骨干教师数"] = "0"
    sy.loc[0, "交流轮岗教师数"] = "1"
    sy.loc[0, "交流轮岗骨干教师数"] = "1"
    sy.loc[2, "在校生数"] = "178"
    frames["学校年度"] = sy[sy["学校标识码"] != school_id("21", 5)].reset_index(drop=True)
    write_xlsx(frames, tmp_path / "resend.xlsx")
    return tmp_path / "resend.xlsx"


def _upload(at, path: Path):
    at.file_uploader[0].set_value((path.name, path.read_bytes(), XLSX))
    return at.run()


def _frame_with(at, column):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_preview_then_confirm_then_report(admin, tmp_path):
    at, db = admin
    before = sha256_of(db)
    _upload(at, _resend(tmp_path))
    assert not at.exception
    assert any("预览导入后的变化" in h.value for h in at.subheader)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["停办或不再上报"] == "1" and metrics["改名"] == "1" and metrics["新增学校"] == "0"
    assert any("学校年度 新增 2026 学年" in m.value for m in at.markdown)
    renamed = _frame_with(at, "文件中名称")
    assert renamed.values.tolist() == [[school_id("21", 1), "小学1", "小学1新校区"]]
    closed = _frame_with(at, "依据")
    assert closed["学校标识码"].tolist() == [school_id("21", 5)]
    moves = _frame_with(at, "上一学年")
    assert ("甲街道", "在校生数") in set(zip(moves["镇街"], moves["项目"]))
    assert sha256_of(db) == before  # the preview wrote nothing

    at.button(key="do_import").click()
    at.run()
    assert not at.exception
    assert any("已导入 resend.xlsx" in s.value.replace("\\", "") for s in at.success)  # Markdown-escaped
    assert any("1 个疑点" in w.value for w in at.warning)
    report = _frame_with(at, "级别")
    assert report[["表", "行", "列", "值"]].values.tolist() == [["学校年度", 2, "交流轮岗骨干教师数", "1"]]
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute(
        "SELECT exchanged_backbone FROM school_years WHERE year = 2026 AND school_id = ?", [school_id("21", 1)]
    ).fetchone() == (1,)
    con.close()


def test_confirm_refuses_when_the_database_changed_since_the_preview(admin, tmp_path):
    at, db = admin
    _upload(at, _resend(tmp_path))
    assert [b for b in at.button if b.key == "do_import"]
    # Someone else imports 2027 meanwhile (another session, the command line).
    write_xlsx(oracle_frames(year=2027), tmp_path / "y2027.xlsx")
    assert import_file(tmp_path / "y2027.xlsx", db).ok
    changed = sha256_of(db)
    at.button(key="do_import").click()
    at.run()
    assert not at.exception
    assert sha256_of(db) == changed  # not overwritten, not imported
    assert any("未导入" in e.value for e in at.error)
    reasons = [r for d in at.dataframe if "原因" in d.value.columns for r in d.value["原因"]]
    assert any("预览之后数据库已被更改" in r for r in reasons)
