"""Data access for the meeting outputs: a ``fetch(name, **params)`` over one read-only
connection, running each named query once per export, for one county."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import pandas as pd

from edubalance.store import db as dbmod
from edubalance.store.paths import db_path

# What the deck's and the workbook's builders read from: open_fetch's fetch, or on the 汇报导出
# page the cached ui.query (same signature: a query name and its parameters).
Fetch = Callable[..., pd.DataFrame]

# The county an export is for, set by `export --county` around the builders (which open their
# own fetch); None lets db.run resolve it (the only county of the database).
_COUNTY: ContextVar[str | None] = ContextVar("export_county", default=None)


@contextmanager
def county_scope(county: str | None) -> Iterator[None]:
    """Every open_fetch inside reads this county's data."""
    token = _COUNTY.set(county)
    try:
        yield
    finally:
        _COUNTY.reset(token)


@contextmanager
def open_fetch(db: Path | str | None = None, county: str | None = None) -> Iterator[Fetch]:
    """A ``fetch(name, **params)`` over one read-only connection to the database; queries that
    take a county get ``county`` (else the county_scope's) unless the caller passes one."""
    con = dbmod.connect(db_path(db))
    county = county or _COUNTY.get()
    memo: dict[tuple, pd.DataFrame] = {}

    def fetch(name: str, **params) -> pd.DataFrame:
        if county and "county" not in params and any(p == "county" for p, _, _ in dbmod.load_query(name).params):
            params["county"] = county
        # Several slides read the same result; run each query once per export.
        key = (name, tuple(sorted(params.items())))
        if key not in memo:
            memo[key] = dbmod.run(name, params, con=con)
        return memo[key].copy()

    try:
        yield fetch
    finally:
        con.close()
