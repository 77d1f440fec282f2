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
    PageSpec("pages/balance.py", "义务教育优质均衡", ":material/balance:", "分析", "balance"),
    PageSpec("pages/methods.py", "方法说明", ":material/menu_book:", "说明", "methods"),
)
