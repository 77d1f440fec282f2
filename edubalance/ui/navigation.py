"""The page registry: every page of the dashboard, in navigation order."""

from __future__ import annotations

from dataclasses import dataclass

from edubalance.ui import data


@dataclass(frozen=True)
class PageSpec:
    path: str  # script under views/ (not pages/: Streamlit would serve that folder as a v1 multipage app on deep links)
    title: str
    icon: str
    section: str
    url_path: str
    admin_only: bool = False
    multi_county: bool = False  # listed only when the database holds two counties or more


PAGES: tuple[PageSpec, ...] = (
    PageSpec("views/overview.py", "总览", ":material/dashboard:", "看板", "overview"),
    PageSpec("views/counties.py", "县域对比", ":material/stacked_bar_chart:", "分析", "counties", multi_county=True),
    PageSpec("views/map.py", "地图", ":material/map:", "分析", "map"),
    PageSpec("views/compare.py", "镇街对比", ":material/compare_arrows:", "分析", "compare"),
    PageSpec("views/town.py", "镇街详情", ":material/location_city:", "分析", "town"),
    PageSpec("views/balance.py", "义务教育优质均衡", ":material/balance:", "分析", "balance"),
    PageSpec("views/analysis.py", "差距分析", ":material/query_stats:", "分析", "analysis"),
    PageSpec("views/teachers.py", "教师队伍", ":material/school:", "分析", "teachers"),
    PageSpec("views/preschool.py", "学前教育", ":material/child_care:", "分析", "preschool"),
    PageSpec("views/targets.py", "目标进度", ":material/flag:", "目标", "targets"),
    PageSpec("views/export.py", "汇报导出", ":material/co_present:", "汇报", "export"),
    PageSpec("views/methods.py", "方法说明", ":material/menu_book:", "说明", "methods"),
    PageSpec("views/login.py", "登录", ":material/login:", "说明", "login"),
    PageSpec("views/admin.py", "数据管理", ":material/database:", "管理", "admin", admin_only=True),
)


def visible_pages(account, login_required: bool, counties: int | None = None) -> list[PageSpec]:
    """The pages this session may open: data pages for everyone (or, when the deployment
    requires a login, only the login page until someone logs in), 数据管理 for the roles that
    may change data (管理员, 数据管理员), 县域对比 only when the database holds several
    counties (``counties``: how many; None = ask the database)."""
    if account is None and login_required:
        return [p for p in PAGES if p.url_path == "login"]
    may_change = account is not None and account.may_change_data
    if counties is None:
        counties = _county_count()
    return [p for p in PAGES if (may_change or not p.admin_only) and (counties > 1 or not p.multi_county)]


def _county_count() -> int:
    try:
        return len(data.counties())
    except Exception:  # a database the pages cannot read: they show the error themselves
        return 1
