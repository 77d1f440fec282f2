"""``python -m edubalance export pptx|xlsx``: check the arguments against the database, write
the deck, a town brief or the workbook, and say what was written (Chinese, as on the pages)."""

from __future__ import annotations

import sys
from pathlib import Path

from edubalance.report.deck import build_deck, build_town_brief
from edubalance.report.fetch import county_scope, open_fetch
from edubalance.report.xlsx import build_workbook
from edubalance.store import db as dbmod
from edubalance.store.paths import db_path


def export_command(
    kind: str, out: str, *, year: int | None = None, db=None, town: str | None = None, county: str | None = None
) -> int:
    """Write the file and print what was written; exit status 2 for a bad year, town, county
    or database. ``county`` may be left out when the database holds one county."""
    path = db_path(db)
    if not path.exists():
        print(f"数据库不存在：{path}", file=sys.stderr)
        return 2
    try:
        with open_fetch(path, county) as fetch:
            county = fetch("dataset_info")["county_code"].iloc[0]
            years = [int(y) for y in fetch("school_years_available")["year"]]
            codes = set(fetch("town_coverage", year=years[0])["town_code"]) if years else set()
    except dbmod.QueryError as exc:  # several counties and none given, or an unknown one
        print(str(exc).replace("--param county=", "--county "), file=sys.stderr)
        return 2
    if not years:
        print("数据库中没有学年数据。", file=sys.stderr)
        return 2
    year = years[0] if year is None else int(year)
    if year not in years:
        print(f"库中没有 {year} 学年（可用：{'、'.join(map(str, years))}）", file=sys.stderr)
        return 2
    if town and kind != "pptx":
        print("--town 只用于 pptx（镇街简报）。", file=sys.stderr)
        return 2
    if town and str(town) not in codes:
        print(f"没有区划代码为 {town} 的镇街（可用：{'、'.join(sorted(codes))}）", file=sys.stderr)
        return 2
    with county_scope(county):
        if kind == "xlsx":
            return _write_workbook(year, path, out)
        return _write_deck(year, path, out, town)


def _write_workbook(year: int, path: Path, out: str) -> int:
    wb = build_workbook(year, path)
    Path(out).write_bytes(wb.data)
    print(f"已导出 {out}：{len(wb.sheets)} 个表格工作表，用时 {wb.seconds:.1f} 秒")
    for name, reason in wb.skipped:
        print(f"未导出查询 {name}：{reason}", file=sys.stderr)
    return 0


def _write_deck(year: int, path: Path, out: str, town: str | None) -> int:
    res = build_town_brief(year, str(town), path) if town else build_deck(year, path)
    Path(out).write_bytes(res.data)
    what = f"镇街简报（{town}）" if town else "汇报"
    print(f"已导出{what} {out}：{res.slides} 页，{res.charts} 个图表，用时 {res.seconds:.1f} 秒")
    if res.map_note:
        print(f"地图：{res.map_note}", file=sys.stderr)
    return 0
