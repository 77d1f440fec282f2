"""What a role may do, and the county binding of a 数据管理员.

A county is the first 6 digits of the towns' 12-digit 区划代码. An editor bound to a county may
change data only where the county in play is known to be that one: the live database's towns,
the towns of an uploaded workbook, the towns of a history version. Where no county is known
(an empty database, a workbook without a 镇街 sheet) the binding cannot be checked and does not
block.
"""

from __future__ import annotations

from collections.abc import Iterable

from edubalance.access.accounts import Account


def counties_of(town_codes: Iterable[str]) -> set[str]:
    return {str(c).strip()[:6] for c in town_codes if str(c or "").strip()[:6].isdigit()}


def upload_counties(tables) -> set[str]:
    """Counties named by the 区划代码 column of any uploaded sheet (``ingest.reading.RawTable``s:
    anything with ``headers`` and ``rows``; access sits below ingest and does not import it)."""
    codes: list[str] = []
    for table in tables:
        for i, header in enumerate(table.headers):
            if header == "区划代码":
                codes.extend(row[i] for row in table.rows if i < len(row))
    return counties_of(codes)


def county_refusal(account: Account, counties: set[str] | str | None) -> str | None:
    """A Chinese reason when the account is bound to a county and the data is of another."""
    if account.county is None or not counties:
        return None
    counties = {counties} if isinstance(counties, str) else set(counties)
    other = sorted(counties - {account.county})
    if other:
        return f"账号 {account.name} 仅限县级区划代码 {account.county}，此操作涉及 {'、'.join(other)}，已拒绝。"
    return None


def role_refusal(account: Account | None, action: str) -> str | None:
    """action: 'data' (import, task progress), 'restore' (a whole database version) or 'admin'
    (accounts, audit log)."""
    if account is None:
        return "请先登录。"
    if action == "admin" and not account.is_admin:
        return "仅管理员可以查看账号与审计日志。"
    if action == "restore" and not account.is_admin:
        # A version holds the whole database: restoring it rolls back every county's data,
        # which no county-bound 数据管理员 may decide for the others.
        return "恢复历史版本会回退整个数据库（所有县）的数据，仅管理员可以操作。"
    if action == "data" and not account.may_change_data:
        return "只读账号不能修改数据。"
    return None
