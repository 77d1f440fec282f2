"""What a role may do, and the county binding of a 数据管理员.

A county is the 6-digit adcode: the first 6 digits of a town's 12-digit 区划代码. One database
holds any number of counties. An unbound 数据管理员 (and the 管理员) may change every county's
data; an editor bound to a county imports only a workbook whose counties are exactly theirs
(every sheet: the 区划代码 of towns and schools, the 县级区划代码 column, the county of each
学校标识码 from the workbook's own 学校 sheet or the database), and updates task progress of
their county only. A workbook whose county cannot be told is refused to a bound editor.
Restoring a database version rolls back every county: 管理员 only.
"""

from __future__ import annotations

from collections.abc import Iterable

from edubalance.access.accounts import Account


def counties_of(town_codes: Iterable[str]) -> set[str]:
    return {str(c).strip()[:6] for c in town_codes if str(c or "").strip()[:6].isdigit()}


TOWN_HEADER = "区划代码"  # 12 digits: towns, schools, designations, task progress
COUNTY_HEADER = "县级区划代码"  # 6 digits: 市级年度, 任务进展, 教研员
SCHOOL_HEADER = "学校标识码"


def _column(table, header: str) -> list[str]:
    out: list[str] = []
    for i, name in enumerate(table.headers):
        if name == header:
            out.extend(str(row[i] or "").strip() for row in table.rows if i < len(row))
    return out


def upload_counties(tables, school_county: dict[str, str] | None = None) -> set[str]:
    """Every county an upload touches (``ingest.reading.RawTable``s: anything with ``headers``
    and ``rows``; access sits below ingest and does not import it): the 区划代码 and
    县级区划代码 columns of any sheet, and the county of every 学校标识码 — from the workbook's
    own 学校 rows, else ``school_county`` (school id → county, the database's schools)."""
    codes: list[str] = []
    school_town: dict[str, str] = {}
    for table in tables:
        codes.extend(_column(table, TOWN_HEADER))
        codes.extend(c for c in _column(table, COUNTY_HEADER) if len(c) == 6)
        if getattr(getattr(table, "sheet", None), "key", None) == "schools":
            pairs = zip(_column(table, SCHOOL_HEADER), _column(table, TOWN_HEADER))
            school_town.update((school, town) for school, town in pairs if school and town)
    known = school_county or {}
    for table in tables:
        for school in _column(table, SCHOOL_HEADER):
            if school in school_town:
                codes.append(school_town[school])
            elif school in known:
                codes.append(known[school])
    return counties_of(codes)


def county_refusal(account: Account, counties: set[str] | str | None) -> str | None:
    """A Chinese reason when the account is bound to a county and the data is of another
    (no county known: nothing to check)."""
    if account.county is None or not counties:
        return None
    counties = {counties} if isinstance(counties, str) else set(counties)
    other = sorted(counties - {account.county})
    if other:
        return f"账号 {account.name} 仅限县级区划代码 {account.county}，此操作涉及 {'、'.join(other)}，已拒绝。"
    return None


def import_refusal(account: Account, counties: set[str]) -> str | None:
    """An upload by a bound editor must be exactly of their county: another county, several,
    or none that can be told (``upload_counties`` found nothing) is refused."""
    if account.county is None:
        return None
    if not counties:
        return (
            f"账号 {account.name} 仅限县级区划代码 {account.county}，但无法确定此操作涉及哪个县"
            "（请在工作簿中包含“镇街”或“学校”表，或填写“县级区划代码”），已拒绝。"
        )
    return county_refusal(account, counties)


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
