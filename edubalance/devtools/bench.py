"""The performance benchmark: ``python -m edubalance bench [--scale kaiping|province] [--json]``.

Four bars (docs/ARCHITECTURE.md, performance), measured here as ratios and times in one run:

1. **Query set, DuckDB vs pandas** (province scale): every named query whose only parameters are
   ``year`` and/or ``stage`` is run for the latest school year (and for 小学 and 初中) on one
   read-only connection, as the app runs them. The queries that have a pandas twin
   (``twins.PANDAS_TWINS``) are also computed with pandas from the database's base tables
   (school_years, schools, towns and the registries, loaded into DataFrames once, untimed, so
   pandas gets its input for free) and the two results are **asserted equal** (same rows; numbers
   within 1e-9 relative). The medians of N timed runs of that set give
   ``query_set_pandas_over_duckdb_ratio`` (goal ≥ 3).
2. **Pages**: every registered page is rendered with Streamlit's AppTest on the Kaiping demo
   data, once to warm the caches and then three times; the median is the warm time (goal < 1 s).
3. **Import**: the province workbook (edubalance.devtools.province) is turned into raw tables and
   goes through ``importer.import_tables`` (validation, staging, swap); goal < 60 s.
4. **Server memory** (province scale): the real server (``streamlit run app.py``) is started on
   the province database, every page is loaded once in headless Chromium (Playwright on the
   Debian ``/usr/bin/chromium``), and the server's peak resident set (``VmHWM`` in
   ``/proc/<pid>/status``) is read; goal < 1 GiB. Without Chromium the pages are rendered with
   AppTest in a child process and its ``ru_maxrss`` is reported instead (the method is named in
   the output).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from edubalance.devtools.page_timing import server_memory, time_pages
from edubalance.devtools.province import build_province_tables
from edubalance.devtools.twins import PANDAS_TWINS, assert_frames_equal, load_base
from edubalance.ingest.build import build_database
from edubalance.ingest.importer import import_tables
from edubalance.ingest.reading import tables_from_frames
from edubalance.store import db as dbmod

BENCH_STAGES = ("小学", "初中")
QUERY_PARAMS = {"year", "stage"}
GOALS = {
    "query_set_pandas_over_duckdb_ratio_min": 3.0,
    "page_warm_max_s": 1.0,
    "province_import_max_s": 60.0,
    "server_peak_rss_max_mib": 1024.0,
}


# ---------------------------------------------------------------------------------------------
# The query set and the equality check
def latest_year(db: Path) -> int:
    return int(dbmod.run("school_years_available", db=db)["year"].max())


def query_set(year: int, names: list[str] | None = None) -> list[tuple[str, dict]]:
    """(name, params) for every named query whose parameters are only year and/or stage."""
    out = []
    for name in names or dbmod.list_queries():
        declared = [p[0] for p in dbmod.load_query(name).params]
        if not set(declared) <= QUERY_PARAMS:
            continue
        combos = [{}]
        if "year" in declared:
            combos = [{"year": year}]
        if "stage" in declared:
            combos = [dict(c, stage=s) for c in combos for s in BENCH_STAGES]
        out += [(name, c) for c in combos]
    return out


def label(name: str, params: dict) -> str:
    return name + ("(" + ",".join(f"{k}={v}" for k, v in sorted(params.items())) + ")" if params else "")


def check_equivalence(db: Path, base: dict | None = None, year: int | None = None) -> list[str]:
    """Run every query of the set that has a pandas twin both ways and assert the results equal."""
    base = base if base is not None else load_base(db)
    year = year if year is not None else latest_year(db)
    checked = []
    con = dbmod.connect(db)
    try:
        for name, params in query_set(year, [n for n in dbmod.list_queries() if n in PANDAS_TWINS]):
            fn, keys = PANDAS_TWINS[name]
            sql = dbmod.run(name, params, con=con)
            assert_frames_equal(sql, fn(base, **params), keys, label(name, params))
            checked.append(label(name, params))
    finally:
        con.close()
    return checked


def time_query_set(db: Path, base: dict, year: int, runs: int = 5, *, everything: bool = True) -> dict:
    """Medians of `runs` timed runs: the compared set both ways, and (with `everything`) every
    other query of the set in DuckDB too."""
    full = query_set(year)
    compared = [(n, p) for n, p in full if n in PANDAS_TWINS]
    if not everything:
        full = compared
    con = dbmod.connect(db)
    try:
        for n, p in full:  # warm-up: parse, plan and page the file in once, as a running app has
            dbmod.run(n, p, con=con)
        per_duck: dict[str, list[float]] = {label(n, p): [] for n, p in full}
        per_pd: dict[str, list[float]] = {label(n, p): [] for n, p in compared}
        set_duck, set_pd, all_duck = [], [], []
        for _ in range(runs):
            total = total_cmp = 0.0
            for n, p in full:
                t0 = time.perf_counter()
                dbmod.run(n, p, con=con)
                dt = time.perf_counter() - t0
                per_duck[label(n, p)].append(dt)
                total += dt
                if n in PANDAS_TWINS:
                    total_cmp += dt
            all_duck.append(total)
            set_duck.append(total_cmp)
            total_pd = 0.0
            for n, p in compared:
                t0 = time.perf_counter()
                PANDAS_TWINS[n][0](base, **p)
                dt = time.perf_counter() - t0
                per_pd[label(n, p)].append(dt)
                total_pd += dt
            set_pd.append(total_pd)
    finally:
        con.close()
    med = statistics.median
    duck_s, pd_s = med(set_duck), med(set_pd)
    per_query = {}
    for key, times in per_duck.items():
        row = {"duckdb_median_s": med(times)}
        if key in per_pd:
            row["pandas_median_s"] = med(per_pd[key])
            row["pandas_over_duckdb_ratio"] = row["pandas_median_s"] / row["duckdb_median_s"]
        per_query[key] = row
    return {
        "query_set": [label(n, p) for n, p in compared],
        "query_set_runs": runs,
        "query_set_duckdb_median_s": duck_s,
        "query_set_pandas_median_s": pd_s,
        "query_set_pandas_over_duckdb_ratio": pd_s / duck_s,
        "all_queries_duckdb_median_s": med(all_duck),
        "per_query": per_query,
    }


# ---------------------------------------------------------------------------------------------
# Building the databases
def build_kaiping(db: Path) -> float:
    t0 = time.perf_counter()
    result = build_database(db)
    if not result.ok:
        raise RuntimeError("demo build failed: " + "; ".join(p.line() for p in result.problems.errors[:5]))
    return time.perf_counter() - t0


def build_province(db: Path, counties: int = 120) -> dict:
    """Generate the province workbook, read it into raw tables and import it (each step timed)."""
    t0 = time.perf_counter()
    frames = build_province_tables(counties)
    t1 = time.perf_counter()
    tables = tables_from_frames(frames, "省级基准数据")
    t2 = time.perf_counter()
    result = import_tables(tables, db, fresh=True, user="bench", file_name="省级基准数据", meta={"demo": "1"})
    t3 = time.perf_counter()
    if not result.ok:
        raise RuntimeError("province import failed: " + "; ".join(p.line() for p in result.problems.errors[:5]))
    return {
        "counties": counties,
        "towns": result.rows.get("towns"),
        "schools": result.rows.get("schools"),
        "school_year_rows": result.rows.get("school_years"),
        "province_generate_s": t1 - t0,
        "province_read_s": t2 - t1,
        "province_import_s": t3 - t2,
        "province_db_mib": db.stat().st_size / 2**20,
    }


# ---------------------------------------------------------------------------------------------
# The run
def run(
    scale: str = "province",
    *,
    counties: int = 120,
    runs: int = 5,
    pages: bool = True,
    memory: bool = True,
    workdir: Path | None = None,
    log: Callable[[str], None] = lambda s: None,
) -> dict:
    res: dict = {"scale": scale}
    with tempfile.TemporaryDirectory(prefix="edubalance-bench-") as tmp:
        work = Path(workdir or tmp)
        kaiping = work / "kaiping.duckdb"
        log("构建开平演示数据库……")
        res["kaiping_build_s"] = build_kaiping(kaiping)
        if pages:
            log("用 AppTest 逐页计时（开平数据）……")
            res.update(time_pages(kaiping))
        target = kaiping
        if scale == "province":
            target = work / "province.duckdb"
            log(f"生成并导入省级数据（{counties} 个县规模）……")
            res.update(build_province(target, counties))
        log("DuckDB 与 pandas 结果比对……")
        base = load_base(target)
        year = latest_year(target)
        res["year"] = year
        res["equality_checked"] = check_equivalence(target, base, year)
        res["equality_ok"] = True
        log(f"查询集计时（{runs} 次取中位数）……")
        res.update(time_query_set(target, base, year, runs))
        if memory:
            log("启动服务器并加载每一页，测量峰值内存……")
            res.update(server_memory(target))
    res["goals"] = _goals(res)
    res["own_peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return res


def _goals(res: dict) -> dict:
    g = {}
    if "query_set_pandas_over_duckdb_ratio" in res:
        g["query_set_ratio_ge_3"] = (
            res["query_set_pandas_over_duckdb_ratio"] >= GOALS["query_set_pandas_over_duckdb_ratio_min"]
        )
    if "page_warm_max_s" in res:
        g["every_page_under_1s_warm"] = res["page_warm_max_s"] < GOALS["page_warm_max_s"]
    if "province_import_s" in res:
        g["province_import_under_60s"] = res["province_import_s"] < GOALS["province_import_max_s"]
    if "server_peak_rss_mib" in res:
        g["server_peak_under_1gib"] = res["server_peak_rss_mib"] < GOALS["server_peak_rss_max_mib"]
    return g


def _fmt(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 10 else f"{s:.1f} s"


def report(res: dict) -> str:
    lines = [f"基准测试（规模：{res['scale']}，学年 {res.get('year')}）"]
    if "schools" in res:
        lines.append(
            f"省级数据：{res['counties']} 个县规模，{res['towns']} 个镇街，{res['schools']} 所学校，"
            f"{res['school_year_rows']} 行学校年度；生成 {_fmt(res['province_generate_s'])}，"
            f"读入 {_fmt(res['province_read_s'])}，导入 {_fmt(res['province_import_s'])}（目标 < 60 s）"
        )
    if "query_set_pandas_over_duckdb_ratio" in res:
        lines.append(
            f"查询集（{len(res['query_set'])} 个，{res['query_set_runs']} 次中位数）：DuckDB {_fmt(res['query_set_duckdb_median_s'])}，"
            f"pandas {_fmt(res['query_set_pandas_median_s'])}，pandas/DuckDB = {res['query_set_pandas_over_duckdb_ratio']:.2f}（目标 ≥ 3）"
        )
        lines.append(f"  结果一致：{', '.join(res['equality_checked'])}")
        for key, row in res["per_query"].items():
            extra = ""
            if "pandas_median_s" in row:
                extra = f"  pandas {_fmt(row['pandas_median_s'])}  比值 {row['pandas_over_duckdb_ratio']:.2f}"
            lines.append(f"  {key:45s} DuckDB {_fmt(row['duckdb_median_s']):>8s}{extra}")
        lines.append(f"  全部 {len(res['per_query'])} 个查询（DuckDB）合计 {_fmt(res['all_queries_duckdb_median_s'])}")
    if "page_warm_median_s" in res:
        lines.append(f"页面（AppTest，开平数据，预热后 3 次中位数；目标 < 1 s）：最慢 {_fmt(res['page_warm_max_s'])}")
        for k, v in res["page_warm_median_s"].items():
            lines.append(f"  {k:20s} {_fmt(v)}")
        for k, v in res.get("page_exceptions", {}).items():
            lines.append(f"  {k}：页面异常 {v}")
    if "server_peak_rss_mib" in res:
        lines.append(
            f"服务器峰值内存：{res['server_peak_rss_mib']:.0f} MiB（目标 < 1024 MiB；{res['server_peak_rss_method']}）"
        )
        for k, v in res.get("server_page_load_s", {}).items():
            lines.append(f"  {k:20s} 浏览器加载 {_fmt(v)}")
    lines.append("目标：" + "，".join(f"{k} {'达到' if v else '未达到'}" for k, v in res["goals"].items()))
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    log = (lambda s: print(s, file=sys.stderr, flush=True)) if not args.json else (lambda s: None)
    res = run(
        args.scale,
        counties=args.counties,
        runs=args.runs,
        pages=not args.no_pages,
        memory=not args.no_memory,
        log=log,
    )
    if args.json:
        print(json.dumps(_jsonable(res), ensure_ascii=False, indent=2))
    else:
        print(report(res))
    return 0


def _jsonable(x):
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, float):
        return None if math.isnan(x) else round(x, 6)
    if isinstance(x, np.generic):
        return _jsonable(x.item())
    return x
