"""Cached data access for the pages: named queries per database file version, and chart
builders and pure functions computed once per distinct input. Pages hold no SQL; they read
through here.

The county scope of a run (which county a page shows) is read here too, because every query
of a county page takes it: ``current_scope()`` from the URL (``?city=&county=``) or the
session, checked against the counties in the database. Its widgets are in ``ui.scope``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from edubalance.model.safe_text import escape_figure
from edubalance.store import db as dbmod
from edubalance.store.paths import db_path


@st.cache_resource(show_spinner=False, max_entries=4)
def _connection(signature: tuple):
    # One read-only connection per database file; a swapped-in file has a new signature.
    return dbmod.connect(Path(signature[0]))


@st.cache_data(show_spinner=False, max_entries=512)
def _query(name: str, params: tuple, signature: tuple) -> pd.DataFrame:
    # run() reads through its own cursor, so script threads can share the connection.
    return dbmod.run(name, dict(params), con=_connection(signature))


def database() -> Path:
    return db_path()


# Queries about the whole database whose optional county is a filter, not the page's scope.
UNSCOPED = frozenset({"import_history"})


def _declares_county(name: str) -> bool:
    return name not in UNSCOPED and any(param[0] == "county" for param in dbmod.load_query(name).params)


def scoped(name: str, params: dict) -> dict:
    """``params`` plus the county of the page's scope when the query takes a county and the
    caller gave none. Without a single county in scope (a city or the province) nothing is
    added: the store fills in the only county, or refuses when there are several."""
    if "county" not in params and _declares_county(name):
        county = current_scope().county
        if county:
            return {**params, "county": county}
    return params


def query(name: str, **params) -> pd.DataFrame:
    """A named query's result (cached per database file version and parameters, the scope's
    county included)."""
    params = scoped(name, params)
    return _query(name, tuple(sorted(params.items())), dbmod.signature(database())).copy()


# ---- the county scope ----------------------------------------------------------------------

SCOPE_MEMORY = "scope_memory"  # (city, county) last chosen in this browser session


@dataclass(frozen=True)
class Scope:
    city: str  # 4-digit city code; '' = the whole province
    county: str  # 6-digit county code; '' = no single county


def counties() -> pd.DataFrame:
    """The counties in the database (``county_list``: county, county_name, city, city_name,
    towns, schools, first_year, last_year), sorted by code."""
    frame = query("county_list", scope="")
    return frame.sort_values("county", kind="stable").reset_index(drop=True)


def _valid(units: pd.DataFrame, city, county) -> Scope:
    """Only values present in the database; a county implies its city."""
    county = county if isinstance(county, str) and county in set(units["county"]) else ""
    city = city if isinstance(city, str) and city in set(units["city"]) else ""
    return Scope(county[:4], county) if county else Scope(city, "")


def current_scope() -> Scope:
    """The scope of this run: with one county in the database, that county (the URL is
    ignored); else the URL's ``city``/``county`` when either is given, else the session's last
    choice (Streamlit's navigation drops the query string between pages), else the province."""
    units = counties()
    if len(units) <= 1:
        only = str(units["county"].iloc[0]) if len(units) else ""
        return Scope(only[:4], only)
    params = st.query_params
    if "city" in params or "county" in params:
        return _valid(units, params.get("city"), params.get("county"))
    remembered = st.session_state.get(SCOPE_MEMORY)
    return _valid(units, *remembered) if remembered else Scope("", "")


def counties_in_scope() -> pd.DataFrame:
    """The counties of the scope's city (all of them for the province)."""
    units = counties()
    city = current_scope().city
    return units[units["city"] == city] if city else units


def forget_connections() -> None:
    """Drop the cached connections and results after this process swapped a new database in.

    DuckDB keeps one instance per path while any connection to it is open, so a connection
    made for the new file would still read the old one; dropping ours releases it.
    """
    _connection.clear()
    _query.clear()
    _query_then.clear()


def dataset_info() -> dict:
    """dataset_info of the county in scope; for a city or the province, the years of its
    counties (the demo flag and the last import are the database's, the same for any county)."""
    if current_scope().county or len(counties()) <= 1:
        return query("dataset_info").iloc[0].to_dict()
    units = counties_in_scope()
    info = query("dataset_info", county=str(units["county"].iloc[0])).iloc[0].to_dict()
    info.update(county_code="", first_year=units["first_year"].min(), last_year=units["last_year"].max())
    return info


def available_years() -> list[int]:
    """The school years of the county in scope, newest first; for a city or the province (no
    single county) every year any county in scope has."""
    if current_scope().county or len(counties()) <= 1:
        return [int(y) for y in query("school_years_available")["year"]]
    units = counties_in_scope().dropna(subset=["first_year", "last_year"])
    if units.empty:
        return []
    return list(range(int(units["last_year"].max()), int(units["first_year"].min()) - 1, -1))


@st.cache_resource(show_spinner=False, max_entries=256)
def _figure(_builder, name: str, args: tuple, kwargs: tuple):
    return escape_figure(_builder(*args, **dict(kwargs)))


def figure(builder, *args, **kwargs):
    """A chart builder's figure, built once per distinct input (plotly figures are slow to build)."""
    name = f"{builder.__module__}.{builder.__qualname__}"
    return _figure(builder, name, args, tuple(sorted(kwargs.items())))


@st.cache_data(show_spinner=False, max_entries=256)
def _computed(_fn, name: str, args: tuple, kwargs: tuple):
    return _fn(*args, **dict(kwargs))


@st.cache_data(show_spinner=False, max_entries=64)
def _query_then(_fn, fn_name: str, name: str, params: tuple, signature: tuple):
    return _fn(_query(name, params, signature))


def query_then(fn, name: str, **params):
    """A pure function of a named query's result, computed once per database file version
    (keyed by the query, not by hashing the result: target rollups of a large county take
    seconds)."""
    fn_name = f"{fn.__module__}.{fn.__qualname__}"
    params = scoped(name, params)
    return _query_then(fn, fn_name, name, tuple(sorted(params.items())), dbmod.signature(database()))


def computed(fn, *args, **kwargs):
    """A pure function's result (e.g. edubalance.metrics.analytics), computed once per distinct input;
    each call gets its own copy."""
    name = f"{fn.__module__}.{fn.__qualname__}"
    return _computed(fn, name, args, tuple(sorted(kwargs.items())))
