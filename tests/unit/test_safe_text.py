"""No injection on the way out (issue 14, item 5) and no traceback for viewers (item 6): the
escaping helpers, every Excel writer, the CSV download, figures, and the page guard."""

from __future__ import annotations

import csv
import io
import logging
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from edubalance.metrics import analytics
from edubalance.model.safe_text import csv_cell, csv_safe, escape_figure, html_text, md, md_frame, plot_text
from edubalance.report import xlsx as export_xlsx
from edubalance.ui import tables
from tests.support.hostile import SCHOOL_NAMES, TOWN_NAMES, TOWN_PROBE, build_hostile_db  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FORMULA = '=HYPERLINK("http://evil.example/x","点我")'
WJ = "\u2060"


def unescape_md(src: str) -> str:
    """What Markdown shows for text made by md(): backslash escapes resolved, word joiners gone."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", src).replace(WJ, "")


# --- md / html_text ---------------------------------------------------------------------------


def test_md_escapes_every_markdown_construct_of_the_probe():
    out = md(TOWN_PROBE)
    assert out == (
        "\\[点此重新登录\\]\\(http" + WJ + "\\:\\/\\/evil\\.example\\/\\) "
        "\\!\\[x\\]\\(http" + WJ + "\\:\\/\\/evil\\.example\\/t\\.png\\)"
    )
    assert unescape_md(out) == TOWN_PROBE


@pytest.mark.parametrize(
    "text",
    [
        "<img src=x onerror=alert(1)>",
        "**粗体**",
        "[链接](http://x)",
        FORMULA,
        ":red[红字] :material/home: $x^2$",
        "# 标题\n\n- 列表",
        "a@b.cn 与 www.evil.example",
    ],
)
def test_md_keeps_the_text_and_leaves_no_markup(text):
    out = md(text)
    # Every ASCII punctuation mark is escaped: no link, image, emphasis, directive or math.
    assert not re.search(r"(?<!\\)[\[\]()<>*_`$#!:]", out.replace("\\\\", ""))
    assert "\n" not in out  # one line: no new paragraph, heading or list can start
    assert unescape_md(out) == re.sub(r"\n+", " ", text)


def test_md_breaks_autolinks_with_an_invisible_word_joiner():
    # GFM links bare URLs and e-mail addresses after escapes are resolved; the joiner stops it.
    assert md("http://x.cn") == "http" + WJ + "\\:\\/\\/x\\.cn"
    assert md("WWW.x.cn") == "WWW" + WJ + "\\.x\\.cn"
    assert md("a@b.cn") == "a" + WJ + "\\@b\\.cn"
    assert md("学校") == "学校"  # Chinese text is left as is
    assert md(None) == "" and md(float("nan")) == ""


def test_html_text_uses_character_references():
    assert html_text("<img src=x onerror=alert(1)>") == "&#60;img src&#61;x onerror&#61;alert&#40;1&#41;&#62;"
    assert html_text('"&[x](y)') == "&#34;&#38;&#91;x&#93;&#40;y&#41;"
    assert html_text("乙镇\n\n# x") == "乙镇 &#35; x"


def test_md_frame_escapes_text_cells_and_headers_not_numbers():
    df = pd.DataFrame({"名称": ["[a](http://x)", "乙"], "数值": [-1.5, 2.0], "**h**": [1, 2]})
    out = md_frame(df)
    assert out["名称"].tolist() == ["\\[a\\]\\(http" + WJ + "\\:\\/\\/x\\)", "乙"]
    assert out["数值"].tolist() == [-1.5, 2.0]
    assert list(out.columns) == ["名称", "数值", "\\*\\*h\\*\\*"]
    assert df["名称"][0] == "[a](http://x)"  # the input is not changed


# --- Plotly -----------------------------------------------------------------------------------


def test_plot_text_escapes_tags():
    assert plot_text('<a href="http://x">点</a>&') == '&lt;a href="http://x"&gt;点&lt;/a&gt;&amp;'


def test_escape_figure_escapes_trace_text_and_categories_once():
    names = np.array(['<a href="http://evil.example">甲</a>', "<b>乙</b>"], dtype=object)
    fig = go.Figure(
        go.Bar(
            x=names,
            y=[1.5, -2.0],
            text=["<br>1", "2"],
            customdata=np.array([[names[0], 3], [names[1], 4]], dtype=object),
            name="<i>系列</i>",
            hovertemplate="%{x}<br>%{y}<extra></extra>",
        )
    )
    fig.update_xaxes(categoryarray=list(names))
    fig.update_layout(title="<b>标题</b>")
    escape_figure(fig)
    escape_figure(fig)  # a second call changes nothing (no &amp;lt;)
    bar = fig.data[0]
    assert list(bar.x) == ['&lt;a href="http://evil.example"&gt;甲&lt;/a&gt;', "&lt;b&gt;乙&lt;/b&gt;"]
    assert list(fig.layout.xaxis.categoryarray) == list(bar.x)
    assert list(bar.y) == [1.5, -2.0]
    assert list(bar.text) == ["&lt;br&gt;1", "2"]
    assert [list(r) for r in bar.customdata] == [[bar.x[0], 3], [bar.x[1], 4]]
    assert bar.name == "&lt;i&gt;系列&lt;/i&gt;"
    # Templates and titles are the chart code's own markup and stay as written.
    assert bar.hovertemplate == "%{x}<br>%{y}<extra></extra>"
    assert fig.layout.title.text == "<b>标题</b>"


def test_ui_chart_builders_get_escaped_figures():
    from edubalance.charts import analytics as charts_analytics

    proj = pd.DataFrame(
        {
            "town_name": ["全市", "全市", "<a href='http://evil.example'>镇</a>"] * 1,
            "year": [2024, 2025, 2025],
            "observed": [1.0, 1.1, 0.9],
            "trend": [np.nan, np.nan, np.nan],
            "is_projection": [False, False, False],
            "standard": [np.nan] * 3,
            "unit": ["元"] * 3,
        }
    )
    fig = charts_analytics.projection(proj, ["<a href='http://evil.example'>镇</a>"])
    town_trace = [t for t in fig.data if "镇" in (t.name or "")][0]
    # The town name is part of the hover template: escaped by the builder itself.
    assert "<extra>&lt;a href='http://evil.example'&gt;镇&lt;/a&gt;</extra>" in town_trace.hovertemplate
    escape_figure(fig)
    assert town_trace.name == "&lt;a href='http://evil.example'&gt;镇&lt;/a&gt;"


# --- CSV --------------------------------------------------------------------------------------


def test_csv_cell_neutralises_formula_starts_only_in_text():
    assert csv_cell(FORMULA) == "'" + FORMULA
    assert [csv_cell(s) for s in ("+1", "-2+3", "@SUM(1)", "\tx", "\rx")] == [
        "'+1",
        "'-2+3",
        "'@SUM(1)",
        "'\tx",
        "'\rx",
    ]
    assert csv_cell("甲镇") == "甲镇" and csv_cell("a=b") == "a=b"
    assert csv_cell(-5) == -5 and csv_cell(-0.25) == -0.25 and csv_cell(None) is None


def test_ui_csv_download_is_safe_and_keeps_numbers():
    df = pd.DataFrame({"school_name": [FORMULA, "-2+3", "甲小学"], "students": [-3, 45, 0], "gap": [-0.5, 0.25, 1.0]})
    text = tables.to_csv_bytes(df).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][0] == "'" + FORMULA and rows[2][0] == "'-2+3" and rows[3][0] == "甲小学"
    assert [r[1] for r in rows[1:]] == ["-3", "45", "0"]  # a negative number stays a number
    assert [r[2] for r in rows[1:]] == ["-0.5", "0.25", "1.0"]
    assert csv_safe(df)["students"].dtype.kind == "i"


def test_query_csv_on_the_command_line_stays_raw(tmp_path):
    db = build_hostile_db(tmp_path / "h.duckdb")
    out = subprocess.run(
        [sys.executable, "-m", "edubalance", "query", "town_list", "--db", str(db), "--format", "csv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    # Machine output: the name exactly as stored, no ' prefix (documented in README and cli.py).
    assert TOWN_NAMES["440783102000"] in [r["town_name"] for r in rows]


# --- Excel ------------------------------------------------------------------------------------


def _cells(data: bytes, sheet: str | None = None) -> list[list]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[sheet] if sheet else wb.worksheets[0]
    return [[c for c in row] for row in ws.iter_rows()]


def _assert_text_cell(cell, text: str) -> None:
    assert cell.data_type == "s", (cell.coordinate, cell.data_type, cell.value)
    assert cell.value == text


def test_ui_xlsx_writes_text_as_text_and_numbers_as_numbers():
    df = pd.DataFrame(
        {"school_name": [FORMULA, "http://evil.example/x", "12"], "students": [45, -3, 0], "gap": [-0.5, 0.25, 1.0]}
    )
    rows = _cells(tables.to_xlsx_bytes(df, '=HYPERLINK("http://evil.example","t")'))
    _assert_text_cell(rows[0][0], '=HYPERLINK("http://evil.example","t")')  # the title row
    _assert_text_cell(rows[2][0], FORMULA)
    _assert_text_cell(rows[3][0], "http://evil.example/x")
    _assert_text_cell(rows[4][0], "12")  # text that looks like a number stays text
    assert [r[1].value for r in rows[2:]] == [45, -3, 0] and rows[3][1].data_type == "n"
    assert [r[2].value for r in rows[2:]] == [-0.5, 0.25, 1.0]
    wb = openpyxl.load_workbook(io.BytesIO(tables.to_xlsx_bytes(df, "t")))
    assert not wb.worksheets[0]._hyperlinks  # no live link either


def test_analytics_workbook_writes_text_as_text():
    data = analytics.workbook({"情景": pd.DataFrame({"school_name": [FORMULA, "-2+3"], "students": [-1, 2]})})
    rows = _cells(data)
    _assert_text_cell(rows[1][0], FORMULA)
    _assert_text_cell(rows[2][0], "-2+3")
    assert [rows[1][1].value, rows[2][1].value] == [-1, 2] and rows[1][1].data_type == "n"


def test_workbook_of_tables_writes_hostile_names_as_text(tmp_path):
    db = build_hostile_db(tmp_path / "h.duckdb")
    result = export_xlsx.build_workbook(2025, db)
    wb = openpyxl.load_workbook(io.BytesIO(result.data))
    found = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value in (*SCHOOL_NAMES, *TOWN_NAMES.values()):
                    assert c.data_type == "s", (ws.title, c.coordinate, c.value)
                    found[c.value] = ws.title
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
    assert SCHOOL_NAMES[2] in found  # the =HYPERLINK school
    assert TOWN_NAMES["440783102000"] in found
    # Numbers stay numbers: the towns sheet's student counts are numeric cells.
    numeric = [c for ws in wb.worksheets for row in ws.iter_rows(min_row=3) for c in row if c.data_type == "n"]
    assert len(numeric) > 50


# --- the page guard (item 6) ------------------------------------------------------------------


def _failing_page():
    from edubalance.ui.page_guard import run_guarded

    def page():
        import streamlit as st

        st.title("之前的内容")
        raise ValueError("secret /srv/edubalance/data.duckdb detail")

    run_guarded(page, where="test")


def _stopping_page():
    import streamlit as st

    from edubalance.ui.page_guard import run_guarded

    def page():
        st.markdown("停止之前")
        st.stop()

    run_guarded(page, where="test")
    st.markdown("guard returned")  # never reached: st.stop propagates


class _Grab(logging.Handler):
    """Collects the guard's log lines (with their tracebacks) whatever stream its own handler
    was bound to when the module was first imported."""

    def __init__(self):
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record):
        self.lines.append(self.format(record))


def test_a_failing_page_shows_a_chinese_message_with_an_id_and_no_traceback():
    from edubalance.ui import page_guard

    grab = _Grab()
    page_guard.log.addHandler(grab)
    try:
        at = AppTest.from_function(_failing_page, default_timeout=30)
        at.run()
    finally:
        page_guard.log.removeHandler(grab)
    assert not at.exception  # nothing escapes to Streamlit's own error box
    assert len(at.error) == 1
    message = at.error[0].value
    match = re.search(r"错误编号 ([0-9a-f]{10})", message)
    assert match and message.startswith("页面出现意外错误")
    everything = " ".join(str(e.value) for e in [*at.error, *at.markdown, *at.title] if hasattr(e, "value"))
    assert "Traceback" not in everything and "ValueError" not in everything and "secret" not in everything
    log = "\n".join(grab.lines)
    assert f"id={match.group(1)}" in log and "Traceback" in log and "ValueError: secret" in log


def test_st_stop_passes_through_the_guard():
    at = AppTest.from_function(_stopping_page, default_timeout=30)
    at.run()
    assert not at.exception and not at.error
    assert [m.value for m in at.markdown] == ["停止之前"]


def test_config_hides_error_details_and_sets_xsrf():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"]["enableXsrfProtection"] is True


def test_sheet_names_from_data_text_are_valid():
    from edubalance.model.safe_text import sheet_name

    assert sheet_name('=HYPERLINK("http://x","t")', 28) == '=HYPERLINK("http___x","t")'
    assert sheet_name("'甲'") == "甲" and sheet_name("") == "数据" and sheet_name("a[1]*?\\b") == "a_1____b"
    assert len(sheet_name("镇" * 40)) == 31


def test_app_with_an_unreadable_database_shows_the_chinese_message(tmp_path, monkeypatch):
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"not a database, " * 2000)
    monkeypatch.setenv("EDUBALANCE_DB", str(bad))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and re.search(r"错误编号 [0-9a-f]{10}", at.error[0].value)
    assert "IOException" not in at.error[0].value and str(bad) not in at.error[0].value


def test_pptx_chart_workbook_writes_category_names_as_text():
    from edubalance.report.chart_data import category_chart_data

    data = category_chart_data(number_format="0.0")
    data.categories = [FORMULA, "乙镇"]
    data.add_series('=HYPERLINK("http://evil.example","s")', (1.5, -2.0))
    rows = _cells(data._workbook_writer.xlsx_blob)
    _assert_text_cell(rows[0][1], '=HYPERLINK("http://evil.example","s")')
    _assert_text_cell(rows[1][0], FORMULA)
    assert [rows[1][1].value, rows[2][1].value] == [1.5, -2.0] and rows[2][1].data_type == "n"


def test_deck_chart_workbooks_hold_hostile_names_as_text():
    import zipfile

    from edubalance.report import content
    from edubalance.report import deck as export_pptx

    ctx = content.DeckContext(2025, "测试县", "990101", False, "", 2025, 2025)
    chart = content.ChartSpec(
        source="town_gaps|year=2025",
        title="各镇街",
        categories=[TOWN_NAMES["440783102000"], TOWN_NAMES["440783001000"]],
        series={'=HYPERLINK("http://evil.example","s")': [1.5, -2.0]},
    )
    deck = export_pptx.render_pptx([content.Section(key="t", title="镇街", charts=[chart])], ctx).data
    with zipfile.ZipFile(io.BytesIO(deck)) as z:
        embedded = [n for n in z.namelist() if n.endswith(".xlsx")]
        assert len(embedded) == 1
        rows = _cells(z.read(embedded[0]))
    _assert_text_cell(rows[1][0], TOWN_NAMES["440783102000"])
    _assert_text_cell(rows[0][1], '=HYPERLINK("http://evil.example","s")')
    assert [rows[1][1].value, rows[2][1].value] == [1.5, -2.0]
