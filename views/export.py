"""汇报导出: the meeting deck, a town brief and the workbook of every table to download, and a
presentation mode that shows the deck's slides one at a time, large, for a projector.

The deck's content comes from edubalance.report.sections (the same sections the .pptx is made
of); files are generated when a download button is clicked and cached per database version
and school year. The view is in the URL: ?present=1&slide=N."""

from pathlib import Path

import streamlit as st

from edubalance.charts import base as charts
from edubalance.model.format import school_year_label
from edubalance.model.safe_text import html_text, md, md_frame, plot_text
from edubalance.report import deck, xlsx
from edubalance.report.content import Section, context
from edubalance.report.fetch import county_scope
from edubalance.report.figures import export_figure
from edubalance.report.sections import deck_sections
from edubalance.store import db as dbmod
from edubalance.ui import data, filters, widgets
from edubalance.ui.scope import require_county

county = require_county()  # several counties: a county page needs one; otherwise nothing
PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

PRESENT_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="collapsedControl"],
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"] { display: none !important; }
[data-testid="stMainBlockContainer"], .block-container {
  padding-top: 1.2rem !important; padding-left: 3rem !important; padding-right: 3rem !important; max-width: 100% !important;
}
[data-testid="stMain"] h1 { font-size: 3.1rem !important; color: #1f5fa8; padding-bottom: 0.2rem; }
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li { font-size: 1.55rem !important; line-height: 1.5; }
[data-testid="stMain"] [data-testid="stCaptionContainer"] p { font-size: 1.1rem !important; }
[data-testid="stMain"] [data-testid="stTable"] table { font-size: 1.3rem !important; }
[data-testid="stMain"] .stButton button p { font-size: 1.35rem !important; }
.eb-subtitle p { font-size: 1.8rem !important; color: #1f2937; }
</style>
"""


# --- files, generated on click and cached per database version and year --------------------


def download_on_click(label: str, build, file_name: str, mime: str, key: str, icon: str) -> None:
    """A download button whose file ``build()`` makes only when clicked (no page rerun)."""
    st.download_button(label, data=build, file_name=file_name, mime=mime, key=key, icon=icon, on_click="ignore")


# The county is part of each key: a database of several counties gives each its own files.
@st.cache_data(show_spinner=False, max_entries=8)
def deck_bytes(signature: tuple, year: int, county: str) -> bytes:
    with county_scope(county or None):
        return deck.build_deck(year, Path(signature[0])).data


@st.cache_data(show_spinner=False, max_entries=32)
def brief_bytes(signature: tuple, year: int, town: str, county: str) -> bytes:
    with county_scope(county or None):
        return deck.build_town_brief(year, town, Path(signature[0])).data


@st.cache_data(show_spinner=False, max_entries=8)
def workbook_bytes(signature: tuple, year: int, county: str) -> bytes:
    with county_scope(county or None):
        return xlsx.build_workbook(year, Path(signature[0])).data


# --- view state in the URL ---------------------------------------------------------------------


def _set_slide(i: int) -> None:
    st.session_state["exp_slide"] = i
    st.query_params["slide"] = str(i)


def _set_present(on: bool) -> None:
    st.session_state["exp_present"] = on
    if on:
        st.query_params["present"] = "1"
    else:
        st.query_params.pop("present", None)


def _styled(df, bad):
    """Rows the deck marks in red, marked red on screen too."""
    flags = list(bad or [])
    df = md_frame(df)  # st.table renders Markdown in every cell
    return df.style.hide(axis="index").apply(
        lambda r: ["color: #c62828" if r.name < len(flags) and flags[r.name] else "" for _ in r], axis=1
    )


def _bullets(items: list[str]) -> None:
    if items:
        st.markdown("\n".join(f"- {md(b)}" for b in items))


def render_section(sec: Section, big: bool) -> None:
    """One deck section as Streamlit content (charts from edubalance.charts.base, tables with downloads)."""
    font = 19 if big else 13
    h = "#" if big else "##"
    if sec.kind == "title":
        st.markdown(f"{h} {md(sec.title)}")
        st.markdown(f"#{h} {md(sec.subtitle)}")
        for b in sec.bullets:
            st.markdown(md(b))
        return
    st.markdown(f"{h} {md(sec.title)}")
    if sec.subtitle:
        st.markdown(f'<div class="eb-subtitle">\n\n{md(sec.subtitle)}\n\n</div>', unsafe_allow_html=True)
    table = sec.table if sec.table is not None and len(sec.table) else None
    figs = [
        charts.category_bars(
            c.categories,
            c.series,
            horizontal=c.horizontal,
            stacked=c.stacked,
            value_format=c.value_format,
            bad=c.bad,
            reference=c.reference,
            reference_label=c.reference_label,
            title=plot_text(c.title),
            font_size=font,
            height=(600 if big else None) if c.horizontal else (520 if big else 420),
        )
        for c in sec.charts
    ]
    if table is not None and len(figs) > 1:
        figs[0].update_layout(height=380 if big else 320)  # under the table: keep it on screen
    if sec.figure is not None or sec.figure_note:
        left, right = st.columns([3, 2])
        with left:
            if sec.figure is not None:
                fig = export_figure(sec.figure)
                fig.update_layout(height=680 if big else 560)
                widgets.chart(fig, key=f"exp_map_{sec.key}")
            else:
                st.info(md(sec.figure_note))
        with right:
            _bullets(sec.bullets)
    elif table is not None and figs:
        left, right = st.columns([1, 1])
        with left:
            st.table(_styled(table, sec.table_bad))
            if len(figs) > 1:
                widgets.chart(figs[0], key=f"exp_{sec.key}_0")
        with right:
            widgets.chart(figs[-1], key=f"exp_{sec.key}_{len(figs) - 1}")
            _bullets(sec.bullets)
    elif figs:
        side = sec.bullets and len(figs) == 1
        cols = st.columns([3, 2] if side else [1] * len(figs))
        for i, fig in enumerate(figs):
            with cols[i]:
                widgets.chart(fig, key=f"exp_{sec.key}_{i}")
        if sec.bullets:
            with cols[-1] if side else st.container():
                _bullets(sec.bullets)
    elif table is not None:
        st.table(_styled(table, sec.table_bad))
        _bullets(sec.bullets)
    else:
        _bullets(sec.bullets)
    if sec.charts:
        with st.expander("图表数据（表格与下载）"):
            for i, c in enumerate(sec.charts):
                widgets.table(c.frame(), f"{c.title}_{year}"[:28], key=f"exp_t_{sec.key}_{i}")
    if sec.source:
        st.caption(md(sec.source))


year = filters.year_filter()
if "exp_present" not in st.session_state:
    st.session_state["exp_present"] = st.query_params.get("present") == "1"
present = st.session_state["exp_present"]

ctx = context(data.query, year)
sections = deck_sections(data.query, year, ctx)
total = len(sections)
if "exp_slide" not in st.session_state:
    raw = st.query_params.get("slide", "1")
    st.session_state["exp_slide"] = int(raw) if raw.isdigit() else 1
slide = min(max(st.session_state["exp_slide"], 1), total)

if present:
    st.markdown(PRESENT_CSS, unsafe_allow_html=True)
    top = st.columns([5, 1, 1, 1], vertical_alignment="center")
    top[0].caption(f"{md(ctx.county)} · {school_year_label(year)} · 第 {slide}/{total} 页 · 演示模式")
    top[1].button(
        "◀ 上一页", key="exp_prev", disabled=slide <= 1, on_click=_set_slide, args=(slide - 1,), width="stretch"
    )
    top[2].button(
        "下一页 ▶",
        key="exp_next",
        disabled=slide >= total,
        on_click=_set_slide,
        args=(slide + 1,),
        width="stretch",
        type="primary",
    )
    top[3].button("退出演示", key="exp_exit", on_click=_set_present, args=(False,), width="stretch")
    widgets.banner(year)
    render_section(sections[slide - 1], big=True)
    st.divider()
    bottom = st.columns([1, 4, 1], vertical_alignment="center")
    bottom[0].button(
        "◀ 上一页", key="exp_prev2", disabled=slide <= 1, on_click=_set_slide, args=(slide - 1,), width="stretch"
    )
    bottom[1].markdown(
        f"<div style='text-align:center;font-size:1.2rem;color:#6b7280'>{slide} / {total} · "
        f"{html_text(sections[slide - 1].title)}</div>",
        unsafe_allow_html=True,
    )
    bottom[2].button(
        "下一页 ▶", key="exp_next2", disabled=slide >= total, on_click=_set_slide, args=(slide + 1,), width="stretch"
    )
    st.query_params["present"] = "1"
    st.query_params["slide"] = str(slide)
else:
    st.title("汇报导出")
    widgets.banner(year)
    st.toggle(
        "演示模式（投影用：隐藏侧栏，大字号，一次一页）",
        value=False,
        key="exp_present_toggle",
        on_change=_set_present,
        args=(True,),
    )
    sig = dbmod.signature(data.database())
    label = school_year_label(year)
    st.subheader("下载")
    c1, c2, c3 = st.columns(3)
    with c1:
        st.markdown(f"**汇报 PPT**（{total} 页，可编辑的原生图表）")
        download_on_click(
            "生成并下载汇报 PPT",
            lambda: deck_bytes(sig, year, county),
            f"{ctx.county}_城乡教育均衡汇报_{label}.pptx",
            PPTX_MIME,
            key="exp_dl_deck",
            icon=":material/slideshow:",
        )
        st.caption("点击后生成；地图由本机浏览器绘制，约需十秒。")
    with c2:
        towns = data.query("town_coverage", year=year)
        names = dict(zip(towns["town_code"], towns["town_name"]))
        code = st.selectbox("镇街简报", list(names), format_func=lambda c: names[c], key="exp_town")
        download_on_click(
            f"下载{md(names.get(code, ''))}简报",
            lambda: brief_bytes(sig, year, code, county),
            f"{names.get(code, code)}_简报_{label}.pptx",
            PPTX_MIME,
            key="exp_dl_brief",
            icon=":material/description:",
        )
    with c3:
        st.markdown("**全部表格 Excel**（每个表一页，中文表头）")
        download_on_click(
            "生成并下载 Excel 工作簿",
            lambda: workbook_bytes(sig, year, county),
            f"{ctx.county}_看板全部表格_{label}.xlsx",
            XLSX_MIME,
            key="exp_dl_xlsx",
            icon=":material/table_view:",
        )

    st.subheader("汇报内容")
    outline = [{"页": i, "标题": s.title, "要点": s.subtitle} for i, s in enumerate(sections, start=1)]
    st.dataframe(outline, hide_index=True, width="stretch")
    start = st.selectbox(
        "预览",
        range(1, total + 1),
        index=slide - 1,
        format_func=lambda i: f"第 {i} 页：{sections[i - 1].title}",
        key="exp_preview",
    )
    st.session_state["exp_slide"] = start
    with st.container(border=True):
        render_section(sections[start - 1], big=False)
