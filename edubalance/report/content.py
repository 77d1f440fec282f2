"""The content of the meeting outputs, independent of how it is drawn.

A deck is a list of ``Section`` objects (title, one-line conclusion, bullets, a display table,
chart specifications, the map figure), built from the named queries only:
``report.sections.deck_sections`` for the meeting deck, ``report.town_brief.town_sections`` for
a town brief. ``report.deck.render_pptx`` writes sections as slides; the 汇报导出 page shows the
same sections in presentation mode, so the deck and the screen never disagree.

This module holds the content model, the dataset context every slide's frame names, and the
small registry lookups the section builders share.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from edubalance.geo.outline import county_name
from edubalance.metrics import progress
from edubalance.model import registry
from edubalance.model.format import format_number, is_missing
from edubalance.report.fetch import Fetch

# Words that put a target on a slide's list: final misses, the wrong way, too slow (the words
# and their severity come from progress, so the deck says what 目标进度 says).
BEHIND = (progress.LATE, progress.OVERDUE, progress.OFF_TRACK, progress.ACCELERATE)
COMPULSORY = ("小学", "初中")
BALANCE_GROUP = "义务教育优质均衡（资源配置）"
CMP_SYMBOL = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}


@dataclass
class ChartSpec:
    """A bar chart: categories × named series, with where its values came from."""

    source: str  # "query|param=value|…|column": the query result the values equal
    title: str
    categories: list[str]
    series: dict[str, list[float | None]]
    # Format spec of the values (model.format: the same string in Python and d3); the native
    # chart's Excel number format derives from it.
    value_format: str = ",.2f"
    horizontal: bool = True
    stacked: bool = False
    bad: list[bool] | None = None  # single series: points drawn in the warning colour
    reference: float | None = None  # a standard or cap, named in the title
    reference_label: str = ""
    description: str = ""

    def frame(self) -> pd.DataFrame:
        """The chart's data as a table (category column plus one column per series)."""
        df = pd.DataFrame({"类别": self.categories})
        for name, values in self.series.items():
            df[name] = values
        return df


@dataclass
class Section:
    """One slide of the deck, one screen of presentation mode."""

    key: str
    title: str
    subtitle: str = ""
    bullets: list[str] = field(default_factory=list)
    table: pd.DataFrame | None = None  # display strings, Chinese headers
    table_bad: list[bool] | None = None  # rows shown in the warning colour
    charts: list[ChartSpec] = field(default_factory=list)
    figure: object | None = None  # plotly figure (the map), drawn as a picture in the deck
    figure_note: str = ""
    source: str = ""
    kind: str = "content"  # "title" for the title slide


@dataclass
class DeckContext:
    year: int
    county: str
    county_code: str
    is_demo: bool
    last_import: str
    first_year: int | None
    last_year: int | None


def county_title(code: str) -> str:
    """The county's name from the outline package; the code itself when unavailable."""
    try:
        return county_name(code)
    except Exception:  # noqa: BLE001 — a missing outline must not stop a meeting deck
        return f"县（市、区）{code}"


def context(fetch: Fetch, year: int) -> DeckContext:
    info = fetch("dataset_info").iloc[0].to_dict()
    code = str(info.get("county_code") or "")
    last = info.get("last_import")
    last_text = "—" if is_missing(last) else pd.Timestamp(last).strftime("%Y-%m-%d %H:%M")
    return DeckContext(
        year=year,
        county=county_title(code) if code else "本县（市、区）",
        county_code=code,
        is_demo=bool(info.get("is_demo")),
        last_import=last_text,
        first_year=None if is_missing(info.get("first_year")) else int(info["first_year"]),
        last_year=None if is_missing(info.get("last_year")) else int(info["last_year"]),
    )


# --- registry lookups the section builders share -------------------------------------------------


def as_float(v) -> float | None:
    """A cell as a float (None when missing): chart series and comparisons."""
    return None if is_missing(v) else float(v)


def short_names() -> dict[str, str]:
    """Indicator key → its short name (the full name where the registry has none)."""
    ind = registry.indicators()
    return dict(zip(ind["key"], ind["short_zh"].where(ind["short_zh"] != "", ind["name_zh"])))


def standard_text(key: str, scopes: tuple[str, ...] | None = None) -> str:
    """An indicator's standards as one line ("≥4.20；初中≥5.30")."""
    st = registry.standards()
    rows = st[st["indicator_key"] == key]
    if scopes:
        rows = rows[rows["scope"].isin(scopes)]
    ind = registry.indicators()
    unit = ind.loc[ind["key"] == key, "unit"]
    unit = unit.iloc[0] if len(unit) else None
    return "；".join(
        f"{'' if r.scope == '全市' else r.scope}{CMP_SYMBOL.get(r.comparator, r.comparator)}"
        f"{format_number(r.value, unit)}"
        for r in rows.itertuples()
    )


def list_text(names: list[str], limit: int = 8) -> str:
    if not names:
        return "无"
    return "、".join(names[:limit]) + (f" 等 {len(names)} 个" if len(names) > limit else "")


def balance_keys() -> list[str]:
    """The seven 资源配置 indicators of 优质均衡, in registry order."""
    ind = registry.indicators()
    return ind.loc[ind["group_zh"] == BALANCE_GROUP, "key"].tolist()
