"""The performance benchmark: ``python -m edubalance bench [--scale kaiping|province] [--json]``.

The bars of issue 16 (docs/ARCHITECTURE.md, performance), measured as ratios and times in one run:

1. **Query set, DuckDB vs pandas, province-wide**: the ``county_*`` comparison queries (every
   county in one pass, scope ``''``) for the latest school year (and 小学 and 初中), on one
   read-only connection as the app runs them, against pandas twins grouped by county
   (``twins.PANDAS_TWINS``), computed from the base tables loaded into DataFrames once, untimed.
   The two results are **asserted equal** (same rows; numbers within 1e-9 relative). The ratio
   of the medians of N timed runs is ``query_set_pandas_over_duckdb_ratio`` (bar ≥ 5, goal 10).
   The one-county set (every query of one county's pages with a twin, on the county of median
   size) gives ``county_query_set_ratio``, reported only.
2. **Pages**: every registered page rendered with Streamlit's AppTest on the Kaiping demo, once
   to warm the caches, then three times; the median is the warm time (goal < 1 s).
3. **Import**: the province generator (edubalance.devtools.province, Guangdong's 122 real
   counties) gives all counties but the last as one workbook, imported through
   ``importer.import_tables(fresh=True)``; the last county, generated on its own, is then
   imported into that database by the normal path → ``county_import_s`` (bar < 5 s, goal 2 s),
   and once more with ``replace_years`` → ``county_replace_s``.
4. **Server** (province scale): the real server (``streamlit run app.py``) on the province
   database; headless Chromium (Playwright on the Debian ``/usr/bin/chromium``) loads every
   viewer page once with ``?county=<that county>`` and 县域对比 at province scope, each first
   load timed until the script run has finished and every chart is drawn →
   ``server_page_load_s`` (bar < 3 s, goal 1 s); then the server's peak resident set
   (``VmHWM``) → ``server_peak_rss_mib`` (bar < 1 GiB). Without Chromium the pages are
   rendered with AppTest in a child process and its ``ru_maxrss`` is reported instead.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from edubalance.devtools.page_timing import server_memory, time_pages
from edubalance.devtools.province import build_province_tables, province_adcodes
from edubalance.devtools.twins import PANDAS_TWINS, assert_frames_equal, county_base, load_base
from edubalance.ingest.build import build_database
from edubalance.ingest.importer import import_tables
from edubalance.ingest.reading import tables_from_frames
from edubalance.store import db as dbmod
from edubalance.store.paths import ROOT

BENCH_STAGES = ("小学", "初中")
QUERY_PARAMS = {"year", "stage", "county"}  # the per-county set: one county's pages' queries
PROVINCE_PARAMS = {"year", "stage", "scope"}  # the province-wide set: the county_* comparisons
PROVINCE_SCOPE = ""  # every county of the database
KAIPING = "440783"  # the demo's county
GOALS = {
    "query_set_pandas_over_duckdb_ratio_min": 5.0,
    "query_set_pandas_over_duckdb_ratio_goal": 10.0,
    "page_warm_max_s": 1.0,
    "server_page_load_max_s": 3.0,
    "server_page_load_goal_s": 1.0,
    "county_import_max_s": 5.0,
    "county_import_goal_s": 2.0,
    "server_peak_rss_max_mib": 1024.0,
}


# ---------------------------------------------------------------------------------------------
# The query sets and the equality check
def latest_year(db: Path, county: str | None = None) -> int:
    """The latest school year of one county, or of any county in the database."""
    if county:
        return int(dbmod.run("school_years_available", {"county": county}, db=db)["year"].max())
    return int(dbmod.run("county_list", db=db)["last_year"].max())


def _declared(name: str) -> list[str]:
    return [p[0] for p in dbmod.load_query(name).params]


def _combos(name: str, year: int, fixed: dict) -> list[dict]:
    """The parameter sets a page runs: the latest year; each of 小学 and 初中 when the stage is
    required (an optional stage left out means both stages in one result)."""
    q = dbmod.load_query(name)
    declared = [p[0] for p in q.params]
    combos = [{k: v for k, v in fixed.items() if k in declared}]
    if "year" in declared:
        combos = [dict(c, year=year) for c in combos]
    if "stage" in declared and "stage" not in q.optional:
        combos = [dict(c, stage=s) for c in combos for s in BENCH_STAGES]
    return combos


def query_set(year: int, names: list[str] | None = None, *, county: str | None = None) -> list[tuple[str, dict]]:
    """(name, params) for every named query of one county's pages: its parameters are only
    year, stage and county (county given when the query declares it and `county` is set)."""
    out = []
    for name in names or dbmod.list_queries():
        declared = _declared(name)
        if not set(declared) <= QUERY_PARAMS:
            continue
        out += [(name, c) for c in _combos(name, year, {"county": county} if county else {})]
    return out


def province_set(year: int, names: list[str] | None = None) -> list[tuple[str, dict]]:
    """(name, params) of the province-wide comparisons: the county_* queries, all counties at once."""
    out = []
    for name in names or dbmod.list_queries():
        declared = _declared(name)
        if not name.startswith("county_") or not set(declared) <= PROVINCE_PARAMS:
            continue
        out += [(name, c) for c in _combos(name, year, {"scope": PROVINCE_SCOPE})]
    return out


def label(name: str, params: dict) -> str:
    shown = {k: v for k, v in params.items() if k != "scope" or v}
    return name + ("(" + ",".join(f"{k}={v}" for k, v in sorted(shown.items())) + ")" if shown else "")


def run_twin(name: str, base: dict, params: dict):
    """The pandas twin of a query with the same parameters; a county restricts the base tables
    first (inside the timing: the SQL filters too)."""
    p = dict(params)
    county = p.pop("county", None)
    if county:
        base = county_base(base, county)
    return PANDAS_TWINS[name][0](base, **p)


def _compared(items: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    return [(n, p) for n, p in items if n in PANDAS_TWINS]


def check_equivalence(
    db: Path, base: dict | None = None, year: int | None = None, *, county: str | None = None, province: bool = False
) -> list[str]:
    """Run every query of the set that has a pandas twin both ways and assert the results equal:
    one county's set (`county`, or the database's only county), or the province-wide set."""
    base = base if base is not None else load_base(db)
    year = year if year is not None else latest_year(db, county)
    items = province_set(year) if province else query_set(year, county=county)
    checked = []
    con = dbmod.connect(db)
    try:
        for name, params in _compared(items):
            sql = dbmod.run(name, params, con=con)
            assert_frames_equal(sql, run_twin(name, base, params), PANDAS_TWINS[name][1], label(name, params))
            checked.append(label(name, params))
    finally:
        con.close()
    return checked


def time_query_set(
    db: Path,
    base: dict,
    year: int,
    runs: int = 5,
    *,
    everything: bool = True,
    county: str | None = None,
    province: bool = False,
) -> dict:
    """Medians of `runs` timed runs: the compared set both ways, and (with `everything`) every
    other query of the set in DuckDB too. The set is one county's (`county`) or the province-wide
    county_* set (`province`)."""
    full = province_set(year) if province else query_set(year, county=county)
    compared = _compared(full)
    if not compared:
        raise RuntimeError("查询集中没有可与 pandas 对照的查询")
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
                run_twin(n, base, p)
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


def query_figures(db: Path, county: str, runs: int) -> dict:
    """Equality checks and timings of the province-wide set and of one county's set."""
    base = load_base(db)
    year = latest_year(db, county)
    res = {
        "year": year,
        "equality_checked": check_equivalence(db, base, year, province=True),
        "county_equality_checked": check_equivalence(db, base, year, county=county),
        "equality_ok": True,
    }
    res.update(time_query_set(db, base, year, runs, province=True))
    one = time_query_set(db, base, year, runs, county=county, everything=False)
    res["county_query_set"] = one["query_set"]
    res["county_query_set_duckdb_median_s"] = one["query_set_duckdb_median_s"]
    res["county_query_set_pandas_median_s"] = one["query_set_pandas_median_s"]
    res["county_query_set_ratio"] = one["query_set_pandas_over_duckdb_ratio"]
    return res


def query_figures_in_child(db: Path, county: str, runs: int) -> dict:
    """``query_figures`` in a fresh Python process, so that neither side's timing depends on
    the 1.3–1.5 GiB heap the generator and the bulk import leave in the bench's own process:
    both start from a clean process, as the app's does. A failed equality check fails the
    child and the bench."""
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from edubalance.devtools.bench import query_figures, _jsonable\n"
        "print(json.dumps(_jsonable(query_figures(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(db), county, str(runs)], cwd=ROOT, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise RuntimeError("查询集子进程失败：\n" + out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def mid_county(db: Path) -> str:
    """The county of median school count (ties by adcode): the per-county figures' county."""
    con = dbmod.connect(db)
    try:
        rows = con.execute(
            "SELECT substr(town_code, 1, 6) AS county, count(*) AS n FROM schools GROUP BY ALL ORDER BY n, county"
        ).fetchall()
    finally:
        con.close()
    return rows[len(rows) // 2][0]


# ---------------------------------------------------------------------------------------------
# Building the databases
def build_kaiping(db: Path) -> float:
    t0 = time.perf_counter()
    result = build_database(db)
    if not result.ok:
        raise RuntimeError("demo build failed: " + "; ".join(p.line() for p in result.problems.errors[:5]))
    return time.perf_counter() - t0


def _import(tables, db: Path, what: str, **kw):
    result = import_tables(tables, db, user="bench", file_name=what, meta={"demo": "1"}, **kw)
    if not result.ok:
        raise RuntimeError(f"{what} import failed: " + "; ".join(p.line() for p in result.problems.errors[:5]))
    return result


def build_province(db: Path, counties: int = 122) -> dict:
    """The province in two steps, each timed: the first `counties` − 1 counties as one workbook
    through ``import_tables(fresh=True)`` (the bulk path: one history entry), then the last
    county generated on its own and imported into that database by the normal path (copy,
    validation, apply, derived rebuild, swap) → ``county_import_s``; then the same workbook
    again with ``replace_years`` → ``county_replace_s``."""
    if counties < 2:
        raise ValueError("省级规模至少 2 个县（批量导入 n−1 个，再单独导入 1 个）")
    counties = min(counties, len(province_adcodes()))
    t0 = time.perf_counter()
    frames = build_province_tables(counties - 1)
    t1 = time.perf_counter()
    tables = tables_from_frames(frames, "省级基准数据")
    del frames  # the text frames are copied into the raw tables: free them before the import
    t2 = time.perf_counter()
    bulk = _import(tables, db, "省级基准数据", fresh=True)
    t3 = time.perf_counter()
    bulk_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    del tables
    last = province_adcodes()[counties - 1]
    one = tables_from_frames(build_province_tables(only=[counties - 1]), f"县级基准数据{last}")
    t4 = time.perf_counter()
    single = _import(one, db, f"县级基准数据{last}")
    t5 = time.perf_counter()
    _import(one, db, f"县级基准数据{last}", replace_years=True)
    t6 = time.perf_counter()
    return {
        "counties": counties,
        "towns": bulk.rows.get("towns", 0) + single.rows.get("towns", 0),
        "schools": bulk.rows.get("schools", 0) + single.rows.get("schools", 0),
        "school_year_rows": bulk.rows.get("school_years", 0) + single.rows.get("school_years", 0),
        "province_generate_s": t1 - t0,
        "province_read_s": t2 - t1,
        "province_import_s": t3 - t2,
        "province_import_peak_rss_mib": bulk_rss,
        "county_imported": last,
        "county_import_s": t5 - t4,
        "county_replace_s": t6 - t5,
        "province_db_mib": db.stat().st_size / 2**20,
    }


# ---------------------------------------------------------------------------------------------
# The run
def run(
    scale: str = "province",
    *,
    counties: int = 122,
    runs: int = 5,
    pages: bool = True,
    memory: bool = True,
    county: str | None = None,
    workdir: Path | None = None,
    log: Callable[[str], None] = lambda s: None,
) -> dict:
    """The whole benchmark; `county`: the county of the per-county figures (default: the
    county of median school count)."""
    check_county(scale, counties, county)
    res: dict = {"scale": scale}
    with tempfile.TemporaryDirectory(prefix="edubalance-bench-") as tmp:
        work = Path(workdir or tmp)
        kaiping = work / "kaiping.duckdb"
        log("构建开平演示数据库……")
        res["kaiping_build_s"] = build_kaiping(kaiping)
        if pages:
            log("用 AppTest 逐页计时（开平数据）……")
            res.update(time_pages(kaiping))
        if scale == "province":
            target = work / "province.duckdb"
            log(f"生成并导入省级数据（{counties} 个县）……")
            res.update(build_province(target, counties))
            county = county or mid_county(target)
            res["county"] = county
            log("DuckDB 与 pandas 结果比对、查询集计时（全省各县、单县；子进程）……")
            res.update(query_figures_in_child(target, county, runs))
            if memory:
                log("启动服务器，在 Chromium 中逐页首次加载，测量峰值内存……")
                res.update(server_memory(target, county, port=_port()))
        else:
            log("DuckDB 与 pandas 结果比对……")
            base = load_base(kaiping)
            year = latest_year(kaiping)
            res["year"] = year
            res["equality_checked"] = check_equivalence(kaiping, base, year)
            res["equality_ok"] = True
            log(f"查询集计时（{runs} 次取中位数）……")
            res.update(time_query_set(kaiping, base, year, runs))
            if memory:
                log("启动服务器并加载每一页，测量峰值内存……")
                res.update(server_memory(kaiping, port=_port()))
    res["goals_set"] = GOALS
    res["goals"] = _goals(res)
    res["own_peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return res


def _port() -> int | None:
    """$EDUBALANCE_BENCH_PORT for the server (a shared machine hands out ports); else a free one."""
    text = os.environ.get("EDUBALANCE_BENCH_PORT", "")
    return int(text) if text.isdigit() else None


def check_county(scale: str, counties: int, county: str | None) -> None:
    """ValueError (exit 2) for a --county the run will not hold, before anything is built."""
    if county is None:
        return
    held = province_adcodes()[: max(counties, 2)] if scale == "province" else [KAIPING]
    if county not in held:
        shown = "、".join(held[:5]) + ("……" if len(held) > 5 else "")
        raise ValueError(f"基准数据中没有县级区划代码 {county!r}；可选：{shown}")


def _goals(res: dict) -> dict:
    """Bar met (True/False) per measured figure; ``*_goal`` entries the stricter goal."""
    g = {}
    if "query_set_pandas_over_duckdb_ratio" in res:
        ratio = res["query_set_pandas_over_duckdb_ratio"]
        g["query_set_ratio_ge_5"] = ratio >= GOALS["query_set_pandas_over_duckdb_ratio_min"]
        g["query_set_ratio_ge_10_goal"] = ratio >= GOALS["query_set_pandas_over_duckdb_ratio_goal"]
    if "page_warm_max_s" in res:
        g["every_page_under_1s_warm"] = res["page_warm_max_s"] < GOALS["page_warm_max_s"]
    if res.get("server_page_load_s"):
        slowest = max(res["server_page_load_s"].values())
        g["every_page_first_load_under_3s"] = slowest < GOALS["server_page_load_max_s"]
        g["every_page_first_load_under_1s_goal"] = slowest < GOALS["server_page_load_goal_s"]
    if "county_import_s" in res:
        g["county_import_under_5s"] = res["county_import_s"] < GOALS["county_import_max_s"]
        g["county_import_under_2s_goal"] = res["county_import_s"] < GOALS["county_import_goal_s"]
    if "server_peak_rss_mib" in res:
        g["server_peak_under_1gib"] = res["server_peak_rss_mib"] < GOALS["server_peak_rss_max_mib"]
    return g


def _fmt(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 10 else f"{s:.1f} s"


def report(res: dict) -> str:
    lines = [f"基准测试（规模：{res['scale']}，学年 {res.get('year')}）"]
    if "schools" in res:
        lines.append(
            f"省级数据：{res['counties']} 个县，{res['towns']} 个镇街，{res['schools']} 所学校，"
            f"{res['school_year_rows']} 行学校年度，{res['province_db_mib']:.0f} MiB；前 {res['counties'] - 1} 个县"
            f"生成 {_fmt(res['province_generate_s'])}，读入 {_fmt(res['province_read_s'])}，"
            f"批量导入 {_fmt(res['province_import_s'])}（进程峰值内存 {res['province_import_peak_rss_mib']:.0f} MiB）"
        )
        lines.append(
            f"单县导入（{res['county_imported']}，常规路径）：{_fmt(res['county_import_s'])}（目标 < 5 s，力争 2 s）；"
            f"替换该县学年（--replace-years）：{_fmt(res['county_replace_s'])}"
        )
    if "query_set_pandas_over_duckdb_ratio" in res:
        scope = "全省各县一次算完" if res["scale"] == "province" else "开平"
        lines.append(
            f"查询集（{scope}；{len(res['query_set'])} 个，{res['query_set_runs']} 次中位数）："
            f"DuckDB {_fmt(res['query_set_duckdb_median_s'])}，pandas {_fmt(res['query_set_pandas_median_s'])}，"
            f"pandas/DuckDB = {res['query_set_pandas_over_duckdb_ratio']:.2f}（目标 ≥ 5，力争 10）"
        )
        lines.append(f"  结果一致：{', '.join(res['equality_checked'])}")
        for key, row in res["per_query"].items():
            extra = ""
            if "pandas_median_s" in row:
                extra = f"  pandas {_fmt(row['pandas_median_s'])}  比值 {row['pandas_over_duckdb_ratio']:.2f}"
            lines.append(f"  {key:45s} DuckDB {_fmt(row['duckdb_median_s']):>8s}{extra}")
        lines.append(f"  全部 {len(res['per_query'])} 个查询（DuckDB）合计 {_fmt(res['all_queries_duckdb_median_s'])}")
    if "county_query_set_ratio" in res:
        lines.append(
            f"单县查询集（{res['county']}；{len(res['county_query_set'])} 个）：DuckDB "
            f"{_fmt(res['county_query_set_duckdb_median_s'])}，pandas {_fmt(res['county_query_set_pandas_median_s'])}，"
            f"pandas/DuckDB = {res['county_query_set_ratio']:.2f}（仅报告）"
        )
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
        if "server_warmup_s" in res:
            lines.append(f"  服务器启动后第一个会话（登录页，不计入页面）{_fmt(res['server_warmup_s'])}")
        again = res.get("server_page_reload_s", {})
        for k, v in res.get("server_page_load_s", {}).items():
            extra = f"；再次加载 {_fmt(again[k])}" if k in again else ""
            lines.append(f"  {k:30s} 浏览器首次加载 {_fmt(v)}（目标 < 3 s，力争 1 s）{extra}")
    lines.append("目标：" + "，".join(f"{k} {'达到' if v else '未达到'}" for k, v in res["goals"].items()))
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    log = (lambda s: print(s, file=sys.stderr, flush=True)) if not args.json else (lambda s: None)
    county = getattr(args, "county", None)
    try:
        check_county(args.scale, args.counties, county)
        if args.scale == "province" and args.counties < 2:
            raise ValueError("省级规模至少 2 个县（--counties ≥ 2）")
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    res = run(
        args.scale,
        counties=args.counties,
        runs=args.runs,
        pages=not args.no_pages,
        memory=not args.no_memory,
        county=county,
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
