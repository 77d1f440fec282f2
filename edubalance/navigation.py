"""The page registry: every page of the dashboard, in navigation order."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    path: str  # script under pages/
    title: str
    icon: str
    section: str
    url_path: str
    admin_only: bool = False


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/overview.py", "总览", ":material/dashboard:", "看板", "overview"),
    PageSpec("pages/map.py", "地图", ":material/map:", "分析", "map"),
    PageSpec("pages/compare.py", "镇街对比", ":material/compare_arrows:", "分析", "compare"),
    PageSpec("pages/town.py", "镇街详情", ":material/location_city:", "分析", "town"),
    PageSpec("pages/balance.py", "义务教育优质均衡", ":material/balance:", "分析", "balance"),
    PageSpec("pages/analysis.py", "差距分析", ":material/query_stats:", "分析", "analysis"),
    PageSpec("pages/teachers.py", "教师队伍", ":material/school:", "分析", "teachers"),
    PageSpec("pages/preschool.py", "学前教育", ":material/child_care:", "分析", "preschool"),
    PageSpec("pages/targets.py", "目标进度", ":material/flag:", "目标", "targets"),
    PageSpec("pages/export.py", "汇报导出", ":material/co_present:", "汇报", "export"),
    PageSpec("pages/methods.py", "方法说明", ":material/menu_book:", "说明", "methods"),
    PageSpec("pages/login.py", "管理员登录", ":material/login:", "说明", "login"),
    PageSpec("pages/admin.py", "数据管理", ":material/database:", "管理", "admin", admin_only=True),
)
