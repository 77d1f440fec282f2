"""Command line for accounts and restore: `python -m edubalance user …` and `restore …`.

Whoever runs these commands has the server's files in hand, so they act as the operating-system
user, and the audit log records them under that name (channel 'cli').
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from edubalance.access import accounts, auth
from edubalance.ingest.restore import restore_backup
from edubalance.store import history
from edubalance.store.paths import db_path


def add_parsers(sub, cmd_user, cmd_restore) -> None:
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


def user_command(args) -> int:
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


def restore_command(args) -> int:
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
