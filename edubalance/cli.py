"""Command line: python -m edubalance build|check|import|query|export|bench (README.md, 命令行).

``query --format csv`` and ``--format json`` are machine output: cells are written as they are
in the database. Unlike the pages' "下载 CSV" (edubalance.model.safe_text.csv_safe), text that starts
with = + - @ is NOT prefixed with ', so a spreadsheet opening this CSV may run it as a formula.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from edubalance.access import accounts, auth
from edubalance.access.accounts import os_user
from edubalance.access.auth import set_password_cli
from edubalance.ingest import plans
from edubalance.ingest.build import build_database
from edubalance.ingest.checking import check_workbook
from edubalance.ingest.importer import database_problem, import_file, read_or_problems
from edubalance.ingest.preview import preview_tables, summary_lines
from edubalance.ingest.problems import county_label
from edubalance.ingest.restore import restore_backup
from edubalance.store import db as dbmod
from edubalance.store import history
from edubalance.store.paths import db_path
from edubalance.store.private import restrict_umask


def _print_problems(problems) -> None:
    # Grouped under a heading per county when the workbook holds several (Problems.report_lines).
    for line in problems.report_lines():
        print(line)


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
    where = f"（{'、'.join(county_label(c) for c in result.counties)}）" if result.counties else ""
    print(f"已导入 {db}{where}：" + "，".join(f"{k} {v} 行" for k, v in result.rows.items()))
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
    db = db_path(args.db)
    refusal = _database_refusal(db, must_exist=True)
    if refusal:
        print(refusal, file=sys.stderr)
        return 2
    try:
        df = dbmod.run(args.name, params, db=db)
    except dbmod.QueryError as exc:  # CountyRequired (several counties, none given) or an unknown county
        print(str(exc), file=sys.stderr)
        return 2
    except duckdb.Error as exc:
        # e.g. a database written by an older version whose derived tables the app has not
        # refreshed yet: say so in words, never a traceback.
        print(f"查询 {args.name} 未能运行：{type(exc).__name__}: {str(exc)[:300]}", file=sys.stderr)
        return 2
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

    return export_command(args.kind, args.out, year=args.year, db=args.db, town=args.town, county=args.county)


def cmd_plan(args) -> int:
    db = db_path(args.db)
    if not Path(args.file).is_file():
        print(f"找不到文件：{args.file}", file=sys.stderr)
        return 2
    result = plans.import_plan(args.file, db, county=args.county, user=os_user())
    for p in result.problems.items:
        print(p.line(), file=sys.stderr)
    if not result.ok:
        print(f"未上传：{len(result.problems.errors)} 个错误；数据库未改动。", file=sys.stderr)
        return 1
    print(f"已替换 {result.county} 的方案目标登记表：{result.rows} 项。")
    return 0


def cmd_set_password(args) -> int:
    return set_password_cli(args.secrets)


def cmd_bench(args) -> int:
    # why here: devtools is tooling (pandas twins, server launcher, Playwright); only this command
    # may load it, so the running app, which imports nothing from cli's handlers, never does.
    from edubalance.devtools import bench

    return bench.main(args)


# --- accounts and restore: `user …` and `restore …` -------------------------------------------
# Whoever runs these has the server's files in hand, so they act as the operating-system user,
# and the audit log records them under that name (channel 'cli').


def add_account_parsers(sub) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--accounts", help="账号库路径（默认：数据库旁的 accounts.sqlite，或环境变量 EDUBALANCE_ACCOUNTS）"
    )
    common.add_argument("--db", help="数据库路径（用于确定默认账号库位置）")
    p = sub.add_parser("user", help="账号管理：add / list / disable / enable / set-password / unlock")
    users = p.add_subparsers(dest="user_command", required=True)
    q = users.add_parser("add", parents=[common], help="新增账号（密码：终端中输入两次；否则从标准输入读一行）")
    q.add_argument("name")
    q.add_argument("--role", required=True, choices=list(accounts.ROLES))
    q.add_argument("--county", help="数据管理员限定的县级区划代码（6 位）")
    users.add_parser("list", parents=[common], help="列出账号")
    for name, text in (
        ("disable", "停用账号（其已登录会话在下一次操作时结束）"),
        ("enable", "重新启用账号"),
        ("set-password", "重设账号密码"),
        ("unlock", "清除账号的登录尝试记录（解除锁定）"),
    ):
        users.add_parser(name, parents=[common], help=text).add_argument("name")
    p.set_defaults(func=cmd_user)

    p = sub.add_parser("restore", help="列出（--list）或恢复 history/ 中的历史版本")
    p.add_argument("version", nargs="?", help="历史版本文件名（见 restore --list 第一列）")
    p.add_argument("--list", action="store_true", help="列出历史版本：最新在前，制表符分隔")
    p.add_argument("--db")
    p.add_argument("--allow-unverified", action="store_true", help="允许恢复没有校验记录的文件（记入审计日志）")
    p.set_defaults(func=cmd_restore)


def _store(args) -> Path:
    return accounts.store_path(args.accounts, db=args.db)


def cmd_user(args) -> int:
    store = _store(args)
    me = accounts.os_user()
    try:
        if args.user_command == "list":
            frame = accounts.list_accounts(store)
            if frame.empty:
                print("（没有账号）", file=sys.stderr)
            for r in frame.itertuples():
                state = "启用" if r.enabled else "停用"
                lock = "已锁定" if r.locked else f"近期尝试 {r.recent_attempts} 次"
                print("\t".join([r.name, r.role, r.role_zh, r.county or "-", state, lock, r.changed_at]))
            return 0
        if args.user_command in ("add", "set-password"):
            password = auth.read_new_password(prompt=f"账号 {args.name} 的新密码：")
            hashed = auth.make_hash(password)
            if args.user_command == "add":
                account = accounts.add(store, args.name, args.role, hashed, county=args.county, by=me)
                print(f"已新增账号 {account.name}（{account.role_zh}）：{store}")
            else:
                accounts.set_hash(store, args.name, hashed, by=me)
                print(f"已重设账号 {args.name} 的密码。")
            return 0
        if args.user_command in ("disable", "enable"):
            accounts.set_enabled(store, args.name, args.user_command == "enable", by=me)
            print(f"已{'启用' if args.user_command == 'enable' else '停用'}账号 {args.name}。")
            return 0
        if args.user_command == "unlock":
            n = accounts.unlock(store, args.name, by=me)
            print(f"已解除 {args.name} 的锁定（清除 {n} 次尝试记录）。")
            return 0
    except (accounts.AccountError, auth.PasswordError) as exc:
        print(f"未完成：{exc}", file=sys.stderr)
        return 1
    return 2


def cmd_restore(args) -> int:
    db = db_path(args.db)
    if args.list or not args.version:
        frame = history.list_versions(db)
        for r in frame.itertuples():
            print("\t".join([r.version, r.made_at, r.made_by, str(r.size), r.status]))
        used = history.disk_used(db)
        print(
            f"共 {len(frame)} 个历史版本，占用 {used / 1024 / 1024:.1f} MB（{history.history_dir(db)}）",
            file=sys.stderr,
        )
        return 0
    path = history.history_dir(db) / Path(args.version).name
    result = restore_backup(db, path, user=accounts.os_user(), allow_unverified=args.allow_unverified)
    if not result.ok:
        for p in result.problems.errors:
            print(f"拒绝恢复：{p.reason}", file=sys.stderr)
        print("数据库未改动。", file=sys.stderr)
        return 1
    print(f"已恢复为 {path.name}；此前的数据库已保存为新的历史版本。")
    return 0


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
    p.add_argument("--county", help="县级区划代码（6 位）；库中只有一个县时可省略")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("set-password", help="设置“数据管理”的管理员密码（只保存 bcrypt 哈希）")
    p.add_argument("--secrets", help="secrets.toml 路径（默认 .streamlit/secrets.toml）")
    p.set_defaults(func=cmd_set_password)

    add_account_parsers(sub)

    p = sub.add_parser("plan", help="县（市、区）方案目标登记表：plan import FILE --county 6位代码")
    plan_sub = p.add_subparsers(dest="plan_command", required=True)
    q = plan_sub.add_parser("import", help="校验并替换一个县的方案目标登记表（表头同 targets.csv）")
    q.add_argument("file")
    q.add_argument("--county", help="县级区划代码（6位；文件含“县级区划代码”列时可省略）")
    q.add_argument("--db")
    p.set_defaults(func=_guarded(cmd_plan))

    p = sub.add_parser(
        "bench", help="性能基准：查询集 DuckDB 与 pandas 对比、页面、导入、内存（见 docs/ARCHITECTURE.md）"
    )
    p.add_argument("--scale", choices=["kaiping", "province"], default="province")
    p.add_argument("--json", action="store_true", help="以 JSON 输出各项数值")
    p.add_argument(
        "--counties", type=int, default=122, help="省级规模取广东前 N 个县级区划（默认全部 122 个；至少 2 个）"
    )
    p.add_argument("--county", help="单县计时所用的县（6位区划代码；默认学校数居中的县）")
    p.add_argument("--runs", type=int, default=5, help="查询集计时次数（取中位数）")
    p.add_argument("--no-pages", action="store_true", help="不做页面计时")
    p.add_argument("--no-memory", action="store_true", help="不测服务器内存")
    p.set_defaults(func=cmd_bench)

    args = parser.parse_args(argv)

    restrict_umask()  # the database, history and accounts files this run creates: owner only
    return args.func(args)
