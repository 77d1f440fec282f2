"""A county whose town and school names are attacks on the way out (Markdown, HTML, Plotly
tags, spreadsheet formulas), imported through the normal importer. Every page must show them
as literal text and the browser must request nothing from the hosts they name."""

from __future__ import annotations

from pathlib import Path

from edubalance.ingest.importer import import_tables
from edubalance.ingest.reading import tables_from_frames
from tests.support.workbooks import COUNTY, TOWN_A, TOWN_B, TOWN_C, as_county, oracle_frames

EVIL = "evil.example"
# Kaiping's code: the pages must show the hostile names in Kaiping's plan targets too (a
# county without a plan of its own has only the common targets G1–G7, none per town).
HOSTILE_COUNTY = "440783"


def _as_kaiping(code: str) -> str:
    return HOSTILE_COUNTY + code[len(COUNTY) :]


TOWN_NAMES = {
    _as_kaiping(TOWN_A): f"<img src=http://{EVIL}/a.png onerror=alert(1)>",
    _as_kaiping(TOWN_B): f"**粗体**[链接](http://{EVIL}/b) ![x](http://{EVIL}/b.png)",
    _as_kaiping(TOWN_C): f'=HYPERLINK("http://{EVIL}/c","y")',
}
SCHOOL_NAMES = [
    f'<a href="http://{EVIL}/s1">点我</a>',
    f"![图](http://{EVIL}/s2.png)",
    f'=HYPERLINK("http://{EVIL}/s3","点")',
    "-2+3",
    "@SUM(1,2) :red[红字] $x^2$",
]
# The ?town= probe of issue 14.
TOWN_PROBE = f"[点此重新登录](http://{EVIL}/) ![x](http://{EVIL}/t.png)"


def hostile_frames(year: int = 2025):
    frames = as_county(oracle_frames(year), HOSTILE_COUNTY)
    towns = frames["镇街"].copy()
    towns["镇街名称"] = towns["区划代码"].map(TOWN_NAMES)
    schools = frames["学校"].copy()
    schools["学校名称"] = SCHOOL_NAMES
    frames["镇街"], frames["学校"] = towns, schools
    return frames


def build_hostile_db(path: Path) -> Path:
    result = import_tables(tables_from_frames(hostile_frames()), path)
    assert result.ok, [p.line() for p in result.problems.errors]
    return path
