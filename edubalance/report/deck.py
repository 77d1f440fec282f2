"""The meeting outputs as PowerPoint: the deck and the town briefs, written with python-pptx
from the sections of report.sections and report.town_brief.

Charts are native PowerPoint charts (``CategoryChartData``): the office that presents can edit
them and their numbers. Each chart's shape name records the query, parameters and column its
values came from (``query|key=value|…|column``) so a test — or a curious analyst — can check
them against ``python -m edubalance query``. Number formats derive from the chart's format
spec (model.format), so a chart label reads as the same figure on screen. The map is the only
picture (report.figures); when it cannot be drawn the slide says so instead.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.oxml.ns import qn
from pptx.oxml.xmlchemy import OxmlElement
from pptx.util import Inches, Pt

from edubalance.model.format import display_width, excel_number_format, is_missing, school_year_label
from edubalance.report.chart_data import category_chart_data
from edubalance.report.content import ChartSpec, DeckContext, Section, context
from edubalance.report.fetch import open_fetch
from edubalance.report.figures import MapRenderer
from edubalance.report.sections import deck_sections
from edubalance.report.town_brief import town_sections

FONT = "Microsoft YaHei"
SLIDE_W_IN = 13.333
SLIDE_H_IN = 7.5

# Colours (RGB hex): title bar, accents, good/bad.
BLUE = "1F5FA8"
DARK = "1F2937"
GREY = "6B7280"
RED = "C62828"
GREEN = "2E7D32"
SERIES_COLORS = ("1F5FA8", "EF6C00", "8E44AD", "00897B", "6D4C41")


def _rgb(hexstr: str):
    return RGBColor.from_string(hexstr)


def _ea_font(rPr) -> None:
    """Add East Asian and complex-script typefaces next to the Latin one (a:latin → a:ea → a:cs)
    so Chinese shows in 微软雅黑 in PowerPoint and WPS rather than a fallback."""
    for tag in ("a:ea", "a:cs"):
        for el in rPr.findall(qn(tag)):
            rPr.remove(el)
    latin = rPr.find(qn("a:latin"))
    ea = OxmlElement("a:ea")
    ea.set("typeface", FONT)
    cs = OxmlElement("a:cs")
    cs.set("typeface", FONT)
    latin.addnext(ea)
    ea.addnext(cs)


def set_font(font, size: float | None = None, bold: bool | None = None, color: str | None = None) -> None:
    font.name = FONT
    _ea_font(font._rPr)
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    if color is not None:
        font.color.rgb = _rgb(color)


def _patch_theme(prs) -> None:
    """Theme fonts: Latin and East Asian 微软雅黑 (the default template leaves ea empty and uses 宋体)."""
    part = prs.slide_master.part.part_related_by(RT.THEME)
    xml = part.blob.decode("utf-8")
    xml = xml.replace('<a:latin typeface="Calibri"/>', f'<a:latin typeface="{FONT}"/>')
    xml = xml.replace('<a:ea typeface=""/>', f'<a:ea typeface="{FONT}"/>')
    xml = xml.replace('<a:font script="Hans" typeface="宋体"/>', f'<a:font script="Hans" typeface="{FONT}"/>')
    part._blob = xml.encode("utf-8")


class DeckWriter:
    """Writes sections onto 16:9 slides with a common frame (title bar, footer)."""

    def __init__(self, ctx: DeckContext):
        self.ctx = ctx
        self.prs = Presentation()
        self.prs.slide_width = Inches(SLIDE_W_IN)
        self.prs.slide_height = Inches(SLIDE_H_IN)
        _patch_theme(self.prs)
        self.prs.core_properties.title = f"{ctx.county}城乡教育均衡发展监测 {school_year_label(ctx.year)}"
        self.prs.core_properties.author = "城乡教育均衡监测看板"
        self.blank = self.prs.slide_layouts[6]

    # --- primitives --------------------------------------------------------------------------

    def text(self, slide, x, y, w, h, lines, size=16, color=DARK, bold=False, bullet=False, align=None, name=None):
        box = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
        if name:
            box.name = name
        tf = box.text_frame
        tf.word_wrap = True
        tf.vertical_anchor = MSO_ANCHOR.TOP
        tf.margin_left = tf.margin_right = Inches(0.05)
        for i, line in enumerate([lines] if isinstance(lines, str) else lines):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            if align is not None:
                p.alignment = align
            if bullet:
                p.space_after = Pt(6)
            run = p.add_run()
            run.text = ("• " if bullet else "") + line
            set_font(run.font, size, bold, color)
        return box

    def frame(self, slide, section: Section, page: int, total: int) -> None:
        bar = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, self.prs.slide_width, Inches(0.12))
        bar.fill.solid()
        bar.fill.fore_color.rgb = _rgb(BLUE)
        bar.line.fill.background()
        self.text(slide, 0.45, 0.25, 12.4, 0.7, section.title, size=28, color=BLUE, bold=True, name="title")
        if section.subtitle:
            self.text(slide, 0.45, 0.95, 12.4, 0.6, section.subtitle, size=15, color=DARK, name="subtitle")
        if section.source:
            self.text(slide, 0.45, 6.78, 12.4, 0.3, section.source, size=9, color=GREY, name="source")
        foot = f"{self.ctx.county} · {school_year_label(self.ctx.year)} · 第 {page}/{total} 页"
        self.text(slide, 0.45, 7.07, 8.0, 0.3, foot, size=10, color=GREY, name="footer")
        if self.ctx.is_demo:
            self.text(
                slide,
                8.9,
                7.07,
                4.0,
                0.3,
                "演示数据（模拟，非官方统计）",
                size=10,
                color=RED,
                bold=True,
                align=PP_ALIGN.RIGHT,
                name="demo",
            )

    def table(self, slide, df: pd.DataFrame, bad, x, y, w, h, size=12):
        rows, cols = len(df) + 1, len(df.columns)
        texts = [[str(c) for c in df.columns]] + [
            ["—" if is_missing(v) else str(v) for v in r] for r in df.itertuples(index=False)
        ]
        # Column widths in proportion to the text they hold (CJK counts double); headers may
        # wrap, long texts are capped, short columns keep room for a status word.
        weights = []
        for j, c in enumerate(df.columns):
            content = max([display_width(r[j]) for r in texts[1:]] or [0])
            weights.append(max(min(content, 30), min(display_width(str(c)), 12), 5))
        widths = [w * v / sum(weights) for v in weights]

        def heights(pt: float) -> list[float]:
            # Rows tall enough for their wrapped text (a display unit is half an em wide), so
            # no viewer has to grow them and nothing overlaps.
            unit = pt / 72 / 2
            out = []
            for r in texts:
                lines = max(max(1, -(-display_width(t) * unit // max(cw - 0.14, 0.2))) for t, cw in zip(r, widths))
                out.append(lines * pt * 1.25 / 72 + 0.08)
            return out

        while size > 9 and sum(heights(size)) > h:
            size -= 1  # shrink the type before running off the slide
        row_h = heights(size)
        shape = slide.shapes.add_table(rows, cols, Inches(x), Inches(y), Inches(w), Inches(sum(row_h)))
        shape.name = "table"
        tbl = shape.table
        for j, cw in enumerate(widths):
            tbl.columns[j].width = Inches(cw)
        for i, rh in enumerate(row_h):
            tbl.rows[i].height = Inches(rh)
        for j, text in enumerate(texts[0]):
            self._cell(tbl.cell(0, j), text, size, bold=True, color="FFFFFF", fill=BLUE)
        for i, row in enumerate(texts[1:], start=1):
            warn = bool(bad[i - 1]) if bad is not None and i - 1 < len(bad) else False
            for j, text in enumerate(row):
                self._cell(
                    tbl.cell(i, j), text, size, color=RED if warn else DARK, fill="F3F6FB" if i % 2 == 0 else "FFFFFF"
                )
        return shape

    @staticmethod
    def _cell(cell, text, size, bold=False, color=DARK, fill=None):
        cell.margin_left = cell.margin_right = Inches(0.06)
        cell.margin_top = cell.margin_bottom = Inches(0.02)
        if fill:
            cell.fill.solid()
            cell.fill.fore_color.rgb = _rgb(fill)
        tf = cell.text_frame
        tf.word_wrap = True
        p = tf.paragraphs[0]
        run = p.add_run()
        run.text = text
        set_font(run.font, size, bold, color)

    def chart(self, slide, spec: ChartSpec, x, y, w, h):
        number_format = excel_number_format(spec.value_format)
        # Text-safe: the chart's embedded workbook must not turn a town named "=…" into a formula.
        data = category_chart_data(number_format=number_format)
        data.categories = spec.categories
        for name, values in spec.series.items():
            data.add_series(name, values)
        if spec.horizontal:
            kind = XL_CHART_TYPE.BAR_STACKED if spec.stacked else XL_CHART_TYPE.BAR_CLUSTERED
        else:
            kind = XL_CHART_TYPE.COLUMN_STACKED if spec.stacked else XL_CHART_TYPE.COLUMN_CLUSTERED
        gf = slide.shapes.add_chart(kind, Inches(x), Inches(y), Inches(w), Inches(h), data)
        gf.name = "chart:" + spec.source
        gf._element.nvGraphicFramePr.cNvPr.set("descr", spec.description or spec.title)
        chart = gf.chart
        n_cat = max(len(spec.categories), 1)
        base = 12 if n_cat <= 8 else (11 if n_cat <= 12 else 10)
        set_font(chart.font, base)
        chart.has_title = True
        chart.chart_title.text_frame.text = spec.title
        for p in chart.chart_title.text_frame.paragraphs:
            for r in p.runs:
                set_font(r.font, 13, True, DARK)
        multi = len(spec.series) > 1
        chart.has_legend = multi
        if multi:
            chart.legend.position = XL_LEGEND_POSITION.BOTTOM
            chart.legend.include_in_layout = False
            set_font(chart.legend.font, base)
        plot = chart.plots[0]
        plot.gap_width = 50 if spec.horizontal else 80
        if spec.stacked:
            plot.overlap = 100
        plot.has_data_labels = True
        dl = plot.data_labels
        # Stacked parts of zero would print a stray "0": an empty zero section hides them.
        dl.number_format = f"{number_format};-{number_format};;@" if spec.stacked else number_format
        dl.number_format_is_linked = False
        if not spec.stacked:
            dl.position = XL_LABEL_POSITION.OUTSIDE_END
        set_font(dl.font, base - 1, None, DARK)
        va = chart.value_axis
        va.has_major_gridlines = False
        va.tick_labels.number_format = number_format
        va.tick_labels.number_format_is_linked = False
        va.visible = False
        ca = chart.category_axis
        ca.tick_labels.font.size = Pt(base)
        set_font(ca.tick_labels.font, base)
        if spec.horizontal:
            ca.reverse_order = True  # first category on top, as in the tables
        for i, s in enumerate(plot.series):
            s.format.fill.solid()
            s.format.fill.fore_color.rgb = _rgb(SERIES_COLORS[i % len(SERIES_COLORS)])
            if spec.bad is not None and len(spec.series) == 1:
                for j, b in enumerate(spec.bad):
                    if b:
                        pt = s.points[j]
                        pt.format.fill.solid()
                        pt.format.fill.fore_color.rgb = _rgb(RED)
        return gf

    # --- layouts ------------------------------------------------------------------------------

    def add(self, section: Section, page: int, total: int):
        """Write one section on a new slide; returns the slide (the map's picture comes later)."""
        slide = self.prs.slides.add_slide(self.blank)
        if section.kind == "title":
            self._title(slide, section)
            return slide
        self.frame(slide, section, page, total)
        top, bottom = 1.6, 6.7
        height = bottom - top
        has_table = section.table is not None and len(section.table)
        charts = section.charts
        if section.key == "map":
            self.text(slide, 7.9, top + 0.1, 5.0, height - 0.2, section.bullets, size=15, bullet=True, name="bullets")
            if section.figure is None:
                self.map_picture(slide, None, section.figure_note)
            return slide
        if has_table and len(charts) > 1:
            # Table and first chart on the left, the second (a town ranking) full height right.
            n_rows = len(section.table)
            th = min(0.34 * (n_rows + 1), height * 0.45)
            self.table(slide, section.table, section.table_bad, 0.45, top, 6.3, th, size=12)
            self.chart(slide, charts[0], 0.45, top + th + 0.1, 6.3, height - th - 0.1)
            bh = 0.55 * len(section.bullets) if section.bullets else 0
            self.chart(slide, charts[1], 6.95, top, 5.95, height - bh)
            if section.bullets:
                self.text(slide, 6.95, bottom - bh, 5.95, bh, section.bullets, size=12, bullet=True, name="bullets")
        elif has_table and charts:
            n_rows = len(section.table)
            size = 12 if n_rows <= 8 else 11
            self.table(slide, section.table, section.table_bad, 0.45, top, 6.3, height - 0.1, size=size)
            bh = 0.45 * len(section.bullets) if section.bullets else 0
            self.chart(slide, charts[0], 6.95, top, 5.95, height - bh)
            if section.bullets:
                self.text(slide, 6.95, bottom - bh, 5.95, bh, section.bullets, size=12, bullet=True, name="bullets")
        elif len(charts) == 1 and section.bullets:
            self.chart(slide, charts[0], 0.45, top, 7.6, height)
            self.text(slide, 8.3, top + 0.2, 4.6, height - 0.3, section.bullets, size=14, bullet=True, name="bullets")
        elif charts:
            bh = 0.45 * len(section.bullets) if section.bullets else 0
            w = 12.4 / len(charts)
            for i, spec in enumerate(charts):
                self.chart(slide, spec, 0.45 + i * w, top, w - 0.15, height - bh)
            if section.bullets:
                self.text(
                    slide, 0.45, bottom - bh + 0.05, 12.4, bh, section.bullets, size=13, bullet=True, name="bullets"
                )
        elif has_table:
            n_rows = len(section.table)
            size = 13 if n_rows <= 8 else (12 if n_rows <= 12 else 11)
            bh = min(0.45 * len(section.bullets), 1.5) if section.bullets else 0
            self.table(slide, section.table, section.table_bad, 0.45, top, 12.4, height - bh - 0.1, size=size)
            if section.bullets:
                self.text(slide, 0.45, bottom - bh, 12.4, bh, section.bullets, size=13, bullet=True, name="bullets")
        else:
            self.text(slide, 0.6, top + 0.1, 12.2, height - 0.2, section.bullets, size=17, bullet=True, name="bullets")
        return slide

    def map_picture(self, slide, image: bytes | None, note: str) -> None:
        """The map PNG on the left of the map slide, or the reason it is missing."""
        top, height = 1.6, 5.1
        if image is not None:
            pic = slide.shapes.add_picture(io.BytesIO(image), Inches(0.45), Inches(top), height=Inches(height))
            pic.name = "map"
            pic._element.nvPicPr.cNvPr.set("descr", "镇街地图")
        else:
            self.text(
                slide,
                0.6,
                top + 1.5,
                6.8,
                2.0,
                ["地图未能嵌入", note or "地图图片不可用，请在看板“地图”页查看。"],
                size=18,
                color=RED,
                name="map_note",
            )

    def _title(self, slide, section: Section) -> None:
        band = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, Inches(1.7), self.prs.slide_width, Inches(2.5))
        band.fill.solid()
        band.fill.fore_color.rgb = _rgb(BLUE)
        band.line.fill.background()
        self.text(slide, 0.8, 1.95, 11.8, 1.1, section.title, size=40, color="FFFFFF", bold=True, name="title")
        self.text(slide, 0.8, 3.1, 11.8, 0.7, section.subtitle, size=22, color="FFFFFF", name="subtitle")
        self.text(slide, 0.8, 4.6, 11.8, 1.2, section.bullets, size=18, color=DARK, name="bullets")
        if self.ctx.is_demo:
            self.text(
                slide,
                0.8,
                5.9,
                11.8,
                0.9,
                "演示数据：本汇报使用按真实镇街结构生成的模拟数据，不是官方统计数字。",
                size=18,
                color=RED,
                bold=True,
                name="demo",
            )

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        self.prs.save(buf)
        return buf.getvalue()


# --- entry points ------------------------------------------------------------------------------


@dataclass
class BuildResult:
    data: bytes
    slides: int
    charts: int
    seconds: float
    map_seconds: float = 0.0
    map_note: str = ""


def render_pptx(sections: list[Section], ctx: DeckContext, *, renderer: MapRenderer | None = None) -> BuildResult:
    """Slides for the sections. With a ``renderer`` the map's picture is drawn while the other
    slides are written and goes in last; without one the map slide carries a note."""
    t0 = time.perf_counter()
    map_section = next((s for s in sections if s.figure is not None), None)
    if renderer is not None:
        renderer.submit(map_section.figure if map_section is not None else None)
    writer = DeckWriter(ctx)
    total = len(sections)
    charts = 0
    map_slide = None
    for i, sec in enumerate(sections, start=1):
        slide = writer.add(sec, i, total)
        charts += len(sec.charts)
        if sec is map_section:
            map_slide = slide
    image, note = None, ""
    if map_slide is not None:
        if renderer is not None:
            image, note = renderer.result()
        else:
            note = "本次导出未生成地图图片，请在看板“地图”页查看。"
        writer.map_picture(map_slide, image, note)
    data = writer.to_bytes()
    return BuildResult(
        data=data,
        slides=total,
        charts=charts,
        seconds=time.perf_counter() - t0,
        map_seconds=renderer.seconds if renderer is not None else 0.0,
        map_note="" if image is not None else note,
    )


def build_deck(year: int, db: Path | str | None = None, *, with_map: bool = True) -> BuildResult:
    """The meeting deck for a school year (bytes of a .pptx)."""
    t0 = time.perf_counter()
    renderer = MapRenderer() if with_map else None  # start chromium now: it is the slow part
    try:
        with open_fetch(db) as fetch:
            ctx = context(fetch, year)
            sections = deck_sections(fetch, year, ctx)
        res = render_pptx(sections, ctx, renderer=renderer)
    finally:
        if renderer is not None:
            renderer.close()
    res.seconds = time.perf_counter() - t0
    return res


def build_town_brief(year: int, town_code: str, db: Path | str | None = None) -> BuildResult:
    """A town brief (three slides) for one town."""
    t0 = time.perf_counter()
    with open_fetch(db) as fetch:
        ctx = context(fetch, year)
        sections = town_sections(fetch, year, town_code, ctx)
    res = render_pptx(sections, ctx)
    res.seconds = time.perf_counter() - t0
    return res
