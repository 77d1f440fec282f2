"""Command line: python -m edubalance build|check|import|query|export|bench (README.md, 命令行).

``query --format csv`` and ``--format json`` are machine output: cells are written as they are
in the database. Unlike the pages' "下载 CSV" (edubalance.model.safe_text.csv_safe), text that starts
with = + - @ is NOT prefixed with ', so a spreadsheet opening this CSV may run it as a formula.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from edubalance.access.accounts import os_user
from edubalance.access.auth import set_password_cli
from edubalance.access.commands import add_parsers, restore_command, user_command
from edubalance.ingest.build import build_database
from edubalance.ingest.checking import check_workbook
from edubalance.ingest.importer import database_problem, import_file, read_or_problems
from edubalance.ingest.preview import preview_tables, summary_lines
from edubalance.store import db as dbmod
from edubalance.store.paths import db_path
from edubalance.store.private import restrict_umask


def _print_problems(problems) -> None:
    for p in problems.items:
        print(p.line())


def cmd_build(args) -> int:
    db = db_path(args.db)
    result = build_database(db, workbook=args.source, user=os_user())
    if not result.ok:
        _print_problems(result.problems)
        print(f"构建失败：{len(result.problems.errors)} 个错误；数据库未改动。", file=sys.stderr)
        return 1
    print(f"已构建 {db}：" + "，".join(f"{k} {v} 行" for k, v in result.rows.items()))
    return 0


def _database_refusal(db, *, must_exist: bool) -> str | None:
    """Why --db cannot be used, in Chinese (None when it can)."""
    if must_exist and not db.exists():
        return f"数据库文件不存在：{db}；请先运行 python -m edubalance build --db {db}（或 build --from 工作簿）"
    return database_problem(db)


def _guarded(command):
    """No traceback reaches a clerk: an unexpected failure becomes a Chinese message and exit 1.
    The importer never writes the live file in place, so the database is unchanged."""

    def run(args) -> int:
        try:
            return command(args)
        except KeyboardInterrupt:
            print("已中断；数据库未改动。", file=sys.stderr)
            return 1
        except Exception as exc:  # noqa: BLE001 - the last line of defence, reported in words
            print(f"处理失败（意外错误：{type(exc).__name__}: {str(exc)[:300]}）；数据库未改动。", file=sys.stderr)
            return 1

    return run


def cmd_dry_run(args) -> int:
    """import --dry-run: every problem, then what the import would change; nothing is written."""
    db = db_path(args.db)
    refusal = _database_refusal(db, must_exist=True)
    if refusal:
        print(f"[错误] {refusal}")
        return 1
    tables, problems = read_or_problems(Path(args.workbook))
    if not problems.errors:
        pv = preview_tables(tables, db, replace_years=args.replace_years)
        problems = pv.problems
    _print_problems(problems)
    errors, warnings = problems.total("错误"), problems.total("警告")
    if errors:
        print(f"预演：导入会被拒绝，共 {errors} 个错误、{warnings} 个疑点（警告）；数据库未改动。", file=sys.stderr)
        return 1
    for line in summary_lines(pv):
        print(line)
    print(f"预演通过（{warnings} 个疑点）：去掉 --dry-run 即按上述内容导入。")
    return 0


def cmd_check(args) -> int:
    # Validation, then geometry findings (coordinates outside the county or far from the
    # town's zone) and data-quality findings (empty optional cells, year-on-year jumps,
    # schools that vanish, totals that disagree): those are warnings, never a reason to fail.

    db = Path(args.db) if getattr(args, "db", None) else None
    if db is not None:
        refusal = _database_refusal(db, must_exist=True)
        if refusal:
            print(f"[错误] {refusal}")
            return 1
    problems = check_workbook(args.workbook, db)
    _print_problems(problems)
    if problems.errors:
        print(f"共 {problems.total('错误')} 个错误、{problems.total('警告')} 个警告。", file=sys.stderr)
        return 1
    print(f"校验通过（{problems.total('警告')} 个警告）。")
    return 0


def cmd_import(args) -> int:
    if args.dry_run:
        return cmd_dry_run(args)
    db = db_path(args.db)
    refusal = _database_refusal(db, must_exist=True)
    if refusal:
        print(f"[错误] {refusal}")
        print("导入被拒绝；数据库未改动。", file=sys.stderr)
        return 1

    result = import_file(args.workbook, db, replace_years=args.replace_years, user=args.user or os_user())
    _print_problems(result.problems)
    if not result.ok:
        print(f"导入被拒绝：{result.problems.total('错误')} 个错误；数据库未改动。", file=sys.stderr)
        return 1
    print(f"已导入 {db}：" + "，".join(f"{k} {v} 行" for k, v in result.rows.items()))
    return 0


def cmd_query(args) -> int:
    params = {}
    for item in args.param:
        if "=" not in item:
            print(f"参数格式应为 key=value：{item}", file=sys.stderr)
            return 2
        k, v = item.split("=", 1)
        params[k.strip()] = v.strip()
    try:
        q = dbmod.load_query(args.name)
        dbmod.coerce_params(q, params)
    except dbmod.QueryError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    df = dbmod.run(args.name, params, db=db_path(args.db))
    if args.format == "json":
        sys.stdout.write(df.to_json(orient="records", force_ascii=False, date_format="iso"))
        sys.stdout.write("\n")
    else:
        sys.stdout.write(df.to_csv(index=False, lineterminator="\n"))
    return 0


def cmd_export(args) -> int:
    # why here: python-pptx, plotly and Kaleido's map stack double the start-up of every other
    # command (query, build, import: 0.6 s → 1.2 s), and `query` is called in loops by scripts.
    from edubalance.report.export import export_command

    return export_command(args.kind, args.out, year=args.year, db=args.db, town=args.town)


def cmd_set_password(args) -> int:
    return set_password_cli(args.secrets)


def cmd_user(args) -> int:
    return user_command(args)


def cmd_restore(args) -> int:
    return restore_command(args)


def cmd_bench(args) -> int:
    # why here: devtools is tooling (pandas twins, server launcher, Playwright); only this command
    # may load it, so the running app, which imports nothing from cli's handlers, never does.
    from edubalance.devtools import bench

    return bench.main(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edubalance", description="城乡教育均衡监测看板 命令行")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build", help="由演示数据配方（或 --from 工作簿）构建数据库")
    p.add_argument("--db")
    p.add_argument("--from", dest="source", help="工作簿（.xlsx / .csv / CSV 文件夹）")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("check", help="只校验工作簿，列出全部问题")
    p.add_argument("workbook")
    p.add_argument("--db", help="同时对照该数据库校验（学校、镇街引用）")
    p.set_defaults(func=_guarded(cmd_check))

    p = sub.add_parser("import", help="校验并原子导入工作簿")
    p.add_argument("workbook")
    p.add_argument("--db")
    p.add_argument("--replace-years", action="store_true", help="替换数据库中已有的学年")
    p.add_argument("--user", default=None, help="记入导入日志的操作人（默认：操作系统用户名）")
    p.add_argument("--dry-run", action="store_true", help="只预演：列出问题和导入将带来的变化，不写入")
    p.set_defaults(func=_guarded(cmd_import))

    p = sub.add_parser("query", help="运行 queries/ 中的命名查询")
    p.add_argument("name")
    p.add_argument("--db")
    p.add_argument("--param", action="append", default=[])
    p.add_argument("--format", choices=["csv", "json"], default="csv")
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("export", help="导出汇报 PPT（--town 为镇街简报）或全部表格的 Excel 工作簿")
    p.add_argument("kind", choices=["pptx", "xlsx"])
    p.add_argument("--year", type=int, help="学年（起始年）；默认为库中最近的学年")
    p.add_argument("--out", required=True)
    p.add_argument("--db")
    p.add_argument("--town", help="区划代码：导出该镇街的简报（仅 pptx）")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("set-password", help="设置“数据管理”的管理员密码（只保存 bcrypt 哈希）")
    p.add_argument("--secrets", help="secrets.toml 路径（默认 .streamlit/secrets.toml）")
    p.set_defaults(func=cmd_set_password)

    add_parsers(sub, cmd_user, cmd_restore)

    p = sub.add_parser(
        "bench", help="性能基准：查询集 DuckDB 与 pandas 对比、页面、导入、内存（见 docs/ARCHITECTURE.md）"
    )
    p.add_argument("--scale", choices=["kaiping", "province"], default="province")
    p.add_argument("--json", action="store_true", help="以 JSON 输出各项数值")
    p.add_argument("--counties", type=int, default=120, help="省级规模的县数（默认 120）")
    p.add_argument("--runs", type=int, default=5, help="查询集计时次数（取中位数）")
    p.add_argument("--no-pages", action="store_true", help="不做页面计时")
    p.add_argument("--no-memory", action="store_true", help="不测服务器内存")
    p.set_defaults(func=cmd_bench)

    args = parser.parse_args(argv)

    restrict_umask()  # the database, history and accounts files this run creates: owner only
    return args.func(args)
