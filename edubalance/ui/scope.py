"""Which counties a page looks at: the province, a city (4-digit adcode) or one county (6 digits).

The scope lives in the URL (``?city=4407&county=440783``; absent = the province) and, within
one browser session, in ``st.session_state``: Streamlit's navigation drops the query string
when it switches pages, and a city bureau should not pick its county again on every page.
A value is used only when it is one of the counties (or their cities) in the database
(``county_list``); anything else is dropped from the URL and never shown.

With one county in the database there is nothing to choose: no widget, nothing written to the
URL, and ``county()`` is that county. Every county page starts with ``require_county()``; the
county comparison page (县域对比) and the 总览 of a city or the province call ``select()`` and
read ``area_prefix()`` (the city, or '' for the province) for the ``county_*`` queries.
The state itself (county list, URL and session) is resolved in ``ui.data``, whose queries need
it; this module holds the widgets.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitAPIException

from edubalance.ui import data

_CITY_KEY = "scope_city"
_COUNTY_KEY = "scope_county"
_PICK_KEY = "scope_pick"
COUNTIES_PAGE = "views/counties.py"

# The state itself is read in ui.data (every county page's queries need it).
Scope = data.Scope
counties = data.counties
current = data.current_scope


def is_multi() -> bool:
    return len(counties()) > 1


def county_label(code: str, units: pd.DataFrame | None = None) -> str:
    """A county's name (its code when the map source does not know it)."""
    units = counties() if units is None else units
    row = units[units["county"] == code]
    name = row["county_name"].iloc[0] if len(row) else None
    return str(name) if isinstance(name, str) and name.strip() else str(code)


def city_label(code: str, units: pd.DataFrame | None = None) -> str:
    units = counties() if units is None else units
    row = units[units["city"] == code]
    name = row["city_name"].iloc[0] if len(row) else None
    return str(name) if isinstance(name, str) and name.strip() else str(code)


def county() -> str:
    """The county in scope ('' for a city or the province)."""
    return current().county


def prefix() -> str:
    """The adcode prefix of the scope for the ``county_*`` queries: the county, else its city,
    else '' (the province: every county in the database)."""
    s = current()
    return s.county or s.city


def area_prefix() -> str:
    """What a comparison shows: the city of the scope (a county scope shows its city, with the
    county highlighted), else '' (the province)."""
    return current().city


def in_scope(units: pd.DataFrame | None = None) -> pd.DataFrame:
    """The counties of the scope's city (all of them for the province)."""
    return data.counties_in_scope() if units is None else _of_city(units, current().city)


def _of_city(units: pd.DataFrame, city: str) -> pd.DataFrame:
    return units[units["city"] == city] if city else units


def remember(scope: Scope) -> None:
    """Write the scope to the session and the URL (only the parameters that are set)."""
    st.session_state[data.SCOPE_MEMORY] = (scope.city, scope.county)
    for key, value in (("city", scope.city), ("county", scope.county)):
        if value:
            if st.query_params.get(key) != value:
                st.query_params[key] = value
        elif key in st.query_params:
            del st.query_params[key]


def _city_changed() -> None:
    remember(Scope(st.session_state.get(_CITY_KEY) or "", ""))


def _county_changed() -> None:
    county_code = st.session_state.get(_COUNTY_KEY) or ""
    city = county_code[:4] if county_code else st.session_state.get(_CITY_KEY) or ""
    remember(Scope(city, county_code))


def _picked() -> None:
    county_code = st.session_state.get(_PICK_KEY) or ""
    if county_code:
        remember(Scope(county_code[:4], county_code))


def select() -> Scope:
    """The 市 and 县（市、区）select boxes at the top of the sidebar (above 学年); nothing with
    one county. Returns the scope. Call once per run (the widgets have fixed keys)."""
    scope = current()
    units = counties()
    if len(units) <= 1:
        return scope
    remember(scope)  # drops unknown values from the URL; keeps the choice across pages
    cities = units.drop_duplicates("city")["city"].tolist()
    # The widgets follow the URL (a link or the inline picker may have changed it); their own
    # changes reach the URL through the callbacks, before the next run reads it.
    st.session_state[_CITY_KEY] = scope.city
    st.session_state[_COUNTY_KEY] = scope.county
    st.sidebar.selectbox(
        "市",
        [""] + cities,
        format_func=lambda c: city_label(c, units) if c else "全省",
        key=_CITY_KEY,
        on_change=_city_changed,
    )
    shown = units[units["city"] == scope.city] if scope.city else units
    st.sidebar.selectbox(
        "县（市、区）",
        [""] + shown["county"].tolist(),
        format_func=lambda c: county_label(c, units) if c else ("全市" if scope.city else "全省"),
        key=_COUNTY_KEY,
        on_change=_county_changed,
    )
    return scope


def require_county() -> str:
    """Top of every county page: the scope widgets, then — in a city or province scope — an
    inline choice of the counties in scope and a link to 县域对比, and the page stops there.
    Returns the county (with one county in the database: that one, and nothing is shown)."""
    scope = select()
    if scope.county:
        return scope.county
    units = counties()
    if units.empty:  # an empty database: the pages say so themselves
        return ""
    shown = in_scope(units)
    where = city_label(scope.city, units) if scope.city else "全省"
    st.info(
        f"本页按县（市、区）显示。当前范围为{where}（{len(shown)} 个县（市、区）），请先选择一个县（市、区）；"
        "各县并列比较见“县域对比”。",
        icon=":material/location_on:",
    )
    st.selectbox(
        "请选择县（市、区）",
        shown["county"].tolist(),
        index=None,
        placeholder="请选择县（市、区）",
        format_func=lambda c: county_label(c, units),
        key=_PICK_KEY,
        on_change=_picked,
    )
    page_link(COUNTIES_PAGE, "县域对比", ":material/stacked_bar_chart:")
    st.stop()
    return ""  # not reached


def page_link(path: str, label: str, icon: str, query_params: dict | None = None) -> None:
    """st.page_link, or a plain link when the page runs on its own (AppTest: no navigation)."""
    try:
        st.page_link(path, label=label, icon=icon, query_params=query_params)
    except StreamlitAPIException:
        query = ("?" + urlencode(query_params)) if query_params else ""
        st.markdown(f"[{label}]({path.removeprefix('views/').removesuffix('.py')}{query})")
